/**
 * One-pass SIP message framing and header splitting (RFC 3261 §7, §18.3).
 * @module
 */

import { EMPTY_BODY, SipHeaders, fail, headerKey, ok } from './message.js';
import type { HeaderField, Result, SipMessage, SipRequest } from './message.js';
import { copyOctets, encodeUtf8 } from './octets.js';
import { TOKEN_CHARS as TOKEN, isTokenChar } from './token.js';

/** Why a message could not be parsed, and what to answer when answering is possible. */
export interface ParseFailure {
  /** Human-readable reason, fit for a reason phrase or a log line. */
  reason: string;
  /** Status to answer with (400, 505 …); responses that fail are dropped instead. */
  status: number;
  /** Present when the start line and header lines could be split, so the caller can still answer. */
  request?: SipRequest;
}

const decoder = new TextDecoder();

/** Header section end in bytes: `[end of headers, start of body]`, or null when there is no empty line. */
function findHeaderEndBytes(b: Uint8Array): [number, number] | null {
  let i = b.indexOf(10);
  while (i >= 0) {
    const next = b[i + 1];
    if (next === 10) return [i + 1, i + 2];
    if (next === 13 && b[i + 2] === 10) return [i + 1, i + 3];
    i = b.indexOf(10, i + 1);
  }
  return null;
}

/** Skip leading CRLFs before the start line ("SHOULD ignore any CRLF appearing before the start-line", RFC 3261 §7.5). */
function skipLeadingCrlf(input: string | Uint8Array): number {
  let i = 0;
  if (typeof input === 'string') {
    while (input.charCodeAt(i) === 13 || input.charCodeAt(i) === 10) i++;
  } else {
    while (input[i] === 13 || input[i] === 10) i++;
  }
  return i;
}

/** Parse one SIP message: a whole datagram or WebSocket message (RFC 7118 §5.2: one message per frame). */
export function parseMessage(input: string | Uint8Array): Result<SipMessage, ParseFailure> {
  try {
    if (typeof input === 'string') return parseText(input, null);
    const all = decoder.decode(input);
    // No U+FFFD and one UTF-16 unit per octet means pure ASCII: string offsets are byte offsets.
    if (all.length === input.length && all.indexOf('\uFFFD') < 0) return parseText(all, input);
    return parseBytes(input);
  } catch (e) {
    return fail({ reason: `Unparseable message: ${e instanceof Error ? e.message : String(e)}`, status: 400 });
  }
}

/** UTF-8 encoding of `text` from `start` (the body of a message that arrived as text). */
function encodeRest(text: string, start: number): Uint8Array {
  return encodeUtf8(start === 0 ? text : text.slice(start));
}

/** Parse text; `bytes` holds the same message as octets when the text is its ASCII decoding. */
function parseText(text: string, bytes: Uint8Array | null): Result<SipMessage, ParseFailure> {
  const split = splitHeaders(text, skipLeadingCrlf(text));
  if (typeof split === 'string') return fail({ reason: split, status: 400 });
  let rest = EMPTY_BODY;
  if (split.bodyStart >= 0 && split.bodyStart < text.length) {
    rest = bytes !== null ? bytes.subarray(split.bodyStart) : encodeRest(text, split.bodyStart);
  }
  return buildMessage(split.startLine, new SipHeaders(split.fields), rest, bytes !== null);
}

/** Octets with non-ASCII content: find the header end in bytes, decode only the header section as UTF-8. */
function parseBytes(input: Uint8Array): Result<SipMessage, ParseFailure> {
  const bytes = input.subarray(skipLeadingCrlf(input));
  const end = findHeaderEndBytes(bytes);
  const split = splitHeaders(decoder.decode(end === null ? bytes : bytes.subarray(0, end[0])), 0);
  if (typeof split === 'string') return fail({ reason: split, status: 400 });
  const rest = end === null ? EMPTY_BODY : bytes.subarray(end[1]);
  return buildMessage(split.startLine, new SipHeaders(split.fields), rest, true);
}

/** Result of {@link splitHeaders}: `bodyStart` is -1 when the input ended without an empty line. */
interface Split {
  startLine: string;
  fields: HeaderField[];
  bodyStart: number;
}

