/**
 * Body charsets for MANSCDP: UTF-8 when the bytes are valid UTF-8, else GB18030 (superset of
 * GB2312/GBK), whatever the label says; and a GB18030 two-byte encoder for outbound text.
 * @module
 */

/** Charsets we write. `GB2312` and `GB18030` both use the GB18030 two-byte table. */
export type OutboundCharset = 'UTF-8' | 'GB2312' | 'GB18030';

const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const utf8Encoder = new TextEncoder();

/** Labels that all mean "decode with GB18030" (it decodes every GB2312 and GBK byte sequence). */
const GB_LABELS = new Set(['gb2312', 'gbk', 'gb18030', 'cp936', 'x-gbk', 'csgb2312', 'chinese', 'euc-cn']);

/** Decoders by lower-case label; `null` when the runtime does not know the label. */
const decoders = new Map<string, TextDecoder | null>();

function decoderFor(label: string): TextDecoder | null {
  const key = GB_LABELS.has(label) ? 'gb18030' : label;
  let d = decoders.get(key);
  if (d === undefined) {
    try {
      d = new TextDecoder(key);
    } catch {
      d = null;
    }
    decoders.set(key, d);
  }
  return d;
}

/**
 * The `encoding` pseudo-attribute of a leading XML declaration (`<?xml … encoding="GB2312"?>`),
 * read from the first bytes as Latin-1, or `undefined` when there is none.
 */
export function prologEncoding(bytes: Uint8Array): string | undefined {
  let head = '';
  for (let i = 0; i < bytes.length && i < 256; i++) head += String.fromCharCode(bytes[i]!);
  let start = head.startsWith('\u00ef\u00bb\u00bf') ? 3 : 0;
  while (start < head.length && ' \t\r\n'.includes(head[start]!)) start++;
  if (!head.startsWith('<?xml', start)) return undefined;
  const end = head.indexOf('?>', start);
  const decl = end < 0 ? '' : head.slice(start, end);
  const at = decl.indexOf('encoding');
  if (at < 0) return undefined;
  let i = at + 'encoding'.length;
  while (decl[i] === ' ' || decl[i] === '\t') i++;
  if (decl[i] !== '=') return undefined;
  i++;
  while (decl[i] === ' ' || decl[i] === '\t') i++;
  const q = decl[i];
  if (q !== '"' && q !== "'") return undefined;
  const close = decl.indexOf(q, i + 1);
  return close < 0 ? undefined : decl.slice(i + 1, close).trim();
}

/**
 * The `charset` parameter of a Content-Type value (`Application/MANSCDP+xml;charset=GB2312`),
 * unquoted, or `undefined`.
 */
export function contentTypeCharset(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  for (const part of contentType.split(';').slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const v = part.slice(eq + 1).trim();
    return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1) : v;
  }
  return undefined;
}

/**
 * Decode a MANSCDP (or any text) body. Valid UTF-8 wins, because labels are often wrong
 * (GoWVP `XMLDecode`); otherwise the Content-Type charset, then the XML prolog's `encoding`,
 * picks the fallback decoder, and GB18030 is used when neither names a usable non-UTF-8
 * charset. Never throws: undecodable bytes become U+FFFD.
 */
export function decodeBody(bytes: Uint8Array, contentTypeCharset?: string): string {
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    // not UTF-8: fall through to the hinted legacy charset
  }
  for (const hint of [contentTypeCharset, prologEncoding(bytes)]) {
    const label = hint?.trim().toLowerCase();
    if (label === undefined || label === '' || label === 'utf-8' || label === 'utf8') continue;
    const d = decoderFor(label);
    if (d !== null) return d.decode(bytes);
  }
  return decoderFor('gb18030')!.decode(bytes);
}

/** Code point → two-byte GB18030 code (lead << 8 | trail), built on first use. */
let gbTable: Map<number, number> | null = null;

/** Decode each lead-byte row of the two-byte range (0x81–0xFE × 0x40–0xFE, no 0x7F) once. */
function buildGbTable(): Map<number, number> {
  const gb = new TextDecoder('gb18030');
  const table = new Map<number, number>();
  const trails: number[] = [];
  for (let t = 0x40; t <= 0xfe; t++) if (t !== 0x7f) trails.push(t);
  const row = new Uint8Array(trails.length * 2);
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    trails.forEach((t, k) => {
      row[2 * k] = lead;
      row[2 * k + 1] = t;
    });
    const text = gb.decode(row);
    if (text.length === trails.length) {
      for (let k = 0; k < trails.length; k++) addEntry(table, text.charCodeAt(k), (lead << 8) | trails[k]!);
    } else {
      // A row with unmapped pairs does not line up one char per pair: decode its pairs one by one.
      for (const t of trails) {
        const one = gb.decode(new Uint8Array([lead, t]));
        if (one.length === 1) addEntry(table, one.charCodeAt(0), (lead << 8) | t);
      }
    }
  }
  return table;
}

/** Keep the first (lowest) code for a character, as the WHATWG encoder does; skip U+FFFD and ASCII. */
function addEntry(table: Map<number, number>, cp: number, code: number): void {
  if (cp === 0xfffd || cp < 0x80 || table.has(cp)) return;
  table.set(cp, code);
}

/**
 * Encode text for a body. `UTF-8` uses TextEncoder; `GB2312`/`GB18030` write ASCII as single
 * bytes and everything in the GB18030 two-byte table as two bytes; characters outside it
 * (four-byte GB18030 codes, astral characters) become `?`.
 */
export function encodeBody(text: string, charset: OutboundCharset): Uint8Array {
  if (charset === 'UTF-8') return utf8Encoder.encode(text);
  gbTable ??= buildGbTable();
  const out = new Uint8Array(text.length * 2);
  let n = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) {
      out[n++] = cp;
      continue;
    }
    const code = gbTable.get(cp);
    if (code === undefined) out[n++] = 0x3f;
    else {
      out[n++] = code >> 8;
      out[n++] = code & 0xff;
    }
  }
  return out.slice(0, n);
}
