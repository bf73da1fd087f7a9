/**
 * The AOR object's pure lease helpers (src/objects/aor-leases.ts): `grantLease` lends a flow its own live,
 * held bindings with the HA1 of the one algorithm it used, the earliest horizon and the other flows' live
 * contacts; `leaseUpdates` decides, after a change of the binding set, which flows are revoked (a binding lost
 * to a takeover, expiry or removal, or everyone on a password change) and which learn the new other contacts,
 * leaving out the flow that made the change; `mergeLeased`, `withViews` and `deviceWithViews` fold in what the
 * flows report (newer expiries, last keepalive, gone sockets); `directoryEntry` says when the GB device list
 * must be written. Bindings and accounts are written out by hand; HA1s are placeholders, never recomputed.
 */
import { describe, expect, it } from 'vitest';
import { deviceWithViews, directoryEntry, grantLease, leaseUpdates, mergeLeased, withViews, type FlowView } from '../../src/objects/aor-leases.js';
import { EXPIRY_GRACE_MS, type Binding } from '../../src/registrar/bindings.js';
import { newDevice, type DeviceState } from '../../src/gb28181/device.js';
import type { Account } from '../../src/auth/authenticate.js';
import type { Lease } from '../../src/registrar/lease.js';

const T0 = 1_760_000_000_000;
const HORIZON = T0 + 7 * 86_400_000;
const AOR = 'sip:ann@edge-sip.test';
const ACCOUNT: Account = { username: 'ann', realm: 'edge-sip.test', ha1Md5: 'a'.repeat(32), ha1Sha256: 'b'.repeat(64) };

/** A binding of contact `name` on `flowId`, registered at T0 for 600 s. */
function binding(name: string, flowId: string, over: Partial<Binding> = {}): Binding {
  return {
    key: `<urn:uuid:${name}> 1`, contact: `<sip:${name}@${name}.invalid;transport=ws>`, uri: `sip:${name}@${name}.invalid;transport=ws`,
    q: null, expiresAt: T0 + 600_000, callId: `call-${name}`, cseq: 1, instanceId: `<urn:uuid:${name}>`, regId: 1, flowId,
    address: { transport: 'WS', host: 'edge-sip.test' }, source: '192.0.2.1', path: [], userAgent: 'JsSIP', updatedAt: T0, ...over,
  };
}

const held = (b: Binding, until = HORIZON): Binding => ({ ...b, heldUntil: until });
const other = (b: Binding) => ({ contact: b.contact, expiresAt: b.expiresAt });

describe('grantLease', () => {
  const mine = held(binding('a1', 'A'));
  const theirs = binding('b1', 'B');

  it('lends the flow its held bindings, the other flows\' contacts and the horizon', () => {
    const lease = grantLease(AOR, ACCOUNT, 'MD5', 'A', [mine, theirs], null, T0 + 1000);
    expect(lease).toEqual({
      aor: AOR, account: { username: 'ann', realm: 'edge-sip.test', algorithm: 'MD5', ha1: 'a'.repeat(32) },
      horizon: HORIZON, bindings: [mine], others: [other(theirs)], device: null,
    });
  });

  it('carries only the HA1 of the algorithm the device used', () => {
    const lease = grantLease(AOR, ACCOUNT, 'SHA-256', 'A', [mine], null, T0);
    expect(lease?.account).toEqual({ username: 'ann', realm: 'edge-sip.test', algorithm: 'SHA-256', ha1: 'b'.repeat(64) });
    expect(JSON.stringify(lease)).not.toContain('a'.repeat(32));
    expect(JSON.stringify(grantLease(AOR, ACCOUNT, 'MD5', 'A', [mine], null, T0))).not.toContain('b'.repeat(64));
  });

  it('sets the horizon to the earliest hold among the flow\'s bindings', () => {
    const early = held(binding('a2', 'A'), HORIZON - 3_600_000);
    expect(grantLease(AOR, ACCOUNT, 'MD5', 'A', [mine, early], null, T0)?.horizon).toBe(HORIZON - 3_600_000);
  });

  it('leaves out the flow\'s bindings that are not held, and other flows\' contacts that are no longer live', () => {
    const unheld = binding('a3', 'A');
    const lapsed = binding('b2', 'B', { expiresAt: T0 - EXPIRY_GRACE_MS - 1 });
    const lease = grantLease(AOR, ACCOUNT, 'MD5', 'A', [mine, unheld, theirs, lapsed], null, T0);
    expect(lease?.bindings).toEqual([mine]);
    expect(lease?.others).toEqual([other(theirs)]);
  });

  it('grants nothing to a flow without a live held binding', () => {
    expect(grantLease(AOR, ACCOUNT, 'MD5', 'A', [theirs], null, T0)).toBeNull();
    expect(grantLease(AOR, ACCOUNT, 'MD5', 'A', [binding('a4', 'A'), theirs], null, T0)).toBeNull();
    const gone = held(binding('a5', 'A'), T0 + 1000);
    expect(grantLease(AOR, ACCOUNT, 'MD5', 'A', [gone], null, T0 + 600_000 + EXPIRY_GRACE_MS)).toBeNull();
  });

  it('tells a GB device\'s flow whether the AOR has it online and its last keepalive', () => {
    const device: DeviceState = { ...newDevice('34020000001320000001'), online: true, lastKeepaliveAt: T0 - 5000 };
    expect(grantLease(AOR, ACCOUNT, 'MD5', 'A', [mine], device, T0)?.device).toEqual({ online: true, lastKeepaliveAt: T0 - 5000 });
    expect(grantLease(AOR, ACCOUNT, 'MD5', 'A', [mine], newDevice('34020000001320000001'), T0)?.device).toEqual({ online: false, lastKeepaliveAt: null });
  });
});

