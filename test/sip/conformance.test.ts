import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/parse.js';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message.js';
import { validateRequest, validateResponse } from '../../src/sip/validate.js';
import { parseContactList, parseNameAddr } from '../../src/sip/name-addr.js';
import { parseUri, unescapeUserPart, uriEquals } from '../../src/sip/uri.js';
import { parseVia } from '../../src/sip/via.js';

interface Entry {
  file: string;
  name: string;
  rfc: number;
  kind: 'valid' | 'invalid' | 'semantically-invalid';
  messageType: 'request' | 'response';
  method?: string;
  statusCode?: string;
  expected: string;
  lenientAcceptanceAllowed?: boolean;
  bytes: number;
  sha256: string;
  headerSectionTerminated: boolean;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/conformance');
const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as { messages: Entry[] };
const raw = new Map<string, Uint8Array>(manifest.messages.map((e) => [e.name, new Uint8Array(readFileSync(join(root, e.file)))]));

/** Names whose declared Content-Length is wrong in the RFC itself (manifest corpora.rfc5118.wireForm). */
const RECOMPUTE_LENGTH = new Set(['ipv6-in-sdp', 'mult-ip-in-sdp', 'ipv4-mapped-ipv6']);

/** Wire bytes: RFC 4475 files as is; RFC 5118 files with LF→CRLF, a closing CRLF when unterminated, and fixed lengths. */
function wire(e: Entry): Uint8Array {
  const bytes = raw.get(e.name)!;
  if (e.rfc === 4475) return bytes;
  let text = Buffer.from(bytes).toString('latin1').replace(/\n/g, '\r\n');
  if (!e.headerSectionTerminated) text += '\r\n';
  if (RECOMPUTE_LENGTH.has(e.name)) {
    const sep = text.indexOf('\r\n\r\n');
    const bodyLength = text.length - (sep + 4);
    text = text.replace(/Content-Length: \d+/, `Content-Length: ${bodyLength}`);
  }
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

function parsed(name: string): SipMessage {
  const e = manifest.messages.find((m) => m.name === name)!;
  const r = parseMessage(wire(e));
  if (!r.ok) throw new Error(`${name}: ${r.error.reason}`);
  return r.value;
}
const request = (name: string): SipRequest => parsed(name) as SipRequest;
const response = (name: string): SipResponse => parsed(name) as SipResponse;

/** True when the parser or message validation refuses the message. */
function refused(msg: string | Uint8Array): boolean {
  const r = parseMessage(msg);
  if (!r.ok) return true;
  return r.value.type === 'request' ? !validateRequest(r.value).ok : !validateResponse(r.value).ok;
}

describe('conformance corpus (RFC 4475, RFC 5118)', () => {
  it.each(manifest.messages.map((e) => [e.name, e] as const))('%s is stored byte for byte', (_name, e) => {
    const bytes = raw.get(e.name)!;
    expect(bytes.length).toBe(e.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(e.sha256);
  });

  const valid = manifest.messages.filter((e) => e.kind === 'valid');
  it.each(valid.map((e) => [e.name, e] as const))('accepts valid message %s', (_name, e) => {
    const r = parseMessage(wire(e));
    if (!r.ok) throw new Error(r.error.reason);
    expect(r.value.type).toBe(e.messageType);
    if (r.value.type === 'request') {
      expect(r.value.method).toBe(e.method);
      const v = validateRequest(r.value);
      if (!v.ok) throw new Error(v.error.reason);
    } else {
      expect(String(r.value.status)).toBe(e.statusCode);
      expect(validateResponse(r.value).ok).toBe(true);
    }
  });

  const semantic = manifest.messages.filter((e) => e.kind === 'semantically-invalid');
  it.each(semantic.map((e) => [e.name, e] as const))('parses semantically invalid message %s', (_name, e) => {
    const r = parseMessage(wire(e));
    if (!r.ok) throw new Error(r.error.reason);
    expect(r.value.type).toBe(e.messageType);
  });

  const strict = manifest.messages.filter((e) => e.kind === 'invalid' && e.lenientAcceptanceAllowed === false);
  it.each(strict.map((e) => [e.name, e] as const))('refuses invalid message %s', (_name, e) => {
    expect(refused(wire(e))).toBe(true);
  });

  const lenient = manifest.messages.filter((e) => e.kind === 'invalid' && e.lenientAcceptanceAllowed === true);
  it.each(lenient.map((e) => [e.name, e] as const))('handles leniently acceptable message %s without throwing', (_name, e) => {
    expect(() => refused(wire(e))).not.toThrow();
  });
});

describe('conformance corpus: what each message must produce', () => {
  it('answers 505 to a request claiming SIP/7.0 (badvers)', () => {
    const e = manifest.messages.find((m) => m.name === 'badvers')!;
    const r = parseMessage(wire(e));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.status).toBe(505);
    expect(r.error.request?.method).toBe('OPTIONS');
  });

  it('reads the esc01 Request-URI user part as the text sips:user@example.com', () => {
    const uri = parseUri(request('esc01').uri);
    expect(uri.ok && unescapeUserPart(uri.value.user!)).toBe('sips:user@example.com');
    expect(uri.ok && uri.value.scheme).toBe('sip');
  });

  it('keeps %00 escapes in escnull so the two contacts stay distinct', () => {
    const contacts = parseContactList(request('escnull').headers.getAll('contact'));
    if (!contacts.ok || contacts.value === '*') throw new Error('contacts');
    expect(contacts.value.map((c) => unescapeUserPart(c.uri.user!))).toEqual(['\u0000', '\u0000\u0000']);
    expect(uriEquals(contacts.value[0]!.uri, contacts.value[1]!.uri)).toBe(false);
  });

  it('processes only the REGISTER of dblreq, with an empty body', () => {
    const m = request('dblreq');
    expect(m.method).toBe('REGISTER');
    expect(m.body.length).toBe(0);
  });

  it('puts the semiuri semicolon in the Request-URI user part', () => {
    const uri = parseUri(request('semiuri').uri);
    if (!uri.ok) throw new Error(uri.error);
    expect(uri.value.user).toBe('user;par=u%40example.net');
    expect(unescapeUserPart(uri.value.user!)).toBe('user;par=u@example.net');
    expect(uri.value.host).toBe('example.com');
    expect(uri.value.params.size).toBe(0);
  });

  it('frames the mpart01 binary body strictly by Content-Length', () => {
    const m = request('mpart01');
    expect(m.body.length).toBe(Number(m.headers.get('content-length')));
    expect(m.body.length).toBe(553);
  });

  it('treats cparam01 unknownparam as a Contact header parameter', () => {
    const c = parseNameAddr(request('cparam01').headers.get('contact')!);
    if (!c.ok) throw new Error(c.error);
    expect(c.value.params.has('unknownparam')).toBe(true);
    expect(c.value.uri.params.has('unknownparam')).toBe(false);
  });

  it('treats cparam02 unknownparam as a URI parameter', () => {
    const c = parseNameAddr(request('cparam02').headers.get('contact')!);
    if (!c.ok) throw new Error(c.error);
    expect(c.value.uri.params.has('unknownparam')).toBe(true);
    expect(c.value.params.has('unknownparam')).toBe(false);
  });

  it('keeps the escaped Route of regescrt inside the Contact URI', () => {
    const c = parseNameAddr(request('regescrt').headers.get('m')!);
    if (!c.ok) throw new Error(c.error);
    expect(c.value.uri.headers).toBe('Route=%3Csip:sip.example.com%3E');
    expect(c.value.uriText).toBe('sip:user@example.com?Route=%3Csip:sip.example.com%3E');
  });

  it('keeps the long values of longreq intact', () => {
    const m = request('longreq');
    expect(m.headers.get('call-id')).toMatch(/^longreq\.one(really){20}longcallid$/);
    const v = validateRequest(m);
    if (!v.ok) throw new Error(v.error.reason);
    expect(v.value.vias.length).toBe(34);
    expect(v.value.from.params.get('tag')).toMatch(/^(982|1298)+/);
    expect(v.value.from.params.get('tag')!.length).toBe(155);
    expect(v.value.vias[33]!.params.get('branch')!.length).toBeGreaterThan(100);
    const long = m.headers.fields.find((f) => f.name.startsWith('Unknown-LongLong'))!;
    expect(long.value.length).toBeGreaterThan(300);
  });

  it('decodes the UTF-8 reason phrase of unreason', () => {
    const m = response('unreason');
    expect(m.status).toBe(200);
    expect(m.reason).toContain('= 2**3 * 5**2 но сто девяносто девять');
  });

  it('keeps the empty reason phrase of noreason', () => {
    const m = response('noreason');
    expect(m.status).toBe(100);
    expect(m.reason).toBe('');
  });

  it('reads every Via transport of the transports message', () => {
    const v = validateRequest(request('transports'));
    if (!v.ok) throw new Error(v.error.reason);
    expect(v.value.vias.map((x) => x.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
  });

  it('reads wsinv folded headers, compact forms and spaced Via', () => {
    const v = validateRequest(request('wsinv'));
    if (!v.ok) throw new Error(v.error.reason);
    expect(v.value.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(v.value.maxForwards).toBe(68);
    expect(v.value.from.displayName).toBe('J Rosenberg \\"');
    expect(v.value.to.params.get('tag')).toBe('1918181833n');
    expect(v.value.vias.map((x) => [x.transport, x.host, x.params.get('branch')])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(request('wsinv').headers.get('NewFangledHeader')).toBe('newfangled value continued newfangled value');
  });

  it.each([
    ['ipv6-good', '[2001:db8::10]', null],
    ['port-ambiguous', '[2001:db8::10:5070]', null],
    ['port-unambiguous', '[2001:db8::10]', 5070],
    ['ipv6-bug-abnf-3-colons', '[2001:db8:::192.0.2.1]', null],
    ['ipv6-correct-abnf-2-colons', '[2001:db8::192.0.2.1]', null],
  ] as const)('reads the %s Request-URI host and port', (name, host, port) => {
    const v = validateRequest(request(name));
    if (!v.ok) throw new Error(v.error.reason);
    expect(v.value.requestUri.host).toBe(host);
    expect(v.value.requestUri.port).toBe(port);
  });

  it('reads IPv6 Via hosts, ports and received parameters (RFC 5118 §4.5, §4.7, §4.9)', () => {
    const vias = (name: string) => {
      const v = validateRequest(request(name));
      if (!v.ok) throw new Error(v.error.reason);
      return v.value.vias;
    };
    expect(vias('via-received-param-with-delim')[0]!.params.get('received')).toBe('[2001:db8::9:255]');
    const noDelim = vias('via-received-param-no-delim')[0]!;
    expect(noDelim.params.get('received')).toBe('2001:db8::9:255');
    expect(noDelim.params.get('branch')).toBe('z9hG4bKas3');
    expect(vias('mult-ip-in-header').map((x) => [x.host, x.port, x.params.get('received') ?? null])).toEqual([
      ['[2001:db8::9:1]', 6050, null],
      ['192.0.2.1', null, null],
      ['[2001:db8::9:255]', null, '192.0.2.200'],
    ]);
    const mapped = vias('ipv4-mapped-ipv6');
    expect([mapped[0]!.host, mapped[0]!.port]).toEqual(['[::ffff:192.0.2.10]', 19823]);
    const contact = parseNameAddr(request('ipv4-mapped-ipv6').headers.get('contact')!);
    expect(contact.ok && contact.value.uri.host).toBe('[::ffff:192.0.2.2]');
  });

  it('refuses the bare IPv6 Request-URI of ipv6-bad with 400', () => {
    const v = validateRequest(request('ipv6-bad'));
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.error.status).toBe(400);
  });

  it('reads the body of inv2543 to the end of the datagram and accepts it without Max-Forwards', () => {
    const m = request('inv2543');
    expect(m.body.length).toBe(105);
    const v = validateRequest(m);
    expect(v.ok && v.value.maxForwards).toBe(null);
  });

  it('refuses multi01 for its repeated single-value headers', () => {
    const v = validateRequest(request('multi01'));
    expect(!v.ok && v.error.reason).toMatch(/^Multiple /);
  });

  it('refuses insuf for its missing Call-ID', () => {
    const v = validateRequest(request('insuf'));
    expect(!v.ok && v.error.reason).toBe('Missing Call-ID');
  });
});

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('robustness', () => {
  it('never throws on truncated or mutated corpus messages', () => {
    const rand = prng(4475);
    const interesting = [0, 10, 13, 32, 34, 44, 58, 59, 60, 62, 64, 91, 93, 0xff, 0xc3];
    for (const e of manifest.messages) {
      const msg = wire(e);
      for (let n = 0; n < 40; n++) {
        const copy = msg.slice(0, Math.floor(rand() * (msg.length + 1)));
        for (let k = Math.floor(rand() * 6); k > 0 && copy.length > 0; k--) {
          copy[Math.floor(rand() * copy.length)] = interesting[Math.floor(rand() * interesting.length)]!;
        }
        expect(() => refused(copy)).not.toThrow();
        expect(() => refused(new TextDecoder().decode(copy))).not.toThrow();
      }
    }
  });
});
