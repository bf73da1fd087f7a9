/**
 * A GB device's media: live view start and stop (`POST /live`, `DELETE /live/{callId}`), showing the device's
 * SDP answer, the media target and, when a media server is configured, its play URLs with a player; and the
 * record query (`POST /record-info`).
 * @module
 */
import { api } from '../api.js';
import { field, h, replace, table, when } from '../dom.js';

/** What `POST /live` answers (the `stream` and `urls` only with a media server). */
interface LiveAnswer {
  callId: string;
  channelId: string;
  ssrc: string;
  answer: string;
  media: { ip: string; port: number };
  stream?: { app: string; stream: string; ssrc: string };
  urls?: Record<string, string>;
}

/** A live session of the device, as its page lists it. */
export interface Session {
  callId: string;
  channelId: string;
  ssrc: string;
  media: { ip: string; port: number };
  startedAt: number;
}

type Note = { error(e: unknown): void; ok(t: string): void };

/** The live view panel of the device at API path `base`; `channel()` is the chosen channel. */
export function livePanel(base: string, channel: () => string, note: Note, onChange: () => Promise<void>) {
  const ip = h('input', { name: 'media-ip', placeholder: 'GB_MEDIA_IP' });
  const port = h('input', { name: 'media-port', type: 'number', min: 1, max: 65535, placeholder: 'GB_MEDIA_PORT' });
  const tcp = h('input', { name: 'tcp', type: 'checkbox' });
  const out = h('div', { class: 'live' });
  const list = h('div', { class: 'sessions' });
  const stop = async (callId: string) => {
    try {
      const r = await api<{ status: number; reason: string }>(`${base}/live/${encodeURIComponent(callId)}?wait=10`, { method: 'DELETE' });
      note.ok(`live view stopped: BYE answered ${r.status} ${r.reason}`);
      replace(out);
      await onChange();
    } catch (e) {
      note.error(e);
    }
  };
  const show = (a: LiveAnswer, target: string) => {
    const player = a.urls ? h('div', { class: 'player' },
      h('video', { controls: true, autoplay: true, muted: true, src: a.urls.mp4 ?? a.urls.hls ?? a.urls.flv ?? '', width: 480 }),
      h('ul', null, ...Object.entries(a.urls).map(([k, v]) => h('li', null, `${k}: `, h('a', { href: v, target: '_blank', rel: 'noopener' }, v))))) : null;
    replace(out,
      table(['', ''], [
        ['Call-ID', h('code', null, a.callId)], ['channel', a.channelId], ['SSRC', a.ssrc],
        ['media target (offer)', target], ['device media (its answer)', `${a.media.ip}:${a.media.port}`],
        ...(a.stream ? [['stream', `${a.stream.app}/${a.stream.stream}`]] : []),
      ], { class: 'kv' }),
      h('h5', null, 'Device SDP answer'), h('pre', { class: 'sdp' }, a.answer),
      player ?? h('p', { class: 'muted' }, 'No play URLs in the answer (no media server configured): the camera streams RTP to the media target above.'),
      h('button', { type: 'button', onclick: () => void stop(a.callId) }, 'Stop live view'));
  };
  const start = async () => {
    note.ok('live view: INVITE sent…');
    try {
      const body: Record<string, unknown> = { channel: channel(), tcp: tcp.checked };
      if (ip.value) body.mediaIp = ip.value;
      if (port.value) body.mediaPort = Number(port.value);
      const a = await api<LiveAnswer>(`${base}/live?wait=15`, { method: 'POST', json: body });
      note.ok(`live view of ${a.channelId} started`);
      show(a, ip.value || port.value ? `${ip.value || 'GB_MEDIA_IP'}:${port.value || 'GB_MEDIA_PORT'}` : 'GB_MEDIA_IP:GB_MEDIA_PORT (the service\'s default)');
      await onChange();
    } catch (e) {
      note.error(e);
    }
  };
  const el = h('div', null,
    h('div', { class: 'inline' }, field('media IP', ip), field('media port', port), field('TCP', tcp),
      h('button', { type: 'button', onclick: () => void start() }, 'Start live view')),
    out, h('h5', null, 'Live sessions'), list);
  return {
    el,
    /** Show the device's live sessions, each with a stop button. */
    sessions(s: Session[]) {
      replace(list, s.length ? table(['Call-ID', 'channel', 'media', 'since', ''], s.map((x) => [
        h('code', null, x.callId), x.channelId, `${x.media.ip}:${x.media.port}`, when(x.startedAt),
        h('button', { type: 'button', class: 'small', onclick: () => void stop(x.callId) }, 'Stop'),
      ])) : h('p', { class: 'muted' }, 'none'));
      list.querySelectorAll('tbody tr').forEach((tr, i) => ((tr as HTMLElement).dataset.callId = s[i]!.callId));
    },
  };
}

/** `datetime-local` → GB time `YYYY-MM-DDThh:mm:ss`. */
const gbTime = (v: string) => (v.length === 16 ? `${v}:00` : v);

/** The record query panel: a time range and a type; `run` shows the device's answer. */
export function recordPanel(base: string, run: (request: () => Promise<unknown>) => void): HTMLElement {
  const from = h('input', { type: 'datetime-local', step: 1, name: 'start-time' });
  const to = h('input', { type: 'datetime-local', step: 1, name: 'end-time' });
  const type = h('select', { name: 'record-type' }, ...['all', 'time', 'alarm', 'manual'].map((t) => h('option', { value: t }, t)));
  const items = h('div');
  return h('div', null, h('h4', null, 'Record query'),
    h('form', { class: 'inline', onsubmit: (e: Event) => {
      e.preventDefault();
      run(async () => {
        const body = { type: type.value, ...(from.value ? { startTime: gbTime(from.value) } : {}), ...(to.value ? { endTime: gbTime(to.value) } : {}) };
        const r = await api<{ items?: Array<Record<string, unknown>> }>(`${base}/record-info?wait=20`, { method: 'POST', json: body });
        const rows = r.items ?? [];
        replace(items, rows.length ? table(['name', 'start', 'end', 'type', 'file'], rows.map((i) => [
          String(i.name ?? ''), String(i.startTime ?? ''), String(i.endTime ?? ''), String(i.type ?? ''), String(i.filePath ?? ''),
        ])) : h('p', { class: 'muted' }, 'no recordings in that range'));
        return r;
      });
    } }, field('from', from), field('to', to), field('type', type), h('button', { type: 'submit' }, 'Query records')),
    items);
}
