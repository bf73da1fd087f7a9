/**
 * Mutation operators over wire bytes, and the framing a mutated message goes out with. Pure and deterministic:
 * the same seed message and the same {@link Rng} give the same bytes.
 * @module
 */
import type { Rng } from './prng.js';
import type { Seed } from './seeds.js';

/** Operators and their weights (how often each is picked). */
export const OPERATORS = {
  flip: 14, bitflip: 6, insert: 10, delete: 8, dupHeader: 7, hugeHeader: 3, manyHeaders: 2, crlf: 7, nul: 5,
  truncate: 7, contentLength: 7, splice: 5, concat: 3, lineEnding: 3, headerCase: 3, startLine: 5,
  headerValue: 8, swapLines: 3, garbage: 2, empty: 1,
} as const;
export type Operator = keyof typeof OPERATORS;

/** How a mutated message is framed on a WebSocket (UDP sends bytes, whatever this says). */
export type Framing = 'text' | 'binary' | 'bad-utf8-text';

/** One mutated message. */
export interface Mutant {
  seed: string;
  ops: Operator[];
  bytes: Buffer;
  framing: Framing;
}

const INTERESTING = [0, 9, 10, 13, 32, 34, 37, 44, 47, 58, 59, 60, 61, 62, 64, 91, 92, 93, 0x7f, 0x80, 0xc0, 0xc9, 0xe4, 0xfe, 0xff];
const TOKENS = [';', ',', ':', '<', '>', '"', '\\', '%', '%00', '%zz', 'sip:', 'sips:', 'tel:', 'SIP/2.0', ';branch=', ';tag=', ';received=',
  ';rport', ';expires=', ';q=', '@', '[', ']', '::', ' ', '\t', '=', 'z9hG4bK', ';lr', '*', '?', '&', '#', '\u00e9', '\ud83d\ude00', ' \r\n ', '\r\n\t'];
const NASTY = ['', ' ', '<>', '<sip:>', '<sip:@>', 'sip:[::1', '<sip:a@b>;tag', ';;;;', ',,,,', '"unterminated', '"a\\', '*', '* , *', '0', '-1',
  '4294967296', '99999999999999999999999', '1.5', 'NaN', 'Digest', 'Digest ,,,', 'Digest realm=', 'Digest nonce="', 'SIP/2.0/UDP', 'SIP/2.0/UDP h;branch=',
  'SIP/2.0/UDP [::1]:99999', 'SIP/2.0/WS x.invalid;received=999.1.1.1', '1 ', ' 1 REGISTER', '1 INVITE', 'abc REGISTER', '<sip:x@y>;expires=99999999999',
  'Application/MANSCDP+xml', 'multipart/mixed;boundary=', 'text/plain;charset=gb2312', '\u4e2d\u6587', 'a'.repeat(300), '%'.repeat(50), '\\'.repeat(50)];
const HEADER_NAMES = ['Via', 'v', 'From', 'f', 'To', 't', 'Call-ID', 'i', 'CSeq', 'Contact', 'm', 'Content-Length', 'l', 'Content-Type', 'c', 'Expires',
  'Max-Forwards', 'Route', 'Record-Route', 'Authorization', 'Proxy-Authorization', 'Require', 'Proxy-Require', 'Supported', 'k', 'Path', 'X-GB-Ver',
  'Allow', 'Event', 'o', 'Subject', 's', 'Accept', 'Date', 'User-Agent'];
const METHODS = ['INVITE', 'REGISTER', 'OPTIONS', 'MESSAGE', 'ACK', 'BYE', 'CANCEL', 'SUBSCRIBE', 'NOTIFY', 'PRACK', 'UPDATE', 'INFO', 'REFER', 'PUBLISH',
  'register', 'NEWMETHOD', '!interesting-Method0123456789_*+`.%indeed\'~', 'R'.repeat(200), ''];

const latin1 = (s: string) => Buffer.from(s, 'latin1');
const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** Header lines as [start, end) byte ranges (end includes the line break), after the start line. */
function headerLines(b: Buffer): [number, number][] {
  const out: [number, number][] = [];
  let i = b.indexOf(10);
  while (i >= 0 && i + 1 < b.length) {
    const next = b.indexOf(10, i + 1);
    const end = next < 0 ? b.length : next + 1;
    if (end - (i + 1) <= 2) break; // the empty line: the body starts
    out.push([i + 1, end]);
    i = next;
  }
  return out;
}

const at = (b: Buffer, i: number, ins: Buffer, cut = 0) => Buffer.concat([b.subarray(0, i), ins, b.subarray(Math.min(b.length, i + cut))]);

