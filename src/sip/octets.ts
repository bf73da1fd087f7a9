/**
 * UTF-8 encoding of message bodies that arrive as text, into a shared pool.
 *
 * `TextEncoder.encode` allocates a fresh `ArrayBuffer` per call, and for a body of a few hundred octets that
 * allocation costs more than the encoding itself. Like Node's `Buffer` pool, small bodies are encoded with
 * `encodeInto` into a shared slab and handed out as views; bigger ones get their own buffer. Bodies copied out
 * of a caller's byte buffer go the same way.
 * @module
 */

const encoder = new TextEncoder();

/** Size of one shared slab, octets. */
const SLAB_SIZE = 16 * 1024;
/** Longest text (in UTF-16 units) encoded into the slab; longer text gets its own buffer. */
const POOLED_MAX = SLAB_SIZE >>> 2;

let slab = new Uint8Array(SLAB_SIZE);
let used = 0;

/**
 * UTF-8 octets of `text`. For short text the result is a view into a shared slab (its `byteOffset` may be
 * non-zero and its `buffer` holds other bodies too): read it through the view, and `slice()` it before
 * keeping it for long or sending it across an isolate boundary.
 */
export function encodeUtf8(text: string): Uint8Array {
  const n = text.length;
  if (n > POOLED_MAX) return encoder.encode(text);
  // Pure ASCII needs n octets; other text may need up to 3n, and falls back below when it does not fit.
  const start = reserve(n);
  const r = encoder.encodeInto(text, slab.subarray(start));
  if (r.read !== n) return encoder.encode(text);
  return take(start, r.written);
}

/** A copy of `octets` that does not share memory with them (a view into the shared slab when short, as above). */
export function copyOctets(octets: Uint8Array): Uint8Array {
  const n = octets.length;
  if (n > POOLED_MAX) return octets.slice();
  const start = reserve(n);
  slab.set(octets, start);
  return take(start, n);
}

/** Offset in the slab where at least `n` octets are free, starting a new slab when needed. */
function reserve(n: number): number {
  if (used + n > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    used = 0;
  }
  return used;
}

/** Hand out `n` octets from `start` and move past them, 8-octet aligned so typed views over a body stay possible. */
function take(start: number, n: number): Uint8Array {
  used = (start + n + 7) & ~7;
  return slab.subarray(start, start + n);
}
