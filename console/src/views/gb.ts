/**
 * GB devices: the device list of the platform's realm (`GET /gb28181/devices`) with an online/offline filter
 * and the heartbeat of each, as WVP's device list shows it; choosing one opens its page (gb-device.ts).
 * @module
 */
import { api } from '../api.js';
import { h, notice, replace, table, when } from '../dom.js';
import { poller, type View } from '../view.js';
import { devicePanel } from './gb-device.js';
import type { DeviceSummary } from '../../../src/gb28181/device.js';

/** One row of the device list. */
export type DeviceRow = DeviceSummary;

type Filter = 'all' | 'online' | 'offline';

/** The GB devices page. */
export function gbView(): View {
  const note = notice();
  const list = h('div');
  const detail = h('div', { class: 'detail' }, h('p', { class: 'muted' }, 'Choose a device.'));
  let filter: Filter = 'all';
  let selected: string | null = null;
  const header = h('p', { class: 'muted' });
  const filters = h('div', { class: 'segmented', role: 'group' }, ...(['all', 'online', 'offline'] as const).map((f) =>
    h('button', { type: 'button', class: f === filter ? 'active' : '', dataset: { filter: f }, onclick: (e: Event) => {
      filter = f;
      for (const b of filters.querySelectorAll('button')) b.classList.toggle('active', b === e.currentTarget);
      void poll.now();
    } }, f)));

  const refresh = async () => {
    const r = await api<{ platformId: string; realm: string; devices: DeviceRow[] }>('/gb28181/devices');
    replace(header, `Platform ${r.platformId}, realm ${r.realm}: ${r.devices.filter((d) => d.online).length} online of ${r.devices.length}`);
    const shown = r.devices.filter((d) => filter === 'all' || (filter === 'online') === d.online);
    replace(list, shown.length ? table(['device', 'status', 'address', 'transport', 'user agent', 'registered'], shown.map((d) => [
      h('a', { href: '#/gb', class: d.deviceId === selected ? 'selected' : '', dataset: { device: d.deviceId }, onclick: (e: Event) => {
        e.preventDefault();
        selected = d.deviceId;
        for (const a of list.querySelectorAll('a')) a.classList.toggle('selected', a === e.currentTarget);
        replace(detail, devicePanel(d.deviceId));
      } }, d.deviceId),
      h('span', { class: d.online ? 'badge on' : 'badge off' }, d.online ? 'online' : `offline${d.offlineReason ? ` (${d.offlineReason})` : ''}`),
      d.source ?? '—', d.transport ?? '—', d.userAgent ?? '—', when(d.registeredAt),
    ]), { class: 'devices' }) : h('p', { class: 'muted' }, `no ${filter === 'all' ? '' : `${filter} `}devices`));
    note.clear();
  };
  const poll = poller(refresh, 5000, (e) => note.error(e));
  return {
    el: h('div', null, h('div', { class: 'toolbar' }, filters, header), note.el, list, detail),
    show: () => poll.start(),
    hide: () => poll.stop(),
    dispose: () => poll.stop(),
  };
}
