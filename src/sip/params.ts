/**
 * Generic `;name=value` parameter lists (RFC 3261 §7.3.1, §19.1.1, §20.42).
 * @module
 */

import { fail, ok } from './message.js';
import type { Result } from './message.js';
import { CH } from './token.js';

const { SP, HTAB, SEMI, EQUALS, DQUOTE, BACKSLASH } = CH;

/**
 * Parameters in wire order: keys lower-cased, values raw as written (quotes
 * kept, escapes not decoded), `null` for a parameter without `=value`.
 */
export type Params = Map<string, string | null>;


/** True for characters that may not appear in a parameter name. */
function isNameStop(ch: number): boolean {
  return ch <= SP || ch === SEMI || ch === EQUALS || ch === DQUOTE || ch === 44 /* , */ || ch === 60 /* < */ || ch === 62 /* > */ || ch === 127;
}

function skipWs(text: string, i: number): number {
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch !== SP && ch !== HTAB) break;
    i++;
  }
  return i;
}

/** Index just after the closing quote of the quoted string opening at `i`, or -1. */
export function endOfQuoted(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const ch = text.charCodeAt(j);
    if (ch === BACKSLASH) j++;
    else if (ch === DQUOTE) return j + 1;
  }
  return -1;
}

/**
 * Parse `;a=b;c;d="q"` (leading and surrounding LWS tolerated, RFC 3261 §7.3.1
 * allows LWS around `;` and `=`). Empty text gives an empty map.
 */
export function parseParams(text: string): Result<Params> {
  const params: Params = new Map();
  let i = skipWs(text, 0);
  while (i < text.length) {
    if (text.charCodeAt(i) !== SEMI) return fail(`Unexpected character '${text[i]}' in parameters`);
    i = skipWs(text, i + 1);
    const nameStart = i;
    while (i < text.length && !isNameStop(text.charCodeAt(i))) i++;
    if (i === nameStart) return fail('Empty parameter name');
    const name = text.slice(nameStart, i).toLowerCase();
    i = skipWs(text, i);
    let value: string | null = null;
    if (i < text.length && text.charCodeAt(i) === EQUALS) {
      i = skipWs(text, i + 1);
      const valueStart = i;
      if (i < text.length && text.charCodeAt(i) === DQUOTE) {
        const end = endOfQuoted(text, i);
        if (end < 0) return fail(`Unterminated quoted value for parameter '${name}'`);
        i = end;
      } else {
        while (i < text.length) {
          const ch = text.charCodeAt(i);
          if (ch === SEMI || ch === SP || ch === HTAB || ch === DQUOTE) break;
          i++;
        }
      }
      if (i === valueStart) return fail(`Empty value for parameter '${name}'`);
      value = text.slice(valueStart, i);
      i = skipWs(text, i);
    }
    if (!params.has(name)) params.set(name, value);
  }
  return ok(params);
}

/** Write parameters back as `;a=b;c`. */
export function formatParams(params: Params): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}

/** Remove surrounding double quotes and backslash escapes (RFC 3261 §25.1 quoted-pair); other text is returned unchanged. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== DQUOTE || s.charCodeAt(s.length - 1) !== DQUOTE) return s;
  const inner = s.slice(1, -1);
  if (inner.indexOf('\\') < 0) return inner;
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (ch === '\\' && i + 1 < inner.length) {
      i++;
      out += inner[i]!;
    } else out += ch;
  }
  return out;
}

/** Wrap text in double quotes, escaping `"` and `\`. */
export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    out += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
  }
  return `${out}"`;
}
