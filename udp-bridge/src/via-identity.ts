/**
 * The transaction identity of a top Via: its branch and sent-by (RFC 3261 §17.2.3), read in one pass for a
 * plainly written Via and through the full Via parser otherwise, with the same result either way.
 * @module
 */

import { parseVia, viaBranch } from '../../src/sip/via.js';

/** Branch and sent-by of a Via entry: the host lower-cased (IPv6 in brackets), the port null when absent. */
export interface ViaIdentity {
  branch: string | null;
  host: string;
  port: number | null;
}

/** The Via identity; null when the value is not a valid Via. */
export function viaIdentity(value: string): ViaIdentity | null {
  const fast = scanVia(value);
  if (fast !== undefined) return fast;
  const via = parseVia(value);
  return via.ok ? { branch: viaBranch(via.value), host: via.value.host, port: via.value.port } : null;
}

/** A Via `token` character (as in the Via parser: no `/ ; , " :`). */
function isToken(ch: number): boolean {
  return ch > 32 && ch < 127 && ch !== 47 && ch !== 59 && ch !== 44 && ch !== 34 && ch !== 58;
}

/** Host characters of a hostname or IPv4 address (alphanumerics, `-`, `.`, `_`). */
function isHostChar(ch: number): boolean {
  return (ch >= 97 && ch <= 122) || (ch >= 65 && ch <= 90) || (ch >= 48 && ch <= 57) || ch === 45 || ch === 46 || ch === 95;
}

/** A parameter character this scanner accepts: printable ASCII but space, `"`, `;`, `=`, `,`, `<`, `>`. */
function isParamChar(ch: number): boolean {
  return ch > 32 && ch < 127 && ch !== 34 && ch !== 59 && ch !== 61 && ch !== 44 && ch !== 60 && ch !== 62;
}

/**
 * `name/version/transport SP host[:port](;param[=value])*` with no other whitespace, no quotes, no IPv6
 * reference: the identity. undefined when the value is written any other way (the full parser decides).
 * Exported for the equivalence tests.
 */
export function scanVia(v: string): ViaIdentity | undefined {
  const n = v.length;
  let i = 0;
  for (let part = 0; part < 3; part++) {
    const start = i;
    while (i < n && isToken(v.charCodeAt(i))) i++;
    if (i === start) return undefined;
    if (part < 2) {
      if (v.charCodeAt(i) !== 47) return undefined;
      i++;
    }
  }
  if (v.charCodeAt(i) !== 32) return undefined;
  const hostStart = ++i;
  let upper = false;
  while (i < n && isHostChar(v.charCodeAt(i))) {
    const ch = v.charCodeAt(i);
    if (ch >= 65 && ch <= 90) upper = true;
    i++;
  }
  if (i === hostStart) return undefined;
  const host = upper ? v.slice(hostStart, i).toLowerCase() : v.slice(hostStart, i);
  let port: number | null = null;
  if (v.charCodeAt(i) === 58) {
    const start = ++i;
    let p = 0;
    while (i < n && i - start < 6) {
      const d = v.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      p = p * 10 + d;
      i++;
    }
    if (i === start || i - start > 5 || p > 65_535) return undefined;
    port = p;
  }
  // Parameters: the first `branch` wins, as in the parser; names are case-insensitive (RFC 3261 §7.3.1).
  let branch: string | null = null;
  let seen = false;
  while (i < n) {
    if (v.charCodeAt(i) !== 59) return undefined;
    const nameStart = ++i;
    while (i < n && isParamChar(v.charCodeAt(i))) i++;
    if (i === nameStart) return undefined;
    const isBranch = i - nameStart === 6 && v.slice(nameStart, i).toLowerCase() === 'branch';
    let value: string | null = null;
    if (v.charCodeAt(i) === 61) {
      const valueStart = ++i;
      while (i < n && isParamChar(v.charCodeAt(i))) i++;
      if (i === valueStart) return undefined;
      value = v.slice(valueStart, i);
    }
    if (i < n && v.charCodeAt(i) !== 59) return undefined;
    if (isBranch && !seen) {
      seen = true;
      branch = value;
    }
  }
  return { branch, host, port };
}
