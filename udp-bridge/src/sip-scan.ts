/**
 * What the bridge reads of a SIP message, and a one-pass byte scanner that reads it without a full parse.
 *
 * The bridge only classifies datagrams (SIP or not) and matches transactions (RFC 3261 §17), so it needs the
 * start line, the top Via, CSeq, and, in a 2xx, Contact and Expires. {@link scanMessage} reads those straight
 * from the bytes for a plainly written message, and gives up (null) on anything it is not sure of: then
 * {@link inspectMessage} falls back to the full parser, so both paths classify and summarise every message
 * the same way (test/udp-bridge/sip-scan.test.ts checks this on the RFC 4475/5118 corpus and on mutations).
 * @module
 */

import type { SipMessage } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parse.js';
import { CH, TOKEN_CHARS } from '../../src/sip/token.js';

/** The parts of a SIP message the bridge uses. */
export interface SipSummary {
  type: 'request' | 'response';
  /** Request method; '' in a response. */
  method: string;
  /** Status code of a response; 0 in a request. */
  status: number;
  /** The first Via entry, raw (as `headers.values('via')[0]`). */
  topVia: string | undefined;
  /** The first CSeq value, raw. */
  cseq: string | undefined;
  /** Every Contact line, raw (as `headers.getAll('contact')`); filled in 2xx responses only. */
  contacts: string[];
  /** The first Expires value, raw; filled in 2xx responses only. */
  expires: string | undefined;
}

/** The summary of a parsed message: the reference the scanner must agree with. */
export function summarize(msg: SipMessage): SipSummary {
  const ok2xx = msg.type === 'response' && msg.status >= 200 && msg.status < 300;
  return {
    type: msg.type,
    method: msg.type === 'request' ? msg.method : '',
    status: msg.type === 'response' ? msg.status : 0,
    topVia: msg.headers.values('via')[0],
    cseq: msg.headers.get('cseq'),
    contacts: ok2xx ? msg.headers.getAll('contact') : [],
    expires: ok2xx ? msg.headers.get('expires') : undefined,
  };
}

/**
 * Classify a datagram: its summary; null when it is SIP that should go upstream unread (a request whose start
 * line and headers can be split but that is otherwise malformed, so the Worker can answer 400/505); or
 * 'not_sip'. The scanner first, the full parser when the scanner is unsure.
 */
export function inspectMessage(bytes: Buffer): SipSummary | null | 'not_sip' {
  const fast = scanMessage(bytes);
  if (fast !== null) return fast;
  const parsed = parseMessage(bytes);
  if (parsed.ok) return summarize(parsed.value);
  return parsed.error.request !== undefined ? null : 'not_sip';
}

const { LF, CR, SP, HTAB: HT, COLON, COMMA, DQUOTE } = CH;

/** Which header a name is, for the few the bridge reads. */
const enum Name {
  Other,
  Via,
  CSeq,
  Contact,
  Expires,
  ContentLength,
}

/** `b[s, e)` as latin1 text: Buffer's own slice method, without `toString`'s argument handling. */
function latin1(b: Buffer, s: number, e: number): string {
  return (b as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(s, e);
}

/** Lower-case ASCII letter at `i`. */
function lower(b: Buffer, i: number): number {
  return b[i]! | 0x20;
}

/** `b[s, e)` equals the lower-case ASCII word `w`, ignoring case. */
function nameIs(b: Buffer, s: number, e: number, w: string): boolean {
  if (e - s !== w.length) return false;
  for (let i = 0; i < w.length; i++) if (lower(b, s + i) !== w.charCodeAt(i)) return false;
  return true;
}

/** The header names the bridge reads, with their compact forms (RFC 3261 §7.3.3: v, m, l). */
function nameOf(b: Buffer, s: number, e: number): Name {
  const len = e - s;
  if (len === 1) {
    const c = lower(b, s);
    return c === 0x76 ? Name.Via : c === 0x6d ? Name.Contact : c === 0x6c ? Name.ContentLength : Name.Other;
  }
  switch (lower(b, s)) {
    case 0x76:
      return nameIs(b, s, e, 'via') ? Name.Via : Name.Other;
    case 0x63:
      if (len === 4) return nameIs(b, s, e, 'cseq') ? Name.CSeq : Name.Other;
      if (len === 7) return nameIs(b, s, e, 'contact') ? Name.Contact : Name.Other;
      return nameIs(b, s, e, 'content-length') ? Name.ContentLength : Name.Other;
    case 0x65:
      return nameIs(b, s, e, 'expires') ? Name.Expires : Name.Other;
    default:
      return Name.Other;
  }
}

/** True when every byte of `b[s, e)` is printable ASCII or HT, so latin1 text is what the parser would see. */
function plain(b: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if ((c < SP && c !== HT) || c > 126) return false;
  }
  return true;
}

