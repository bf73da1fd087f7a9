/**
 * Readers over the plain objects fast-xml-parser produces for MANSCDP bodies: element text is a
 * string, attributes are `@_name`, an element with attributes and text keeps it in `#text`, and a
 * repeated element becomes an array.
 * @module
 */

/** A parsed element's children, keyed by tag name. */
export type XmlFields = Record<string, unknown>;

/** Prefix fast-xml-parser gives attribute keys (see `manscdp.ts`). */
export const ATTR_PREFIX = '@_';

/** True for a non-null, non-array object (a parsed element with children or attributes). */
export function isFields(v: unknown): v is XmlFields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Child `name` of `fields`: the exact tag first, then a case-insensitive match (devices vary
 * the capitalisation of tags such as `DeviceID`/`DeviceId`).
 */
export function child(fields: XmlFields, name: string): unknown {
  if (Object.hasOwn(fields, name)) return fields[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(fields)) if (key.toLowerCase() === lower) return fields[key];
  return undefined;
}

/** Text content of a value: strings as they are, `#text` of an element with attributes, first of a repeat. */
export function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return textOf(v[0]);
  if (isFields(v)) {
    const t = v['#text'];
    return t === undefined ? '' : textOf(t);
  }
  return undefined;
}

/** Trimmed text of child `name`, or `undefined` when the element is absent. */
export function text(fields: XmlFields, name: string): string | undefined {
  return textOf(child(fields, name))?.trim();
}

/** Trimmed text of child `name`, or `''` when the element is absent. */
export function str(fields: XmlFields, name: string): string {
  return text(fields, name) ?? '';
}

/** Child `name` as a decimal integer, or `undefined` when absent or not an integer. */
export function int(fields: XmlFields, name: string): number | undefined {
  return parseIntText(text(fields, name));
}

/** Child `name` as a finite decimal number, or `undefined` when absent or not a number. */
export function num(fields: XmlFields, name: string): number | undefined {
  const t = text(fields, name);
  if (t === undefined || t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** A string of ASCII digits (optionally signed) as an integer, else `undefined`. */
export function parseIntText(t: string | undefined): number | undefined {
  if (t === undefined) return undefined;
  const s = t.trim();
  let i = s.startsWith('-') || s.startsWith('+') ? 1 : 0;
  if (i === s.length) return undefined;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Attribute `name` of an element value (`Num` of `<DeviceList Num="2">`). */
export function attr(v: unknown, name: string): string | undefined {
  if (!isFields(v)) return undefined;
  return textOf(child(v, ATTR_PREFIX + name))?.trim();
}

/**
 * The `itemName` children of a list element (`<DeviceList><Item>…`), as an array of
 * element objects whether the list held none, one (an object) or many (an array).
 * Items that are bare text (malformed) are skipped.
 */
export function items(list: unknown, itemName = 'Item'): XmlFields[] {
  if (!isFields(list)) return [];
  const v = child(list, itemName);
  const all = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return all.filter(isFields);
}
