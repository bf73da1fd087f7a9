/**
 * REGISTER as the flow handles it: challenge without a hop, then one RPC to
 * the AOR's object. Serves the SIP domain (JsSIP, SIP.js, phones) and the
 * GB/T 28181 device realm (cameras, NVRs), which differ only in the realm,
 * the challenge they understand and the headers of the 200.
 * @module
 */
import type { Config } from '../config.js';
import { challengeValues, precheckCredentials, type Precheck } from '../auth/authenticate.js';
import { createNonce, NONCE_RANDOM_BYTES } from '../auth/nonce.js';
import type { NonceCounts } from '../auth/nonce-counts.js';
import { formatChallenge } from '../sip/auth-header.js';
import { SipError } from '../sip/errors.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import { unescapeUserPart } from '../sip/uri.js';
import type { RequestEssentials } from '../sip/validate.js';
import { gbDate } from '../gb28181/date.js';
import type { Flow } from '../transport/flow.js';
import { flowAddress, flowSource } from '../transport/flow.js';
import type { AorRegisterReply, AorRegisterInput } from './aor-leases.js';
import { refreshLocally, verifyLease, type Lease } from '../registrar/lease.js';
import type { RegisterRequest, RegistrarPolicy } from '../registrar/register.js';
import { MAX_BINDINGS } from '../registrar/bindings.js';
import { gbVersionOf } from '../gb28181/version.js';

/** Which registration domain a REGISTER's To names. */
export interface RegistrationDomain {
  kind: 'sip' | 'gb28181';
  domain: string;
  realm: string;
}

/** The domain a To URI host belongs to, or null when it is not served here (RFC 3261 §10.3 step 1). */
export function registrationDomain(config: Config, host: string, user: string | null): RegistrationDomain | null {
  if (host === config.domain) return { kind: 'sip', domain: config.domain, realm: config.realm };
  const gb = config.gb;
  // GB devices write the realm (or, some, the platform's address) as the host of their own ID.
  if (gb && (host === gb.realm || (user !== null && /^\d{20}$/.test(user) && /^[\d.[\]:]+$/.test(host)))) {
    return { kind: 'gb28181', domain: gb.realm, realm: gb.realm };
  }
  return null;
}

/** The AOR key of a user in a domain. */
export function aorOf(user: string, d: RegistrationDomain): string {
  return `sip:${user}@${d.domain}`;
}

/** The guard of a source address, as the flow reaches it (one RPC each, never on a leased refresh). */
export interface SourceGuard {
  /** Begin an authentication for `aor` before its password is checked: until when it is refused, or null. */
  attempt(aor: string): Promise<number | null>;
  /** The outcome of a begun attempt; until when the address is now refused for `aor`, or null. */
  settle(aor: string, ok: boolean): Promise<number | null>;
  /** Count a failure found without an attempt (a leased password checked by the flow). */
  failed(aor: string): Promise<number | null>;
}

/** GB/T 28181 devices are challenged with MD5 only (§9.1.2; many cameras know nothing else). */
const GB_ALGORITHMS = ['MD5'] as const;

/** The answer while a source is blocked for guessing: even the right password does not get in. */
export function blockedError(until: number, now: number): SipError {
  return new SipError(403, `Forbidden (too many failed authentications from this address; retry in ${Math.ceil((until - now) / 1000)} s)`);
}

/**
 * Authenticate through the address's guard: the attempt is counted before `check` runs (so pipelined guesses
 * cannot all be checked first), and settled with its outcome. Refused with 403 while the address is blocked,
 * even for the right password.
 */
export async function guarded<T>(host: Pick<RegisterHost, 'authResult' | 'guard'>, aor: string, now: number, check: () => Promise<T>, ok: (r: T) => boolean): Promise<T> {
  const refused = await host.guard.attempt(aor);
  if (refused !== null) throw blockedError(refused, now);
  let result: T;
  try {
    result = await check();
  } catch (err) {
    void host.guard.settle(aor, true).catch(() => undefined); // not a password failure: end the attempt
    throw err;
  }
  const good = ok(result);
  host.authResult(good);
  const until = await host.guard.settle(aor, good);
  if (!good && until !== null) throw blockedError(until, now);
  return result;
}

/** A failure the flow found itself (a leased password): counted by the connection and the address's guard. */
export async function authFailed(host: Pick<RegisterHost, 'authResult' | 'guard'>, aor: string, now: number): Promise<void> {
  host.authResult(false);
  const until = await host.guard.failed(aor);
  if (until !== null) throw blockedError(until, now);
}

