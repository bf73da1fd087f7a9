/**
 * Synchronous hashing for Digest authentication and nonce signing, identical in workerd, Node and the UDP bridge.
 *
 * Hand-written (`md5.ts`, `sha256.ts`, checked against node:crypto in the specs): WebCrypto is async everywhere
 * and has no MD5 in Node, and for inputs of a few blocks a library hasher costs more in the objects and
 * buffers it creates per call than in its rounds. These allocate nothing per call but their result.
 * @module
 */
import { HEX_BYTE, isAscii, md5Hex as md5 } from './md5.js';
import { HmacSha256, sha256 } from './sha256.js';

/** Bytes as lower-case hex digits. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_BYTE[bytes[i]!]!;
  return out;
}

/** MD5 of the UTF-8 encoding of `s`, as 32 lower-case hex digits (RFC 2617 §3.1.3 "32LHEX"). */
export const md5Hex: (s: string) => string = md5;

const utf8 = new TextEncoder();

/** SHA-256 of the UTF-8 encoding of `s`, as 64 lower-case hex digits (RFC 7616 §3.2). */
export function sha256Hex(s: string): string {
  return toHex(sha256(isAscii(s) ? asciiBytes(s) : utf8.encode(s)));
}

/** The octets of an ASCII string. */
function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Keyed HMAC states by key: the key schedule (two SHA-256 blocks) is computed once per key. */
const keyed = new WeakMap<Uint8Array, HmacSha256>();

/**
 * HMAC-SHA256 (RFC 2104) of `data` under `key`; returns the 32-byte tag. Keys are long-lived secrets (the
 * same array on every call), so their keyed state is kept instead of recomputed.
 */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  let h = keyed.get(key);
  if (h === undefined) {
    h = new HmacSha256(key);
    keyed.set(key, h);
  }
  return h.mac(data);
}

/**
 * Compare two strings in time that depends only on the longer length, not on where they differ.
 * Use it for digest responses so that a client cannot learn the expected value byte by byte.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const n = a.length > b.length ? a.length : b.length;
  let diff = a.length ^ b.length;
  // charCodeAt past the end is NaN, and NaN | 0 is 0: the loop runs n times either way.
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

/** Compare two byte arrays in time that depends only on the longer length. */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length > b.length ? a.length : b.length;
  let diff = a.length ^ b.length;
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
