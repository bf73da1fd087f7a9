/**
 * The RFC 3261 §25.1 `token` character class, shared by every grammar piece.
 * @module
 */

/** 1 for token characters (alphanum and `-.!%*_+`'~`), indexed by char code below 128. */
export const TOKEN_CHARS: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let c = 48; c <= 57; c++) t[c] = 1;
  for (let c = 65; c <= 90; c++) t[c] = 1;
  for (let c = 97; c <= 122; c++) t[c] = 1;
  for (const ch of "-.!%*_+`'~") t[ch.charCodeAt(0)] = 1;
  return t;
})();

/** True for RFC 3261 §25.1 token characters. */
export function isTokenChar(ch: number): boolean {
  return ch < 128 && TOKEN_CHARS[ch] === 1;
}
