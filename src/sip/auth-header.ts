/**
 * Digest auth-header grammar (RFC 3261 §25.1, RFC 2617 §3.2): parse `Authorization` / `Proxy-Authorization`
 * credentials and `WWW-Authenticate` challenges, and format both.
 * @module
 */
import { fail, ok } from './message.js';
import type { Result } from './message.js';
import { CH, TOKEN_CHARS as TOKEN } from './token.js';

const { HTAB, LF, CR, SP, DQUOTE, COMMA, EQUALS, BACKSLASH } = CH;

/** Parameters of a `Digest` credentials value (RFC 3261 §25.1 `digest-response`). Absent optional ones are `null`. */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  /** The `uri` parameter: the digest is computed over this, not over the Request-URI (RFC 2617 §3.2.2). */
  uri: string;
  response: string;
  algorithm: string | null;
  qop: string | null;
  /** Nonce count, 8 hex digits as sent (RFC 2617 §3.2.2). */
  nc: string | null;
  cnonce: string | null;
  opaque: string | null;
}

/** A `Digest` challenge as sent in `WWW-Authenticate` / `Proxy-Authenticate` (RFC 3261 §22.1, RFC 8760). */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: 'MD5' | 'SHA-256';
  qop: 'auth' | null;
  /** The nonce was valid but expired: the client may retry with the new nonce without asking the user (RFC 2617 §3.2.1). */
  stale: boolean;
  opaque?: string;
}



const isLws = (c: number): boolean => c === SP || c === HTAB || c === CR || c === LF;

function skipLws(s: string, i: number): number {
  while (i < s.length && isLws(s.charCodeAt(i))) i++;
  return i;
}

function scanToken(s: string, i: number): number {
  while (i < s.length && TOKEN[s.charCodeAt(i)] === 1) i++;
  return i;
}

/** End of an unquoted value. Lenient beyond `token`: some devices send `uri=sip:…` unquoted. */
function scanBare(s: string, i: number): number {
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === COMMA || c === DQUOTE || isLws(c)) break;
  }
  return i;
}

/** Scan a quoted-string starting at the opening quote; returns the unescaped text and the index after it. */
function scanQuoted(s: string, start: number): { text: string; end: number } | null {
  let text = '';
  let from = start + 1;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === DQUOTE) return { text: text + s.slice(from, i), end: i + 1 };
    if (c === BACKSLASH) {
      // RFC 3261 §25.1 quoted-pair: "\" followed by any character stands for that character.
      text += s.slice(from, i);
      i++;
      from = i;
    }
  }
  return null;
}

/** Parse a comma-separated `name=value` list (RFC 3261 §25.1 `auth-param`), names lower-cased. */
function parseParams(s: string, i: number): Result<Map<string, string>> {
  const params = new Map<string, string>();
  for (;;) {
    i = skipLws(s, i);
    if (i >= s.length) return ok(params);
    // Empty list elements are tolerated (RFC 7230 §7 `#rule`).
    if (s.charCodeAt(i) === COMMA) { i++; continue; }
    const nameEnd = scanToken(s, i);
    if (nameEnd === i) return fail(`unexpected character '${s[i] ?? ''}' at offset ${i}`);
    const name = s.slice(i, nameEnd).toLowerCase();
    i = skipLws(s, nameEnd);
    if (s.charCodeAt(i) !== EQUALS) return fail(`parameter ${name} has no value`);
    i = skipLws(s, i + 1);
    let value: string;
    if (s.charCodeAt(i) === DQUOTE) {
      const q = scanQuoted(s, i);
      if (q === null) return fail(`unterminated quoted string in parameter ${name}`);
      value = q.text;
      i = q.end;
    } else {
      const end = scanBare(s, i);
      if (end === i) return fail(`parameter ${name} has an empty value`);
      value = s.slice(i, end);
      i = end;
    }
    // RFC 7235 §2.1: each parameter name must only occur once per challenge or credentials.
    if (params.has(name)) return fail(`duplicate parameter ${name}`);
    params.set(name, value);
    i = skipLws(s, i);
    if (i < s.length && s.charCodeAt(i) !== COMMA) return fail(`expected ',' after parameter ${name}`);
  }
}

/** Check the `Digest` scheme (case-insensitive, RFC 2617 §1.2) and parse the parameters after it. */
function parseDigest(value: string): Result<Map<string, string>> {
  const start = skipLws(value, 0);
  const end = scanToken(value, start);
  if (end === start) return fail('missing auth scheme');
  const scheme = value.slice(start, end);
  if (scheme.toLowerCase() !== 'digest') return fail(`unsupported scheme ${scheme}`);
  if (end < value.length && !isLws(value.charCodeAt(end))) return fail('expected whitespace after scheme Digest');
  return parseParams(value, end);
}