describe('leaseUpdates', () => {
  const now = T0 + 1000;
  const updates = (...args: Parameters<typeof leaseUpdates>) => Object.fromEntries(leaseUpdates(...args));

  it('revokes the flow that lost a binding to a takeover (RFC 5626 instance and reg-id) and leaves out the one that took it', () => {
    const a = binding('phone', 'A');
    const c = binding('desk', 'C');
    const takenOver = { ...a, flowId: 'B', updatedAt: now };
    expect(updates([a, c], [takenOver, c], 'B', false, now)).toEqual({ A: null, C: { others: [other(takenOver)] } });
  });

  it('tells the flows that kept their bindings the new list of other contacts, their own left out', () => {
    const a = binding('a1', 'A');
    const c = binding('c1', 'C');
    const added = binding('b1', 'B');
    expect(updates([a, c], [a, c, added], 'B', false, now)).toEqual({ A: { others: [other(c), other(added)] }, C: { others: [other(a), other(added)] } });
  });

  it('revokes a flow whose binding was removed or expired, even when it keeps another', () => {
    const a1 = binding('a1', 'A');
    const a2 = binding('a2', 'A');
    const c = binding('c1', 'C');
    expect(updates([a1, a2, c], [a2], null, false, now)).toEqual({ A: null, C: null });
  });

  it('revokes everyone on revokeAll (a password change, a deletion), bindings kept or not', () => {
    const a = binding('a1', 'A');
    const b = binding('b1', 'B');
    expect(updates([a, b], [a, b], null, true, now)).toEqual({ A: null, B: null });
    expect(updates([a, b], [], null, true, now)).toEqual({ A: null, B: null });
  });

  it('leaves the except flow out whatever happened to it', () => {
    const a = binding('a1', 'A');
    const b = binding('b1', 'B');
    expect(leaseUpdates([a, b], [b], 'A', false, now)).toEqual([['B', { others: [] }]]);
    expect(leaseUpdates([a, b], [a, b], 'A', true, now)).toEqual([['B', null]]);
  });

  it('lists no contact that is no longer live', () => {
    const a = binding('a1', 'A');
    const lapsed = binding('b1', 'B', { expiresAt: now - EXPIRY_GRACE_MS - 1 });
    expect(updates([a, lapsed], [a, lapsed], null, false, now)).toEqual({ A: { others: [] }, B: { others: [other(a)] } });
  });

  it('tells nobody anything when there were and are no bindings', () => {
    expect(leaseUpdates([], [], null, true, now)).toEqual([]);
  });
});

describe('mergeLeased', () => {
  const a = binding('a1', 'A');
  const c = binding('c1', 'C');

  it('puts in the flow\'s newer copy of a binding it holds (same key and flow)', () => {
    const newer = { ...a, expiresAt: T0 + 900_000, cseq: 9 };
    expect(mergeLeased([a, c], [newer])).toEqual([newer, c]);
  });

  it('does not bring back a binding the AOR no longer has, nor overwrite one another flow took over', () => {
    const takenOver = { ...a, flowId: 'B' };
    expect(mergeLeased([takenOver, c], [{ ...a, cseq: 9 }, binding('a9', 'A')])).toEqual([takenOver, c]);
  });

  it('returns a copy of the AOR\'s bindings when the flow reports none', () => {
    const list = [a, c];
    const merged = mergeLeased(list, []);
    expect(merged).toEqual(list);
    expect(merged).not.toBe(list);
  });
});

/** What a live flow answers when it holds a lease with `bindings`. */
const view = (bindings: Binding[], device: Lease['device'] = null): FlowView => ({ gone: false, lease: { bindings, device } });

