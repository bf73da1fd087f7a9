import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/parse.js';
import { summarize } from '../../udp-bridge/src/sip-scan.js';
import type { SipSummary } from '../../udp-bridge/src/sip-scan.js';
import { ResponseCache, requestKey, responseKey } from '../../udp-bridge/src/retransmissions.js';
import { invite, register, response } from './sip-vectors.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function req(text: string): SipSummary {
  const r = parseMessage(text);
  if (!r.ok || r.value.type !== 'request') throw new Error('bad vector');
  return summarize(r.value);
}

function res(text: string): SipSummary {
  const r = parseMessage(text);
  if (!r.ok || r.value.type !== 'response') throw new Error('bad vector');
  return summarize(r.value);
}

function cache(): { c: ResponseCache; at: (t: number) => void } {
  let now = 0;
  return { c: new ResponseCache(32_000, () => now), at: (t) => (now = t) };
}

function answer(c: ResponseCache, text: string): Uint8Array {
  const b = bytes(text);
  c.onResponse(res(text), b);
  return b;
}

describe('transaction keys (RFC 3261 §17.2.3)', () => {
  it('match a request and its response on branch, sent-by and method', () => {
    expect(requestKey(req(register('z9hG4bK1')))).toBe(responseKey(res(response(200, 'OK', 'z9hG4bK1', 'REGISTER'))));
    expect(requestKey(req(register('z9hG4bK1')))).not.toBe(requestKey(req(register('z9hG4bK2'))));
    expect(requestKey(req(register('z9hG4bK1', { port: 5062 })))).not.toBe(requestKey(req(register('z9hG4bK1'))));
  });

  it('key an ACK like the INVITE of its transaction', () => {
    expect(requestKey(req(invite('z9hG4bKi', 'ACK')))).toBe(requestKey(req(invite('z9hG4bKi'))));
  });

  it('is null without a branch', () => {
    expect(requestKey(req(register('').replace(';branch=', '')))).toBeNull();
  });
});

describe('ResponseCache', () => {
  it('forwards a first transmission and absorbs a retransmission while pending', () => {
    const { c } = cache();
    expect(c.onRequest(req(register('z9hG4bK1')))).toMatchObject({ action: 'forward' });
    expect(c.onRequest(req(register('z9hG4bK1')))).toEqual({ action: 'absorb', replay: null });
  });

  it('replays the latest provisional response while the final one is pending', () => {
    const { c } = cache();
    c.onRequest(req(invite('z9hG4bKi')));
    answer(c, response(100, 'Trying', 'z9hG4bKi', 'INVITE'));
    const ringing = answer(c, response(180, 'Ringing', 'z9hG4bKi', 'INVITE'));
    expect(c.onRequest(req(invite('z9hG4bKi')))).toEqual({ action: 'absorb', replay: ringing });
  });

  it('replays the final response to a retransmission, for 64·T1', () => {
    const { c, at } = cache();
    c.onRequest(req(register('z9hG4bK1')));
    at(1000);
    const ok = answer(c, response(200, 'OK', 'z9hG4bK1', 'REGISTER'));
    at(32_999);
    expect(c.onRequest(req(register('z9hG4bK1')))).toEqual({ action: 'absorb', replay: ok });
    at(33_000);
    expect(c.onRequest(req(register('z9hG4bK1')))).toMatchObject({ action: 'forward' });
  });

  it('keeps the final response when a late provisional arrives', () => {
    const { c } = cache();
    c.onRequest(req(register('z9hG4bK1')));
    const ok = answer(c, response(200, 'OK', 'z9hG4bK1', 'REGISTER'));
    answer(c, response(100, 'Trying', 'z9hG4bK1', 'REGISTER'));
    expect(c.onRequest(req(register('z9hG4bK1')))).toEqual({ action: 'absorb', replay: ok });
  });

  it('ignores responses to transactions it never saw', () => {
    const { c } = cache();
    answer(c, response(200, 'OK', 'z9hG4bKx', 'REGISTER'));
    expect(c.size).toBe(0);
  });

  it('absorbs the ACK for a non-2xx final response and forwards the ACK for a 2xx', () => {
    const { c } = cache();
    c.onRequest(req(invite('z9hG4bKa')));
    answer(c, response(486, 'Busy Here', 'z9hG4bKa', 'INVITE'));
    expect(c.onRequest(req(invite('z9hG4bKa', 'ACK')))).toEqual({ action: 'absorb', replay: null });
    c.onRequest(req(invite('z9hG4bKb')));
    answer(c, response(200, 'OK', 'z9hG4bKb', 'INVITE'));
    // The ACK for a 2xx is its own transaction with a new branch (RFC 3261 §13.2.2.4).
    expect(c.onRequest(req(invite('z9hG4bKb2', 'ACK')))).toMatchObject({ action: 'forward' });
    expect(c.onRequest(req(invite('z9hG4bKb2', 'ACK')))).toMatchObject({ action: 'forward' });
  });

  it('lets a retransmission through again after cancel() or forgetPending()', () => {
    const { c } = cache();
    const first = c.onRequest(req(register('z9hG4bK1')));
    if (first.action !== 'forward' || first.key === null) throw new Error('expected a key');
    c.cancel(first.key);
    expect(c.onRequest(req(register('z9hG4bK1')))).toMatchObject({ action: 'forward' });
    c.onRequest(req(register('z9hG4bK2')));
    answer(c, response(200, 'OK', 'z9hG4bK2', 'REGISTER'));
    c.forgetPending();
    expect(c.onRequest(req(register('z9hG4bK1')))).toMatchObject({ action: 'forward' });
    expect(c.onRequest(req(register('z9hG4bK2')))).toMatchObject({ action: 'absorb' });
  });

  it('sweeps expired entries and evicts the oldest beyond its capacity', () => {
    let now = 0;
    const small = new ResponseCache(1000, () => now, { maxEntries: 2 });
    small.onRequest(req(register('z9hG4bK1')));
    small.onRequest(req(register('z9hG4bK2')));
    small.onRequest(req(register('z9hG4bK3')));
    expect(small.size).toBe(2);
    expect(small.onRequest(req(register('z9hG4bK1')))).toMatchObject({ action: 'forward' });
    now = 1000;
    small.sweep();
    expect(small.size).toBe(0);
  });
});
