/**
 * The zod schemas of the API's fields, each with the message a client gets when a value breaks it. Anything that
 * reaches a SIP message is held to the grammar of where it goes, so no CR, LF or other control character can
 * inject a header or a body (RFC 3261 §25.1).
 * @module
 */
import { z } from '@hono/zod-openapi';

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
/** RFC 3261 §20.15 media-type: `type/subtype *( ; name=value )`, value a token or a quoted string. */
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|"[^"\\\\\\x00-\\x1f\\x7f]*"))*$`);
/** User names accepted by the API: a conservative subset of the SIP user part (RFC 3261 §25.1). */
export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._~+-]{0,63}$/;
/** A SIP or SIPS URI as a header value may carry it: no white space, control characters, `<`, `>` or `"`. */
const SIP_URI = /^sips?:[^\s<>"\x00-\x1f\x7f]+$/;
/** GB/T 28181 A.2.1 time: `YYYY-MM-DDThh:mm:ss` (local time, no zone). */
const GB_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
/** GB/T 28181 §4.2 / Annex D: device and channel IDs are 20 digits. */
const GB_ID = /^\d{20}$/;

/** The user part of `user`, `sip:user@domain` or `sips:user@domain`. */
export function userPart(s: string): string {
  return s.replace(/^sips?:/, '').split('@')[0]!;
}

/** A user name, as it appears in `/users/{user}` and AORs `sip:{user}@SIP_DOMAIN`. */
export const UserName = z.string().regex(USER_NAME, { error: `user name must match ${USER_NAME.source}` }).openapi({ example: 'alice' });

/** A password as given to the API (stored only as HA1). */
export const Password = z.string({ error: '"password" must be a string of 4 to 256 characters' }).min(4).max(256);

/** A user name or a SIP URI naming one: `alice`, `sip:alice@domain`. */
export const USER_REF = new RegExp(`^(?:sips?:)?${USER_NAME.source.slice(1, -1)}(?:@[^\\s<>"\\x00-\\x1f\\x7f]{1,253})?$`);

/** `to` of a platform MESSAGE: a user name or a SIP URI naming one. */
export const MessageTarget = z.string({ error: '"to" must be a user name or sip:user@domain' }).regex(USER_REF).openapi({ example: 'alice' });

/** A value for a `Content-Type` header. */
export const MediaType = z.string({ error: '"contentType" must be a media type of at most 256 characters, e.g. "text/plain;charset=UTF-8"' })
  .max(256).regex(MEDIA_TYPE).openapi({ example: 'text/plain;charset=UTF-8' });

/** A SIP URI that is written into a `From` header. */
export const FromUri = z.string({ error: '"from" must be a SIP URI of at most 256 characters: sip: or sips:, no spaces, quotes, angle brackets or control characters' })
  .max(256).regex(SIP_URI).openapi({ example: 'sip:platform@edge-sip.test' });

/** A binding's contact as listed in its `bindings` (`<sip:…>;params`) or its bare SIP URI. */
export const ContactRef = z.string({ error: '"contact" must be a contact as listed in the user\'s bindings, or its SIP URI' })
  .max(2048).regex(/^<?[Ss][Ii][Pp][Ss]?:[^\s\x00-\x1f\x7f]+$/).openapi({ example: '<sip:a8j2k@df7jal23ls0d.invalid;transport=ws>' });

/** A GB/T 28181 device ID in a path. */
export const DeviceId = z.string().regex(GB_ID, { error: 'device IDs are 20 digits' }).openapi({ example: '34020000001320000001' });

/** A GB/T 28181 channel ID in a body (written into MANSCDP and the INVITE's Request-URI and Subject). */
export const ChannelId = z.string({ error: '"channel" must be a 20-digit channel ID' }).regex(GB_ID).openapi({ example: '34020000001320000001' });

/** A time of a RecordInfo query (GB/T 28181 A.2.1), `k` naming the field. */
export const gbTime = (k: string) => z.string({ error: `"${k}" must be YYYY-MM-DDThh:mm:ss` }).regex(GB_TIME).openapi({ example: '2026-01-01T00:00:00' });

/** The record types a RecordInfo query names (GB/T 28181 A.2.4.5). */
export const RECORD_TYPES = ['all', 'time', 'alarm', 'manual'] as const;
export const RecordType = z.enum(RECORD_TYPES, { error: `"type" must be one of ${RECORD_TYPES.join(', ')}` });

/** A Call-ID in a path (RFC 3261 §25.1 `callid`: `word [ "@" word ]`, printable and without spaces). */
export const CallId = z.string().regex(/^[!-~]{1,256}$/, { error: 'a Call-ID is 1 to 256 printable characters without spaces' });

/** An IP address written into SDP `c=` (RFC 4566 §5.7), `k` naming the field. */
export const IpAddress = (k: string) => z.union([z.ipv4(), z.ipv6()], { error: `"${k}" must be an IPv4 or IPv6 address` }).openapi({ example: '127.0.0.1' });

/** Where the media of an INVITE goes. */
export const MediaIp = IpAddress('mediaIp');

/** A UDP or TCP port. */
export const Port = (k: string) => z.number({ error: `"${k}" must be an integer 1-65535` }).int().min(1).max(65535);

/** An integer field `k` from 0 to `max`. */
export const intUpTo = (k: string, max: number) => z.number({ error: `"${k}" must be an integer 0-${max}` }).int().min(0).max(max);
