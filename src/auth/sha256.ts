/**
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) with states that are computed once and copied.
 *
 * Nonces are signed and checked on every REGISTER, over about a hundred bytes whose first ninety never change
 * for a connection (a context string and the flow's id). {@link HmacSha256} absorbs the key and such a fixed
 * prefix once, so each tag costs the compressions of its own bytes only, and nothing is allocated per call:
 * the rounds work in module-level scratch arrays (JavaScript runs one call at a time).
 * @module
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
/** The message schedule of the block being compressed. */
const W = new Int32Array(64);

/** Compress the 64 bytes of `block` from `at` into the chaining value `h`. */
function compress(h: Int32Array, block: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++, at += 4) W[i] = (block[at]! << 24) | (block[at + 1]! << 16) | (block[at + 2]! << 8) | block[at + 3]!;
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15]!;
    const y = W[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, k = h[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (k + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    k = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  h[0] = (h[0]! + a) | 0; h[1] = (h[1]! + b) | 0; h[2] = (h[2]! + c) | 0; h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0; h[5] = (h[5]! + f) | 0; h[6] = (h[6]! + g) | 0; h[7] = (h[7]! + k) | 0;
}

/** A running SHA-256: the chaining value after whole blocks, and the bytes of the block not yet full. */
export class Sha256 {
  readonly h = new Int32Array(IV);
  readonly buf = new Uint8Array(64);
  /** Bytes hashed so far (whole blocks and the ones in {@link buf}). */
  length = 0;

  /** Back to the empty message. */
  reset(): this {
    this.h.set(IV);
    this.length = 0;
    return this;
  }

  /** Become a copy of `o` (no allocation). */
  copyFrom(o: Sha256): this {
    this.h.set(o.h);
    this.buf.set(o.buf);
    this.length = o.length;
    return this;
  }

  /** Hash `bytes` after what came before. */
  update(bytes: Uint8Array): this {
    let fill = this.length & 63;
    this.length += bytes.length;
    let i = 0;
    if (fill > 0) {
      while (fill < 64 && i < bytes.length) this.buf[fill++] = bytes[i++]!;
      if (fill < 64) return this;
      compress(this.h, this.buf, 0);
    }
    for (; i + 64 <= bytes.length; i += 64) compress(this.h, bytes, i);
    for (let j = 0; i < bytes.length; ) this.buf[j++] = bytes[i++]!;
    return this;
  }

  /** Finish: the 32-byte digest into `out` from `at`. The state is spent (reset or copy over it to reuse). */
  digestInto(out: Uint8Array, at = 0): void {
    const n = this.length;
    let fill = n & 63;
    this.buf[fill++] = 0x80;
    if (fill > 56) {
      this.buf.fill(0, fill);
      compress(this.h, this.buf, 0);
      fill = 0;
    }
    this.buf.fill(0, fill, 56);
    const hi = Math.floor(n / 0x20000000);
    const lo = (n << 3) | 0;
    for (let j = 0; j < 4; j++) {
      this.buf[56 + j] = hi >>> (24 - 8 * j);
      this.buf[60 + j] = lo >>> (24 - 8 * j);
    }
    compress(this.h, this.buf, 0);
    for (let j = 0; j < 8; j++) {
      const v = this.h[j]!;
      out[at + 4 * j] = v >>> 24;
      out[at + 4 * j + 1] = v >>> 16;
      out[at + 4 * j + 2] = v >>> 8;
      out[at + 4 * j + 3] = v;
    }
  }
}

/** Scratch states for one computation at a time. */
const inner = new Sha256();
const outer = new Sha256();
const innerDigest = new Uint8Array(32);

/** SHA-256 of `bytes`, 32 bytes into `out` (a new array by default). */
export function sha256(bytes: Uint8Array, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  inner.reset().update(bytes).digestInto(out);
  return out;
}

/**
 * HMAC-SHA256 under one key, of messages that all start with the same `prefix` (RFC 2104 over
 * `prefix ‖ data`): the key schedule and the prefix are absorbed once, here.
 */
export class HmacSha256 {
  readonly #inner = new Sha256();
  readonly #outer = new Sha256();

  constructor(key: Uint8Array, prefix: Uint8Array = new Uint8Array(0)) {
    // RFC 2104 §2: a key longer than the block is hashed first; then it is zero-padded to the block.
    const k = new Uint8Array(64);
    if (key.length > 64) sha256(key, k);
    else k.set(key);
    const pad = new Uint8Array(64);
    for (let i = 0; i < 64; i++) pad[i] = k[i]! ^ 0x36;
    this.#inner.update(pad).update(prefix);
    for (let i = 0; i < 64; i++) pad[i] = k[i]! ^ 0x5c;
    this.#outer.update(pad);
  }

  /** The tag of `prefix ‖ data`, 32 bytes into `out` (a new array by default). */
  mac(data: Uint8Array, out: Uint8Array = new Uint8Array(32)): Uint8Array {
    inner.copyFrom(this.#inner).update(data).digestInto(innerDigest);
    outer.copyFrom(this.#outer).update(innerDigest).digestInto(out);
    return out;
  }
}
