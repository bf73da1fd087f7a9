/**
 * One GB device: its info and heartbeat, the channel tree from Catalog, a PTZ pad, guard and reboot, and the
 * live view and record query panels (gb-media.ts). Every action is one `/gb28181/devices/{id}/…` call.
 * @module
 */
import { api, apiWithStatus } from '../api.js';
import { h, notice, replace, table, when } from '../dom.js';
import { confirmButton } from './confirm.js';
import { livePanel, recordPanel, type Session } from './gb-media.js';
import type { DeviceState } from '../../../src/gb28181/device.js';
import type { CatalogItem } from '../../../src/gb28181/manscdp-response.js';

/** A Catalog item (GB/T 28181 A.2.6.2), as the server keeps it. */
export type Channel = CatalogItem;

/** A device as `GET /gb28181/devices/{id}` answers: its state (`src/gb28181/device.ts`) and its live sessions. */
type Device = DeviceState & { sessions: Session[] };

const PTZ_TYPES: Record<number, string> = { 1: 'dome', 2: 'half-dome', 3: 'fixed', 4: 'remote fixed' };

/** The channel tree: each item under its ParentID when that is another item, else at the top. */
export function channelTree(items: Channel[], onPick: (id: string) => void): HTMLElement {
  const ids = new Set(items.map((i) => i.deviceId));
  const children = new Map<string, Channel[]>();
  for (const i of items) {
    const p = ids.has(i.parentId) && i.parentId !== i.deviceId ? i.parentId : '';
    children.set(p, [...(children.get(p) ?? []), i]);
  }
  const seen = new Set<string>();
  const branch = (parent: string): HTMLElement => h('ul', null, ...(children.get(parent) ?? []).filter((c) => !seen.has(c.deviceId)).map((c) => {
    seen.add(c.deviceId);
    return h('li', { dataset: { channel: c.deviceId } },
      h('button', { type: 'button', class: 'link', onclick: () => onPick(c.deviceId) }, c.name || c.deviceId),
      ' ', h('code', null, c.deviceId), ' ',
      h('span', { class: c.status === 'ON' ? 'badge on' : 'badge off' }, c.status),
      c.ptzType ? h('span', { class: 'muted' }, ` ${PTZ_TYPES[c.ptzType] ?? `PTZ ${c.ptzType}`}`) : null,
      c.address ? h('span', { class: 'muted' }, ` · ${c.address}`) : null,
      children.has(c.deviceId) ? branch(c.deviceId) : null);
  }));
  return h('div', { class: 'tree' }, branch(''));
}

/** The PTZ pad: 8 directions, stop, zoom in/out, a speed. */
function ptzPad(send: (move: Record<string, unknown>) => void): HTMLElement {
  const speed = h('input', { type: 'range', min: 0, max: 255, value: 128, name: 'speed' });
  const dir = (label: string, title: string, move: Record<string, string>) =>
    h('button', { type: 'button', title, onclick: () => send(Object.keys(move).length ? { ...move, speed: Number(speed.value) } : {}) }, label);
  return h('div', { class: 'ptz' },
    h('div', { class: 'pad' },
      dir('↖', 'up left', { pan: 'left', tilt: 'up' }), dir('↑', 'up', { tilt: 'up' }), dir('↗', 'up right', { pan: 'right', tilt: 'up' }),
      dir('←', 'left', { pan: 'left' }), dir('■', 'stop', {}), dir('→', 'right', { pan: 'right' }),
      dir('↙', 'down left', { pan: 'left', tilt: 'down' }), dir('↓', 'down', { tilt: 'down' }), dir('↘', 'down right', { pan: 'right', tilt: 'down' })),
    h('div', null,
      h('button', { type: 'button', title: 'zoom in', onclick: () => send({ zoom: 'in', zoomSpeed: 8 }) }, 'zoom +'),
      h('button', { type: 'button', title: 'zoom out', onclick: () => send({ zoom: 'out', zoomSpeed: 8 }) }, 'zoom −'),
      h('label', { class: 'field' }, h('span', null, 'speed'), speed)));
}

