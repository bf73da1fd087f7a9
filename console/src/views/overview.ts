/**
 * Overview: registered AORs, bindings, GB devices online of total, open connections (`GET /overview`), and
 * message rates from two scrapes of `/metrics` (counters reach it when connections flush them:
 * METRICS_FLUSH_SECONDS, 10 s under `npm start`).
 * @module
 */
import { api, text } from '../api.js';
import { h, notice, replace, table } from '../dom.js';
import { family, parseMetrics, rates, type Samples } from '../metrics.js';
import { poller, type View } from '../view.js';

interface Overview {
  registeredAors: number;
  bindings: number;
  gb: { online: number; total: number } | null;
  connections: number;
}

const RATES: Array<[string, string]> = [
  ['sip_requests_received_total', 'requests received'],
  ['sip_responses_received_total', 'responses received'],
  ['sip_local_responses_total', 'responses sent by the service'],
  ['sip_connections_opened_total', 'connections opened'],
  ['sip_rate_limited_total', 'messages shed (rate limit)'],
  ['sip_frames_dropped_total', 'frames dropped (malformed)'],
];

const card = (label: string, value: string, name: string) => h('div', { class: 'card stat', dataset: { stat: name } }, h('span', { class: 'value' }, value), h('span', null, label));

/** The Overview page. */
export function overviewView(): View {
  const cards = h('div', { class: 'cards' });
  const rateBox = h('div');
  const note = notice();
  let last: { at: number; samples: Samples } | null = null;

  const refresh = async () => {
    const o = await api<Overview>('/overview');
    replace(cards,
      card('registered AORs', String(o.registeredAors), 'aors'),
      card('bindings', String(o.bindings), 'bindings'),
      card('GB devices online / total', o.gb ? `${o.gb.online} / ${o.gb.total}` : 'off', 'gb'),
      card('open connections', String(o.connections), 'connections'));
    const samples = parseMetrics(await text('/metrics'));
    const now = Date.now();
    const r = last ? rates(last.samples, samples, (now - last.at) / 1000) : null;
    last = { at: now, samples };
    const methods = [...samples.keys()].filter((k) => k.startsWith('sip_requests_received_total{')).sort();
    replace(rateBox,
      table(['counter', 'total', 'per second'], [
        ...RATES.map(([name, label]) => [label, String(family(samples, name)), r ? family(r, name).toFixed(2) : '…']),
        ...methods.map((k) => [`  ${k.slice(k.indexOf('{'))}`, String(samples.get(k)), r ? (r.get(k) ?? 0).toFixed(2) : '…']),
      ], { class: 'rates' }));
    note.clear();
  };
  const poll = poller(refresh, 5000, (e) => note.error(e));
  return {
    el: h('div', null, note.el, cards, h('h3', null, 'Message rates (from /metrics)'), rateBox),
    show: () => poll.start(),
    hide: () => poll.stop(),
    dispose: () => poll.stop(),
  };
}
