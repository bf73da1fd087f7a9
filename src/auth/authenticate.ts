/**
 * Digest authentication of requests (RFC 3261 §22), split along the service's
 * layout: the flow that issued the nonce checks it where the request arrives,
 * before any hop (header syntax, realm, nonce signature, scope and age, and the
 * nonce-count replay window it keeps in memory); the password hash is checked
 * in the AOR's object, which owns the account.
 * @module
 */
import { formatChallenge, parseCredentials, type DigestCredentials } from '../sip/auth-header.js';
import { computeHA1, parseAlgorithm, verifyDigest, type DigestAlgorithm } from './digest.js';
import { parseUri, uriEquals } from '../sip/uri.js';
import { checkNonce, nonceCountOf, nonceIssuedAt } from './nonce.js';
import type { NonceCounts } from './nonce-counts.js';

/** Stored credentials of a user: HA1 per algorithm, never the password. */
export interface Account {
  username: string;
  realm: string;
  ha1Md5: string;
  ha1Sha256: string;
}

/** The stored form of a password: HA1 for each algorithm offered (RFC 3261 §22.4, RFC 8760), never the password. */
export function accountFor(username: string, realm: string, password: string): Account {
  return { username, realm, ha1Md5: computeHA1('MD5', username, realm, password), ha1Sha256: computeHA1('SHA-256', username, realm, password) };
}

/** Outcome of the stateless check of an `Authorization`/`Proxy-Authorization` value. */
export type Precheck =
  | { kind: 'challenge'; stale: boolean }
  | { kind: 'malformed'; reason: string }
  | { kind: 'credentials'; credentials: DigestCredentials; algorithm: DigestAlgorithm };

/** Inputs of {@link precheckCredentials}. */
export interface PrecheckContext {
  realm: string;
  secret: Uint8Array;
  now: number;
  nonceTtlMs: number;
  /** The flow's id: the scope its nonces are bound to. */
  scope: string;
  /** The flow's replay window. */
  counts: NonceCounts;
  /** The request's Request-URI, which the digest's `uri` must name (RFC 2617 §3.2.2.5). */
  requestUri?: string;
  /** The algorithms offered: credentials with another one get a fresh challenge. */
  algorithms?: readonly DigestAlgorithm[];
}

/**
 * Whether the digest `uri` names the resource of the Request-URI (RFC 2617 §3.2.2.5): the same text, an
 * equal SIP URI (RFC 3261 §19.1.4), the same user at this service named once by its domain and once by an IP
 * address (GB28181 cameras sign `sip:<platform>@<realm>` and send to the platform's address), or the service's
 * own address with no user (SIPp and some device stacks sign `sip:<server ip>:<port>`; a replay is refused by
 * the flow-bound nonce and its count anyway).
 */
function sameUri(digestUri: string, requestUri: string): boolean {
  if (digestUri === requestUri) return true;
  const a = parseUri(digestUri);
  const b = parseUri(requestUri);
  if (!a.ok || !b.ok) return false;
  if (uriEquals(a.value, b.value)) return true;
  const ip = (h: string) => h.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(h);
  if (a.value.user === null && ip(a.value.host)) return true;
  return a.value.scheme === b.value.scheme && a.value.user === b.value.user && (ip(a.value.host) || ip(b.value.host));
}

/**
 * Check what can be checked without the user's state. Credentials for
 * another realm, a forged nonce or another flow's, or an algorithm we do not
 * offer all lead to a fresh challenge; an expired genuine nonce, a replayed
 * nonce count, or a nonce from before the flow woke up to `stale=true`.
 */
