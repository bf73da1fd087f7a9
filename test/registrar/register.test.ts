/**
 * RFC 3261 §10.3 registrar rules, on the pure REGISTER processing.
 */
import { describe, expect, it } from 'vitest';
import { applyRegister, dropContact, dropFlow, type RegisterRequest } from '../../src/registrar/register.js';
import { contactValues, EXPIRY_GRACE_MS, isLive, nextDeadline, type Binding } from '../../src/registrar/bindings.js';

const policy = { minExpires: 60, maxExpires: 7200, defaultExpires: 3600, maxBindings: 3 };
const T0 = 1_700_000_000_000;

function req(over: Partial<RegisterRequest> = {}): RegisterRequest {
  return {
    contacts: ['<sip:a@a.invalid;transport=ws>'],
    expires: null,
    callId: 'call-1',
    cseq: 1,
    flowId: 'flow-1',
    address: { transport: 'WS', host: 'edge-sip.test' },
    source: '192.0.2.1',
    path: [],
    userAgent: 'test',
    ...over,
  };
}

function apply(current: Binding[], r: RegisterRequest, now = T0) {
  const res = applyRegister(current, r, policy, now);
  if (!res.ok) throw res.error;
  return res.value.bindings;
}

function failure(current: Binding[], r: RegisterRequest, now = T0) {
  const res = applyRegister(current, r, policy, now);
  if (res.ok) throw new Error('expected a failure');
  return res.error;
}

describe('applyRegister', () => {
  it('binds every contact of a REGISTER, each with its own q and expires', () => {
    const b = apply([], req({ contacts: ['<sip:a@h1>;q=0.5', '<sip:b@h2>;expires=120'], expires: '600' }));
    expect(b.map((x) => [x.uri, x.q, (x.expiresAt - T0) / 1000])).toEqual([
      ['sip:a@h1', 0.5, 600],
      ['sip:b@h2', null, 120],
    ]);
  });

  it('uses the default interval when neither Expires nor the expires parameter is given', () => {
    expect((apply([], req())[0]!.expiresAt - T0) / 1000).toBe(3600);
  });

  it('answers 423 with Min-Expires when the interval is too brief', () => {
    const e = failure([], req({ expires: '30' }));
    expect(e.status).toBe(423);
    expect(e.headers).toContainEqual(['Min-Expires', '60']);
  });

  it('shortens an interval above the maximum', () => {
    expect((apply([], req({ expires: '999999' }))[0]!.expiresAt - T0) / 1000).toBe(7200);
  });

  it('refreshes a binding on a higher CSeq of the same Call-ID', () => {
    const first = apply([], req());
    const later = apply(first, req({ cseq: 2, expires: '120' }), T0 + 1000);
    expect(later).toHaveLength(1);
    expect(later[0]!.cseq).toBe(2);
    expect(later[0]!.expiresAt).toBe(T0 + 1000 + 120_000);
  });

  it('aborts with 500 when the CSeq is not higher for the same Call-ID', () => {
    const first = apply([], req({ cseq: 5 }));
    expect(failure(first, req({ cseq: 5 })).status).toBe(500);
    expect(failure(first, req({ cseq: 4 })).status).toBe(500);
  });

  it('accepts any CSeq from another Call-ID (a rebooted UA)', () => {
    const first = apply([], req({ cseq: 5 }));
    const other = apply(first, req({ callId: 'call-2', cseq: 1 }));
    expect(other).toHaveLength(1);
    expect(other[0]!.callId).toBe('call-2');
  });

  it('treats a REGISTER without Contact as a query that changes nothing', () => {
    const first = apply([], req());
    const res = applyRegister(first, req({ contacts: [], cseq: 2 }), policy, T0);
    expect(res.ok && res.value.bindings).toEqual(first);
  });

  it('removes a binding with expires=0', () => {
    const first = apply([], req());
    expect(apply(first, req({ cseq: 2, contacts: ['<sip:a@a.invalid;transport=ws>;expires=0'] }))).toEqual([]);
  });

  it('removes every binding with Contact: * and Expires: 0', () => {
    const two = apply([], req({ contacts: ['<sip:a@h1>', '<sip:b@h2>'] }));
    expect(apply(two, req({ contacts: ['*'], expires: '0', cseq: 2 }))).toEqual([]);
  });

  it('refuses Contact: * without Expires: 0, or mixed with other contacts', () => {
    expect(failure([], req({ contacts: ['*'], expires: '60' })).status).toBe(400);
    expect(failure([], req({ contacts: ['*', '<sip:a@h>'], expires: '0' })).status).toBe(400);
  });

  it('replaces the binding with the same +sip.instance and reg-id even when the contact URI changed (RFC 5626)', () => {
    const inst = ';+sip.instance="<urn:uuid:00000000-0000-0000-0000-000000000001>";reg-id=1';
    const first = apply([], req({ contacts: [`<sip:x@old.invalid;transport=ws>${inst}`] }));
    const next = apply(first, req({ contacts: [`<sip:y@new.invalid;transport=ws>${inst}`], callId: 'call-2', flowId: 'flow-2' }));
    expect(next).toHaveLength(1);
    expect(next[0]!.uri).toBe('sip:y@new.invalid;transport=ws');
    expect(next[0]!.flowId).toBe('flow-2');
    expect(next[0]!.instanceId).toBe('<urn:uuid:00000000-0000-0000-0000-000000000001>');
  });

  it('keeps two bindings for two instances of one user', () => {
    const a = apply([], req({ contacts: ['<sip:x@a.invalid>;+sip.instance="<urn:uuid:a>";reg-id=1'] }));
    const b = apply(a, req({ contacts: ['<sip:y@b.invalid>;+sip.instance="<urn:uuid:b>";reg-id=1'], callId: 'c2', flowId: 'flow-2' }));
    expect(b.map((x) => x.flowId)).toEqual(['flow-1', 'flow-2']);
  });

  it('matches contacts by URI equality, not text (RFC 3261 §19.1.4)', () => {
    const first = apply([], req({ contacts: ['<sip:a@EXAMPLE.com>'] }));
    expect(apply(first, req({ contacts: ['<sip:a@example.com>'], cseq: 2 }))).toHaveLength(1);
  });

  it('drops expired bindings on the way, and lets the least recently refreshed one make room', () => {
    const old = apply([], req({ contacts: ['<sip:old@h>'], expires: '60' }));
    const later = T0 + 60_000 + EXPIRY_GRACE_MS + 1;
    expect(apply(old, req({ contacts: ['<sip:new@h>'], callId: 'c2' }), later).map((b) => b.uri)).toEqual(['sip:new@h']);
    let many: Binding[] = [];
    for (let i = 0; i < 4; i++) many = apply(many, req({ contacts: [`<sip:u${i}@h>`], callId: `c${i}` }), T0 + i);
    expect(many.map((b) => b.uri).sort()).toEqual(['sip:u1@h', 'sip:u2@h', 'sip:u3@h']);
  });

  it('answers 400 to malformed Expires, Contact or q', () => {
    expect(failure([], req({ expires: 'soon' })).status).toBe(400);
    expect(failure([], req({ contacts: ['<sip:a@h'] })).status).toBe(400);
    expect(failure([], req({ contacts: ['<sip:a@h>;q=2'] })).status).toBe(400);
  });

  it('keeps the contact parameters but not expires, which the 200 states per binding', () => {
    const b = apply([], req({ contacts: ['<sip:a@h;transport=ws>;+sip.ice;expires=300'] }));
    expect(contactValues(b, T0 + 100_000)).toEqual(['<sip:a@h;transport=ws>;+sip.ice;expires=200']);
  });
});

