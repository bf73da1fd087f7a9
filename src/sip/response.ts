/**
 * Building responses to a request (RFC 3261 §8.2.6).
 * @module
 */

import { EMPTY_BODY, SipHeaders } from './message.js';
import { fnv1aHex } from './fnv.js';
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

/** The `tag` and `branch` parameters in raw header text (the first of each). */
const TAG = /;\s*tag\s*=\s*([^;,\s]+)/i;
const BRANCH = /;\s*branch\s*=\s*([^;,\s]+)/i;

/** First value of a `;name=value` parameter (`re`) in raw text, without a full parse. */
function rawParam(text: string | undefined, re: RegExp): string {
  if (text === undefined) return '';
  return re.exec(text)?.[1] ?? '';
}

/**
 * Deterministic To tag so that a retransmitted request gets the same tag
 * (derived from Call-ID, From tag and top Via branch; a non-crypto hash).
 */
export function deterministicTag(req: SipRequest): string {
  const key = `${req.headers.get('call-id') ?? ''}|${rawParam(req.headers.get('from'), TAG)}|${rawParam(req.headers.get('via'), BRANCH)}`;
  return fnv1aHex(key) + fnv1aHex(key, 0x050c5d1f);
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
      headers.append(name, value);
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