const REQUIRED_CREDENTIALS = ['username', 'realm', 'nonce', 'uri', 'response'] as const;

/**
 * Parse an `Authorization` or `Proxy-Authorization` header value with the `Digest` scheme
 * (RFC 3261 §22.4, §25.1). Parameters may come in any order, quoted or not; unknown ones are ignored.
 */
export function parseCredentials(value: string): Result<DigestCredentials> {
  const parsed = parseDigest(value);
  if (!parsed.ok) return parsed;
  const p = parsed.value;
  for (const field of REQUIRED_CREDENTIALS) if (!p.has(field)) return fail(`missing ${field}`);
  const qop = p.get('qop') ?? null;
  const nc = p.get('nc') ?? null;
  const cnonce = p.get('cnonce') ?? null;
  // RFC 2617 §3.2.2: cnonce and nonce-count MUST be sent when a qop directive is sent.
  if (qop !== null && nc === null) return fail('qop requires nc');
  if (qop !== null && cnonce === null) return fail('qop requires cnonce');
  return ok({
    username: p.get('username') ?? '',
    realm: p.get('realm') ?? '',
    nonce: p.get('nonce') ?? '',
    uri: p.get('uri') ?? '',
    response: p.get('response') ?? '',
    algorithm: p.get('algorithm') ?? null,
    qop,
    nc,
    cnonce,
    opaque: p.get('opaque') ?? null,
  });
}

/**
 * Parse a `WWW-Authenticate` / `Proxy-Authenticate` value with the `Digest` scheme (client side: UDP bridge,
 * tests, benchmarks). Only MD5 and SHA-256 are understood; a qop list is reduced to `auth` when it offers it.
 */
export function parseChallenge(value: string): Result<DigestChallenge> {
  const parsed = parseDigest(value);
  if (!parsed.ok) return parsed;
  const p = parsed.value;
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  if (realm === undefined) return fail('missing realm');
  if (nonce === undefined) return fail('missing nonce');
  const alg = (p.get('algorithm') ?? 'MD5').toUpperCase();
  if (alg !== 'MD5' && alg !== 'SHA-256') return fail(`unsupported algorithm ${alg}`);
  const qopList = p.get('qop');
  let qop: 'auth' | null = null;
  if (qopList !== undefined) {
    // RFC 2617 §3.2.1: qop-options is a quoted, comma-separated list such as "auth,auth-int".
    if (!qopList.split(',').some((q) => q.trim().toLowerCase() === 'auth')) return fail(`unsupported qop ${qopList}`);
    qop = 'auth';
  }
  const challenge: DigestChallenge = {
    realm,
    nonce,
    algorithm: alg,
    qop,
    stale: (p.get('stale') ?? '').toLowerCase() === 'true',
  };
  const opaque = p.get('opaque');
  if (opaque !== undefined) challenge.opaque = opaque;
  return ok(challenge);
}

/** Quote a value as an RFC 3261 §25.1 quoted-string, escaping `"` and `\`. */
function quote(s: string): string {
  return s.includes('"') || s.includes('\\') ? `"${s.replace(/["\\]/g, '\\$&')}"` : `"${s}"`;
}

/**
 * Format a challenge: `Digest realm="…", nonce="…", algorithm=MD5, qop="auth"[, opaque="…"][, stale=true]`
 * (RFC 3261 §25.1 `digest-cln`; qop-options is quoted, algorithm and stale are tokens).
 */
export function formatChallenge(c: DigestChallenge): string {
  let s = `Digest realm=${quote(c.realm)}, nonce=${quote(c.nonce)}, algorithm=${c.algorithm}`;
  if (c.qop !== null) s += `, qop="${c.qop}"`;
  if (c.opaque !== undefined) s += `, opaque=${quote(c.opaque)}`;
  if (c.stale) s += ', stale=true';
  return s;
}

/**
 * Format credentials for an `Authorization` header (client side). Quoted: username, realm, nonce, uri,
 * response, cnonce, opaque; tokens: algorithm, qop, nc (RFC 3261 §25.1 `dig-resp`).
 */
export function formatCredentials(c: DigestCredentials): string {
  let s = `Digest username=${quote(c.username)}, realm=${quote(c.realm)}, nonce=${quote(c.nonce)}, uri=${quote(c.uri)}, response=${quote(c.response)}`;
  if (c.algorithm !== null) s += `, algorithm=${c.algorithm}`;
  if (c.qop !== null) s += `, qop=${c.qop}`;
  if (c.nc !== null) s += `, nc=${c.nc}`;
  if (c.cnonce !== null) s += `, cnonce=${quote(c.cnonce)}`;
  if (c.opaque !== null) s += `, opaque=${quote(c.opaque)}`;
  return s;
}
