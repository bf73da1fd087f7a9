/**
 * Message to wire bytes (RFC 3261 §7; Content-Length always matches the body, §18.3).
 * @module
 */

import type { SipMessage } from './message.js';

const encoder = new TextEncoder();
// ignoreBOM: a body that starts with a byte-order mark keeps it (Content-Length counts its 3 octets).
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Start line, header lines with their wire names, Content-Length rewritten, and the empty line. */
function head(msg: SipMessage): string {
  const version = msg.version || 'SIP/2.0';
  let out = msg.type === 'request' ? `${msg.method} ${msg.uri} ${version}\r\n` : `${version} ${msg.status} ${msg.reason}\r\n`;
  const length = String(msg.body.length);
  let wroteLength = false;
  for (const f of msg.headers.fields) {
    if (f.key === 'content-length') {
      if (!wroteLength) out += `${f.name}: ${length}\r\n`;
      wroteLength = true;
    } else out += `${f.name}: ${f.value}\r\n`;
  }
  if (!wroteLength) out += `Content-Length: ${length}\r\n`;
  return `${out}\r\n`;
}

/** Serialize to wire bytes (one UTF-8 encode of the header section, then the body octets). */
export function serialize(msg: SipMessage): Uint8Array {
  const h = encoder.encode(head(msg));
  if (msg.body.length === 0) return h;
  const out = new Uint8Array(h.length + msg.body.length);
  out.set(h, 0);
  out.set(msg.body, h.length);
  return out;
}

/** Serialize to a string (for text WebSocket frames); the body is decoded as UTF-8. */
export function serializeToString(msg: SipMessage): string {
  const h = head(msg);
  return msg.body.length === 0 ? h : h + decoder.decode(msg.body);
}