/** What the flow object lends to REGISTER processing. */
export interface RegisterHost {
  config: Config;
  flow: Flow;
  /** The flow's nonce-count replay window. */
  nonces: NonceCounts;
  register(aor: string, input: AorRegisterInput): Promise<AorRegisterReply>;
  /** The AOR now has (or no longer has) a binding on this flow. */
  track(aor: string, bound: boolean): void;
  /** Outcome of presented credentials (for the connection's failed-authentication bound). */
  authResult(ok: boolean): void;
  /** The failed-authentication guard of the peer's address (`objects/guard-object.ts`). */
  guard: SourceGuard;
  /** The lease this flow holds for `aor`, if any. */
  lease(aor: string): Lease | null;
  /** Keep (or drop, with null) the lease for `aor`. */
  setLease(aor: string, lease: Lease | null): void;
  /** Whether a lease for `aor` would fit in the flow's attachment. */
  canHoldLease(aor: string): boolean;
}

/**
 * A fresh nonce bound to the flow (its id is in the HMAC), for a 401 or a 407. Without a NONCE_SECRET
 * nothing can be challenged: 503.
 */
export function flowNonce(config: Config, flow: Flow, now: number): string {
  if (config.nonceSecret.byteLength === 0) throw new SipError(503, 'Service Unavailable (NONCE_SECRET not configured)');
  return createNonce(config.nonceSecret, now, randomBytes(NONCE_RANDOM_BYTES), flow.id);
}

/** Random bytes drawn from `crypto.getRandomValues` a page at a time (one call and one array per 682 nonces). */
const pool = new Uint8Array(4096);
let poolUsed = pool.length;

/** `n` fresh random bytes (a view into the pool: use them before the next call). */
function randomBytes(n: number): Uint8Array {
  if (poolUsed + n > pool.length) {
    crypto.getRandomValues(pool);
    poolUsed = 0;
  }
  poolUsed += n;
  return pool.subarray(poolUsed - n, poolUsed);
}

/**
 * A 401 with a fresh nonce bound to the flow: the offered algorithms' challenges for the SIP domain
 * (`DIGEST_ALGORITHMS`), one MD5 challenge for GB devices.
 */
export function challenge(req: SipRequest, ess: RequestEssentials, d: RegistrationDomain, config: Config, flow: Flow, stale: boolean, now: number): SipResponse {
  const nonce = flowNonce(config, flow, now);
  const values = d.kind === 'gb28181'
    ? [formatChallenge({ realm: d.realm, nonce, algorithm: 'MD5', qop: 'auth', stale })]
    : challengeValues(d.realm, nonce, stale, config.digestAlgorithms);
  const headers: Array<[string, string]> = [];
  for (const v of values) headers.push(['WWW-Authenticate', v]);
  return createResponse(req, 401, { headers, to: ess.to });
}

/**
 * Handle a REGISTER that arrived on a flow. What the flow answers alone (a challenge, a leased refresh, a
 * registrar error) is answered synchronously; a promise only when the address's guard or the AOR is asked.
 */
