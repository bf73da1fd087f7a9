/**
 * One-pass SIP message framing and header splitting (RFC 3261 §7, §18.3).
 * @module
 */

import { EMPTY_BODY, SipHeaders, fail, headerKey, ok } from './message.js';
import type { HeaderField, Result, SipMessage, SipRequest } from './message.js';
import { isTokenChar } from './cseq.js';

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
const encoder = new TextEncoder();

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

/** Same as {@link findHeaderEndBytes} on a string. */
function findHeaderEndText(s: string): [number, number] | null {
  let i = s.indexOf('\n');
  while (i >= 0) {
    const next = s.charCodeAt(i + 1);
    if (next === 10) return [i + 1, i + 2];
    if (next === 13 && s.charCodeAt(i + 2) === 10) return [i + 1, i + 3];
    i = s.indexOf('\n', i + 1);
  }
  return null;
}

/** Skip leading CRLFs before the start line ("SHOULD ignore any CRLF appearing before the start-line", RFC 3261 §7.5). */
function skipLeadingCrlf(input: string | Uint8Array): number {
  let i = 0;
  const at = typeof input === 'string' ? (k: number) => input.charCodeAt(k) : (k: number) => input[k];
  while (at(i) === 13 || at(i) === 10) i++;
  return i;
}

/** Parse one SIP message: a whole datagram or WebSocket message (RFC 7118 §5.2: one message per frame). */
export function parseMessage(input: string | Uint8Array): Result<SipMessage, ParseFailure> {
  try {
    return parseUnsafe(input);
  } catch (e) {
    return fail({ reason: `Unparseable message: ${e instanceof Error ? e.message : String(e)}`, status: 400 });
  }
}

function parseUnsafe(input: string | Uint8Array): Result<SipMessage, ParseFailure> {
  const start = skipLeadingCrlf(input);
  let head: string;
  let rest: Uint8Array;
  if (typeof input === 'string') {
    const text = start === 0 ? input : input.slice(start);
    const end = findHeaderEndText(text);
    head = end === null ? text : text.slice(0, end[0]);
    rest = end === null ? EMPTY_BODY : encoder.encode(text.slice(end[1]));
  } else {
    const bytes = start === 0 ? input : input.subarray(start);
    const end = findHeaderEndBytes(bytes);
    head = decoder.decode(end === null ? bytes : bytes.subarray(0, end[0]));
    rest = end === null ? EMPTY_BODY : bytes.subarray(end[1]);
  }
  if (head.length === 0) return fail({ reason: 'Empty message', status: 400 });
  const nl = head.indexOf('\n');
  const lineEnd = nl < 0 ? head.length : nl;
  const startLine = head.slice(0, head.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd);
  const fields = splitHeaders(head, nl < 0 ? head.length : nl + 1);
  if (typeof fields === 'string') return fail({ reason: fields, status: 400 });
  return buildMessage(startLine, new SipHeaders(fields), rest, typeof input !== 'string');
}

/**
 * Split header lines, joining folded lines with one space (RFC 3261 §7.3.1).
 * Returns the fields, or a reason naming the offending line.
 */
function splitHeaders(head: string, from: number): HeaderField[] | string {
  const fields: HeaderField[] = [];
  let pos = from;
  let last: HeaderField | null = null;
  while (pos < head.length) {
    let nl = head.indexOf('\n', pos);
    if (nl < 0) nl = head.length;
    const end = nl > pos && head.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    const first = head.charCodeAt(pos);
    if (end === pos) {
      pos = nl + 1;
      continue;
    }
    if (first === 32 || first === 9) {
      if (last === null) return 'Continuation line before the first header';
      const more = head.slice(pos, end).trim();
      if (more !== '') last.value = last.value === '' ? more : `${last.value} ${more}`;
    } else {
      const colon = head.indexOf(':', pos);
      if (colon < 0 || colon >= end) return `Malformed header line (no colon): "${clip(head.slice(pos, end))}"`;
      let nameEnd = colon;
      while (nameEnd > pos && (head.charCodeAt(nameEnd - 1) === 32 || head.charCodeAt(nameEnd - 1) === 9)) nameEnd--;
      if (nameEnd === pos) return `Malformed header line (empty name): "${clip(head.slice(pos, end))}"`;
      for (let k = pos; k < nameEnd; k++) {
        if (!isTokenChar(head.charCodeAt(k))) return `Malformed header name: "${clip(head.slice(pos, nameEnd))}"`;
      }
      const name = head.slice(pos, nameEnd);
      last = { name, key: headerKey(name), value: head.slice(colon + 1, end).trim() };
      fields.push(last);
    }
    pos = nl + 1;
  }
  return fields;
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

function buildMessage(startLine: string, headers: SipHeaders, rest: Uint8Array, copy: boolean): Result<SipMessage, ParseFailure> {
  const line = parseStartLine(startLine);
  if (typeof line === 'string') return fail({ reason: line, status: 400 });
  const cl = contentLength(headers);
  let body = EMPTY_BODY;
  let error: string | null = null;
  if (typeof cl === 'string') error = cl;
  else if (cl === null) body = copy ? rest.slice() : rest; // datagram / WebSocket framing: the body is the rest
  else if (cl > rest.length) error = 'Content-Length exceeds body';
  // RFC 4475 §3.1.1.8: octets beyond Content-Length in a datagram are discarded.
  else if (cl > 0) body = copy ? rest.slice(0, cl) : rest.subarray(0, cl);
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

/** Request-Line (RFC 3261 §7.1) or Status-Line (§7.2); runs of SP are tolerated (RFC 4475 §3.1.2.8/9). */
function parseStartLine(raw: string): StartLine | string {
  const line = raw.replace(/[ \t]+$/, '');
  if (line.startsWith('SIP/')) {
    const sp = line.indexOf(' ');
    if (sp < 0) return 'Malformed Status-Line';
    const version = line.slice(0, sp);
    if (!isVersion(version)) return 'Malformed Status-Line version';
    const code = line.slice(sp + 1, sp + 4);
    const after = line.charCodeAt(sp + 4);
    if (!/^[1-6][0-9][0-9]$/.test(code) || (!Number.isNaN(after) && after !== 32)) return 'Invalid status code';
    return { type: 'response', version, status: Number(code), reason: line.slice(sp + 5) };
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
