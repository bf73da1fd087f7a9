/**
 * Message-level checks after parsing (RFC 3261 §8.1.1, §8.2.2, §16.3, §18.1.2).
 * @module
 */

import { fail, ok, splitList } from './message.js';
import type { Result, SipHeaders, SipRequest, SipResponse } from './message.js';
import { parseCSeq } from './cseq.js';
import type { CSeq } from './cseq.js';
import { SipError } from './errors.js';
import { parseNameAddr } from './name-addr.js';
import type { NameAddr } from './name-addr.js';
import { parseUri } from './uri.js';
import type { SipUri } from './uri.js';
import { parseVia } from './via.js';
import { memoized } from './memo.js';

/** From, To and the Request-URI repeat across a device's requests: parsed once per text (read-only results). */
const parseNameAddrOnce = memoized(parseNameAddr);
const parseUriOnce = memoized(parseUri);
import type { Via } from './via.js';

/** The structured headers every request must carry (RFC 3261 §8.1.1). */
export interface RequestEssentials {
  vias: Via[];
  from: NameAddr;
  to: NameAddr;
  callId: string;
  cseq: CSeq;
  /** null for RFC 2543 requests that carry no Max-Forwards (RFC 4475 §3.4.1). */
  maxForwards: number | null;
  requestUri: SipUri;
}

/** The headers a response needs to be matched to a transaction (RFC 3261 §17.1.3). */
export interface ResponseEssentials {
  vias: Via[];
  cseq: CSeq;
  callId: string;
}

/**
 * The single value of a header that the grammar allows once (RFC 3261 §20: Call-ID, CSeq, From, To,
 * Max-Forwards), or a reason: absent, or repeated (RFC 4475 §3.3.8), even with the same value. `name` is
 * the header's name as the reason writes it; its key is its lower case (none of these has a compact form
 * that differs, and the parser keys compact forms by their full names).
 */
function single(headers: SipHeaders, name: string, key: string): string | null | { error: string } {
  let found: string | null = null;
  for (const f of headers.fields) {
    if (f.key !== key) continue;
    if (found !== null) return { error: `Multiple ${name} values` };
    found = f.value;
  }
  return found;
}

function required(headers: SipHeaders, name: string, key: string): Result<string> {
  const v = single(headers, name, key);
  if (v === null || v === '') return fail(`Missing ${name}`);
  if (typeof v !== 'string') return fail(v.error);
  return ok(v);
}

/** Parse every Via entry; empty entries (`;,,`) are malformed (RFC 4475 §3.1.2.1). */
export function parseVias(headers: SipHeaders): Result<Via[]> {
  const vias: Via[] = [];
  for (const line of headers.getAll('via')) {
    for (const entry of splitList(line)) {
      if (entry === '') return fail('Malformed Via: empty entry');
      const v = parseVia(entry);
      if (!v.ok) return fail(`Malformed Via: ${v.error}`);
      vias.push(v.value);
    }
  }
  return vias.length === 0 ? fail('Missing Via') : ok(vias);
}

function parseMaxForwards(headers: SipHeaders): Result<number | null> {
  const v = single(headers, 'Max-Forwards', 'max-forwards');
  if (v === null) return ok(null);
  if (typeof v !== 'string') return fail(v.error);
  // RFC 3261 §20.22: 1*DIGIT, 0-255; leading zeros are legal (RFC 4475 §3.1.1.1).
  if (!/^[0-9]{1,10}$/.test(v) || Number(v) > 255) return fail('Invalid Max-Forwards');
  return ok(Number(v));
}

function checkRequest(req: SipRequest): Result<RequestEssentials> {
  const h = req.headers;
  const callId = required(h, 'Call-ID', 'call-id');
  if (!callId.ok) return callId;
  const fromText = required(h, 'From', 'from');
  if (!fromText.ok) return fromText;
  const toText = required(h, 'To', 'to');
  if (!toText.ok) return toText;
  const cseqText = required(h, 'CSeq', 'cseq');
  if (!cseqText.ok) return cseqText;
  const vias = parseVias(h);
  if (!vias.ok) return vias;
  const cseq = parseCSeq(cseqText.value);
  if (!cseq.ok) return fail(`Malformed CSeq: ${cseq.error}`);
  // RFC 3261 §8.1.1.5: "The method MUST match that of the request."
  if (cseq.value.method !== req.method) return fail('CSeq method does not match the Request-Line');
  const from = parseNameAddrOnce(fromText.value);
  if (!from.ok) return fail(`Malformed From: ${from.error}`);
  const to = parseNameAddrOnce(toText.value);
  if (!to.ok) return fail(`Malformed To: ${to.error}`);
  const maxForwards = parseMaxForwards(h);
  if (!maxForwards.ok) return maxForwards;
  // RFC 4475 §3.1.2.6/7: no <> and no whitespace in a Request-URI.
  const requestUri = parseUriOnce(req.uri);
  if (!requestUri.ok) return fail(`Malformed Request-URI: ${requestUri.error}`);
  // RFC 3261 §19.1.1 table: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.10).
  if (requestUri.value.headers !== null) return fail('Request-URI must not carry headers');
  return ok({
    vias: vias.value, from: from.value, to: to.value, callId: callId.value, cseq: cseq.value,
    maxForwards: maxForwards.value, requestUri: requestUri.value,
  });
}

/** Check the mandatory request headers; failures carry a 400 ready to send. */
export function validateRequest(req: SipRequest): Result<RequestEssentials, SipError> {
  const r = checkRequest(req);
  return r.ok ? r : fail(new SipError(400, r.error));
}

/** Check what a response needs to be matched; a response that fails is dropped, so the reason is a string. */
export function validateResponse(res: SipResponse): Result<ResponseEssentials, string> {
  const callId = required(res.headers, 'Call-ID', 'call-id');
  if (!callId.ok) return callId;
  const cseqText = required(res.headers, 'CSeq', 'cseq');
  if (!cseqText.ok) return cseqText;
  const cseq = parseCSeq(cseqText.value);
  if (!cseq.ok) return fail(`Malformed CSeq: ${cseq.error}`);
  const vias = parseVias(res.headers);
  if (!vias.ok) return vias;
  for (const [name, key] of [['From', 'from'], ['To', 'to']] as const) {
    const v = required(res.headers, name, key);
    if (!v.ok) return v;
  }
  return ok({ vias: vias.value, cseq: cseq.value, callId: callId.value });
}
