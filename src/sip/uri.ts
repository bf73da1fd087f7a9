/**
 * SIP and SIPS URIs (RFC 3261 §19.1), with other schemes kept opaque.
 * @module
 */

import { fail, ok } from './message.js';
import type { Result } from './message.js';
import { formatParams, parseParams } from './params.js';
import type { Params } from './params.js';

/** A parsed URI. For schemes other than sip/sips only `scheme` and `opaque` are meaningful. */
export interface SipUri {
  /** Lower-cased scheme (`sip`, `sips`, `tel`, …). */
  scheme: string;
  /** User part, raw (still %-escaped); null when absent. */
  user: string | null;
  /** Password, raw; null when absent. */
  password: string | null;
  /** Lower-cased host; IPv6 references keep their brackets. Empty for opaque schemes. */
  host: string;
  port: number | null;
  params: Params;
  /** Raw text after `?`, or null. */
  headers: string | null;
  /** Everything after `scheme:` for schemes other than sip/sips. */
  opaque?: string;
}

function isSchemeChar(ch: number, first: boolean): boolean {
  const alpha = (ch >= 65 && ch <= 90) || (ch >= 97 && ch <= 122);
  if (first) return alpha;
  return alpha || (ch >= 48 && ch <= 57) || ch === 43 || ch === 45 || ch === 46;
}

/** True for characters of a hostname or IPv4 address (`_` tolerated, as seen in the wild). */
function isHostChar(ch: number): boolean {
  return (ch >= 97 && ch <= 122) || (ch >= 65 && ch <= 90) || (ch >= 48 && ch <= 57) || ch === 45 || ch === 46 || ch === 95;
}

function isV6Char(ch: number): boolean {
  return (ch >= 48 && ch <= 58) || (ch >= 97 && ch <= 102) || (ch >= 65 && ch <= 70) || ch === 46;
}

/** Parse a port number (0-65535). */
export function parsePort(text: string): Result<number> {
  if (text.length === 0 || text.length > 5) return fail(`Invalid port '${text}'`);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch < 48 || ch > 57) return fail(`Invalid port '${text}'`);
    n = n * 10 + (ch - 48);
  }
  return n > 65535 ? fail(`Port ${n} out of range`) : ok(n);
}

/**
 * Parse `host[:port]`: hostname, IPv4 address or bracketed IPv6 reference
 * (RFC 3261 §25.1; RFC 5118 §4.3: everything inside [ ] is the address).
 * The host is lower-cased; IPv6 keeps its brackets.
 */
export function parseHostPort(text: string): Result<{ host: string; port: number | null }> {
  if (text.length === 0) return fail('Missing host');
  let hostEnd: number;
  if (text.charCodeAt(0) === 91 /* [ */) {
    hostEnd = text.indexOf(']');
    if (hostEnd < 0) return fail('Unterminated IPv6 reference');
    hostEnd++;
    if (hostEnd === 2) return fail('Empty IPv6 reference');
    for (let i = 1; i < hostEnd - 1; i++) if (!isV6Char(text.charCodeAt(i))) return fail('Invalid character in IPv6 reference');
    if (hostEnd < text.length && text.charCodeAt(hostEnd) !== 58) return fail('Unexpected text after IPv6 reference');
  } else {
    const c = text.indexOf(':');
    hostEnd = c < 0 ? text.length : c;
    // RFC 5118 §4.2: an IPv6 address in a URI must be enclosed in [ ].
    if (c >= 0 && text.indexOf(':', c + 1) >= 0) return fail('IPv6 address must be enclosed in [ ]');
    if (hostEnd === 0) return fail('Missing host');
    for (let i = 0; i < hostEnd; i++) if (!isHostChar(text.charCodeAt(i))) return fail(`Invalid character '${text[i]}' in host`);
  }
  const host = text.slice(0, hostEnd).toLowerCase();
  if (hostEnd === text.length) return ok({ host, port: null });
  const port = parsePort(text.slice(hostEnd + 1));
  return port.ok ? ok({ host, port: port.value }) : port;
}

/** Parse a URI as written in a Request-URI or inside `<>`. */
export function parseUri(text: string): Result<SipUri> {
  if (text.length === 0) return fail('Empty URI');
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch <= 32 || ch === 127) return fail('Whitespace or control character in URI');
    if (ch === 60 || ch === 62 || ch === 34) return fail(`Character '${text[i]}' not allowed in URI`);
  }
  const colon = text.indexOf(':');
  if (colon <= 0) return fail('URI has no scheme');
  for (let i = 0; i < colon; i++) if (!isSchemeChar(text.charCodeAt(i), i === 0)) return fail('Invalid URI scheme');
  const scheme = text.slice(0, colon).toLowerCase();
  const rest = text.slice(colon + 1);
  if (scheme !== 'sip' && scheme !== 'sips') {
    if (rest.length === 0) return fail(`Empty ${scheme} URI`);
    return ok({ scheme, user: null, password: null, host: '', port: null, params: new Map(), headers: null, opaque: rest });
  }
  return parseSipRest(scheme, rest);
}