/** `SIP/2.0` at `i`. */
function isSip20(b: Buffer, i: number): boolean {
  return b[i] === 0x53 && b[i + 1] === 0x49 && b[i + 2] === 0x50 && b[i + 3] === 0x2f && b[i + 4] === 0x32 && b[i + 5] === 0x2e && b[i + 6] === 0x30;
}

/**
 * Read a plainly written SIP message from its bytes: `SIP/2.0` start line, CRLF or LF line ends, no folded
 * lines, ASCII in the headers read, a consistent Content-Length that fits. Null for anything else: the caller
 * must then use the full parser. When it returns a summary, `parseMessage` accepts the message and
 * {@link summarize} of its result is equal to it.
 */
export function scanMessage(b: Buffer): SipSummary | null {
  const n = b.length;
  let lf = b.indexOf(LF);
  if (lf <= 0 || b[0] === CR) return null;
  const lineEnd = b[lf - 1] === CR ? lf - 1 : lf;
  let method = '';
  let status = 0;
  if (isSip20(b, 0)) {
    // Status-Line (RFC 3261 §7.2): SIP/2.0 SP 3DIGIT (SP reason | end).
    if (b[7] !== SP) return null;
    for (let i = 8; i < 11; i++) if (!(b[i]! >= 0x30 && b[i]! <= 0x39)) return null;
    status = (b[8]! - 0x30) * 100 + (b[9]! - 0x30) * 10 + (b[10]! - 0x30);
    if (status < 100 || status > 699 || (lineEnd !== 11 && b[11] !== SP)) return null;
  } else {
    // Request-Line (§7.1): token SP Request-URI SP SIP/2.0, with nothing after the version.
    let i = 0;
    while (i < lineEnd && b[i]! < 128 && TOKEN_CHARS[b[i]!] === 1) i++;
    if (i === 0 || b[i] !== SP) return null;
    const uri = b[i + 1]!;
    if (lineEnd - 8 <= i + 1 || uri <= SP || uri > 126 || b[lineEnd - 8] !== SP || !isSip20(b, lineEnd - 7)) return null;
    method = latin1(b, 0, i);
  }
  const response = status !== 0;
  const ok2xx = status >= 200 && status < 300;
  let topVia: string | undefined;
  let cseq: string | undefined;
  let expires: string | undefined;
  const contacts: string[] = [];
  let contentLength = -1;
  let pos = lf + 1;
  for (;;) {
    if (pos >= n) return null; // no empty line
    lf = b.indexOf(LF, pos);
    if (lf < 0) return null;
    const end = lf > pos && b[lf - 1] === CR ? lf - 1 : lf;
    if (end === pos) break;
    let ne = pos;
    while (ne < end && b[ne]! < 128 && TOKEN_CHARS[b[ne]!] === 1) ne++;
    if (ne === pos) return null; // a folded line, or a bad name
    let colon = ne;
    while (colon < end && (b[colon] === SP || b[colon] === HT)) colon++;
    if (colon === end || b[colon] !== COLON) return null;
    const name = nameOf(b, pos, ne);
    if (name === Name.Other) {
      // A control character (a bare CR, NUL …) is the parser's to judge: it refuses most of them.
      for (let i = colon + 1; i < end; i++) {
        const c = b[i]!;
        if ((c < SP && c !== HT) || c === 127) return null;
      }
    } else {
      let vs = colon + 1;
      while (vs < end && (b[vs] === SP || b[vs] === HT)) vs++;
      let ve = end;
      while (ve > vs && (b[ve - 1] === SP || b[ve - 1] === HT)) ve--;
      if (!plain(b, vs, ve)) return null;
      if (name === Name.ContentLength) {
        if (ve === vs || ve - vs > 10) return null;
        let v = 0;
        for (let i = vs; i < ve; i++) {
          const d = b[i]! - 0x30;
          if (d < 0 || d > 9) return null;
          v = v * 10 + d;
        }
        if (contentLength >= 0 && contentLength !== v) return null;
        contentLength = v;
      } else if (name === Name.Via) {
        if (topVia === undefined) {
          // Several entries in one line, or quoting: leave the list splitting to the parser.
          for (let i = vs; i < ve; i++) if (b[i] === COMMA || b[i] === DQUOTE) return null;
          if (ve === vs) return null;
          topVia = latin1(b, vs, ve);
        }
      } else if (name === Name.CSeq) {
        cseq ??= latin1(b, vs, ve);
      } else if (ok2xx) {
        if (name === Name.Contact) contacts.push(latin1(b, vs, ve));
        else expires ??= latin1(b, vs, ve);
      }
    }
    pos = lf + 1;
  }
  if (contentLength > n - (lf + 1)) return null;
  return { type: response ? 'response' : 'request', method, status, topVia, cseq, contacts, expires };
}
