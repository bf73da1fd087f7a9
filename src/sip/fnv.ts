/**
 * FNV-1a, 32-bit: the one non-cryptographic hash of the codebase, for values that must be stable, not
 * secret (deterministic To tags of local answers, loop-detection hashes in Via branches).
 * @module
 */

/** The 32-bit FNV offset basis. */
export const FNV_OFFSET = 0x811c9dc5;

/** One step of FNV-1a: the hash `h` after the code unit `c`. */
export function fnv1aStep(h: number, c: number): number {
  return Math.imul((h ^ c) >>> 0, 0x01000193) >>> 0;
}

/** Two hex digits per byte value. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A 32-bit value as 8 lower-case hex digits. */
export function hex8(h: number): string {
  return HEX[h >>> 24]! + HEX[(h >>> 16) & 255]! + HEX[(h >>> 8) & 255]! + HEX[h & 255]!;
}

/** FNV-1a over a string's UTF-16 code units, as 8 hex digits; `seed` replaces the offset basis. */
export function fnv1aHex(s: string, seed = FNV_OFFSET): string {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) h = fnv1aStep(h, s.charCodeAt(i));
  return hex8(h);
}
