/**
 * SIP message framing on a byte stream (RFC 3261 §18.3): a message is its header section up to the empty
 * line, then exactly Content-Length octets of body. CR and LF between messages are skipped (RFC 3261 §7.5),
 * and a CRLFCRLF among them is a keep-alive ping to answer with one CRLF (RFC 5626 §4.4.1). Bounded: the
 * header section by `maxHeaderBytes`, a whole message by `maxMessageBytes`. A stream that breaks framing
 * cannot be resynchronised, so the framer stops at its first error. Pure: bytes in, events out.
 * @module
 */

import { CH, isTokenChar } from '../../src/sip/token.js';

const { CR, LF } = CH;

/** Bounds of one stream. */
export interface FramerLimits {
  /** Largest header section (start line, headers and the empty line), in bytes. */
  maxHeaderBytes: number;
  /** Largest message (header section and body), in bytes. */
  maxMessageBytes: number;
}

/** Why a stream lost its framing. */
export type FrameError =
  /** The first octet of a message cannot start a SIP start line (a method token or `SIP/`). */
  | 'not_sip'
  /** No empty line within `maxHeaderBytes`. */
  | 'header_too_large'
  /** RFC 3261 §18.3: on a stream, Content-Length is mandatory. */
  | 'no_content_length'
  /** Not 1 to 10 digits, or two different values. */
  | 'bad_content_length'
  /** The header section and the announced body exceed `maxMessageBytes`. */
  | 'body_too_large';

/** Every {@link FrameError}, so each counter exists from the start. */
export const FRAME_ERRORS: readonly FrameError[] = ['not_sip', 'header_too_large', 'no_content_length', 'bad_content_length', 'body_too_large'];

/** What a push of bytes produced, in stream order. */
export type FrameEvent =
  | { kind: 'message'; bytes: Uint8Array }
  /** A CRLFCRLF ping between messages: answer with CRLF. */
  | { kind: 'ping' }
  /**
   * The stream is broken and must be closed. `head` is the complete header section when one was read (the
   * message may be answerable: 400 or 413 to a request), else null.
   */
  | { kind: 'error'; reason: FrameError; head: Uint8Array | null };

/** The content length of a header section, or why there is none. */
export function contentLength(head: Uint8Array): number | 'no_content_length' | 'bad_content_length' {
  const text = new TextDecoder('latin1').decode(head);
  // Unfold continuation lines (RFC 3261 §7.3.1) so a folded Content-Length is read whole.
  const lines = text.split(/\r?\n/).slice(1);
  let value: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name !== 'content-length' && name !== 'l') continue;
    let v = line.slice(colon + 1);
    while (i + 1 < lines.length && /^[ \t]/.test(lines[i + 1]!)) v += ` ${lines[++i]!}`;
    v = v.trim();
    if (!/^\d{1,10}$/.test(v)) return 'bad_content_length';
    const n = Number(v);
    if (value !== null && value !== n) return 'bad_content_length';
    value = n;
  }
  return value ?? 'no_content_length';
}

/**
 * Where the header section of `b` ends (the index after its empty line), searching from `from`; -1 when it
 * has not arrived. Line ends are CRLF or a bare LF, as the message parser accepts.
 */
export function headEnd(b: Uint8Array, from: number): number {
  for (let i = Math.max(from, 1); i < b.length; i++) {
    if (b[i] !== LF) continue;
    if (b[i - 1] === LF) return i + 1;
    if (b[i - 1] === CR && i >= 2 && b[i - 2] === LF) return i + 1;
  }
  return -1;
}

/** Frames one stream. Feed it every chunk read, in order; it keeps what belongs to the next message. */
export class StreamFramer {
  /** Bytes received and not yet framed. */
  #buf: Uint8Array = new Uint8Array(0);
  /** How far the current header section has been searched for its end. */
  #scanned = 0;
  /** Length of the current message once its header section is read; -1 before. */
  #need = -1;
  /** How much of CRLFCRLF the octets between messages have matched. */
  #ping = 0;
  #error: FrameError | null = null;

  constructor(private readonly limits: FramerLimits) {}

  /** Bytes held for the message in progress. */
  get buffered(): number {
    return this.#buf.length;
  }

  /** The error that stopped the framer, or null while it frames. */
  get error(): FrameError | null {
    return this.#error;
  }

  /** Frame `chunk` (any size, any split). After an error event, further pushes return nothing. */
  push(chunk: Uint8Array): FrameEvent[] {
    if (this.#error !== null || chunk.length === 0) return [];
    // A plain view (a Buffer's slice would not copy): messages and heads handed out are copies.
    const view = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#buf = this.#buf.length === 0 ? view : concat(this.#buf, view);
    const out: FrameEvent[] = [];
    for (;;) {
      if (this.#need < 0) {
        if (!this.#skipLineEnds(out) || !this.#readHead(out)) break;
      }
      if (this.#buf.length < this.#need) break;
      out.push({ kind: 'message', bytes: this.#buf.slice(0, this.#need) });
      this.#consume(this.#need);
      this.#need = -1;
      this.#scanned = 0;
      this.#ping = 0;
    }
    return out;
  }

  /** Skip CR/LF before a start line, noting pings; false when nothing else is buffered. */
  #skipLineEnds(out: FrameEvent[]): boolean {
    const b = this.#buf;
    let i = 0;
    for (; i < b.length && (b[i] === CR || b[i] === LF); i++) {
      const want = this.#ping % 2 === 0 ? CR : LF;
      if (b[i] === want) this.#ping++;
      else this.#ping = b[i] === CR ? 1 : 0;
      if (this.#ping === 4) {
        out.push({ kind: 'ping' });
        this.#ping = 0;
      }
    }
    this.#consume(i);
    return this.#buf.length > 0;
  }

  /** Read the header section of the next message; false when it has not all arrived (or on an error). */
  #readHead(out: FrameEvent[]): boolean {
    const b = this.#buf;
    if (!isTokenChar(b[0]!)) return this.#fail(out, 'not_sip', null);
    const end = headEnd(b, this.#scanned);
    const { maxHeaderBytes, maxMessageBytes } = this.limits;
    if (end < 0 ? b.length > maxHeaderBytes : end > maxHeaderBytes) return this.#fail(out, 'header_too_large', null);
    if (end < 0) {
      this.#scanned = Math.max(0, b.length - 2);
      return false;
    }
    const head = b.slice(0, end);
    const length = contentLength(head);
    if (typeof length === 'string') return this.#fail(out, length, head);
    if (end + length > maxMessageBytes) return this.#fail(out, 'body_too_large', head);
    this.#need = end + length;
    return true;
  }

  #fail(out: FrameEvent[], reason: FrameError, head: Uint8Array | null): false {
    this.#error = reason;
    this.#buf = new Uint8Array(0);
    out.push({ kind: 'error', reason, head });
    return false;
  }

  #consume(n: number): void {
    if (n > 0) this.#buf = n >= this.#buf.length ? new Uint8Array(0) : this.#buf.subarray(n);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
