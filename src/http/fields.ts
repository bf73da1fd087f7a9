/**
 * Checks of API fields that end up in a SIP message. Anything that reaches a header is held to the header's
 * grammar, so no CR, LF or other control character can inject a header or a body (RFC 3261 §25.1).
 * @module
 */

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
/** RFC 3261 §20.15 media-type: `type/subtype *( ; name=value )`, value a token or a quoted string. */
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|"[^"\\\\\\x00-\\x1f\\x7f]*"))*$`);

/** Whether `s` is a media type fit for a `Content-Type` header. */
export function isMediaType(s: string): boolean {
  return s.length <= 256 && MEDIA_TYPE.test(s);
}

/** GB/T 28181 A.2.1 time: `YYYY-MM-DDThh:mm:ss` (local time, no zone). */
export function isGbTime(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(s);
}

/** The record types a RecordInfo query names (GB/T 28181 A.2.4.5). */
export const RECORD_TYPES = ['all', 'time', 'alarm', 'manual'] as const;
