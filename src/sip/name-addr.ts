/**
 * name-addr / addr-spec values of From, To, Contact, Route … (RFC 3261 §20.10, §25.1).
 * @module
 */

import { fail, ok, splitList } from './message.js';
import type { Result } from './message.js';
import { endOfQuoted, formatParams, parseParams, quote, unquote } from './params.js';
import type { Params } from './params.js';
import { parseUri } from './uri.js';
import type { SipUri } from './uri.js';
import { memoized } from './memo.js';

/** A display name, URI and header parameters. */
export interface NameAddr {
  /** Display name without quotes or escapes; null when absent. */
  displayName: string | null;
  uri: SipUri;
  /** URI text exactly as received; {@link formatNameAddr} writes this, so update it when changing `uri`. */
  uriText: string;
  /** Header parameters (`tag`, `expires`, `q` …), outside the URI. */
  params: Params;
}

/** token chars of RFC 3261 §25.1, plus LWS between the tokens of a display name. */
function isDisplayTokenChar(ch: number): boolean {
  if ((ch >= 97 && ch <= 122) || (ch >= 65 && ch <= 90) || (ch >= 48 && ch <= 57)) return true;
  // - . ! % * _ + ` ' ~ and LWS
  return ch === 45 || ch === 46 || ch === 33 || ch === 37 || ch === 42 || ch === 95 || ch === 43 || ch === 96 || ch === 39 || ch === 126 || ch === 32 || ch === 9;
}

/** Parse the `<uri>;params` tail that starts at `lt`. */
function parseBracketed(value: string, lt: number, displayName: string | null): Result<NameAddr> {
  const gt = value.indexOf('>', lt + 1);
  if (gt < 0) return fail("Missing '>'");
  const uriText = value.slice(lt + 1, gt);
  const uri = parseUri(uriText);
  if (!uri.ok) return fail(`Bad URI: ${uri.error}`);
  const params = parseParams(value.slice(gt + 1));
  if (!params.ok) return fail(params.error);
  return ok({ displayName, uri: uri.value, uriText, params: params.value });
}

/**
 * Parse a name-addr (`"Alice" <sip:a@x;p=1>;tag=9`, token display names even
 * without LWS before `<`, RFC 4475 §3.1.1.6) or an addr-spec (`sip:a@x;tag=9`).
 */
export function parseNameAddr(value: string): Result<NameAddr> {
  const v = value.trim();
  if (v.length === 0) return fail('Empty address');
  if (v.charCodeAt(0) === 34 /* " */) {
    const end = endOfQuoted(v, 0);
    if (end < 0) return fail('Unterminated quoted display name');
    let i = end;
    while (i < v.length && (v.charCodeAt(i) === 32 || v.charCodeAt(i) === 9)) i++;
    if (v.charCodeAt(i) !== 60) return fail("Expected '<' after display name");
    return parseBracketed(v, i, unquote(v.slice(0, end)));
  }
  const lt = v.indexOf('<');
  if (lt >= 0) {
    for (let i = 0; i < lt; i++) {
      if (!isDisplayTokenChar(v.charCodeAt(i))) return fail(`Character '${v[i]}' not allowed in an unquoted display name`);
    }
    const display = v.slice(0, lt).trim();
    return parseBracketed(v, lt, display === '' ? null : display);
  }
  return parseAddrSpec(v);
}

/**
 * addr-spec form: parameters after it are header parameters (RFC 3261 §20.10),
 * so a URI with `?`, `,` or `;` before `@` must be written inside `<>`.
 */
function parseAddrSpec(v: string): Result<NameAddr> {
  let end = 0;
  while (end < v.length) {
    const ch = v.charCodeAt(end);
    if (ch === 59 || ch === 32 || ch === 9) break;
    end++;
  }
  const uriText = v.slice(0, end);
  if (uriText.indexOf('?') >= 0 || uriText.indexOf(',') >= 0) return fail('A URI with headers or commas must be enclosed in <>');
  const at = v.indexOf('@', end);
  const dq = v.indexOf('"', end);
  if (at >= 0 && (dq < 0 || at < dq)) return fail('A URI with ; in its user part must be enclosed in <>');
  const uri = parseUri(uriText);
  if (!uri.ok) return fail(`Bad URI: ${uri.error}`);
  const params = parseParams(v.slice(end));
  if (!params.ok) return fail(params.error);
  return ok({ displayName: null, uri: uri.value, uriText, params: params.value });
}

/** Write the `<…>` form: `"Display" <uri>;params`. */
export function formatNameAddr(n: NameAddr): string {
  const display = n.displayName !== null && n.displayName !== '' ? `${quote(n.displayName)} ` : '';
  return `${display}<${n.uriText}>${formatParams(n.params)}`;
}

/** A device's Contact repeats on every refresh: parsed once per text (read-only results, see `memo.ts`). */
const parseContactOnce = memoized((entry: string) => parseNameAddr(entry));

/**
 * Parse every Contact header line: a list of name-addrs, or the `*` wildcard
 * alone (RFC 3261 §10.2.2, §20.10).
 */
export function parseContactList(values: string[]): Result<NameAddr[] | '*'> {
  const out: NameAddr[] = [];
  let star = false;
  let entries = 0;
  for (const line of values) {
    for (const entry of splitList(line)) {
      entries++;
      if (entry === '') return fail('Empty Contact entry');
      if (entry === '*') {
        star = true;
        continue;
      }
      const n = parseContactOnce(entry);
      if (!n.ok) return fail(`Bad Contact: ${n.error}`);
      out.push(n.value);
    }
  }
  if (star) return entries === 1 ? ok('*') : fail("Contact '*' must be the only Contact value");
  return ok(out);
}