/** `[userinfo@]hostport[;params][?headers]` after `sip:`. `@` cannot appear outside userinfo (RFC 3261 §25.1). */
function parseSipRest(scheme: string, rest: string): Result<SipUri> {
  let user: string | null = null;
  let password: string | null = null;
  let hostStart = 0;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const pc = userinfo.indexOf(':');
    user = pc < 0 ? userinfo : userinfo.slice(0, pc);
    password = pc < 0 ? null : userinfo.slice(pc + 1);
    if (user.length === 0) return fail('Empty user part in URI');
    hostStart = at + 1;
  }
  let end = hostStart;
  while (end < rest.length) {
    const ch = rest.charCodeAt(end);
    if (ch === 59 /* ; */ || ch === 63 /* ? */) break;
    end++;
  }
  const hp = parseHostPort(rest.slice(hostStart, end));
  if (!hp.ok) return hp;
  let params: Params = new Map();
  let headers: string | null = null;
  const q = rest.indexOf('?', end);
  const paramText = q < 0 ? rest.slice(end) : rest.slice(end, q);
  if (paramText.length > 0) {
    const p = parseParams(paramText);
    if (!p.ok) return fail(`Bad URI parameters: ${p.error}`);
    params = p.value;
  }
  if (q >= 0) headers = rest.slice(q + 1);
  return ok({ scheme, user, password, host: hp.value.host, port: hp.value.port, params, headers });
}

/** Write a URI back to text (host lower-cased, parameters in order). */
export function formatUri(u: SipUri): string {
  if (u.opaque !== undefined && u.scheme !== 'sip' && u.scheme !== 'sips') return `${u.scheme}:${u.opaque}`;
  let out = `${u.scheme}:`;
  if (u.user !== null) out += u.password !== null ? `${u.user}:${u.password}@` : `${u.user}@`;
  out += u.host;
  if (u.port !== null) out += `:${u.port}`;
  out += formatParams(u.params);
  if (u.headers !== null) out += `?${u.headers}`;
  return out;
}

const decoder = new TextDecoder();

function hexVal(ch: number): number {
  if (ch >= 48 && ch <= 57) return ch - 48;
  if (ch >= 65 && ch <= 70) return ch - 55;
  if (ch >= 97 && ch <= 102) return ch - 87;
  return -1;
}

/** Decode `%HH` escapes (runs decoded as UTF-8); `%00` becomes U+0000, malformed escapes stay literal. */
export function unescapeUserPart(s: string): string {
  if (s.indexOf('%') < 0) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const bytes: number[] = [];
    while (i + 2 < s.length && s.charCodeAt(i) === 37) {
      const h = hexVal(s.charCodeAt(i + 1));
      const l = hexVal(s.charCodeAt(i + 2));
      if (h < 0 || l < 0) break;
      bytes.push(h * 16 + l);
      i += 3;
    }
    if (bytes.length > 0) out += decoder.decode(new Uint8Array(bytes));
    else out += s[i++]!;
  }
  return out;
}

/** Parameters that must match when present in either URI (RFC 3261 §19.1.4). */
const STRICT_PARAMS = ['transport', 'user', 'ttl', 'method', 'maddr'];

function normParams(p: Params): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const [k, v] of p) out.set(unescapeUserPart(k).toLowerCase(), v === null ? null : unescapeUserPart(v).toLowerCase());
  return out;
}

function headerMap(h: string | null): Map<string, string> {
  const out = new Map<string, string>();
  if (h === null || h === '') return out;
  for (const pair of h.split('&')) {
    const eq = pair.indexOf('=');
    const name = unescapeUserPart(eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
    out.set(name, unescapeUserPart(eq < 0 ? '' : pair.slice(eq + 1)));
  }
  return out;
}

/** URI comparison of RFC 3261 §19.1.4. */
export function uriEquals(a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (a.scheme !== 'sip' && a.scheme !== 'sips') return a.opaque === b.opaque;
  const nullableEq = (x: string | null, y: string | null): boolean =>
    x === null || y === null ? x === y : unescapeUserPart(x) === unescapeUserPart(y);
  if (!nullableEq(a.user, b.user) || !nullableEq(a.password, b.password)) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase() || a.port !== b.port) return false;
  const pa = normParams(a.params);
  const pb = normParams(b.params);
  for (const name of STRICT_PARAMS) if (pa.has(name) !== pb.has(name)) return false;
  for (const [k, v] of pa) if (pb.has(k) && pb.get(k) !== v) return false;
  const ha = headerMap(a.headers);
  const hb = headerMap(b.headers);
  if (ha.size !== hb.size) return false;
  for (const [k, v] of ha) if (hb.get(k) !== v) return false;
  return true;
}

/**
 * Canonical address-of-record used as the registrar key (RFC 3261 §10.3 step 5):
 * `scheme:user@host[:port]`, user unescaped, host lower-cased, default port dropped, no parameters.
 */
export function addressOfRecord(u: SipUri): string {
  if (u.scheme !== 'sip' && u.scheme !== 'sips') return `${u.scheme}:${u.opaque ?? ''}`;
  const defaultPort = u.scheme === 'sips' ? 5061 : 5060;
  const port = u.port !== null && u.port !== defaultPort ? `:${u.port}` : '';
  const user = u.user !== null ? `${unescapeUserPart(u.user)}@` : '';
  return `${u.scheme}:${user}${u.host.toLowerCase()}${port}`;
}
