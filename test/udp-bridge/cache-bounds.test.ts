import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/parse.js';
import { CacheBudget, ownBytes } from '../../udp-bridge/src/cache-budget.js';
import { ENTRY_OVERHEAD_BYTES, ResponseCache } from '../../udp-bridge/src/retransmissions.js';
import { summarize } from '../../udp-bridge/src/sip-scan.js';
import type { SipSummary } from '../../udp-bridge/src/sip-scan.js';
import { invite, register, response } from './sip-vectors.js';

// Byte bounds of the response cache: per flow, and over every flow through one shared CacheBudget.

function summary(text: string): SipSummary {
  const r = parseMessage(text);
  if (!r.ok) throw new Error('bad vector');
  return summarize(r.value);
}

const KIB = 1024;
const TTL = 32_000;

/** A response body standing in for a large answer: `size` bytes of `fill`, so a replay shows which one it is. */
const big = (size: number, fill: number): Uint8Array => new Uint8Array(size).fill(fill);

/** Send request `branch` through `c` and answer it with `bytes` (a 200 to REGISTER). */
function exchange(c: ResponseCache, branch: string, bytes: Uint8Array): void {
  expect(c.onRequest(summary(register(branch)))).toMatchObject({ action: 'forward' });
  c.onResponse(summary(response(200, 'OK', branch, 'REGISTER')), bytes);
}

/** What a retransmission of request `branch` gets: the replayed bytes, 'forward' when the cache forgot it. */
function retransmit(c: ResponseCache, branch: string): Uint8Array | null | 'forward' {
  const d = c.onRequest(summary(register(branch)));
  return d.action === 'absorb' ? d.replay : 'forward';
}

