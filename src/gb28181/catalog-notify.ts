/**
 * Catalog changes a device notifies in a catalog subscription (GB/T 28181 §9.11.2, A.2.5.4): a
 * `Notify/Catalog` whose `DeviceList` items carry an `<Event>` — ADD, DEL, UPDATE, ON, OFF, VLOST (video
 * lost), DEFECT (fault) — and how they change the channel list the Catalog query fills. Pure.
 * @module
 */
import { fail, ok, type Result } from '../sip/message.js';
import type { ManscdpMessage } from './manscdp.js';
import { catalogItem, type CatalogItem } from './manscdp-response.js';
import { child, int, items, str } from './manscdp-fields.js';

/** The events a catalog item may carry. */
export const CATALOG_EVENTS = ['ADD', 'DEL', 'UPDATE', 'ON', 'OFF', 'VLOST', 'DEFECT'] as const;

/** One of {@link CATALOG_EVENTS}. */
export type CatalogEvent = (typeof CATALOG_EVENTS)[number];

/** One notified change. */
export interface CatalogChange {
  event: CatalogEvent;
  item: CatalogItem;
}

/** Longest channel list a device keeps; ADDs past it are ignored (a flood stays bounded). */
export const MAX_CHANNELS = 10_000;

/**
 * `Notify/Catalog` (some devices send `Response/Catalog`) → its changes, in order. An item without an
 * `<Event>` is an ADD (a pushed catalog entry); items without a DeviceID or with an unknown event fail the
 * body, so a device learns that it was not understood.
 */
export function catalogNotify(m: ManscdpMessage): Result<{ sumNum?: number; changes: CatalogChange[] }> {
  if ((m.root !== 'Notify' && m.root !== 'Response') || m.cmdType.toLowerCase() !== 'catalog') return fail(`Expected Notify/Catalog, got ${m.root}/${m.cmdType}`);
  const changes: CatalogChange[] = [];
  for (const f of items(child(m.fields, 'DeviceList'))) {
    const item = catalogItem(f);
    if (!item) return fail('a catalog item has no DeviceID');
    const event = (str(f, 'Event') || 'ADD').toUpperCase();
    if (!(CATALOG_EVENTS as readonly string[]).includes(event)) return fail(`unknown catalog Event ${event}`);
    changes.push({ event: event as CatalogEvent, item });
  }
  const sumNum = int(m.fields, 'SumNum');
  return ok(sumNum === undefined ? { changes } : { sumNum, changes });
}

/** `next` over `prev`: fields the update leaves empty keep their old value. */
function merge(prev: CatalogItem | undefined, next: CatalogItem): CatalogItem {
  if (!prev) return next;
  const out: CatalogItem = { ...prev };
  for (const [k, v] of Object.entries(next) as Array<[keyof CatalogItem, unknown]>) {
    if (v !== '' && v !== undefined && !(k === 'parental' && v === false)) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}

/**
 * Apply `changes` to `channels`: ADD and UPDATE insert or merge, DEL removes, ON sets the status ON, OFF,
 * VLOST and DEFECT set it OFF (as WVP does). Status events for unknown channels are ignored. Returns the
 * new list and whether anything changed (the same array when nothing did).
 */
export function applyCatalogChanges(channels: readonly CatalogItem[], changes: readonly CatalogChange[], max = MAX_CHANNELS): { channels: readonly CatalogItem[]; changed: boolean } {
  const byId = new Map(channels.map((c) => [c.deviceId, c]));
  for (const { event, item } of changes) {
    const prev = byId.get(item.deviceId);
    if (event === 'DEL') byId.delete(item.deviceId);
    else if (event === 'ADD' || event === 'UPDATE') {
      if (prev || byId.size < max) byId.set(item.deviceId, merge(prev, { ...item, status: item.status || (event === 'ADD' ? 'ON' : '') }));
    } else if (prev) byId.set(item.deviceId, { ...prev, status: event === 'ON' ? 'ON' : 'OFF' });
  }
  const next = [...byId.values()];
  const changed = next.length !== channels.length || next.some((c, i) => JSON.stringify(c) !== JSON.stringify(channels[i]));
  return changed ? { channels: next, changed } : { channels, changed };
}
