/**
 * Building responses to a request (RFC 3261 §8.2.6).
 * @module
 */

import { EMPTY_BODY, SipHeaders } from './message.js';
import { FNV_OFFSET, fnv1aStep, hex8 } from './fnv.js';
import type { SipRequest, SipResponse } from './message.js';
import type { SipError } from './errors.js';
import { parseNameAddr, type NameAddr } from './name-addr.js';
import { reasonPhrase } from './status.js';

/** Options of {@link createResponse}. */
export interface ResponseOptions {
  reason?: string;
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: Uint8Array | string;
  contentType?: string;
  /** To tag to add when the request's To has none; derived deterministically when omitted. */
  toTag?: string;
  /** The request's To as already parsed (`RequestEssentials.to`), so that it is not parsed again. */
  to?: NameAddr;
}

/** Headers copied into every response (RFC 3261 §8.2.6.2), with the names we write. */
const COPIED: ReadonlyArray<readonly [string, string]> = [
  ['via', 'Via'], ['from', 'From'], ['to', 'To'], ['call-id', 'Call-ID'], ['cseq', 'CSeq'],
];

const encoder = new TextEncoder();

/** Whether `c` is a JavaScript `\s` (the white space of the regular expression this scanner replaces). */
function isSpace(c: number): boolean {
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f
    || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * The value of the first `;name=value` parameter in raw text, without a full parse: what
 * `/;\s*name\s*=\s*([^;,\s]+)/i` captures (`name` in lower-case ASCII letters), or '' when nothing matches.
 */
export function rawParam(text: string | undefined, name: string): string {
  if (text === undefined) return '';
  for (let at = text.indexOf(';'); at >= 0; at = text.indexOf(';', at + 1)) {
    let i = at + 1;
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    let k = 0;
    while (k < name.length && i < text.length && (text.charCodeAt(i) | 0x20) === name.charCodeAt(k)) i++, k++;
    if (k < name.length) continue;
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== 0x3d /* = */) continue;
    i++;
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    const start = i;
    for (let c = text.charCodeAt(i); i < text.length && c !== 0x3b && c !== 0x2c && !isSpace(c); c = text.charCodeAt(++i));
    if (i > start) return text.slice(start, i);
  }
  return '';
}

/** Second seed of the To tag's hash (the first is FNV's offset basis). */
const TAG_SEED = 0x050c5d1f;

/**
 * Deterministic To tag so that a retransmitted request gets the same tag: two FNV-1a hashes (`fnv.ts`) of
 * Call-ID `|` From tag `|` top Via branch, computed in one pass without building that key.
 */
export function deterministicTag(req: SipRequest): string {
  ha = FNV_OFFSET;
  hb = TAG_SEED;
  mix(req.headers.get('call-id') ?? '');
  mix('|');
  mix(rawParam(req.headers.get('from'), 'tag'));
  mix('|');
  mix(rawParam(req.headers.get('via'), 'branch'));
  return hex8(ha) + hex8(hb);
}

/** The two hash states of {@link deterministicTag} while it runs (no array or closure per tag). */
let ha = 0;
let hb = 0;

function mix(s: string): void {
  let a = ha;
  let b = hb;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = fnv1aStep(a, c);
    b = fnv1aStep(b, c);
  }
  ha = a;
  hb = b;
}

/**
 * Add `;tag=` to a To value that has none (read from `options.to` when the caller parsed it already); values
 * that do not parse are left alone. The tag is derived only when one is added.
 */
function withToTag(value: string, req: SipRequest, options: ResponseOptions): string {
  let to: NameAddr | undefined = options.to;
  if (to === undefined) {
    const r = parseNameAddr(value);
    if (!r.ok) return value;
    to = r.value;
  }
  if (to.params.has('tag')) return value;
  return `${value};tag=${options.toTag ?? deterministicTag(req)}`;
}

/** Build a response to `req`, copying Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6.2). */
export function createResponse(req: SipRequest, status: number, options: ResponseOptions = {}): SipResponse {
  const headers = new SipHeaders();
  // One pass per copied header, each Via kept and only the first of the others (they are single-valued): the
  // work stays linear in the request's size, whatever it repeats.
  for (const [key, name] of COPIED) {
    for (const f of req.headers.fields) {
      if (f.key !== key) continue;
      // §8.2.6.2: the UAS MUST add a tag to the To header (except for 100 Trying).
      const value = key === 'to' && status > 100 ? withToTag(f.value, req, options) : f.value;
      headers.fields.push({ name, key, value });
      if (key !== 'via') break;
    }
  }
  for (const [name, value] of options.headers ?? []) headers.append(name, value);
  const body = options.body === undefined ? EMPTY_BODY : typeof options.body === 'string' ? encoder.encode(options.body) : options.body;
  if (options.contentType !== undefined) headers.set('Content-Type', options.contentType);
  headers.set('Content-Length', String(body.length));
  return { type: 'response', version: 'SIP/2.0', status, reason: options.reason ?? reasonPhrase(status), headers, body };
}

/** The response a {@link SipError} stands for, with its extra headers. */
export function errorResponse(req: SipRequest, err: SipError): SipResponse {
  return createResponse(req, err.status, { reason: err.reason, headers: err.headers });
}