function fill(r: Rng, n: number): Buffer {
  const kind = n > 200_000 ? 0 : r.int(4);
  if (kind === 0) return Buffer.alloc(n, 'a');
  if (kind === 1) return Buffer.from(Array.from({ length: n }, () => r.pick(INTERESTING)));
  if (kind === 2) return Buffer.from(Array.from({ length: n }, () => r.int(256)));
  return latin1(Array.from({ length: Math.ceil(n / 8) }, () => r.pick(TOKENS)).join('')).subarray(0, n);
}

/** Apply one operator. `other` is a second seed (splicing). */
function apply(op: Operator, b: Buffer, r: Rng, other: Buffer): Buffer {
  const pos = () => r.int(b.length + 1);
  const lines = () => headerLines(b);
  switch (op) {
    case 'flip': {
      const c = Buffer.from(b);
      for (let k = r.range(1, Math.max(1, r.sized(16))); k > 0 && c.length; k--) c[r.int(c.length)] = r.chance(0.6) ? r.pick(INTERESTING) : r.int(256);
      return c;
    }
    case 'bitflip': {
      const c = Buffer.from(b);
      for (let k = r.range(1, 8); k > 0 && c.length; k--) c[r.int(c.length)] ^= 1 << r.int(8);
      return c;
    }
    case 'insert':
      return at(b, pos(), r.chance(0.5) ? utf8(r.pick(TOKENS).repeat(r.sized(64) || 1)) : fill(r, r.sized(256) || 1));
    case 'delete': {
      const i = pos();
      return at(b, i, Buffer.alloc(0), r.sized(64) || 1);
    }
    case 'dupHeader': {
      const ls = lines();
      if (!ls.length) return at(b, pos(), b.subarray(0, r.sized(64)));
      const [s, e] = r.pick(ls);
      const n = r.sized(300) || 1;
      return at(b, e, Buffer.concat(Array.from({ length: n }, () => b.subarray(s, e))));
    }
    case 'hugeHeader': {
      // Now and then a frame over a megabyte, and very rarely one over workerd's 32 MiB message limit (closed, 1009).
      const size = r.chance(0.0005) ? 33_600_000 : r.chance(0.03) ? 1_100_000 : r.pick([1024, 8192, 16384, 32768, 60000, 65536, 70000, 131072, r.sized(200_000)]);
      const name = r.chance(0.5) ? r.pick(HEADER_NAMES) : `X-Huge-${r.int(1000)}`;
      const ls = lines();
      const i = ls.length ? r.pick(ls)[0] : pos();
      return at(b, i, Buffer.concat([latin1(`${name}: `), fill(r, size), latin1('\r\n')]));
    }
    case 'manyHeaders': {
      const n = r.pick([100, 500, 1000, 5000, r.sized(20_000)]);
      const name = r.chance(0.3) ? r.pick(HEADER_NAMES) : null;
      const block = latin1(Array.from({ length: n }, (_, k) => `${name ?? `X-F${k}`}: ${name ? r.pick(NASTY) : k}\r\n`).join(''));
      const ls = lines();
      return at(b, ls.length ? r.pick(ls)[0] : pos(), block);
    }
    case 'crlf':
      return at(b, pos(), latin1(r.pick(['\r', '\n', '\r\n', '\r\n\r\n', ' \r\n ', '\r\n\t', '\n\n', '\r\r'])), r.chance(0.3) ? 1 : 0);
    case 'nul':
      return at(b, pos(), Buffer.alloc(r.range(1, 3)), r.chance(0.5) ? 1 : 0);
    case 'truncate':
      return b.subarray(0, pos());
    case 'contentLength': {
      const value = r.pick(['0', '-1', '4294967296', '99999999999999999999', String(r.int(70000)), String(Math.max(0, b.length - r.int(50))), '', ' 12 ', '0x10', '1e3', '12abc', '+5', '00000000000000000000001']);
      const text = b.toString('latin1');
      const re = /^(Content-Length|l)[ \t]*:[^\r\n]*/gim;
      if (re.test(text) && r.chance(0.8)) return latin1(text.replace(re, (_m, n: string) => `${n}: ${value}`));
      const ls = lines();
      return at(b, ls.length ? r.pick(ls)[0] : pos(), latin1(`Content-Length: ${value}\r\n`));
    }
    case 'splice':
      return Buffer.concat([b.subarray(0, pos()), other.subarray(r.int(other.length + 1))]);
    case 'concat':
      return r.chance(0.5) ? Buffer.concat([b, other]) : Buffer.concat([b, latin1('\r\n'), other]);
    case 'lineEnding': {
      const t = b.toString('latin1');
      const k = r.int(4);
      if (k === 0) return latin1(t.replace(/\r\n/g, '\n'));
      if (k === 1) return latin1(t.replace(/\r\n/g, '\r'));
      if (k === 2) return latin1(t.replace(/\r?\n/g, () => (r.chance(0.5) ? '\n' : '\r\n')));
      return latin1(t.replace(/\r\n/g, '\n\r'));
    }
    case 'headerCase': {
      const ls = lines();
      if (!ls.length) return b;
      const c = Buffer.from(b);
      const [s, e] = r.pick(ls);
      const colon = c.indexOf(58, s);
      for (let i = s; i < (colon > s && colon < e ? colon : e); i++) c[i] = r.chance(0.5) ? c[i]! ^ 0x20 : c[i]!;
      return c;
    }
    case 'startLine': {
      const eol = b.indexOf(10);
      const line = b.subarray(0, eol < 0 ? b.length : eol).toString('latin1').replace(/\r$/, '');
      const parts = line.split(' ');
      const k = r.int(4);
      if (k === 0) parts[0] = r.pick(METHODS);
      else if (k === 1 && parts.length > 1) parts[1] = r.pick(['sip:', 'sip:@', 'sip:a@[::1', 'tel:+1', 'http://x/', '*', 'sip:a@b:99999', `sip:${'a'.repeat(r.sized(5000))}@edge-sip.test`, 'sip:%41@edge-sip.test', '<sip:a@b>', '']);
      else if (k === 2) parts[parts.length - 1] = r.pick(['SIP/3.0', 'SIP/2.00', 'sip/2.0', 'HTTP/1.1', 'SIP/2.0 ', 'SIP/', '']);
      else parts.splice(r.int(parts.length + 1), 0, r.pick(['', ' ', 'SIP/2.0', 'x']));
      return at(b, 0, latin1(parts.join(r.chance(0.8) ? ' ' : r.pick(['  ', '\t', '']))), line.length);
    }
    case 'headerValue': {
      const ls = lines();
      if (!ls.length) return b;
      const [s, e] = r.pick(ls);
      const colon = b.indexOf(58, s);
      if (colon < 0 || colon >= e) return b;
      const end = b[e - 2] === 13 ? e - 2 : e - 1;
      return at(b, colon + 1, utf8(` ${r.pick(NASTY)}`), end - colon - 1);
    }
    case 'swapLines': {
      const ls = lines();
      if (ls.length < 2) return b;
      const [a, c] = [r.pick(ls), r.pick(ls)].sort((x, y) => x[0] - y[0]) as [[number, number], [number, number]];
      if (a[0] === c[0]) return b;
      return Buffer.concat([b.subarray(0, a[0]), b.subarray(c[0], c[1]), b.subarray(a[1], c[0]), b.subarray(a[0], a[1]), b.subarray(c[1])]);
    }
    case 'garbage':
      return fill(r, r.sized(4000) || 1);
    case 'empty':
      return latin1(r.pick(['', ' ', '\r\n', '\r\n\r\n', '\n', '\n\n\n', '\r\n\r\n\r\n\r\n', '\0', 'SIP/2.0 ', 'INVITE']));
  }
}

