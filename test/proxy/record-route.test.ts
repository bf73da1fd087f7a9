/**
 * Our Record-Route values (RFC 3261 §16.6 step 4, RFC 5658 double record-routing), signed over the dialog's flows.
 */
import { describe, expect, it } from 'vitest';
import { inDialogOf, ourRoute, recordRoutes } from '../../src/proxy/record-route.js';
import { parseNameAddr } from '../../src/sip/name-addr.js';

const secret = new TextEncoder().encode('s3cret');

describe('Record-Route', () => {
  it('writes a callee-facing and a caller-facing entry that both read back', () => {
    const d = { a: 'b'.repeat(64), b: 'c'.repeat(64), ftag: 'tag1', callId: 'call-1@host' };
    const [callee, caller] = recordRoutes(secret, d, { transport: 'UDP', host: '192.0.2.1:5060' }, { transport: 'WS', host: 'edge-sip.test' });
    expect(callee).toMatch(/^<sip:192\.0\.2\.1:5060;lr;/);
    expect(caller).toMatch(/^<sip:edge-sip\.test;transport=ws;lr;/);
    for (const v of [callee, caller]) {
      const n = parseNameAddr(v);
      expect(n.ok && ourRoute(secret, n.value.uri, d.callId)).toEqual(d);
    }
  });

  it('refuses a forged or re-signed route', () => {
    const d = { a: 'b'.repeat(64), b: 'c'.repeat(64), ftag: 'tag1', callId: 'call-1@host' };
    const [v] = recordRoutes(secret, d, { transport: 'WS', host: 'h' }, { transport: 'WS', host: 'h' });
    const forged = parseNameAddr(v.replace(`fb=${d.b}`, `fb=${'d'.repeat(64)}`));
    expect(forged.ok && ourRoute(secret, forged.value.uri, d.callId)).toBeNull();
    const other = parseNameAddr(v);
    expect(other.ok && ourRoute(new TextEncoder().encode('other'), other.value.uri, d.callId)).toBeNull();
  });

  it('serves its own dialog only: another Call-ID fails the signature, and a request needs the caller\'s tag', () => {
    const d = { a: 'b'.repeat(64), b: 'c'.repeat(64), ftag: 'tag1', callId: 'call-1@host' };
    const [v] = recordRoutes(secret, d, { transport: 'WS', host: 'h' }, { transport: 'WS', host: 'h' });
    const n = parseNameAddr(v);
    expect(n.ok && ourRoute(secret, n.value.uri, 'call-2@host')).toBeNull();
    expect(v).not.toContain('call-1');
    expect(inDialogOf(d, 'tag1', null)).toBe(true);
    expect(inDialogOf(d, 'callee-tag', 'tag1')).toBe(true);
    expect(inDialogOf(d, 'stranger', 'callee-tag')).toBe(false);
  });
});
