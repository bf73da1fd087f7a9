/**
 * Bindings of an address-of-record (RFC 3261 §10.3) and their expiry math.
 * @module
 */

/** One registered contact of an AOR. */
export interface Binding {
  /** Identity used to replace a binding: `instance reg-id` (RFC 5626 §6) or the contact URI. */
  key: string;
  /** Contact value as returned in the 200, without its `expires` parameter. */
  contact: string;
  /** Contact URI text. */
  uri: string;
  /** Preference, 0..1 (RFC 3261 §20.10), null when the UA gave none. */
  q: number | null;
  /** Unix ms at which the registration ends. */
  expiresAt: number;
  callId: string;
  cseq: number;
  /** `+sip.instance` value (RFC 5626 §4.1), unquoted. */
  instanceId: string | null;
  regId: number | null;
  /** FlowObject id of the connection the REGISTER came on: the binding dies with it. */
  flowId: string;
  /** How the service is addressed from that flow (Via sent-by and Record-Route host towards it). */
  address: FlowAddress;
  /** Peer address the REGISTER came from. */
  source: string;
  /** Path header values (RFC 3327), in order. */
  path: string[];
  userAgent: string | null;
  /** Unix ms of the last REGISTER that touched the binding. */
  updatedAt: number;
  /**
   * Unix ms until which the flow holds a lease on this binding (`registrar/lease.ts`): the flow answers its
   * refreshes alone up to then, so the AOR keeps it live that long unless the flow reports it gone.
   */
  heldUntil?: number;
}

import type { FlowAddress } from '../transport/flow.js';

/** Most bindings one AOR keeps (the least recently refreshed one makes room). */
export const MAX_BINDINGS = 16;

/**
 * Late refreshes are tolerated for this long after expiry: browsers refresh
 * close to the deadline (SIP.js at 99 % of the interval) and clocks differ.
 */
export const EXPIRY_GRACE_MS = 30_000;

/** True while the binding is usable (within its interval plus the grace margin). */
export function isLive(b: Binding, now: number): boolean {
  return now < liveUntil(b);
}

/** The moment the binding stops being live: its expiry, or its lease's horizon, plus the grace. */
export function liveUntil(b: Binding): number {
  return Math.max(b.expiresAt, b.heldUntil ?? 0) + EXPIRY_GRACE_MS;
}

/** Seconds left in a binding's interval, as reported in the `expires` parameter. */
export function remainingSeconds(b: Binding, now: number): number {
  return Math.max(0, Math.ceil((b.expiresAt - now) / 1000));
}

/** The moment the earliest binding stops being live, or null when there is none. */
export function nextDeadline(bindings: readonly Binding[]): number | null {
  let min: number | null = null;
  for (const b of bindings) {
    const t = liveUntil(b);
    if (min === null || t < min) min = t;
  }
  return min;
}

/** Contact header values for a 200 to REGISTER: every current binding with its expires (RFC 3261 §10.3 step 8). */
export function contactValues(bindings: readonly Binding[], now: number): string[] {
  return bindings.map((b) => `${b.contact};expires=${remainingSeconds(b, now)}`);
}

/** Bindings ordered for forking and display: highest q first, then most recent. */
export function byPreference(bindings: readonly Binding[]): Binding[] {
  return [...bindings].sort((a, b) => (b.q ?? 1) - (a.q ?? 1) || b.updatedAt - a.updatedAt);
}

/**
 * A refresh may move a stored expiry later by up to this much without a write: the stored row still
 * keeps the binding live to its real end, because bindings outlive their expiry by {@link EXPIRY_GRACE_MS}.
 */
export const REFRESH_WRITE_SLACK_MS = EXPIRY_GRACE_MS / 2;

/**
 * Whether `next` must be written over the stored `stored` (write-behind for refreshes, as Kamailio's usrloc
 * write-back mode does, but bounded). What must survive an eviction is where and until when the contact is
 * reachable: the contact, its flow, Path, q and instance, and an expiry no earlier than the real one. So a
 * refresh that moves the expiry later by less than {@link REFRESH_WRITE_SLACK_MS} needs no write, even with a
 * new Call-ID (a device that rebooted and registered again at once) or CSeq: if the object is evicted, the
 * stored binding still lives until at least its real expiry plus half the grace. Call-ID and CSeq order
 * requests of a running registration (RFC 3261 §10.3 step 7); requests replayed across an eviction are
 * already refused by their nonce. Anything else (a new binding, another contact, flow, path, source or user
 * agent, a shorter expiry) is written at once.
 */
export function needsWrite(stored: Binding | undefined, next: Binding): boolean {
  if (stored === undefined) return true;
  if ((next.heldUntil ?? 0) !== (stored.heldUntil ?? 0)) return true;
  if (next.expiresAt < stored.expiresAt || next.expiresAt - stored.expiresAt >= REFRESH_WRITE_SLACK_MS) return true;
  return !sameReachability(stored, next);
}

/**
 * Whether two states of a binding reach the contact the same way: same contact, flow, Path, q, instance,
 * source and user agent. Only the expiry, Call-ID and CSeq may differ.
 */
export function sameReachability(a: Binding, b: Binding): boolean {
  return a.key === b.key && a.contact === b.contact && a.uri === b.uri && a.q === b.q
    && a.instanceId === b.instanceId && a.regId === b.regId && a.flowId === b.flowId
    && a.address.transport === b.address.transport && a.address.host === b.address.host
    && a.source === b.source && a.userAgent === b.userAgent
    && a.path.length === b.path.length && a.path.every((p, i) => p === b.path[i]);
}
