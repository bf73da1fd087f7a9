/**
 * MD5 (RFC 1321) of a string's UTF-8 encoding, as lower-case hex: the hash of RFC 2617 digest responses.
 *
 * Hand-written for the one thing Digest needs: a short string in, 32 hex digits out, without allocating. ASCII
 * text (every digest input we see: hex hashes, nonces, URIs, counts) is read straight from the string into
 * the block, so nothing is encoded or copied; other text is UTF-8 encoded first. A library MD5 costs several
 * times more here, in creating its hasher, its buffers and its views, than in the rounds. Not for secrets
 * on its own: MD5 is what RFC 2617 and GB/T 28181 devices speak.
 * @module
 */

/** The 16 little-endian words of the block being hashed. */
const X = new Int32Array(16);
/** The chaining state A, B, C, D. */
const S = new Int32Array(4);
/** Per-round shift amounts and sine constants (RFC 1321 §3.4). */
const R = new Uint8Array([7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]);
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;
/** Message word read in step i. */
const G = new Uint8Array(64);
for (let i = 0; i < 64; i++) G[i] = i < 16 ? i : i < 32 ? (5 * i + 1) & 15 : i < 48 ? (3 * i + 5) & 15 : (7 * i) & 15;

/** Hex digits of each byte value. */
export const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** One 64-byte block from X into S: the four rounds of RFC 1321 §3.4, 16 steps each. */
function compress(): void {
  let a = S[0]!;
  let b = S[1]!;
  let c = S[2]!;
  let d = S[3]!;
  let t: number;
  let r: number;
  for (let i = 0; i < 16; i++) {
    t = (a + ((b & c) | (~b & d)) + K[i]! + X[i]!) | 0;
    r = R[i & 3]!;
    a = d; d = c; c = b;
    b = (b + ((t << r) | (t >>> (32 - r)))) | 0;
  }
  for (let i = 16; i < 32; i++) {
    t = (a + ((d & b) | (~d & c)) + K[i]! + X[G[i]!]!) | 0;
    r = R[4 + (i & 3)]!;
    a = d; d = c; c = b;
    b = (b + ((t << r) | (t >>> (32 - r)))) | 0;
  }
  for (let i = 32; i < 48; i++) {
    t = (a + (b ^ c ^ d) + K[i]! + X[G[i]!]!) | 0;
    r = R[8 + (i & 3)]!;
    a = d; d = c; c = b;
    b = (b + ((t << r) | (t >>> (32 - r)))) | 0;
  }
  for (let i = 48; i < 64; i++) {
    t = (a + (c ^ (b | ~d)) + K[i]! + X[G[i]!]!) | 0;
    r = R[12 + (i & 3)]!;
    a = d; d = c; c = b;
    b = (b + ((t << r) | (t >>> (32 - r)))) | 0;
  }
  S[0] = (S[0]! + a) | 0;
  S[1] = (S[1]! + b) | 0;
  S[2] = (S[2]! + c) | 0;
  S[3] = (S[3]! + d) | 0;
}

/** Whether every UTF-16 unit of `s` is below 0x80, so that its UTF-8 octets are its char codes. */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

const utf8 = new TextEncoder();

/** The UTF-8 octets of `s` as a string of char codes 0–255, one per octet (so the rounds read only strings). */
export function octetString(s: string): string {
  if (isAscii(s)) return s;
  let out = '';
  for (const b of utf8.encode(s)) out += String.fromCharCode(b);
  return out;
}

/** Octet `i` of the padded message `m` ‖ 0x80 ‖ zeros (the length is written separately). */
function padded(m: string, i: number): number {
  return i < m.length ? m.charCodeAt(i) : i === m.length ? 0x80 : 0;
}

/** MD5 of `m`, a string of octets (char codes 0–255), as 32 lower-case hex digits. */
function md5Octets(m: string): string {
  S[0] = 0x67452301;
  S[1] = 0xefcdab89 | 0;
  S[2] = 0x98badcfe | 0;
  S[3] = 0x10325476;
  const n = m.length;
  // The padded message: the octets, 0x80, zeros to 56 mod 64, then the bit length (64-bit little-endian).
  const total = ((n + 8) >>> 6) * 64 + 64;
  for (let block = 0; block < total; block += 64) {
    for (let w = 0, i = block; w < 16; w++, i += 4) {
      X[w] = i + 3 < n
        ? m.charCodeAt(i) | (m.charCodeAt(i + 1) << 8) | (m.charCodeAt(i + 2) << 16) | (m.charCodeAt(i + 3) << 24)
        : padded(m, i) | (padded(m, i + 1) << 8) | (padded(m, i + 2) << 16) | (padded(m, i + 3) << 24);
    }
    if (block + 64 === total) {
      X[14] = (n << 3) | 0;
      X[15] = Math.floor(n / 0x20000000);
    }
    compress();
  }
  let out = '';
  for (let w = 0; w < 4; w++) {
    const v = S[w]!;
    out += HEX_BYTE[v & 255]! + HEX_BYTE[(v >>> 8) & 255]! + HEX_BYTE[(v >>> 16) & 255]! + HEX_BYTE[v >>> 24]!;
  }
  return out;
}

/** MD5 of the UTF-8 encoding of `s`, as 32 lower-case hex digits (RFC 2617 §3.1.3 "32LHEX"). */
export function md5Hex(s: string): string {
  return md5Octets(octetString(s));
}
