import { describe, expect, it } from 'vitest';
import { CatalogAssembly } from '../../src/gb28181/catalog.js';
import type { CatalogAssemblyState } from '../../src/gb28181/catalog.js';
import { catalogResponse, parseManscdpBody } from '../../src/gb28181/manscdp.js';
import type { CatalogItem } from '../../src/gb28181/manscdp.js';
import { fixtureMessage } from './fixtures.js';

const T0 = 1_700_000_000_000;
const GAP = 5_000;

function vectorItems(): CatalogItem[] {
  const m = parseManscdpBody(fixtureMessage('07-catalog-response.gb2312.sip').body);
  if (!m.ok) throw new Error(m.error);
  const c = catalogResponse(m.value);
  if (!c.ok) throw new Error(c.error);
  return c.value.items;
}

const [gate, lot] = vectorItems() as [CatalogItem, CatalogItem];

describe('CatalogAssembly', () => {
  it('is complete after the two-channel vector arrives in one part', () => {
    const a = new CatalogAssembly('34020000001180000001', 248531, T0);
    a.add({ sumNum: 2, items: [gate, lot] }, T0 + 100);
    expect(a.complete).toBe(true);
    expect(a.result().items.map((i) => i.name)).toEqual(['大门口', '停车场']);
  });

  it.each([
    ['in order', [gate, lot]],
    ['in reverse order', [lot, gate]],
  ])('reassembles a split answer arriving %s', (_order, parts) => {
    const a = new CatalogAssembly('34020000001180000001', 248531, T0);
    a.add({ sumNum: 2, items: [parts[0]!] }, T0 + 100);
    expect(a.complete).toBe(false);
    a.add({ sumNum: 2, items: [parts[1]!] }, T0 + 200);
    expect(a.result()).toMatchObject({ sumNum: 2, complete: true });
    expect(new Set(a.result().items.map((i) => i.deviceId))).toEqual(new Set([gate.deviceId, lot.deviceId]));
  });

  it('counts a retransmitted part once', () => {
    const a = new CatalogAssembly('34020000001180000001', 248531, T0);
    a.add({ sumNum: 2, items: [gate] }, T0 + 100);
    a.add({ sumNum: 2, items: [gate] }, T0 + 600);
    expect(a.received).toBe(1);
    expect(a.complete).toBe(false);
  });

  it('keeps the latest copy of an item sent twice', () => {
    const a = new CatalogAssembly('d', 1, T0);
    a.add({ sumNum: 1, items: [{ ...gate, status: 'OFF' }] }, T0);
    a.add({ sumNum: 1, items: [gate] }, T0 + 1);
    expect(a.result().items).toEqual([gate]);
  });

  it('treats SumNum 0 as a complete answer with no channels', () => {
    const a = new CatalogAssembly('d', 1, T0);
    expect(a.complete).toBe(false);
    a.add({ sumNum: 0, items: [] }, T0 + 10);
    expect(a.result()).toEqual({ sumNum: 0, items: [], complete: true });
  });

  it('does not finish early when one part under-reports SumNum', () => {
    const a = new CatalogAssembly('d', 1, T0);
    a.add({ sumNum: 3, items: [gate] }, T0);
    a.add({ sumNum: 1, items: [lot] }, T0 + 1);
    expect(a.complete).toBe(false);
  });

  it('closes as partial when no new item arrives within the gap', () => {
    const a = new CatalogAssembly('d', 1, T0);
    a.add({ sumNum: 2, items: [gate] }, T0 + 100);
    expect(a.isStale(T0 + 100 + GAP - 1, GAP)).toBe(false);
    a.add({ sumNum: 2, items: [gate] }, T0 + 3_000); // retransmit: no progress
    expect(a.isStale(T0 + 100 + GAP, GAP)).toBe(true);
    expect(a.result()).toMatchObject({ sumNum: 2, complete: false });
    expect(a.result().items).toHaveLength(1);
  });

  it('waits firstPartMs for the first part, then gapMs between parts', () => {
    const a = new CatalogAssembly('d', 1, T0);
    expect(a.isStale(T0 + 60_000, GAP, 120_000)).toBe(false);
    expect(a.isStale(T0 + 120_000, GAP, 120_000)).toBe(true);
    a.add({ sumNum: 2, items: [gate] }, T0 + 60_000);
    expect(a.isStale(T0 + 64_999, GAP, 120_000)).toBe(false);
    expect(a.isStale(T0 + 65_000, GAP, 120_000)).toBe(true);
  });

  it('is never stale once complete', () => {
    const a = new CatalogAssembly('d', 1, T0);
    a.add({ sumNum: 1, items: [gate] }, T0);
    expect(a.isStale(T0 + 10 * GAP, GAP)).toBe(false);
  });

  it('survives a JSON round trip and keeps assembling', () => {
    const a = new CatalogAssembly('34020000001180000001', 248531, T0);
    a.add({ sumNum: 2, items: [gate] }, T0 + 100);
    const state = JSON.parse(JSON.stringify(a)) as CatalogAssemblyState;
    expect(state).toMatchObject({ v: 1, deviceId: '34020000001180000001', sn: 248531, startedAt: T0, lastProgressAt: T0 + 100, sumNum: 2 });
    const b = CatalogAssembly.fromJSON(state);
    expect(b.isStale(T0 + 100 + GAP, GAP)).toBe(true);
    b.add({ sumNum: 2, items: [gate, lot] }, T0 + 200);
    expect(b.result()).toEqual({ sumNum: 2, items: [gate, lot], complete: true });
    expect(a.received).toBe(1);
  });

  it('survives structured cloning of its state', () => {
    const a = new CatalogAssembly('d', 7, T0);
    const b = CatalogAssembly.fromJSON(structuredClone(a.toJSON()));
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(b.complete).toBe(false);
  });
});
