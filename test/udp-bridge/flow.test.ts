import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/parse.js';
import { backoffDelay } from '../../udp-bridge/src/backoff.js';
import { GrantedExpiresMemo, grantedExpires } from '../../udp-bridge/src/registration.js';
import { summarize } from '../../udp-bridge/src/sip-scan.js';
import { sourceKey } from '../../udp-bridge/src/source.js';
import { response } from './sip-vectors.js';

describe('sourceKey', () => {
  it('writes IPv4 as ip:port, IPv6 in brackets, IPv4-mapped IPv6 as IPv4', () => {
    expect(sourceKey({ address: '203.0.113.9', port: 40000, family: 'IPv4' })).toBe('203.0.113.9:40000');
    expect(sourceKey({ address: '2001:db8::9', port: 5060, family: 'IPv6' })).toBe('[2001:db8::9]:5060');
    expect(sourceKey({ address: '::ffff:203.0.113.9', port: 5060, family: 'IPv6' })).toBe('203.0.113.9:5060');
  });
});

describe('backoffDelay', () => {
  it('doubles from the minimum to the cap, with ±50 % jitter', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, 500, 30_000, 0.5))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(20, 500, 30_000, 0.5)).toBe(30_000);
    expect(backoffDelay(0, 500, 30_000, 0)).toBe(250);
    expect(backoffDelay(0, 500, 30_000, 0.999999)).toBe(750);
    expect(backoffDelay(1000, 500, 30_000, 0.5)).toBe(30_000);
  });
});

describe('grantedExpires', () => {
  const ok = (extra: string[]) => {
    const r = parseMessage(response(200, 'OK', 'z9hG4bK1', 'REGISTER', extra));
    if (!r.ok || r.value.type !== 'response') throw new Error('bad vector');
    return summarize(r.value);
  };

  it('takes the largest Contact expires parameter', () => {
    expect(grantedExpires(ok(['Contact: <sip:a@1.2.3.4>;expires=600, <sip:b@1.2.3.4>;expires=3600', 'Expires: 60']))).toBe(3600);
  });

  it('falls back to the Expires header for contacts without a parameter', () => {
    expect(grantedExpires(ok(['Contact: <sip:a@1.2.3.4>', 'Expires: 3600']))).toBe(3600);
  });

  it('is 0 without contacts (all bindings removed)', () => {
    expect(grantedExpires(ok(['Expires: 0']))).toBe(0);
  });

  it('gives the same answers through its memo as without, when the Contact list or Expires changes', () => {
    const memo = new GrantedExpiresMemo();
    const seq = [
      ['Contact: <sip:a@1.2.3.4>;expires=600'],
      ['Contact: <sip:a@1.2.3.4>;expires=600'],
      ['Contact: <sip:a@1.2.3.4>;expires=60'],
      ['Contact: <sip:a@1.2.3.4>', 'Expires: 120'],
      ['Contact: <sip:a@1.2.3.4>', 'Expires: 30'],
      ['Contact: <sip:a@1.2.3.4>', 'Contact: <sip:b@1.2.3.4>;expires=900', 'Expires: 30'],
      ['Expires: 0'],
      ['Contact: <sip:a@1.2.3.4>;expires=600'],
    ];
    for (const extra of seq) expect(memo.of(ok(extra)), extra.join(' ')).toBe(grantedExpires(ok(extra)));
    expect(seq.map((e) => memo.of(ok(e)))).toEqual([600, 600, 60, 120, 30, 900, 0, 600]);
  });
});