/**
 * Split the start line and header lines up to the first empty line, joining
 * folded lines with one space (RFC 3261 §7.3.1). Returns a reason naming the
 * offending line when a line is not `token LWS? : value`.
 */
function splitHeaders(text: string, from: number): Split | string {
  let nl = text.indexOf('\n', from);
  if (nl < 0) nl = text.length;
  if (nl === from || (nl === from + 1 && text.charCodeAt(from) === 13)) return 'Empty message';
  const startLine = text.slice(from, text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
  const fields: HeaderField[] = [];
  let last: HeaderField | null = null;
  let pos = nl + 1;
  while (pos < text.length) {
    nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    let end = nl;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    if (end === pos) return { startLine, fields, bodyStart: nl + 1 };
    const first = text.charCodeAt(pos);
    if (first === 32 || first === 9) {
      if (last === null) return 'Continuation line before the first header';
      const more = text.slice(pos, end).trim();
      if (more !== '') last.value = last.value === '' ? more : `${last.value} ${more}`;
    } else {
      let nameEnd = pos;
      while (nameEnd < end) {
        const ch = text.charCodeAt(nameEnd);
        if (ch >= 128 || TOKEN[ch] === 0) break;
        nameEnd++;
      }
      let colon = nameEnd;
      while (colon < end && (text.charCodeAt(colon) === 32 || text.charCodeAt(colon) === 9)) colon++;
      if (colon === end) return `Malformed header line (no colon): "${clip(text.slice(pos, end))}"`;
      if (text.charCodeAt(colon) !== 58 || nameEnd === pos) {
        const c = text.indexOf(':', pos);
        return c < 0 || c >= end
          ? `Malformed header line (no colon): "${clip(text.slice(pos, end))}"`
          : `Malformed header name: "${clip(text.slice(pos, c).trim())}"`;
      }
      let vs = colon + 1;
      while (vs < end && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++;
      let ve = end;
      while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9)) ve--;
      const name = text.slice(pos, nameEnd);
      last = { name, key: headerKey(name), value: text.slice(vs, ve) };
      fields.push(last);
    }
    pos = nl + 1;
  }
  return { startLine, fields, bodyStart: -1 };
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/** Content-Length from the header fields: the number, null when absent, or a failure reason. */
function contentLength(headers: SipHeaders): number | null | string {
  let found: number | null = null;
  for (const f of headers.fields) {
    if (f.key !== 'content-length') continue;
    const v = f.value;
    if (v.length === 0 || v.length > 10) return `Invalid Content-Length '${clip(v)}'`;
    for (let i = 0; i < v.length; i++) {
      const ch = v.charCodeAt(i);
      if (ch < 48 || ch > 57) return `Invalid Content-Length '${clip(v)}'`;
    }
    const n = Number(v);
    // RFC 4475 §3.3.9: two different values leave the body length unknowable.
    if (found !== null && found !== n) return 'Conflicting Content-Length values';
    found = n;
  }
  return found;
}

/** Headers an error response copies: a control character in one of them leaves nothing safe to answer with. */
const ECHOED = new Set(['via', 'from', 'to', 'call-id', 'cseq']);

/**
 * Whether `v` holds a control character a header value may not hold: RFC 3261 §25.1 TEXT-UTF8 excludes CTLs
 * but HTAB, and a quoted-pair may escape any but CR and LF (RFC 4475 §3.1.1.4, intmeth). A CR left in a value
 * is a bare CR. The pattern `/[\x0a\x0d]|(?<!\\)[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/` as one pass over the codes.
 */
function hasControl(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0x20 && c !== 0x7f) continue;
    if (c === 0x09) continue;
    if (c === 0x0a || c === 0x0d || i === 0 || v.charCodeAt(i - 1) !== 0x5c) return true;
  }
  return false;
}

/** The first header whose value holds a control character, or null. */
function controlCharacter(headers: SipHeaders): HeaderField | null {
  for (const f of headers.fields) if (hasControl(f.value)) return f;
  return null;
}

