/**
 * What the AOR object lends the flows and hears from them: the RPC types of a REGISTER, the lease it grants,
 * the updates it sends when the binding set or the account changes, and the merge of what flows report.
 * Pure helpers of `aor-object.ts`.
 * @module
 */
import type { Account } from '../auth/authenticate.js';
import type { DigestAlgorithm } from '../auth/digest.js';
import type { DigestCredentials } from '../sip/auth-header.js';
import { isLive, remainingSeconds, type Binding } from '../registrar/bindings.js';
import type { Lease, LeaseUpdate, OtherContact } from '../registrar/lease.js';
import type { RegisterRequest } from '../registrar/register.js';
import type { DeviceState, DeviceSummary } from '../gb28181/device.js';
import type { TraceMark } from '../trace/marks.js';

/** Digest credentials that passed the stateless checks. */
export interface VerifiedCredentials {
  credentials: DigestCredentials;
  algorithm: DigestAlgorithm;
  method: string;
}

/** What the flow asks of the AOR for a REGISTER. */
export interface AorRegisterInput extends VerifiedCredentials {
  request: RegisterRequest;
  /** X-GB-Ver of a GB28181 device. */
  gbVersion?: string | null;
  transport?: string;
  /** The flow's own copies of the bindings it held a lease on: newer than the AOR's. */
  leased?: Binding[];
  /** The flow can hold a lease (it has room in its socket attachment). */
  wantsLease?: boolean;
}

/** The AOR's answer to a REGISTER; the flow turns it into a SIP response. */
export type AorRegisterReply =
  | { kind: 'challenge' }
  | { kind: 'error'; status: number; reason: string; headers: Array<[string, string]> }
  | {
      kind: 'ok';
      contacts: string[];
      /** The flow still has a binding here. */
      flowBound: boolean;
      /** Seconds granted to the REGISTER's own flow (0 once unregistered), echoed to GB devices. */
      expires: number;
      /** The flow's lease, when it asked for one and still has bindings. */
      lease: Lease | null;
      /** Live traces of this AOR (only while one is on): the flow copies its messages to them. */
      trace?: TraceMark[];
    };

/** A binding as listed by the admin API. */
export interface BindingView {
  contact: string;
  /** Seconds left. */
  expires: number;
  /** Unix ms of the end of the registration. */
  expiresAt: number;
  q: number | null;
  instanceId: string | null;
  regId: number | null;
  source: string;
  /** How the device reaches the service: `ws`, `wss`, `udp` (through the bridge) or `tcp`. */
  transport: 'ws' | 'wss' | 'udp' | 'tcp';
  userAgent: string | null;
  flowId: string;
  callId: string;
  cseq: number;
}

/** How the admin API shows a binding at `now`. */
export function bindingView(b: Binding, now: number): BindingView {
  return {
    contact: b.contact, expires: remainingSeconds(b, now), expiresAt: b.expiresAt, q: b.q, instanceId: b.instanceId, regId: b.regId,
    source: b.source, transport: b.address.transport.toLowerCase() as BindingView['transport'], userAgent: b.userAgent,
    flowId: b.flowId, callId: b.callId, cseq: b.cseq,
  };
}

/** What a flow answers when the AOR asks what it holds (`FlowObject.leaseView`). */
export interface FlowView {
  /** A WebSocket flow whose socket is gone: its bindings died with it. */
  gone: boolean;
  lease: Pick<Lease, 'bindings' | 'device'> | null;
}

/** The directory row of a device, when it moved in a way the list shows (never on keepalives). */
export function directoryEntry(a: DeviceState, b: DeviceState, now: number): DeviceSummary | null {
  const changed = a.online !== b.online || a.offlineReason !== b.offlineReason || a.registeredAt !== b.registeredAt
    || a.source !== b.source || a.transport !== b.transport || a.userAgent !== b.userAgent;
  if (!changed) return null;
  return {
    deviceId: b.deviceId, online: b.online, offlineReason: b.offlineReason, source: b.source, transport: b.transport,
    userAgent: b.userAgent, registeredAt: b.registeredAt, updatedAt: now,
  };
}

function othersOf(bindings: readonly Binding[], flowId: string, now: number): OtherContact[] {
  return bindings.filter((b) => b.flowId !== flowId && isLive(b, now)).map((b) => ({ contact: b.contact, expiresAt: b.expiresAt }));
}

/** The lease of `flowId`: one HA1 (the algorithm it used), its bindings and their horizon; null without bindings. */
export function grantLease(aor: string, account: Account, algorithm: DigestAlgorithm, flowId: string, bindings: readonly Binding[], device: DeviceState | null, now: number): Lease | null {
  const mine = bindings.filter((b) => b.flowId === flowId && isLive(b, now) && b.heldUntil !== undefined);
  if (mine.length === 0) return null;
  return {
    aor,
    account: { username: account.username, realm: account.realm, algorithm, ha1: algorithm === 'MD5' ? account.ha1Md5 : account.ha1Sha256 },
    horizon: Math.min(...mine.map((b) => b.heldUntil!)),
    bindings: mine,
    others: othersOf(bindings, flowId, now),
    device: device ? { online: device.online, lastKeepaliveAt: device.lastKeepaliveAt } : null,
  };
}

/**
 * After the binding set went from `before` to `after`: what each other flow must hear. A flow that lost a
 * binding (taken over, expired, removed) or every flow with `revokeAll` (a password change, a deletion) has
 * its lease revoked; the others learn the new list of other contacts.
 */
export function leaseUpdates(before: readonly Binding[], after: readonly Binding[], except: string | null, revokeAll: boolean, now: number): Array<[string, LeaseUpdate]> {
  const flows = new Set([...before, ...after].map((b) => b.flowId));
  if (except !== null) flows.delete(except);
  return [...flows].map((f) => {
    const lost = before.some((b) => b.flowId === f && !after.some((a) => a.key === b.key && a.flowId === f));
    const left = after.some((b) => b.flowId === f);
    return [f, revokeAll || lost || !left ? null : { others: othersOf(after, f, now) }];
  });
}

/** The AOR's bindings with the flow's newer copies of its leased ones (same key and flow) put in. */
export function mergeLeased(bindings: readonly Binding[], leased: readonly Binding[]): Binding[] {
  if (leased.length === 0) return [...bindings];
  return bindings.map((b) => leased.find((l) => l.key === b.key && l.flowId === b.flowId) ?? b);
}

/** Bindings with the real expiries their flows report (a leased binding's stored expiry lags behind). */
export function withViews(bindings: readonly Binding[], views: ReadonlyMap<string, FlowView>): Binding[] {
  return bindings.filter((b) => !views.get(b.flowId)?.gone).map((b) => views.get(b.flowId)?.lease?.bindings.find((l) => l.key === b.key) ?? b);
}

/** A device as the API shows it, with the last keepalive and the registration's real end from its flow. */
export function deviceWithViews<V extends DeviceState>(view: V, live: readonly Binding[], views: ReadonlyMap<string, FlowView>): V {
  const device = [...views.values()].map((v) => v.lease?.device).find((d) => d);
  const held = withViews(live, views);
  const until = held.length > 0 ? Math.max(...held.map((b) => b.expiresAt)) : null;
  return { ...view, lastKeepaliveAt: device?.lastKeepaliveAt ?? view.lastKeepaliveAt, registrationExpiresAt: view.online ? until : view.registrationExpiresAt };
}
