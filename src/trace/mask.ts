/**
 * Credentials never leave a flow in a trace: the values of `Authorization` and `Proxy-Authorization`
 * (RFC 3261 §20.7, §20.28) are replaced by `***`, continuation lines included.
 * @module
 */

/** Headers whose values a trace masks (lower case). */
const MASKED = new Set(['authorization', 'proxy-authorization']);

/** The message text with every masked header's value written `***`; the body is left as it is. */
export function maskCredentials(text: string): string {
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  if (!/authorization/i.test(head)) return text;
  const eol = head.includes('\r\n') ? '\r\n' : '\n';
  const out: string[] = [];
  let masking = false;
  for (const line of head.split(/\r?\n/)) {
    // RFC 3261 §7.3.1: a line starting with white space continues the previous header.
    if (/^[ \t]/.test(line) && out.length > 1) {
      if (!masking) out.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    masking = out.length > 0 && colon > 0 && MASKED.has(line.slice(0, colon).trim().toLowerCase());
    out.push(masking ? `${line.slice(0, colon + 1)} ***` : line);
  }
  return out.join(eol) + (end < 0 ? '' : text.slice(end));
}
