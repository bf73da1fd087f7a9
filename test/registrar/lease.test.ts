/**
 * Leases (pure): which REGISTERs the flow answers alone, which go to the AOR, and the keepalive rule.
 */
import { describe, expect, it } from 'vitest';
import { computeDigestResponse, computeHA1 } from '../../src/auth/digest.js';
import { parseCredentials } from '../../src/sip/auth-header.js';
import { applyRegister, type RegisterRequest } from '../../src/registrar/register.js';
import { EXPIRY_GRACE_MS } from '../../src/registrar/bindings.js';
import { applyLeaseUpdate, holdsLiveBinding, keepaliveLocally, leaseContacts, refreshLocally, verifyLease, type Lease } from '../../src/registrar/lease.js';

const policy = { minExpires: 60, maxExpires: 7200, defaultExpires: 3600, maxBindings: 16 };
const T0 = 1_700_000_000_000;
const HORIZON = T0 + 86_400_000;

function req(over: Partial<RegisterRequest> = {}): RegisterRequest {
  return {
    contacts: ['<sip:a@a.invalid;transport=ws>;+sip.instance="<urn:uuid:1>";reg-id=1'], expires: '600', callId: 'call-1', cseq: 2,
    flowId: 'flow-1', address: { transport: 'WS', host: 'edge-sip.test' }, source: '192.0.2.1', path: [], userAgent: 'JsSIP', ...over,
  };
}

function lease(device: Lease['device'] = null): Lease {
  const r = applyRegister([], req(), policy, T0);
  if (!r.ok) throw r.error;
  return {
    aor: 'sip:ann@edge-sip.test', horizon: HORIZON, bindings: r.value.bindings.map((b) => ({ ...b, heldUntil: HORIZON })),
    account: { username: 'ann', realm: 'edge-sip.test', algorithm: 'MD5', ha1: computeHA1('MD5', 'ann', 'edge-sip.test', 'pw') },
    others: [{ contact: '<sip:b@b.invalid;transport=ws>', expiresAt: T0 + 300_000 }], device,
  };
}

describe('refreshLocally', () => {
  it('answers a refresh of the same contact at any interval, listing the other flows\' contacts too', () => {
    for (const expires of ['60', '600', '7200']) {
      const d = refreshLocally(lease(), req({ cseq: 3, expires }), policy, T0 + 1000);
      expect(d.kind).toBe('local');
      if (d.kind !== 'local') return;
      expect(d.expires).toBe(Number(expires));
      expect(d.lease.bindings[0]!.cseq).toBe(3);
      expect(d.contacts).toEqual([expect.stringContaining(`expires=${expires}`), '<sip:b@b.invalid;transport=ws>;expires=299']);
    }
  });

  it('accepts a new Call-ID for the same contact (a rebooted device) but refuses an older CSeq like the AOR would', () => {
    expect(refreshLocally(lease(), req({ callId: 'call-2', cseq: 1 }), policy, T0 + 1000).kind).toBe('local');
    const old = refreshLocally(lease(), req({ cseq: 2 }), policy, T0 + 1000);
    expect(old.kind === 'error' && old.error.status).toBe(500);
    const brief = refreshLocally(lease(), req({ cseq: 3, expires: '10' }), policy, T0 + 1000);
    expect(brief.kind === 'error' && brief.error.status).toBe(423);
  });

  it('asks the AOR for every change: another contact, a removal, a query, a new user agent, past the horizon', () => {
    const asks = [
      req({ cseq: 3, contacts: ['<sip:other@a.invalid;transport=ws>'] }),
      req({ cseq: 3, expires: '0' }),
      req({ cseq: 3, contacts: ['*'], expires: '0' }),
      req({ cseq: 3, contacts: [] }),
      req({ cseq: 3, userAgent: 'JsSIP 4' }),
      req({ cseq: 3, source: '192.0.2.9' }),
    ];
    for (const r of asks) expect(refreshLocally(lease(), r, policy, T0 + 1000).kind, JSON.stringify(r)).toBe('ask');
    expect(refreshLocally(lease(), req({ cseq: 3, expires: '7200' }), policy, HORIZON - 1000).kind).toBe('ask');
    expect(refreshLocally(lease(), req({ cseq: 3 }), policy, HORIZON).kind).toBe('ask');
  });
});

describe('verifyLease', () => {
  const creds = (password: string, algorithm = 'MD5') => {
    const ha1 = computeHA1('MD5', 'ann', 'edge-sip.test', password);
    const response = computeDigestResponse({ algorithm: 'MD5', ha1, method: 'REGISTER', uri: 'sip:edge-sip.test', nonce: 'n', qop: 'auth', nc: '00000001', cnonce: 'c' });
    const parsed = parseCredentials(`Digest username="ann", realm="edge-sip.test", nonce="n", uri="sip:edge-sip.test", response="${response}", algorithm=${algorithm}, qop=auth, nc=00000001, cnonce="c"`);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  };

  it('checks the digest against the one HA1 the lease carries, for its algorithm only', () => {
    expect(verifyLease(lease(), creds('pw'), 'MD5', 'REGISTER')).toBe(true);
    expect(verifyLease(lease(), creds('wrong'), 'MD5', 'REGISTER')).toBe(false);
    expect(verifyLease(lease(), creds('pw'), 'SHA-256', 'REGISTER')).toBe(false);
  });
});

describe('keepalives and deliveries', () => {
  it('answers a keepalive only for a device the AOR has online, with a live binding here', () => {
    expect(keepaliveLocally(lease({ online: true, lastKeepaliveAt: null }), T0 + 5000)?.device).toEqual({ online: true, lastKeepaliveAt: T0 + 5000 });
    expect(keepaliveLocally(lease({ online: false, lastKeepaliveAt: null }), T0 + 5000)).toBeNull();
    expect(keepaliveLocally(lease(null), T0 + 5000)).toBeNull();
    expect(keepaliveLocally(lease({ online: true, lastKeepaliveAt: null }), T0 + 600_000 + EXPIRY_GRACE_MS)).toBeNull();
  });

  it('holds a live binding until its own expiry and grace, not the horizon', () => {
    expect(holdsLiveBinding(lease(), T0 + 600_000 + EXPIRY_GRACE_MS - 1)).toBe(true);
    expect(holdsLiveBinding(lease(), T0 + 600_000 + EXPIRY_GRACE_MS)).toBe(false);
  });

  it('is revoked by a null update and otherwise learns the other contacts', () => {
    expect(applyLeaseUpdate(lease(), null)).toBeNull();
    const l = applyLeaseUpdate(lease(), { others: [] })!;
    expect(leaseContacts(l, T0)).toHaveLength(1);
  });
});