describe('withViews', () => {
  const a = binding('a1', 'A');
  const b = binding('b1', 'B');

  it('shows the expiry the holding flow reports instead of the AOR\'s lagging one', () => {
    const real = { ...a, expiresAt: T0 + 3_000_000 };
    expect(withViews([a, b], new Map([['A', view([real])]]))).toEqual([real, b]);
  });

  it('drops the bindings of a WebSocket flow whose socket is gone', () => {
    expect(withViews([a, b], new Map([['A', { gone: true, lease: null }]]))).toEqual([b]);
  });

  it('keeps the AOR\'s binding when its flow holds no lease, holds no copy of it, or did not answer', () => {
    const views = new Map<string, FlowView>([['A', { gone: false, lease: null }], ['B', view([binding('b9', 'B')])]]);
    expect(withViews([a, b, binding('c1', 'C')], views)).toEqual([a, b, binding('c1', 'C')]);
  });
});

describe('deviceWithViews', () => {
  const device = { ...newDevice('34020000001320000001'), online: true, registeredAt: T0, registrationExpiresAt: T0 + 600_000, lastKeepaliveAt: T0 + 60_000, channels: [] };
  const live = binding('cam', 'A', { expiresAt: T0 + 600_000 });

  it('shows the last keepalive and the real end of the registration from the flow that holds the lease', () => {
    const views = new Map([['A', view([{ ...live, expiresAt: T0 + 4_000_000 }], { online: true, lastKeepaliveAt: T0 + 3_500_000 })]]);
    expect(deviceWithViews(device, [live], views)).toEqual({ ...device, lastKeepaliveAt: T0 + 3_500_000, registrationExpiresAt: T0 + 4_000_000 });
  });

  it('keeps the AOR\'s own figures when no flow reports a device', () => {
    expect(deviceWithViews(device, [live], new Map([['A', { gone: false, lease: null }]]))).toEqual(device);
    expect(deviceWithViews(device, [live], new Map([['A', view([live], { online: true, lastKeepaliveAt: null })]]))).toEqual(device);
  });

  it('has an online device registered until its latest live binding ends, and not at all without one', () => {
    const later = binding('cam2', 'B', { expiresAt: T0 + 1_200_000 });
    expect(deviceWithViews(device, [live, later], new Map()).registrationExpiresAt).toBe(T0 + 1_200_000);
    expect(deviceWithViews(device, [live], new Map([['A', { gone: true, lease: null }]])).registrationExpiresAt).toBeNull();
  });

  it('keeps an offline device\'s registration end as the AOR has it', () => {
    const offline = { ...device, online: false, offlineReason: 'keepalive timeout', registrationExpiresAt: T0 + 600_000 };
    expect(deviceWithViews(offline, [], new Map()).registrationExpiresAt).toBe(T0 + 600_000);
  });
});

describe('directoryEntry', () => {
  const online: DeviceState = {
    ...newDevice('34020000001320000001'), online: true, registeredAt: T0, registrationExpiresAt: T0 + 3_600_000,
    lastKeepaliveAt: T0, source: '198.51.100.9:5060', transport: 'UDP', userAgent: 'IPC', gbVersion: '2.0',
  };
  const row = (s: DeviceState, now: number) => ({
    deviceId: s.deviceId, online: s.online, offlineReason: s.offlineReason, source: s.source, transport: s.transport,
    userAgent: s.userAgent, registeredAt: s.registeredAt, updatedAt: now,
  });

  it('writes nothing for a keepalive or a refresh', () => {
    expect(directoryEntry(online, { ...online, lastKeepaliveAt: T0 + 60_000 }, T0 + 60_000)).toBeNull();
    expect(directoryEntry(online, { ...online, registrationExpiresAt: T0 + 7_200_000 }, T0 + 60_000)).toBeNull();
  });

  it('writes the row when the device goes offline or comes back', () => {
    const offline = { ...online, online: false, offlineReason: 'keepalive timeout' };
    expect(directoryEntry(online, offline, T0 + 180_000)).toEqual(row(offline, T0 + 180_000));
    expect(directoryEntry(offline, online, T0 + 240_000)).toEqual(row(online, T0 + 240_000));
  });

  it('writes the row when the device registers anew, from another address or with another user agent', () => {
    for (const b of [{ ...online, registeredAt: T0 + 1 }, { ...online, source: '198.51.100.9:5062' }, { ...online, userAgent: 'NVR' }]) {
      expect(directoryEntry(online, b, T0 + 5)).toEqual(row(b, T0 + 5));
    }
  });

  it('writes the row when an offline device\'s reason changes', () => {
    const timedOut = { ...online, online: false, offlineReason: 'keepalive timeout' };
    const gone = { ...timedOut, offlineReason: 'unregistered', registrationExpiresAt: null };
    expect(directoryEntry(timedOut, gone, T0 + 300_000)).toEqual(row(gone, T0 + 300_000));
  });

  it('writes the row when the device changes transport', () => {
    const tcp = { ...online, transport: 'TCP' };
    expect(directoryEntry(online, tcp, T0 + 5)).toEqual(row(tcp, T0 + 5));
  });
});