function buildMessage(startLine: string, headers: SipHeaders, rest: Uint8Array, copy: boolean): Result<SipMessage, ParseFailure> {
  const line = parseStartLine(startLine);
  if (typeof line === 'string') return fail({ reason: line, status: 400 });
  const cl = contentLength(headers);
  let body = EMPTY_BODY;
  let error: string | null = null;
  // A downstream parser that ends a line at a bare CR would see an injected header: refuse, never relay.
  const ctl = controlCharacter(headers);
  if (ctl !== null) {
    const reason = `Bad Request (control character in ${ctl.name})`;
    if (line.type === 'response' || ECHOED.has(ctl.key)) return fail({ reason, status: 400 });
    return fail({ reason, status: 400, request: { type: 'request', method: line.method, uri: line.uri, version: line.version, headers, body } });
  }
  if (typeof cl === 'string') error = cl;
  else if (cl === null) body = copy ? copyOctets(rest) : rest; // datagram / WebSocket framing: the body is the rest
  else if (cl > rest.length) error = 'Content-Length exceeds body';
  // RFC 4475 §3.1.1.8: octets beyond Content-Length in a datagram are discarded.
  else if (cl > 0) body = copy ? copyOctets(rest.subarray(0, cl)) : rest.subarray(0, cl);
  if (line.type === 'response') {
    if (line.version !== 'SIP/2.0') return fail({ reason: `Unsupported SIP version ${line.version}`, status: 505 });
    if (error !== null) return fail({ reason: error, status: 400 });
    return ok({ type: 'response', version: line.version, status: line.status, reason: line.reason, headers, body });
  }
  const request: SipRequest = { type: 'request', method: line.method, uri: line.uri, version: line.version, headers, body };
  if (line.version !== 'SIP/2.0') return fail({ reason: `Unsupported SIP version ${line.version}`, status: 505, request });
  if (error !== null) return fail({ reason: error, status: 400, request });
  return ok(request);
}

type StartLine =
  | { type: 'request'; method: string; uri: string; version: string }
  | { type: 'response'; version: string; status: number; reason: string };

function isVersion(v: string): boolean {
  if (v.length < 7 || !v.startsWith('SIP/')) return false;
  const dot = v.indexOf('.', 4);
  if (dot <= 4 || dot === v.length - 1) return false;
  for (let i = 4; i < v.length; i++) {
    const ch = v.charCodeAt(i);
    if (i !== dot && (ch < 48 || ch > 57)) return false;
  }
  return true;
}

/** The 3DIGIT status code at `i` (100-699, followed by SP or the end), or -1. */
function statusCode(line: string, i: number): number {
  let n = 0;
  for (let k = i; k < i + 3; k++) {
    const d = line.charCodeAt(k) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    n = n * 10 + d;
  }
  const after = line.charCodeAt(i + 3);
  return n >= 100 && n <= 699 && (i + 3 === line.length || after === 32) ? n : -1;
}

/** Request-Line (RFC 3261 §7.1) or Status-Line (§7.2); runs of SP are tolerated (RFC 4475 §3.1.2.8/9). */
function parseStartLine(raw: string): StartLine | string {
  let e = raw.length;
  while (e > 0 && (raw.charCodeAt(e - 1) === 32 || raw.charCodeAt(e - 1) === 9)) e--;
  const line = e === raw.length ? raw : raw.slice(0, e);
  if (line.startsWith('SIP/')) {
    const sp = line.indexOf(' ');
    if (sp < 0) return 'Malformed Status-Line';
    const version = line.slice(0, sp);
    if (!isVersion(version)) return 'Malformed Status-Line version';
    const status = statusCode(line, sp + 1);
    if (status < 0) return 'Invalid status code';
    return { type: 'response', version, status, reason: line.slice(sp + 5) };
  }
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 === sp1) return `Malformed Request-Line: "${clip(line)}"`;
  const method = line.slice(0, sp1);
  for (let i = 0; i < method.length; i++) if (!isTokenChar(method.charCodeAt(i))) return 'Invalid method token';
  const version = line.slice(sp2 + 1);
  if (!isVersion(version)) return `Malformed Request-Line version: "${clip(version)}"`;
  const uri = line.slice(sp1 + 1, sp2).trim();
  if (uri === '') return 'Missing Request-URI';
  return { type: 'request', method, uri, version };
}