describe('binding lifetime', () => {
  it('tolerates a late refresh within the grace margin', () => {
    const [b] = apply([], req({ expires: '60' }));
    expect(isLive(b!, T0 + 60_000 + EXPIRY_GRACE_MS - 1)).toBe(true);
    expect(isLive(b!, T0 + 60_000 + EXPIRY_GRACE_MS)).toBe(false);
    expect(nextDeadline([b!])).toBe(T0 + 60_000 + EXPIRY_GRACE_MS);
  });

  it('dies with the flow it came on', () => {
    const a = apply([], req({ contacts: ['<sip:a@h>'] }));
    const both = apply(a, req({ contacts: ['<sip:b@h>'], callId: 'c2', flowId: 'flow-2' }));
    expect(dropFlow(both, 'flow-1').map((b) => b.uri)).toEqual(['sip:b@h']);
  });
});

describe('removing one binding (the admin API), as Contact: <uri>;expires=0 would', () => {
  const two = () => apply(apply([], req({ contacts: ['<sip:a@h;transport=ws>;+sip.instance="<urn:uuid:1>";reg-id=1'] })), req({ contacts: ['<sip:b@h>'], callId: 'c2', flowId: 'flow-2' }));

  it('removes the live binding whose stored contact is given, and only it', () => {
    const all = two();
    const left = dropContact(all, all[0]!.contact, T0);
    expect(left!.map((b) => b.uri)).toEqual(['sip:b@h']);
  });

  it('takes a bare Contact URI, compared as SIP URIs are (host case, parameter order)', () => {
    expect(dropContact(two(), 'sip:b@H', T0)!.map((b) => b.uri)).toEqual(['sip:a@h;transport=ws']);
    expect(dropContact(two(), '<sip:a@H;transport=WS>', T0)!.map((b) => b.uri)).toEqual(['sip:b@h']);
  });

  it('is null when no live binding matches: another URI, or one already past its expiry and grace', () => {
    expect(dropContact(two(), 'sip:c@h', T0)).toBeNull();
    expect(dropContact(two(), 'not a uri', T0)).toBeNull();
    expect(dropContact(two(), 'sip:b@h', T0 + 3_600_000 + EXPIRY_GRACE_MS)).toBeNull();
  });
});