/** The page of device `id`. */
export function devicePanel(id: string): HTMLElement {
  const base = `/gb28181/devices/${id}`;
  const note = notice();
  const info = h('div');
  const tree = h('div');
  const result = h('pre', { class: 'result' });
  const channelSel = h('select', { name: 'channel' }, h('option', { value: id }, `${id} (device)`));
  const live = livePanel(base, () => channelSel.value, note, () => load());
  const run = async (what: string, fn: () => Promise<unknown>) => {
    note.ok(`${what}…`);
    try {
      const r = await fn();
      result.textContent = JSON.stringify(r, null, 2);
      note.ok(`${what}: done`);
    } catch (e) {
      note.error(e);
    }
  };
  const pick = (ch: string) => {
    channelSel.value = ch;
  };
  const showChannels = (channels: Channel[]) => {
    const had = channelSel.value;
    replace(channelSel, h('option', { value: id }, `${id} (device)`), ...channels.map((c) => h('option', { value: c.deviceId }, `${c.deviceId} ${c.name}`)));
    if ([...channelSel.options].some((o) => o.value === had)) channelSel.value = had;
    replace(tree, channels.length ? channelTree(channels, pick) : h('p', { class: 'muted' }, 'no channels yet: refresh the catalog'));
  };
  const load = async () => {
    try {
      const d = await api<Device>(base);
      replace(info, table(['', ''], [
        ['status', h('span', { class: d.online ? 'badge on' : 'badge off' }, d.online ? 'online' : `offline ${d.offlineReason ?? ''}`)],
        ['last keepalive', when(d.lastKeepaliveAt)], ['registered', when(d.registeredAt)], ['registration expires', when(d.registrationExpiresAt)],
        ['address', `${d.source ?? '—'} (${d.transport ?? '—'})`], ['user agent', d.userAgent ?? '—'], ['GB version', d.gbVersion ?? '—'],
        ...Object.entries(d.info ?? {}).map(([k, v]) => [k, String(v)]),
        ['catalog', d.catalogUpdatedAt ? `${when(d.catalogUpdatedAt)}${d.catalogComplete ? '' : ' (incomplete)'}` : 'never queried'],
      ], { class: 'kv' }));
      showChannels(d.channels);
      live.sessions(d.sessions);
    } catch (e) {
      note.error(e);
    }
  };
  void load();
  return h('div', { class: 'device', dataset: { device: id } },
    h('h3', null, `Device ${id}`), note.el,
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', onclick: () => void load() }, 'Refresh'),
      h('button', { type: 'button', onclick: () => run('Catalog', async () => {
        const r = await apiWithStatus<{ items: Channel[]; complete: boolean }>(`${base}/catalog?wait=20`, { method: 'POST' });
        showChannels(r.body.items);
        await load();
        return r.body;
      }) }, 'Refresh catalog'),
      h('button', { type: 'button', onclick: () => run('DeviceInfo', async () => {
        const r = await api(`${base}/device-info?wait=10`, { method: 'POST' });
        await load();
        return r;
      }) }, 'Device info'),
      h('button', { type: 'button', onclick: () => run('DeviceStatus', () => api(`${base}/device-status?wait=10`, { method: 'POST' })) }, 'Device status'),
      h('button', { type: 'button', onclick: () => run('SetGuard', () => api(`${base}/control`, { method: 'POST', json: { command: 'SetGuard' } })) }, 'Guard'),
      h('button', { type: 'button', onclick: () => run('ResetGuard', () => api(`${base}/control`, { method: 'POST', json: { command: 'ResetGuard' } })) }, 'Unguard'),
      confirmButton('Reboot', () => run('Reboot', () => api(`${base}/control`, { method: 'POST', json: { command: 'Reboot' } })))),
    h('div', { class: 'split' }, info, h('div', null, h('h4', null, 'Channels (Catalog)'), tree)),
    h('h4', null, 'PTZ and live view'), h('label', { class: 'field' }, h('span', null, 'channel'), channelSel),
    h('div', { class: 'split' }, ptzPad((move) => void run('PTZ', () => api(`${base}/ptz`, { method: 'POST', json: { ...move, channel: channelSel.value } }))), live.el),
    recordPanel(base, (r) => run('RecordInfo', r)),
    h('h4', null, 'Last answer'), result);
}
