/**
 * SIP message model (RFC 3261 §7): requests and responses with an ordered,
 * case-insensitive header list that understands compact forms.
 *
 * Header values are kept as raw text; structured views (Via, name-addr, CSeq …)
 * are parsed on demand by the grammar modules, so a message that is only
 * relayed is never parsed beyond its header lines.
 * @module
 */

/** A result that carries either a value or the reason it could not be produced. */
export type Result<T, E = string> = { ok: true; value: T } | { ok: false; error: E };

/** Shorthand constructors for {@link Result}. */
export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const fail = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });

/** RFC 3261 §7.3.3 compact forms, plus the registered ones from later RFCs. */
const COMPACT: Readonly<Record<string, string>> = {
  a: 'accept-contact', b: 'referred-by', c: 'content-type', d: 'request-disposition',
  e: 'content-encoding', f: 'from', i: 'call-id', j: 'reject-contact', k: 'supported',
  l: 'content-length', m: 'contact', n: 'identity-info', o: 'event', r: 'refer-to',
  s: 'subject', t: 'to', u: 'allow-events', v: 'via', x: 'session-expires', y: 'identity',
};

/** Canonical lookup key of a header name: lower case, compact form expanded. */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}

/**
 * Keys of the names code writes (`append('Via', …)`, `set('Content-Length', …)`): nearly always the same few
 * literals, so their keys are kept instead of lower-casing a new string for every header of every message.
 * Bounded; a name is kept by its own copy, never by a slice of a message.
 */
const WRITTEN_KEYS = new Map<string, string>();

function writtenKey(name: string): string {
  let key = WRITTEN_KEYS.get(name);
  if (key === undefined) {
    key = headerKey(name);
    if (WRITTEN_KEYS.size < 256) WRITTEN_KEYS.set((' ' + name).slice(1), key);
  }
  return key;
}

/**
 * Headers whose value is a comma-separated list (RFC 3261 §7.3.1), so that
 * `Via: a, b` and two `Via` lines mean the same thing. Authorization-style
 * headers are not lists: their commas separate parameters.
 */
const LIST_HEADERS = new Set([
  'via', 'contact', 'route', 'record-route', 'path', 'service-route', 'allow', 'supported',
  'require', 'proxy-require', 'unsupported', 'accept', 'accept-encoding', 'accept-language',
  'allow-events', 'content-encoding', 'content-language', 'in-reply-to', 'alert-info',
  'call-info', 'error-info', 'reply-to', 'warning', 'accept-contact', 'reject-contact',
]);

/** True when a header's value may carry several comma-separated entries. */
export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(headerKey(name));
}

/** One header line as received or as it will be sent. */
export interface HeaderField {
  /** Name as written on the wire (may be compact, any case). */
  readonly name: string;
  /** Canonical key from {@link headerKey}. */
  readonly key: string;
  /** Raw value, folding already replaced by a single space, trimmed. */
  value: string;
}

/**
 * Split a list header value on commas that are outside quotes and angle
 * brackets (RFC 3261 §7.3.1).
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (quoted) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) quoted = false;
    } else if (ch === 34) quoted = true;
    else if (ch === 60 /* < */) angle = true;
    else if (ch === 62 /* > */) angle = false;
    else if (ch === 44 /* , */ && !angle) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out;
}

/** Ordered, case-insensitive header collection that keeps wire order and names. */
export class SipHeaders {
  readonly fields: HeaderField[];

  constructor(fields: HeaderField[] = []) {
    this.fields = fields;
  }

  /** Build from `[name, value]` pairs. */
  static from(pairs: Iterable<readonly [string, string]>): SipHeaders {
    const h = new SipHeaders();
    for (const [n, v] of pairs) h.append(n, v);
    return h;
  }

  /** First raw value of a header, or `undefined` when absent. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const f of this.fields) if (f.key === key) return f.value;
    return undefined;
  }

  /** Every raw header line value of that name, in order (lists not split). */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const f of this.fields) if (f.key === key) out.push(f.value);
    return out;
  }

  /** Every entry of a header, list headers split on top-level commas. */
  values(name: string): string[] {
    const key = headerKey(name);
    const list = LIST_HEADERS.has(key);
    const out: string[] = [];
    for (const f of this.fields) {
      if (f.key !== key) continue;
      if (list) {
        for (const v of splitList(f.value)) if (v !== '') out.push(v);
      } else out.push(f.value);
    }
    return out;
  }

  /** Number of header lines with that name. */
  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (const f of this.fields) if (f.key === key) n++;
    return n;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Add a line after all others. */
  append(name: string, value: string): this {
    this.fields.push({ name, key: writtenKey(name), value });
    return this;
  }

  /** Add a line before the first line of the same name (or at the top). Used for Via and Record-Route. */
  prepend(name: string, value: string): this {
    const key = writtenKey(name);
    const at = this.#indexOf(key);
    this.fields.splice(at < 0 ? 0 : at, 0, { name, key, value });
    return this;
  }

  /** Replace every line of that name with one line (appended where the first one stood). */
  set(name: string, value: string): this {
    const key = writtenKey(name);
    const at = this.#indexOf(key);
    if (at < 0) return this.append(name, value);
    this.fields[at] = { name, key, value };
    for (let i = this.fields.length - 1; i > at; i--) if (this.fields[i]!.key === key) this.fields.splice(i, 1);
    return this;
  }

  /** Remove every line of that name. */
  delete(name: string): this {
    const key = headerKey(name);
    for (let i = this.fields.length - 1; i >= 0; i--) if (this.fields[i]!.key === key) this.fields.splice(i, 1);
    return this;
  }

  /**
   * Remove the first entry of a list header (the top Via, the first Route),
   * splitting a comma-joined line if needed. Returns the removed entry.
   */
  shift(name: string): string | undefined {
    const at = this.#indexOf(headerKey(name));
    if (at < 0) return undefined;
    const field = this.fields[at]!;
    const parts = splitList(field.value);
    const first = parts.shift();
    if (parts.length === 0) this.fields.splice(at, 1);
    else field.value = parts.join(', ');
    return first;
  }

  /** Index of the first line with that key, or -1 (a loop: no closure per call). */
  #indexOf(key: string): number {
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) if (fields[i]!.key === key) return i;
    return -1;
  }

  /** Deep copy. */
  clone(): SipHeaders {
    return new SipHeaders(this.fields.map((f) => ({ ...f })));
  }
}

/** Fields shared by requests and responses. */
interface MessageBase {
  /** `SIP/2.0` for every message we accept. */
  version: string;
  headers: SipHeaders;
  /**
   * Body octets, framed by Content-Length (RFC 3261 §18.3). Empty when absent. A parsed body may be a view into a
   * buffer shared with other bodies (see `octets.ts`): read it through the view, never through `.buffer`.
   */
  body: Uint8Array;
}

/** A SIP request (RFC 3261 §7.1). */
export interface SipRequest extends MessageBase {
  readonly type: 'request';
  /** Method token, case-sensitive (RFC 3261 §7.1). */
  method: string;
  /** Request-URI text exactly as received. */
  uri: string;
}

/** A SIP response (RFC 3261 §7.2). */
export interface SipResponse extends MessageBase {
  readonly type: 'response';
  status: number;
  reason: string;
}

/** Any SIP message. */
export type SipMessage = SipRequest | SipResponse;

/** The empty body. */
export const EMPTY_BODY: Uint8Array = new Uint8Array(0);
