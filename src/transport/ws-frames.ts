/**
 * RFC 7118 framing: one SIP message per WebSocket message, text or binary,
 * plus the RFC 5626 §4.4.1 CRLF keep-alive.
 * @module
 */

import type { SipMessage } from '../sip/message.js';
import { serialize, serializeToString } from '../sip/serialize.js';

/** Largest WebSocket message accepted as a SIP message. */
export const MAX_FRAME_BYTES = 64 * 1024;

/** What a received WebSocket message is. */
export type Frame =
  | { kind: 'keepalive'; /** the pong to send back, if any */ reply: string | null }
  | { kind: 'too-large'; bytes: number; /** the first bytes, enough to try answering */ head: string }
  | { kind: 'message'; data: string | Uint8Array };

function isCrlfOnly(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 13 && c !== 10) return false;
  }
  return true;
}

/**
 * Classify a WebSocket message. A double CRLF is a keep-alive ping and is
 * answered with a single CRLF (RFC 5626 §4.4.1); a lone CRLF is a pong and
 * gets no answer. Text frames of exactly `\r\n\r\n` never get here: the
 * runtime auto-responds to them without waking the object.
 */
export function classifyFrame(data: string | ArrayBuffer): Frame {
  if (typeof data === 'string') {
    if (data.length <= 4 && isCrlfOnly(data)) return { kind: 'keepalive', reply: data.length >= 4 ? '\r\n' : null };
    // A JS string's UTF-8 size is at most 3 bytes per UTF-16 unit: only measure when it could be over.
    // Every UTF-16 unit is at least one UTF-8 byte: a string longer than the limit is over it without encoding.
    if (data.length > MAX_FRAME_BYTES) return { kind: 'too-large', bytes: data.length, head: data.slice(0, 8192) };
    if (data.length * 3 > MAX_FRAME_BYTES) {
      const bytes = new TextEncoder().encode(data).byteLength;
      if (bytes > MAX_FRAME_BYTES) return { kind: 'too-large', bytes, head: data.slice(0, 8192) };
    }
    return { kind: 'message', data };
  }
  const bytes = new Uint8Array(data);
  if (bytes.byteLength > MAX_FRAME_BYTES) {
    return { kind: 'too-large', bytes: bytes.byteLength, head: new TextDecoder().decode(bytes.subarray(0, 8192)) };
  }
  if (bytes.byteLength <= 4 && bytes.byteLength > 0 && bytes.every((b) => b === 13 || b === 10)) {
    return { kind: 'keepalive', reply: bytes.byteLength >= 4 ? '\r\n' : null };
  }
  return { kind: 'message', data: bytes };
}

/**
 * True when a body can travel in a text frame: RFC 7118 §5.1 requires a
 * binary frame when the message is not valid UTF-8 (e.g. GB2312 bodies).
 */
export function isUtf8(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return isUtf8Slow(bytes);
  return true;
}

function isUtf8Slow(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** A message as one WebSocket message: text when it is UTF-8, binary otherwise (RFC 7118 §5.1). */
export function encodeFrame(msg: SipMessage): string | Uint8Array {
  return isUtf8(msg.body) ? serializeToString(msg) : serialize(msg);
}
