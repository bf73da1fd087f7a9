/**
 * Live SIP trace: choose users or a GB device (`POST /traces`), then every message to or from them appears
 * (`GET /traces/{id}/messages?after=`, polled): time, direction, method or status, Call-ID. A Call-ID opens
 * its ladder (ladder.ts) with the raw messages. Pause stops polling (the service's ring keeps what comes
 * meanwhile), clear empties the list, download saves `messages.txt`.
 * @module
 */
import { api, text } from '../api.js';
import { clock, field, h, notice, replace } from '../dom.js';
import { ladderPanel } from '../ladder.js';
import { summary, type TraceMessage } from '../trace-types.js';
import { poller, type View } from '../view.js';

interface Trace {
  id: string;
  until: number;
  targets: string[];
}

/** The SIP trace page. */
export function traceView(): View {
  const note = notice();
  const users = h('div', { class: 'checks' });
  const more = h('input', { name: 'aors', placeholder: 'more users or sip: URIs, comma separated' });
  const device = h('select', { name: 'gb-device' }, h('option', { value: '' }, '(no GB device)'));
  const seconds = h('input', { name: 'seconds', type: 'number', min: 1, max: 600, value: 600 });
  const active = h('div');
  const status = h('p', { class: 'muted trace-status' });
  const rows = h('tbody');
  const call = h('div');
  let current: Trace | null = null;
  let after = 0;
  let paused = false;
  let messages: TraceMessage[] = [];
  let openCall: string | null = null;

  const pauseBtn = h('button', { type: 'button', disabled: true, onclick: () => {
    paused = !paused;
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    if (paused) poll.stop();
    else poll.start();
  } }, 'Pause');

  const showCall = (callId: string) => {
    openCall = callId;
    replace(call, ladderPanel(callId, messages.filter((m) => m.callId === callId)));
  };
  const addRow = (m: TraceMessage) => rows.append(h('tr', { dataset: { seq: String(m.seq) } },
    h('td', null, clock(m.time)),
    h('td', { class: `dir ${m.direction}` }, m.direction === 'in' ? `→ in from ${m.peer}` : `← out to ${m.peer}`),
    h('td', null, m.aor),
    h('td', { class: m.method ? 'sip-method' : 'sip-status' }, summary(m)),
    h('td', null, h('a', { href: '#/trace', class: 'call-id', onclick: (e: Event) => {
      e.preventDefault();
      showCall(m.callId);
    } }, m.callId)),
    h('td', null, String(m.cseq))));

  const fetchMessages = async () => {
    if (!current) return;
    const r = await api<{ active: boolean; dropped: number; until: number; messages: TraceMessage[] }>(`/traces/${current.id}/messages?after=${after}`);
    for (const m of r.messages) {
      after = Math.max(after, m.seq);
      messages.push(m);
      addRow(m);
    }
    if (openCall && r.messages.some((m) => m.callId === openCall)) showCall(openCall);
    status.textContent = `trace ${current.id} on ${current.targets.join(', ')}: ${r.active ? `until ${new Date(r.until).toLocaleTimeString()}` : 'ended'}` +
      `, ${messages.length} shown${r.dropped ? `, ${r.dropped} dropped by the rate cap or the ring` : ''}`;
    if (!r.active) poll.stop();
  };
  const poll = poller(fetchMessages, 1000, (e) => note.error(e));

  const attach = (t: Trace) => {
    poll.stop();
    current = t;
    after = 0;
    messages = [];
    rows.replaceChildren();
    replace(call);
    paused = false;
    pauseBtn.textContent = 'Pause';
    for (const b of [pauseBtn, clearBtn, downloadBtn, stopBtn]) b.disabled = false;
    poll.start();
  };
  const listTraces = async () => {
    const { traces } = await api<{ traces: Trace[] }>('/traces');
    replace(active, traces.length ? h('ul', null, ...traces.map((t) => h('li', null,
      h('code', null, t.id), ` ${t.targets.join(', ')} until ${new Date(t.until).toLocaleTimeString()} `,
      h('button', { type: 'button', class: 'small', onclick: () => attach(t) }, 'Show')))) : h('p', { class: 'muted' }, 'no active traces'));
  };
  const loadTargets = async () => {
    const { users: list } = await api<{ users: Array<{ user: string; aor: string }> }>('/users');
    replace(users, ...list.map((u) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'user', value: u.user }), u.user)));
    try {
      const { devices } = await api<{ devices: Array<{ deviceId: string; online: boolean }> }>('/gb28181/devices');
      replace(device, h('option', { value: '' }, '(no GB device)'), ...devices.map((d) => h('option', { value: d.deviceId }, `${d.deviceId}${d.online ? '' : ' (offline)'}`)));
    } catch {
      // GB disabled: users only
    }
  };

  const start = async (e: Event) => {
    e.preventDefault();
    const chosen = [...users.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
    const extra = more.value.split(',').map((s) => s.trim()).filter(Boolean);
    const body: Record<string, unknown> = { seconds: Number(seconds.value) || 600 };
    if (chosen.length + extra.length) body.users = [...chosen, ...extra];
    if (device.value) body.gbDevice = device.value;
    try {
      const t = await api<Trace>('/traces', { method: 'POST', json: body });
      note.ok(`tracing ${t.targets.join(', ')}`);
      attach(t);
      await listTraces();
    } catch (err) {
      note.error(err);
    }
  };
  const clearBtn = h('button', { type: 'button', disabled: true, onclick: () => {
    messages = [];
    rows.replaceChildren();
    replace(call);
  } }, 'Clear');
  const downloadBtn = h('button', { type: 'button', disabled: true, onclick: async () => {
    if (!current) return;
    try {
      const body = await text(`/api/v1/traces/${current.id}/messages.txt`);
      const a = h('a', { href: URL.createObjectURL(new Blob([body], { type: 'text/plain' })), download: `trace-${current.id}.txt` });
      document.body.append(a);
      a.click();
      a.remove();
    } catch (err) {
      note.error(err);
    }
  } }, 'Download .txt');
  const stopBtn = h('button', { type: 'button', disabled: true, onclick: async () => {
    if (!current) return;
    try {
      await api(`/traces/${current.id}`, { method: 'DELETE' });
      note.ok(`trace ${current.id} stopped`);
      await fetchMessages();
      poll.stop();
      await listTraces();
    } catch (err) {
      note.error(err);
    }
  } }, 'Stop trace');

  const refresh = async () => {
    try {
      await Promise.all([loadTargets(), listTraces()]);
    } catch (err) {
      note.error(err);
    }
  };
  return {
    el: h('div', null,
      h('form', { class: 'trace-form', onsubmit: start },
        h('fieldset', null, h('legend', null, 'Users'), users, more),
        field('GB device', device), field('seconds (at most 600)', seconds), h('button', { type: 'submit' }, 'Start trace')),
      note.el, h('h3', null, 'Active traces'), active,
      h('div', { class: 'toolbar' }, pauseBtn, clearBtn, downloadBtn, stopBtn), status,
      h('div', { class: 'trace-list' }, h('table', { class: 'messages' },
        h('thead', null, h('tr', null, ...['time', 'direction', 'AOR', 'method / status', 'Call-ID', 'CSeq'].map((t) => h('th', null, t)))), rows)),
      call),
    show: () => void refresh(),
    hide: () => {},
    dispose: () => poll.stop(),
  };
}
