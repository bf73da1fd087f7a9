/**
 * FNV-1a, 32-bit: the one non-cryptographic hash of the codebase, for values that must be stable, not
 * secret (deterministic To tags of local answers, loop-detection hashes in Via branches).
 * @module
 */

/** FNV-1a over a string's UTF-16 code units, as 8 hex digits; `seed` replaces the offset basis. */
export function fnv1aHex(s: string, seed = 0x811c9dc5): string {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
