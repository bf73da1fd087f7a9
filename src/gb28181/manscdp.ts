/**
 * MANSCDP+xml bodies (GB/T 28181 Annex A): parse the envelope shared by every query, control,
 * notification and response. Typed extractors live in `manscdp-response.ts`, builders in
 * `manscdp-build.ts`; both are re-exported here.
 * @module
 */

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { fail, ok } from '../sip/message.js';
import type { Result } from '../sip/message.js';
import { decodeBody } from './charset.js';
import { isFields, parseIntText, text } from './manscdp-fields.js';
import type { XmlFields } from './manscdp-fields.js';

export * from './manscdp-response.js';
export * from './manscdp-build.js';

/** The four MANSCDP root elements. */
export type ManscdpRoot = 'Query' | 'Control' | 'Notify' | 'Response';

/** A MANSCDP body reduced to its envelope plus the raw child elements. */
export interface ManscdpMessage {
  /** Root element, normalised to the standard capitalisation. */
  root: ManscdpRoot;
  /** `CmdType`: Keepalive, Catalog, DeviceInfo, DeviceStatus, RecordInfo, DeviceControl, Alarm … */
  cmdType: string;
  /** `SN`: the sequence number a response echoes, used to correlate it with its query. */
  sn: number;
  /** `DeviceID`: the device or channel the message is about. */
  deviceId: string;
  /**
   * Every child of the root as parsed: element text stays a string (IDs keep leading zeros),
   * attributes are `@_name`, repeated elements are arrays.
   */
  fields: Record<string, unknown>;
}

const ROOTS: readonly ManscdpRoot[] = ['Query', 'Control', 'Notify', 'Response'];

/**
 * Values stay strings (`parseTagValue: false`): `DeviceID` is 20 digits with leading zeros
 * and `SN` is converted explicitly. Only the five XML entities are decoded.
 */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  htmlEntities: false,
});

/** A `&` that does not start an entity or character reference. */
const BARE_AMPERSAND = /&(?![A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#x[0-9A-Fa-f]+;)/g;

/**
 * Well-formedness check with one repair: Hikvision devices send bare `&` in text (WVP
 * `getRootElement` strips them); escape those and check again. Returns the text to parse.
 */
function wellFormed(xml: string): Result<string> {
  const first = XMLValidator.validate(xml);
  if (first === true) return ok(xml);
  const repaired = xml.replace(BARE_AMPERSAND, '&amp;');
  if (repaired !== xml && XMLValidator.validate(repaired) === true) return ok(repaired);
  return fail(`Malformed XML at line ${first.err.line}, column ${first.err.col}: ${first.err.msg}`);
}

/** The single root element of a parsed document. */
function rootOf(doc: XmlFields): Result<{ root: ManscdpRoot; body: XmlFields }> {
  const names = Object.keys(doc).filter((k) => !k.startsWith('#') && !k.startsWith('?'));
  if (names.length !== 1) return fail(`Expected one root element, found ${names.length}`);
  const name = names[0]!;
  const root = ROOTS.find((r) => r.toLowerCase() === name.toLowerCase());
  if (root === undefined) return fail(`Unknown MANSCDP root element <${name}>`);
  const body = doc[name];
  return ok({ root, body: isFields(body) ? body : {} });
}

/**
 * Parse a MANSCDP+xml body: one `Query`/`Control`/`Notify`/`Response` root with `CmdType`,
 * a non-negative integer `SN` and a `DeviceID`. Fails with a reason (malformed XML, a
 * `DOCTYPE`, an unknown root, a missing envelope field); never throws.
 */
export function parseManscdp(xml: string): Result<ManscdpMessage> {
  if (xml.includes('<!DOCTYPE') || xml.includes('<!doctype')) return fail('DOCTYPE is not allowed in MANSCDP bodies');
  const checked = wellFormed(xml);
  if (!checked.ok) return checked;
  let doc: unknown;
  try {
    doc = parser.parse(checked.value);
  } catch (e) {
    return fail(`Unparseable XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isFields(doc)) return fail('Empty XML document');
  const r = rootOf(doc);
  if (!r.ok) return r;
  const { root, body } = r.value;
  const cmdType = text(body, 'CmdType');
  if (cmdType === undefined || cmdType === '') return fail(`<${root}> has no CmdType`);
  const sn = parseIntText(text(body, 'SN'));
  if (sn === undefined || sn < 0) return fail(`<${root}> ${cmdType} has no valid SN`);
  const deviceId = text(body, 'DeviceID');
  if (deviceId === undefined || deviceId === '') return fail(`<${root}> ${cmdType} has no DeviceID`);
  return ok({ root, cmdType, sn, deviceId, fields: body });
}

/**
 * Decode body bytes ({@link decodeBody}: UTF-8 when valid, else GB18030) and parse them
 * with {@link parseManscdp}.
 */
export function parseManscdpBody(bytes: Uint8Array, contentTypeCharset?: string): Result<ManscdpMessage> {
  return parseManscdp(decodeBody(bytes, contentTypeCharset));
}