export function handleRegister(host: RegisterHost, req: SipRequest, ess: RequestEssentials): SipResponse | Promise<SipResponse> {
  const { config, flow } = host;
  const to = ess.to.uri;
  // RFC 4475 §3.3.3 (unksm2): a registrar refuses an AOR that is not a SIP or SIPS URI with 400.
  if (to.scheme !== 'sip' && to.scheme !== 'sips') throw new SipError(400, 'Bad Request (To is not a SIP or SIPS URI)');
  if (to.user === null) throw new SipError(400, 'Bad Request (To has no user)');
  const d = registrationDomain(config, to.host, to.user);
  if (!d) throw new SipError(404, `Not Found (domain ${to.host} is not served here)`);
  const now = Date.now();
  const pre = precheckCredentials(req.headers.get('authorization'), {
    realm: d.realm, secret: config.nonceSecret, now, nonceTtlMs: config.nonceTtlMs, scope: flow.id, counts: host.nonces, requestUri: req.uri,
    algorithms: d.kind === 'gb28181' ? GB_ALGORITHMS : config.digestAlgorithms,
  });
  if (pre.kind === 'malformed') throw new SipError(400, `Malformed Authorization: ${pre.reason}`);
  if (pre.kind === 'challenge') return challenge(req, ess, d, config, flow, pre.stale, now);
  const user = unescapeUserPart(to.user);
  const aor = aorOf(user, d);
  // A user registers only their own AOR (RFC 3261 §10.3 step 3).
  if (pre.credentials.username !== user) throw new SipError(403, 'Forbidden (credentials do not match the AOR)');
  const request: RegisterRequest = {
    contacts: req.headers.values('contact'),
    expires: req.headers.get('expires') ?? null,
    callId: ess.callId,
    cseq: ess.cseq.seq,
    flowId: flow.id,
    address: flowAddress(flow, config.domain),
    source: flowSource(flow),
    path: req.headers.values('path'),
    userAgent: req.headers.get('user-agent') ?? null,
  };
  const lease = host.lease(aor);
  if (lease && lease.account.algorithm === pre.algorithm) {
    // The flow holds the AOR's lease: a wrong password or a refresh is answered here, with no hop.
    if (!verifyLease(lease, pre.credentials, pre.algorithm, req.method)) {
      // The lease goes with the failure: further attempts are begun at the address's guard before they are checked.
      host.setLease(aor, null);
      return authFailed(host, aor, now).then(() => challenge(req, ess, d, config, flow, false, now));
    }
    host.authResult(true);
    const local = refreshLocally(lease, request, policyOf(config), now);
    if (local.kind === 'error') throw local.error;
    if (local.kind === 'local') {
      host.setLease(aor, local.lease);
      return ok(req, ess, d, config, request, local.contacts, local.expires, now);
    }
  }
  return registerAtAor(host, req, ess, d, aor, pre, request, lease, now);
}

/** A REGISTER the flow cannot answer alone: the address's guard, then the AOR. */
async function registerAtAor(host: RegisterHost, req: SipRequest, ess: RequestEssentials, d: RegistrationDomain, aor: string,
  pre: Extract<Precheck, { kind: 'credentials' }>, request: RegisterRequest, lease: Lease | null, now: number): Promise<SipResponse> {
  const { config, flow } = host;
  // Not a leased refresh: through the address's guard (guessing across connections and bridge flows).
  const reply = await guarded(host, aor, now, () => host.register(aor, {
    credentials: pre.credentials,
    algorithm: pre.algorithm,
    method: req.method,
    request,
    gbVersion: gbVersionOf(req.headers),
    transport: flow.transport,
    leased: lease?.bindings ?? [],
    wantsLease: host.canHoldLease(aor),
  }), (r) => r.kind !== 'challenge');
  if (reply.kind === 'challenge') return challenge(req, ess, d, config, flow, false, now);
  if (reply.kind === 'error') throw new SipError(reply.status, reply.reason, reply.headers as Array<[string, string]>);
  host.setLease(aor, reply.lease);
  host.track(aor, reply.flowBound);
  return ok(req, ess, d, config, request, reply.contacts, reply.expires, now);
}

/** The registrar's policy of a configuration (built once per configuration, not per refresh). */
const policies = new WeakMap<Config, RegistrarPolicy>();

function policyOf(config: Config): RegistrarPolicy {
  let p = policies.get(config);
  if (p === undefined) {
    p = { minExpires: config.minExpires, maxExpires: config.maxExpires, defaultExpires: config.defaultExpires, maxBindings: MAX_BINDINGS };
    policies.set(config, p);
  }
  return p;
}

/** The last `Date` value written and the second it names (RFC 7231 IMF-fixdate has one-second resolution). */
let dateSecond = Number.NaN;
let dateText = '';

/** `now` as an RFC 7231 date (`toUTCString`), formatted once per second. */
function httpDate(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/** The 200 to a REGISTER: every binding with its expires, and the headers each kind of device expects. */
function ok(req: SipRequest, ess: RequestEssentials, d: RegistrationDomain, config: Config, request: RegisterRequest, contacts: string[], expires: number, now: number): SipResponse {
  const headers: Array<[string, string]> = [];
  for (const c of contacts) headers.push(['Contact', c]);
  if (d.kind === 'gb28181') {
    // GB/T 28181 §9.1.2: Expires echoed, Date in local time without zone (cameras set their clocks from it).
    headers.push(['Expires', String(expires)]);
    headers.push(['Date', gbDate(now, config.gb?.utcOffsetMinutes ?? 0)]); // X-GB-Ver: echoed by the flow
  } else {
    if (request.contacts.some((c) => c.includes('reg-id'))) headers.push(['Require', 'outbound']);
    headers.push(['Date', httpDate(now)]);
  }
  return createResponse(req, 200, { headers, to: ess.to });
}
