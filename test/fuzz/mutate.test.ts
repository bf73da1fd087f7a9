/**
 * The fuzzer's generator (fuzz/mutate.ts, fuzz/prng.ts, fuzz/seeds.ts) is deterministic from its seed, bounded
 * in size, and every operator changes its input.
 */
import { describe, expect, it } from 'vitest';
import { isUtf8, mutate, OPERATORS, rebranch } from '../../fuzz/mutate.js';
import { Rng, streamSeed } from '../../fuzz/prng.js';
import { insertAfterFirstLine, liveSeed, staticSeeds, type FlowState, type Identity } from '../../fuzz/seeds.js';

const corpus = staticSeeds();

describe('the fuzzer\'s seeds and mutations', () => {
  it('reads the RFC 4475/5118 corpus (with CRLF forms of the RFC 5118 files) and the GB/T 28181 examples', () => {
    expect(corpus.length).toBeGreaterThan(70);
    expect(corpus.map((s) => s.name)).toEqual(expect.arrayContaining(['wsinv', 'ipv6-good', 'ipv6-good-crlf', 'gb-05-keepalive', 'gb-07-catalog-response.gb2312']));
  });

  it('gives the same message for the same seed and place, another for another place', () => {
    const at = (i: number) => {
      const r = new Rng(streamSeed(7, 'WS', 'w3', i));
      return mutate(r.pick(corpus), r.pick(corpus), r, 256 * 1024);
    };
    expect(at(5).bytes.equals(at(5).bytes)).toBe(true);
    const distinct = new Set(Array.from({ length: 50 }, (_, i) => at(i).bytes.toString('latin1')));
    expect(distinct.size).toBeGreaterThan(45);
  });

  it('stays within the size bound and frames non-UTF-8 as binary (bar the rare bad text frame)', () => {
    const r = new Rng(1);
    for (let i = 0; i < 3_000; i++) {
      const m = mutate(r.pick(corpus), r.pick(corpus), r, 65_507);
      expect(m.bytes.length).toBeLessThanOrEqual(65_507);
      if (m.framing === 'text') expect(isUtf8(m.bytes)).toBe(true);
      expect(m.ops.length).toBeGreaterThanOrEqual(1);
    }
  });

  it('uses every operator', () => {
    const r = new Rng(2);
    const seen = new Set<string>();
    for (let i = 0; i < 3_000; i++) for (const op of mutate(r.pick(corpus), r.pick(corpus), r, 1 << 20).ops) seen.add(op);
    expect([...seen].sort()).toEqual(Object.keys(OPERATORS).sort());
  });

  it('gives a static seed a fresh top-Via branch, and keeps live credentials whole after the mutation', () => {
    const wsinv = corpus.find((s) => s.name === 'wsinv')!;
    expect(rebranch(wsinv.bytes, 'z9hG4bKnew').toString('latin1')).toContain(';branch=z9hG4bKnew');
    const id: Identity = { transport: 'UDP', kind: 'sip', user: 'fz-u0', password: 'pw-fz-u0', sentBy: '127.0.0.2:5000', peers: ['fz-u1'] };
    const st: FlowState = { callId: 'c@fuzz', cseq: 0, nonce: 'n0nce', nc: 1, serial: 0 };
    for (let i = 0; i < 200; i++) {
      const seed = liveSeed(id, st, new Rng(i), `z9hG4bK${i}`);
      if (seed.name !== 'live-auth-register') continue;
      const out = seed.post!(Buffer.from('REGISTER x\r\nrest'));
      expect(out.toString('latin1')).toMatch(/^REGISTER x\r\nAuthorization: Digest username="fz-u0", realm="edge-sip.test", nonce="n0nce".*nc=\w{8}.*\r\nrest$/s);
    }
    expect(insertAfterFirstLine(Buffer.from('no line'), 'X').toString()).toBe('no lineX');
  });
});
