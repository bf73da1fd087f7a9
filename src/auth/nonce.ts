/**
 * Stateless, unforgeable, time-limited Digest nonces (the Kamailio `auth` model): anything holding the secret
 * can check a nonce without shared state; only the nonce-count replay window is stateful (`NonceCounts`).
 * A nonce is bound to a scope (the flow that issued it), so it is worthless on any other connection.
 *
 * Layout (24 bytes, base64url → 32 characters, no padding):
 * issue time in milliseconds (48-bit big-endian) ‖ 6 random bytes ‖ first 12 bytes of
 * HMAC-SHA256(secret, context ‖ scope ‖ 0x00 ‖ time ‖ random). Millisecond resolution lets a flow refuse
 * every nonce issued before it woke up without refusing the ones issued just after.
 * @module
 */
import { timingSafeEqualBytes } from './hash.js';
import { HmacSha256 } from './sha256.js';

/** Random bytes carried in each nonce; `createNonce` needs at least this many. */
export const NONCE_RANDOM_BYTES = 6;
/** Length of the truncated HMAC-SHA256 tag (96 bits, as in RFC 2104 §5 truncation). */
export const NONCE_MAC_BYTES = 12;
/** How far in the future a nonce's issue time may lie (clock skew between nodes) before it is rejected. */
export const NONCE_CLOCK_SKEW_MS = 10_000;

const TIME_BYTES = 6;
const SIGNED_BYTES = TIME_BYTES + NONCE_RANDOM_BYTES;
const RAW_BYTES = SIGNED_BYTES + NONCE_MAC_BYTES;
/** Encoded length: 24 bytes is a multiple of 3, so every base64url string of this length is canonical. */
export const NONCE_LENGTH = (RAW_BYTES / 3) * 4;

/** Domain separation, so that the same secret may sign other things (flow tokens) without confusion. */
const CONTEXT = new TextEncoder().encode('edge-sip digest nonce v2:');

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
/** The raw bytes of a nonce being created or checked (used synchronously, so one buffer serves every call). */
const RAW = new Uint8Array(RAW_BYTES);
const RAW_SIGNED = RAW.subarray(0, SIGNED_BYTES);
const RAW_MAC = RAW.subarray(SIGNED_BYTES);

/** Decode a nonce of {@link NONCE_LENGTH} characters into {@link RAW}; false when a character is not ours. */
function decode(s: string): boolean {
  for (let i = 0, o = 0; i < s.length; i += 4, o += 3) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const v = DECODE[s.charCodeAt(i + j)] ?? -1;
      if (v < 0) return false;
      n = (n << 6) | v;
    }
    RAW[o] = n >>> 16;
    RAW[o + 1] = (n >>> 8) & 255;
    RAW[o + 2] = n & 255;
  }
  return true;
}

function writeUint48(out: Uint8Array, n: number): void {
  for (let i = TIME_BYTES - 1; i >= 0; i--, n = Math.floor(n / 256)) out[i] = n % 256;
}

function readUint48(raw: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < TIME_BYTES; i++) n = n * 256 + raw[i]!;
  return n;
}

/**
 * Issue time (Unix ms) written in a nonce, or null when it is not one of ours by shape. It does not check
 * the MAC: call it only on nonces {@link checkNonce} already found `valid`.
 */
export function nonceIssuedAt(nonce: string): number | null {
  if (nonce.length !== NONCE_LENGTH) return null;
  return decode(nonce) ? readUint48(RAW) : null;
}

const UTF8 = new TextEncoder();

/** Signers by secret, then by scope: each has the key and `CONTEXT ‖ scope ‖ 0x00` absorbed already. */
const signers = new WeakMap<Uint8Array, Map<string, HmacSha256>>();
/** Scopes kept per secret (one per live flow in the isolate); past it the oldest signer is dropped. */
const SIGNERS_PER_SECRET = 4096;

function signerFor(secret: Uint8Array, scope: string): HmacSha256 {
  let byScope = signers.get(secret);
  if (byScope === undefined) signers.set(secret, (byScope = new Map()));
  let signer = byScope.get(scope);
  if (signer === undefined) {
    const scopeBytes = UTF8.encode(scope);
    const prefix = new Uint8Array(CONTEXT.length + scopeBytes.length + 1); // the 0x00 at the end ends the scope
    prefix.set(CONTEXT);
    prefix.set(scopeBytes, CONTEXT.length);
    if (byScope.size >= SIGNERS_PER_SECRET) byScope.delete(byScope.keys().next().value!);
    byScope.set(scope, (signer = new HmacSha256(secret, prefix)));
  }
  return signer;
}

/** The full tag of one nonce, before truncation. */
const tag = new Uint8Array(32);
const TAG_MAC = tag.subarray(0, NONCE_MAC_BYTES);

/** HMAC-SHA256(secret, CONTEXT ‖ scope ‖ 0x00 ‖ signed), truncated to {@link NONCE_MAC_BYTES}, in a shared array. */
function sign(secret: Uint8Array, scope: string, signed: Uint8Array): Uint8Array {
  signerFor(secret, scope).mac(signed, tag);
  return TAG_MAC;
}

/**
 * Create a nonce for `scope` (the issuing flow's id) issued at `nowMs`, made unique by the first
 * {@link NONCE_RANDOM_BYTES} bytes of `random` (from `crypto.getRandomValues`). Throws `RangeError` when
 * `random` is too short (a programming error).
 */
export function createNonce(secret: Uint8Array, nowMs: number, random: Uint8Array, scope: string): string {
  if (random.length < NONCE_RANDOM_BYTES) throw new RangeError(`createNonce needs ${NONCE_RANDOM_BYTES} random bytes`);
  writeUint48(RAW, Math.max(0, Math.floor(nowMs)));
  for (let i = 0; i < NONCE_RANDOM_BYTES; i++) RAW[TIME_BYTES + i] = random[i]!;
  RAW_MAC.set(sign(secret, scope, RAW_SIGNED));
  return encode(RAW);
}

/** Outcome of {@link checkNonce}. */
export type NonceStatus = 'valid' | 'stale' | 'invalid';

/**
 * Check a nonce presented in `scope`: `invalid` for bad encoding, length or MAC (which includes another
 * scope's nonce), or an issue time beyond {@link NONCE_CLOCK_SKEW_MS}
 * in the future; `stale` when genuine but issued more than `ttlMs` ago (answer 401 with `stale=true`,
 * RFC 2617 §3.2.1); else `valid`.
 */
export function checkNonce(secret: Uint8Array, nonce: string, nowMs: number, ttlMs: number, scope: string): NonceStatus {
  if (nonce.length !== NONCE_LENGTH) return 'invalid';
  if (!decode(nonce)) return 'invalid';
  const mac = sign(secret, scope, RAW_SIGNED);
  if (!timingSafeEqualBytes(mac, RAW_MAC)) return 'invalid';
  const issuedMs = readUint48(RAW);
  if (issuedMs > nowMs + NONCE_CLOCK_SKEW_MS) return 'invalid';
  return nowMs - issuedMs > ttlMs ? 'stale' : 'valid';
}

/** Parse a nonce-count: exactly 8 hex digits (RFC 2617 §3.2.2 `nc-value = 8LHEX`, upper case tolerated). */
export function parseNc(s: string): number | null {
  if (s.length !== 8) return null;
  let n = 0;
  for (let i = 0; i < 8; i++) {
    const c = s.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return null;
    n = n * 16 + d;
  }
  return n;
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
