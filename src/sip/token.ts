/**
 * The RFC 3261 §25.1 `token` character class and the character codes the grammar pieces scan for, shared by
 * every grammar piece.
 * @module
 */

/** Character codes of the RFC 3261 §25.1 separators and whitespace the grammar scans for. */
export const CH = {
  HTAB: 9, LF: 10, CR: 13, SP: 32, DQUOTE: 34, COMMA: 44, COLON: 58, SEMI: 59, EQUALS: 61, BACKSLASH: 92,
} as const;

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
