/**
 * Stateless, unforgeable, time-limited Digest nonces (the Kamailio `auth` model): any Worker or Durable Object
 * holding the secret can check a nonce without shared state; only the nonce-count replay window is stateful.
 *
 * Layout (24 bytes, base64url → 32 characters, no padding):
 * issue time in seconds (uint32 big-endian) ‖ 8 random bytes ‖ first 12 bytes of HMAC-SHA256(secret, context ‖ time ‖ random).
 * @module
 */
import { hmacSha256, timingSafeEqualBytes } from './hash.js';

/** Random bytes carried in each nonce; `createNonce` needs at least this many. */
export const NONCE_RANDOM_BYTES = 8;
/** Length of the truncated HMAC-SHA256 tag (96 bits, as in RFC 2104 §5 truncation). */
export const NONCE_MAC_BYTES = 12;
/** How far in the future a nonce's issue time may lie (clock skew between nodes) before it is rejected. */
export const NONCE_CLOCK_SKEW_MS = 10_000;

const TIME_BYTES = 4;
const SIGNED_BYTES = TIME_BYTES + NONCE_RANDOM_BYTES;
const RAW_BYTES = SIGNED_BYTES + NONCE_MAC_BYTES;
/** Encoded length: 24 bytes is a multiple of 3, so every base64url string of this length is canonical. */
export const NONCE_LENGTH = (RAW_BYTES / 3) * 4;

/** Domain separation, so that the same secret may sign other things (flow tokens) without confusion. */
const CONTEXT = new TextEncoder().encode('edge-sip digest nonce v1:');

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** base64url without padding, for lengths that are a multiple of 3. */
function encode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  return out;
}

/** Inverse of {@link encode}; `null` on any character outside the base64url alphabet. */
function decode(s: string): Uint8Array | null {
  const out = new Uint8Array((s.length / 4) * 3);
  for (let i = 0, o = 0; i < s.length; i += 4, o += 3) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const v = DECODE[s.charCodeAt(i + j)] ?? -1;
      if (v < 0) return null;
      n = (n << 6) | v;
    }
    out[o] = n >>> 16;
    out[o + 1] = (n >>> 8) & 255;
    out[o + 2] = n & 255;
  }
  return out;
}

function sign(secret: Uint8Array, signed: Uint8Array): Uint8Array {
  const data = new Uint8Array(CONTEXT.length + signed.length);
  data.set(CONTEXT);
  data.set(signed, CONTEXT.length);
  return hmacSha256(secret, data).subarray(0, NONCE_MAC_BYTES);
}

/**
 * Create a nonce issued at `nowMs`, made unique by the first {@link NONCE_RANDOM_BYTES} bytes of `random`
 * (from `crypto.getRandomValues`). Throws `RangeError` when `random` is too short (a programming error).
 */
export function createNonce(secret: Uint8Array, nowMs: number, random: Uint8Array): string {
  if (random.length < NONCE_RANDOM_BYTES) throw new RangeError(`createNonce needs ${NONCE_RANDOM_BYTES} random bytes`);
  const raw = new Uint8Array(RAW_BYTES);
  new DataView(raw.buffer).setUint32(0, Math.floor(nowMs / 1000) >>> 0);
  raw.set(random.subarray(0, NONCE_RANDOM_BYTES), TIME_BYTES);
  raw.set(sign(secret, raw.subarray(0, SIGNED_BYTES)), SIGNED_BYTES);
  return encode(raw);
}

/** Outcome of {@link checkNonce}. */
export type NonceStatus = 'valid' | 'stale' | 'invalid';

/**
 * Check a nonce: `invalid` for bad encoding, length or MAC, or an issue time beyond {@link NONCE_CLOCK_SKEW_MS}
 * in the future; `stale` when genuine but issued more than `ttlMs` ago (answer 401 with `stale=true`,
 * RFC 2617 §3.2.1); else `valid`. Issue time has 1 s resolution, so a nonce may turn stale up to 1 s early.
 */
export function checkNonce(secret: Uint8Array, nonce: string, nowMs: number, ttlMs: number): NonceStatus {
  if (nonce.length !== NONCE_LENGTH) return 'invalid';
  const raw = decode(nonce);
  if (raw === null) return 'invalid';
  const mac = sign(secret, raw.subarray(0, SIGNED_BYTES));
  if (!timingSafeEqualBytes(mac, raw.subarray(SIGNED_BYTES))) return 'invalid';
  const issuedMs = new DataView(raw.buffer).getUint32(0) * 1000;
  if (issuedMs > nowMs + NONCE_CLOCK_SKEW_MS) return 'invalid';
  return nowMs - issuedMs > ttlMs ? 'stale' : 'valid';
}

/** Parse a nonce-count: exactly 8 hex digits (RFC 2617 §3.2.2 `nc-value = 8LHEX`, upper case tolerated). */
export function parseNc(s: string): number | null {
  return /^[0-9a-fA-F]{8}$/.test(s) ? parseInt(s, 16) : null;
}

/**
 * The nonce count a request uses: its `nc` when it has a qop, and 1 for the RFC 2069 no-qop form,
 * which makes a nonce without qop single-use. `null` when `nc` is malformed.
 */
export function nonceCountOf(creds: { qop: string | null; nc: string | null }): number | null {
  if (creds.qop === null) return 1;
  return creds.nc === null ? null : parseNc(creds.nc);
}

/**
 * Replay rule for one nonce: accept `nc` only if it is above the last accepted count for that nonce
 * (`undefined` when the nonce was never used), so each (nonce, nc) is accepted once.
 * RFC 2617 §3.2.2: "if the same nc-value is seen twice, then the request is a replay".
 * Counts start at 1 and are at most 0xffffffff.
 */
export function acceptNonceCount(last: number | undefined, nc: number): boolean {
  if (!Number.isInteger(nc) || nc < 1 || nc > 0xffffffff) return false;
  return last === undefined || nc > last;
}