export function precheckCredentials(value: string | undefined, ctx: PrecheckContext): Precheck {
  // Without a secret every nonce could be forged: nothing is accepted (the challenge then fails with 503).
  if (value === undefined || ctx.secret.byteLength === 0) return { kind: 'challenge', stale: false };
  const parsed = parseCredentials(value);
  // RFC 4475 §3.3.12 (regaut01): credentials of a scheme we do not know are ignored, so the request is challenged.
  if (!parsed.ok && parsed.error.startsWith('unsupported scheme')) return { kind: 'challenge', stale: false };
  if (!parsed.ok) return { kind: 'malformed', reason: parsed.error };
  const credentials = parsed.value;
  // RFC 2617 §3.2.2.5: credentials computed over another URI are refused, so they cannot be replayed elsewhere.
  if (ctx.requestUri !== undefined && !sameUri(credentials.uri, ctx.requestUri)) return { kind: 'malformed', reason: 'the digest uri is not the Request-URI' };
  const algorithm = parseAlgorithm(credentials.algorithm);
  if (algorithm === null || credentials.realm !== ctx.realm || (ctx.algorithms && !ctx.algorithms.includes(algorithm))) return { kind: 'challenge', stale: false };
  const status = checkNonce(ctx.secret, credentials.nonce, ctx.now, ctx.nonceTtlMs, ctx.scope);
  if (status === 'invalid') return { kind: 'challenge', stale: false };
  if (status === 'stale') return { kind: 'challenge', stale: true };
  // RFC 2617 §3.2.2: a repeated nc is a replay; answer with a fresh nonce.
  const nc = nonceCountOf(credentials);
  const issuedAt = nonceIssuedAt(credentials.nonce);
  // An nc that is not 8LHEX is not a replay: stale=true would only make the client loop on it.
  if (nc === null || issuedAt === null) return { kind: 'challenge', stale: false };
  if (!ctx.counts.accept(credentials.nonce, issuedAt, nc, ctx.now)) return { kind: 'challenge', stale: true };
  return { kind: 'credentials', credentials, algorithm };
}

/**
 * Challenge header values for the offered algorithms (`DIGEST_ALGORITHMS`), one per algorithm (RFC 8760
 * §2.4). With both offered the order is MD5, SHA-256, MD5 again: SIP.js and most devices read only the first
 * challenge and speak only MD5; JsSIP keeps only the last one it parses and speaks only MD5; an RFC 8760
 * client takes the topmost one it supports. The repeat keeps all three working with one nonce.
 */
export function challengeValues(realm: string, nonce: string, stale: boolean, algorithms: readonly DigestAlgorithm[] = ['MD5', 'SHA-256']): string[] {
  const order: readonly DigestAlgorithm[] = algorithms.includes('MD5') && algorithms.includes('SHA-256') ? BOTH : algorithms;
  // A nonce that needs no escaping (ours always) goes between the fixed halves of each challenge.
  if (nonce.includes('"') || nonce.includes('\\')) return order.map((algorithm) => formatChallenge({ realm, nonce, algorithm, qop: 'auth', stale }));
  const halves = challengeHalves(realm, stale, order);
  const out: string[] = [];
  for (const [before, after] of halves) out.push(before + nonce + after);
  return out;
}

const BOTH: readonly DigestAlgorithm[] = ['MD5', 'SHA-256', 'MD5'];
const NONCE_MARK = '\u0000';
type Halves = Array<[string, string]>;
/** The text of each challenge before and after its nonce: by algorithm list, then realm, then staleness. */
const halvesCache = new WeakMap<readonly DigestAlgorithm[], Map<string, [Halves | null, Halves | null]>>();

function challengeHalves(realm: string, stale: boolean, order: readonly DigestAlgorithm[]): Halves {
  let byRealm = halvesCache.get(order);
  if (byRealm === undefined) halvesCache.set(order, (byRealm = new Map()));
  let pair = byRealm.get(realm);
  if (pair === undefined) {
    if (byRealm.size >= 16) byRealm.clear();
    byRealm.set(realm, (pair = [null, null]));
  }
  const i = stale ? 1 : 0;
  return (pair[i] ??= order.map((algorithm): [string, string] => {
    // Nothing after the nonce holds the mark, whatever the realm holds.
    const text = formatChallenge({ realm, nonce: NONCE_MARK, algorithm, qop: 'auth', stale });
    const at = text.lastIndexOf(NONCE_MARK);
    return [text.slice(0, at), text.slice(at + 1)];
  }));
}

/** A fixed HA1 used when the user does not exist, so both paths cost the same. */
const ABSENT_HA1 = '0'.repeat(64);

/**
 * Verify the digest against the account. An unknown user is verified against
 * a dummy HA1 and fails exactly like a wrong password (no user enumeration).
 */
export function verifyAccount(
  credentials: DigestCredentials,
  algorithm: DigestAlgorithm,
  account: Account | null,
  method: string,
): boolean {
  const ha1 = account ? (algorithm === 'MD5' ? account.ha1Md5 : account.ha1Sha256) : ABSENT_HA1;
  const good = verifyDigest(credentials, ha1, method);
  return good && account !== null && credentials.username === account.username;
}