describe('ResponseCache byte bounds', () => {
  it('keeps one flow under its byte bound with many large responses, evicting the oldest, and replays the live ones right', () => {
    const budget = new CacheBudget();
    const c = new ResponseCache(TTL, () => 0, { maxBytes: 256 * KIB, budget });
    for (let i = 0; i < 100; i++) {
      exchange(c, `z9hG4bKbig${i}`, big(60_000, i));
      expect(c.bytes).toBeLessThanOrEqual(256 * KIB);
      expect(budget.used).toBe(c.bytes);
    }
    // Four 60 kB answers fit in 256 KiB with their overhead: the last four are replayed, each its own.
    for (let i = 96; i < 100; i++) expect(retransmit(c, `z9hG4bKbig${i}`)).toEqual(big(60_000, i));
    expect(retransmit(c, 'z9hG4bKbig95')).toBe('forward');
    expect(retransmit(c, 'z9hG4bKbig0')).toBe('forward');
    expect(budget.evictions.flow_bytes).toBeGreaterThanOrEqual(96);
    expect(budget.evictions.total_bytes).toBe(0);
  });

  it('keeps many flows under the total budget, evicting the oldest over every flow first', () => {
    const budget = new CacheBudget(1024 * KIB);
    const caches = Array.from({ length: 50 }, () => new ResponseCache(TTL, () => 0, { maxBytes: 256 * KIB, budget }));
    for (let round = 0; round < 3; round++) {
      for (const [f, c] of caches.entries()) {
        exchange(c, `z9hG4bKf${f}r${round}`, big(20_000, (f + round) & 255));
        expect(budget.used).toBeLessThanOrEqual(budget.limit);
        expect(budget.used).toBe(caches.reduce((sum, x) => sum + x.bytes, 0));
      }
    }
    expect(budget.evictions.total_bytes).toBeGreaterThan(0);
    expect(budget.evictions.flow_bytes).toBe(0); // 3 × 20 kB is far below one flow's bound
    // Oldest first: the first round is gone, the newest answers of the last flows are all there, each its own.
    expect(retransmit(caches[0]!, 'z9hG4bKf0r0')).toBe('forward');
    for (let f = 40; f < 50; f++) expect(retransmit(caches[f]!, `z9hG4bKf${f}r2`)).toEqual(big(20_000, (f + 2) & 255));
  });

  it('charges the per-transaction overhead and the top Via, and gives everything back on clear, sweep, cancel and forgetPending', () => {
    let now = 0;
    const budget = new CacheBudget();
    const a = new ResponseCache(TTL, () => now, { budget });
    const b = new ResponseCache(TTL, () => now, { budget });
    const first = a.onRequest(summary(register('z9hG4bKo1')));
    const via = summary(register('z9hG4bKo1')).topVia!;
    expect(a.bytes).toBe(ENTRY_OVERHEAD_BYTES + via.length);
    exchange(a, 'z9hG4bKo2', big(1_000, 1));
    exchange(b, 'z9hG4bKo3', big(2_000, 2));
    b.onRequest(summary(register('z9hG4bKo4')));
    expect(budget.used).toBe(a.bytes + b.bytes);
    if (first.action !== 'forward' || first.key === null) throw new Error('expected a key');
    a.cancel(first.key);
    expect(a.bytes).toBe(ENTRY_OVERHEAD_BYTES + via.length + 1_000);
    b.forgetPending(); // z9hG4bKo4 had no answer
    expect(b.size).toBe(1);
    a.clear();
    expect([a.size, a.bytes]).toEqual([0, 0]);
    now = TTL;
    b.sweep();
    expect([b.size, b.bytes, budget.used]).toEqual([0, 0, 0]);
  });

  it('replaces the provisional response by the final one in the charge', () => {
    const c = new ResponseCache(TTL, () => 0);
    c.onRequest(summary(invite('z9hG4bKi')));
    const base = c.bytes;
    c.onResponse(summary(response(180, 'Ringing', 'z9hG4bKi', 'INVITE')), big(10_000, 1));
    c.onResponse(summary(response(183, 'Session Progress', 'z9hG4bKi', 'INVITE')), big(5_000, 2));
    expect(c.bytes).toBe(base + 5_000);
    c.onResponse(summary(response(200, 'OK', 'z9hG4bKi', 'INVITE')), big(300, 3));
    expect(c.bytes).toBe(base + 300);
    expect(c.onRequest(summary(invite('z9hG4bKi')))).toEqual({ action: 'absorb', replay: big(300, 3) });
  });

  it('spares the transaction just answered: the older ones go first, it goes only when it alone is too big', () => {
    const c = new ResponseCache(TTL, () => 0, { maxBytes: 10_000 });
    c.onRequest(summary(register('z9hG4bKold')));
    exchange(c, 'z9hG4bKmid', big(4_000, 1));
    // The oldest transaction is answered last, with more than the rest can hold beside it.
    c.onResponse(summary(response(200, 'OK', 'z9hG4bKold', 'REGISTER')), big(8_000, 2));
    expect(retransmit(c, 'z9hG4bKold')).toEqual(big(8_000, 2));
    expect(retransmit(c, 'z9hG4bKmid')).toBe('forward');
    // An answer bigger than the whole bound is not kept: the retransmission goes to the Worker again.
    exchange(c, 'z9hG4bKhuge', big(20_000, 3));
    expect(retransmit(c, 'z9hG4bKhuge')).toBe('forward');
    expect(c.bytes).toBeLessThanOrEqual(10_000);
  });

  it('counts evictions by transaction count as "entries"', () => {
    const budget = new CacheBudget();
    const c = new ResponseCache(TTL, () => 0, { maxEntries: 2, budget });
    for (const b of ['z9hG4bK1', 'z9hG4bK2', 'z9hG4bK3', 'z9hG4bK4']) c.onRequest(summary(register(b)));
    expect(budget.evictions).toEqual({ entries: 2, flow_bytes: 0, total_bytes: 0 });
    expect(budget.used).toBe(c.bytes);
  });

  it('keeps its own copy of a response that is a view into a larger buffer, so it holds only its length', () => {
    const read = Buffer.alloc(64 * KIB, 7);
    const frame = read.subarray(100, 600);
    const kept = ownBytes(frame);
    expect(kept.buffer.byteLength).toBe(500);
    expect(Buffer.from(kept).equals(frame)).toBe(true);
    const whole = new Uint8Array(500);
    expect(ownBytes(whole)).toBe(whole);
    const alone = new Uint8Array(502).subarray(2); // a frame read by itself, behind its 2-byte header
    expect(ownBytes(alone)).toBe(alone);
  });
});