/** True when the bytes are well-formed UTF-8 (what a text frame must carry). */
export function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/**
 * Mutate `seed` (1–3 stacked operators), then run its `post`. The result is at most `maxBytes` long (longer
 * ones are cut, itself a truncation). Framing: UTF-8 goes in a text frame unless the message is sent binary on
 * purpose (a third of them); other bytes go binary, except now and then in a text frame (which the runtime
 * must refuse by closing, 1007).
 */
export function mutate(seed: Seed, other: Seed, r: Rng, maxBytes: number): Mutant {
  const n = r.chance(0.6) ? 1 : r.chance(0.6) ? 2 : 3;
  const ops: Operator[] = [];
  let b = seed.bytes;
  for (let k = 0; k < n; k++) {
    const op = r.weighted(OPERATORS);
    ops.push(op);
    b = apply(op, b, r, other.bytes);
  }
  if (seed.post) b = seed.post(b);
  if (b.length > maxBytes) b = b.subarray(0, maxBytes);
  const text = isUtf8(b);
  const framing: Framing = text ? (r.chance(0.33) ? 'binary' : 'text') : r.chance(0.002) ? 'bad-utf8-text' : 'binary';
  return { seed: seed.name, ops, bytes: Buffer.from(b), framing };
}

/** A fresh top-Via branch (most static seeds are sent many times: without it the bridge would absorb them as retransmissions). */
export function rebranch(b: Buffer, branch: string): Buffer {
  const t = b.toString('latin1');
  const i = t.search(/;\s*branch\s*=\s*[^;,\s]+/i);
  if (i < 0) return b;
  return latin1(t.replace(/;(\s*)branch(\s*)=(\s*)[^;,\s]+/i, `;branch=${branch}`));
}
