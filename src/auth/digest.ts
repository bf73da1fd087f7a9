/**
 * Digest response computation and verification (RFC 3261 §22.4, RFC 2617 §3.2.2, RFC 8760 SHA-256).
 * @module
 */
import type { DigestCredentials } from '../sip/auth-header.js';
import { md5Hex, sha256Hex, timingSafeEqual } from './hash.js';

/** Digest algorithms we accept (RFC 8760 §2: MD5 for old devices, SHA-256 preferred). */
export type DigestAlgorithm = 'MD5' | 'SHA-256';

/**
 * Map the `algorithm` parameter to a supported algorithm, case-insensitively.
 * Absent means MD5 (RFC 2617 §3.2.1). `MD5-sess`, `SHA-256-sess`, `SHA-512-256` and anything else → `null`.
 */
export function parseAlgorithm(s: string | null): DigestAlgorithm | null {
  if (s === null) return 'MD5';
  const l = s.toLowerCase();
  if (l === 'md5') return 'MD5';
  if (l === 'sha-256') return 'SHA-256';
  return null;
}

/** The algorithm's hash H() of a string, lower-case hex (RFC 7616 §3.4.1). */
export function digestHash(alg: DigestAlgorithm, s: string): string {
  return alg === 'MD5' ? md5Hex(s) : sha256Hex(s);
}

/** HA1 = H(username ":" realm ":" password) (RFC 2617 §3.2.2.2). Store this instead of the password. */
export function computeHA1(alg: DigestAlgorithm, username: string, realm: string, password: string): string {
  return digestHash(alg, `${username}:${realm}:${password}`);
}

interface DigestResponseBase {
  algorithm: DigestAlgorithm;
  /** HA1 in lower-case hex, computed with the same algorithm. */
  ha1: string;
  /** Method of the request (RFC 3261 §22.4: for ACK and CANCEL too, the request's own method). */
  method: string;
  /** The `uri` parameter of the credentials, not the Request-URI (RFC 2617 §3.2.2.5). */
  uri: string;
  nonce: string;
}

/** Inputs of {@link computeDigestResponse}: the `qop=auth` form needs `nc` and `cnonce`; the RFC 2069 form has none. */
export type DigestResponseInput = DigestResponseBase &
  ({ qop: 'auth'; nc: string; cnonce: string } | { qop: null; nc?: null | undefined; cnonce?: null | undefined });

/**
 * The request-digest (RFC 2617 §3.2.2.1), HA2 = H(method ":" uri):
 * with qop=auth, H(HA1 ":" nonce ":" nc ":" cnonce ":" "auth" ":" HA2);
 * without qop (RFC 2069 compatibility, some cameras), H(HA1 ":" nonce ":" HA2).
 */
export function computeDigestResponse(input: DigestResponseInput): string {
  const ha2 = ha2Of(input.algorithm, input.method, input.uri);
  if (input.qop === 'auth') {
    return digestHash(input.algorithm, `${input.ha1}:${input.nonce}:${input.nc}:${input.cnonce}:auth:${ha2}`);
  }
  return digestHash(input.algorithm, `${input.ha1}:${input.nonce}:${ha2}`);
}

/**
 * True when `creds.response` matches the digest for this HA1 and method, compared in constant time.
 *
 * Only checks the hash: the caller must compute `ha1` with `parseAlgorithm(creds.algorithm)`, check the realm,
 * the nonce (`checkNonce`) and the nonce count (`acceptNonceCount`). Unsupported algorithm or qop
 * (e.g. `auth-int`) → false.
 */
export function verifyDigest(creds: DigestCredentials, ha1: string, method: string): boolean {
  const algorithm = parseAlgorithm(creds.algorithm);
  if (algorithm === null) return false;
  let expected: string;
  if (creds.qop === null) {
    expected = computeDigestResponse({ algorithm, ha1: ha1.toLowerCase(), method, uri: creds.uri, nonce: creds.nonce, qop: null });
  } else {
    // RFC 2617 §3.2.2: qop=auth needs nc and cnonce; auth-int (body hash) is not offered by us.
    if (creds.qop.toLowerCase() !== 'auth' || creds.nc === null || creds.cnonce === null) return false;
    expected = computeDigestResponse({ algorithm, ha1: ha1.toLowerCase(), method, uri: creds.uri, nonce: creds.nonce, qop: 'auth', nc: creds.nc, cnonce: creds.cnonce });
  }
  // RFC 2617 §3.2.2: request-digest is 32LHEX; some clients send upper case.
  return timingSafeEqual(expected, creds.response.toLowerCase());
}

/** HA2 by algorithm, method and uri: a device signs the same method and uri on every refresh (at most 256 kept). */
const ha2Cache = new Map<string, string>();

/** HA2 = H(method ":" uri) (RFC 2617 §3.2.2.3), remembered for the few method and uri pairs in use. */
function ha2Of(algorithm: DigestAlgorithm, method: string, uri: string): string {
  const a2 = `${method}:${uri}`;
  const key = algorithm === 'MD5' ? a2 : `SHA-256 ${a2}`;
  let ha2 = ha2Cache.get(key);
  if (ha2 === undefined) {
    ha2 = digestHash(algorithm, a2);
    if (ha2Cache.size >= 256) ha2Cache.clear();
    ha2Cache.set(key, ha2);
  }
  return ha2;
}
