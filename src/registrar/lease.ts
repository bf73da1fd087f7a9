/**
 * Leases: what an AOR lends the flow its bindings came on, so that the flow answers what the device does
 * every minute (REGISTER refreshes, GB28181 keepalives) alone, with no hop and no write. The AOR stays the
 * authority: it grants a lease with the HA1 of the algorithm the device used, the flow's bindings and a
 * horizon, keeps those bindings live until the horizon, and revokes or replaces the lease whenever the
 * account or the binding set changes. The flow asks the AOR only when something changes: another contact,
 * a removal, an expiry past the horizon, an error, or a device coming back online. Pure.
 * @module
 */
import type { DigestAlgorithm } from '../auth/digest.js';
import { verifyDigest } from '../auth/digest.js';
import type { DigestCredentials } from '../sip/auth-header.js';
import type { SipError } from '../sip/errors.js';
import { EXPIRY_GRACE_MS, remainingSeconds, sameReachability, type Binding } from './bindings.js';
import { applyRegister, type RegisterRequest, type RegistrarPolicy } from './register.js';

/** The part of the account a lease carries: one HA1, for the algorithm the device authenticated with. */
export interface LeaseAccount {
  username: string;
  realm: string;
  algorithm: DigestAlgorithm;
  ha1: string;
}

/** A contact of the AOR on another flow, as of the grant (listed in the 200, RFC 3261 §10.3 step 8). */
export interface OtherContact {
  contact: string;
  expiresAt: number;
}

/** What a flow holds for one AOR. */
export interface Lease {
  aor: string;
  account: LeaseAccount;
  /** Unix ms: the AOR keeps this flow's bindings live until then without hearing from the flow. */
  horizon: number;
  /** This flow's bindings; the flow's copy is the truth for their expiry. */
  bindings: Binding[];
  others: OtherContact[];
  /** For a GB28181 device: whether the AOR has it online, and the last keepalive the flow answered. */
  device: { online: boolean; lastKeepaliveAt: number | null } | null;
}

/** What the AOR tells a lease holder when its view changed: the other contacts now, or null (revoked). */
export type LeaseUpdate = { others: OtherContact[] } | null;

/** The lease after an update from the AOR (null: revoked, the flow asks the AOR next time). */
export function applyLeaseUpdate(lease: Lease, update: LeaseUpdate): Lease | null {
  return update === null ? null : { ...lease, others: update.others };
}

/** What the flow does with a REGISTER for which it holds a lease. */
export type RefreshDecision =
  | { kind: 'local'; lease: Lease; contacts: string[]; expires: number }
  /** The registrar's own rules refuse it (423, 400, out-of-order 500): answered here too. */
  | { kind: 'error'; error: SipError }
  | { kind: 'ask'; why: string };

const ask = (why: string): RefreshDecision => ({ kind: 'ask', why });

/** Whether the credentials verify against the lease's HA1 (same user, realm and algorithm). */
export function verifyLease(lease: Lease, credentials: DigestCredentials, algorithm: DigestAlgorithm, method: string): boolean {
  const a = lease.account;
  return algorithm === a.algorithm && credentials.username === a.username && credentials.realm === a.realm
    && verifyDigest(credentials, a.ha1, method);
}

/** Contact values of a 200: the flow's bindings and the other flows' contacts still live, with expires. */
export function leaseContacts(lease: Lease, now: number): string[] {
  const out: string[] = [];
  for (const b of lease.bindings) out.push(`${b.contact};expires=${remainingSeconds(b, now)}`);
  for (const o of lease.others) {
    if (now < o.expiresAt + EXPIRY_GRACE_MS) out.push(`${o.contact};expires=${Math.max(0, Math.ceil((o.expiresAt - now) / 1000))}`);
  }
  return out;
}

/**
 * Decide a REGISTER from the leased flow. It is answered here when the registrar's own rules
 * (`applyRegister`) turn the flow's bindings into the same bindings, reachable the same way, with new
 * expiries no later than the horizon: a refresh, at any interval. Anything else goes to the AOR.
 */
export function refreshLocally(lease: Lease, req: RegisterRequest, policy: RegistrarPolicy, now: number): RefreshDecision {
  if (req.contacts.length === 0) return ask('query');
  if (now >= lease.horizon) return ask('past the horizon');
  const applied = applyRegister(lease.bindings, req, policy, now);
  if (!applied.ok) return { kind: 'error', error: applied.error };
  const next = applied.value.bindings;
  if (next.length !== lease.bindings.length) return ask('contacts changed');
  // Loops, not closures: this runs on every refresh.
  const bindings: Binding[] = [];
  let expires = 0;
  for (const b of next) {
    let before: Binding | undefined;
    for (const o of lease.bindings) if (o.key === b.key) { before = o; break; }
    if (!before || !sameReachability(before, b)) return ask('contacts changed');
    if (b.expiresAt > lease.horizon) return ask('past the horizon');
    const held = { ...b, heldUntil: lease.horizon };
    bindings.push(held);
    expires = Math.max(expires, remainingSeconds(held, now));
  }
  const updated: Lease = { ...lease, bindings };
  return { kind: 'local', lease: updated, contacts: leaseContacts(updated, now), expires };
}

/** Whether one of the flow's bindings is still within its interval plus the grace. */
export function holdsLiveBinding(lease: Lease, now: number): boolean {
  return lease.bindings.some((b) => now < b.expiresAt + EXPIRY_GRACE_MS);
}

/**
 * A GB28181 keepalive answered by the flow: only for a device the AOR has online, with a live binding
 * here. Returns the lease with the keepalive recorded, or null to ask the AOR.
 */
export function keepaliveLocally(lease: Lease, now: number): Lease | null {
  if (!lease.device?.online || !holdsLiveBinding(lease, now)) return null;
  return { ...lease, device: { ...lease.device, lastKeepaliveAt: now } };
}
