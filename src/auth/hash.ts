/**
 * Synchronous hashing for Digest authentication and nonce signing, identical in workerd, Node and the UDP bridge.
 *
 * Backed by `@noble/hashes` (pure JS, audited): WebCrypto is async everywhere and has no MD5 in Node,
 * so a pure implementation keeps the auth code synchronous and free of platform checks.
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { md5 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** Bytes as lower-case hex digits. */
export const toHex: (bytes: Uint8Array) => string = bytesToHex;

/** MD5 of the UTF-8 encoding of `s`, as 32 lower-case hex digits (RFC 2617 §3.1.3 "32LHEX"). */
export function md5Hex(s: string): string {
  return bytesToHex(md5(utf8ToBytes(s)));
}

/** SHA-256 of the UTF-8 encoding of `s`, as 64 lower-case hex digits (RFC 7616 §3.2). */
export function sha256Hex(s: string): string {
  return bytesToHex(sha256(utf8ToBytes(s)));
}

type Hmac = ReturnType<typeof hmac.create>;

/** Keyed HMAC states by key: the key schedule (two SHA-256 blocks) is computed once per key, then cloned. */
const keyed = new WeakMap<Uint8Array, Hmac>();

/**
 * HMAC-SHA256 (RFC 2104) of `data` under `key`; returns the 32-byte tag. Keys are long-lived secrets (the
 * same array on every call), so their keyed state is kept and cloned instead of recomputed.
 */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  let base = keyed.get(key);
  if (base === undefined) {
    base = hmac.create(sha256, key);
    keyed.set(key, base);
  }
  return base.clone().update(data).digest();
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
