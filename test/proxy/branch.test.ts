/**
 * Our Via branch and Record-Route values.
 */
import { describe, expect, it } from 'vitest';
import { makeBranch, parseBranch } from '../../src/proxy/branch.js';
import { ourRoute, recordRoutes } from '../../src/proxy/record-route.js';
import { parseNameAddr } from '../../src/sip/name-addr.js';

const ID = 'a'.repeat(64);
const secret = new TextEncoder().encode('s3cret');

describe('Via branch', () => {
  it('names the originating object and round-trips', () => {
    const b = makeBranch({ origin: 'flow', objectId: ID, loop: '0123abcd', tx: 'ffz1' });
    expect(b.startsWith('z9hG4bK')).toBe(true);
    expect(parseBranch(b)).toEqual({ origin: 'flow', objectId: ID, loop: '0123abcd', tx: 'ffz1' });
  });

  it('does not recognise branches that are not ours', () => {
    expect(parseBranch('z9hG4bK776asdhds')).toBeNull();
    expect(parseBranch(`z9hG4bK.x${ID}.0123abcd.1`)).toBeNull();
    expect(parseBranch(null)).toBeNull();
  });
});

describe('Record-Route', () => {
  it('writes a callee-facing and a caller-facing entry that both read back', () => {
    const d = { a: 'b'.repeat(64), b: 'c'.repeat(64), ftag: 'tag1' };
    const [callee, caller] = recordRoutes(secret, d, { transport: 'UDP', host: '192.0.2.1:5060' }, { transport: 'WS', host: 'edge-sip.test' });
    expect(callee).toMatch(/^<sip:192\.0\.2\.1:5060;lr;/);
    expect(caller).toMatch(/^<sip:edge-sip\.test;transport=ws;lr;/);
    for (const v of [callee, caller]) {
      const n = parseNameAddr(v);
      expect(n.ok && ourRoute(secret, n.value.uri)).toEqual(d);
    }
  });

  it('refuses a forged or re-signed route', () => {
    const d = { a: 'b'.repeat(64), b: 'c'.repeat(64), ftag: 'tag1' };
    const [v] = recordRoutes(secret, d, { transport: 'WS', host: 'h' }, { transport: 'WS', host: 'h' });
    const forged = parseNameAddr(v.replace(`fb=${d.b}`, `fb=${'d'.repeat(64)}`));
    expect(forged.ok && ourRoute(secret, forged.value.uri)).toBeNull();
    const other = parseNameAddr(v);
    expect(other.ok && ourRoute(new TextEncoder().encode('other'), other.value.uri)).toBeNull();
  });
});
