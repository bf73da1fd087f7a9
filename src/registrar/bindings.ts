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
}

import type { FlowAddress } from '../transport/flow.js';

/**
 * Late refreshes are tolerated for this long after expiry: browsers refresh
 * close to the deadline (SIP.js at 99 % of the interval) and clocks differ.
 */
export const EXPIRY_GRACE_MS = 30_000;

/** True while the binding is usable (within its interval plus the grace margin). */
export function isLive(b: Binding, now: number): boolean {
  return now < b.expiresAt + EXPIRY_GRACE_MS;
}

/** Seconds left in a binding's interval, as reported in the `expires` parameter. */
export function remainingSeconds(b: Binding, now: number): number {
  return Math.max(0, Math.ceil((b.expiresAt - now) / 1000));
}

/** The moment the earliest binding stops being live, or null when there is none. */
export function nextDeadline(bindings: readonly Binding[]): number | null {
  let min: number | null = null;
  for (const b of bindings) {
    const t = b.expiresAt + EXPIRY_GRACE_MS;
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
  if (next.expiresAt < stored.expiresAt || next.expiresAt - stored.expiresAt >= REFRESH_WRITE_SLACK_MS) return true;
  return stored.contact !== next.contact || stored.uri !== next.uri || stored.q !== next.q
    || stored.instanceId !== next.instanceId || stored.regId !== next.regId || stored.flowId !== next.flowId
    || stored.address.transport !== next.address.transport || stored.address.host !== next.address.host
    || stored.source !== next.source || stored.userAgent !== next.userAgent
    || stored.path.length !== next.path.length || stored.path.some((p, i) => p !== next.path[i]);
}
