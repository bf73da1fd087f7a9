import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/parse.js';
import type { SipRequest, SipResponse } from '../../src/sip/message.js';

const REGISTER = [
  'REGISTER sip:example.com SIP/2.0',
  'Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK56sdasks',
  'From: <sip:alice@example.com>;tag=65bnmj',
  'To: <sip:alice@example.com>',
  'Call-ID: aaaa',
  'CSeq: 1 REGISTER',
  'Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>',
];
const crlf = (lines: string[], body = '') => `${lines.join('\r\n')}\r\n\r\n${body}`;

function req(input: string | Uint8Array): SipRequest {
  const r = parseMessage(input);
  if (!r.ok) throw new Error(r.error.reason);
  if (r.value.type !== 'request') throw new Error('not a request');
  return r.value;
}

describe('parseMessage', () => {
  it('splits the Request-Line and keeps header names and raw values in order', () => {
    const m = req(crlf(REGISTER));
    expect([m.method, m.uri, m.version]).toEqual(['REGISTER', 'sip:example.com', 'SIP/2.0']);
    expect(m.headers.fields.map((f) => f.name)).toEqual(['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact']);
    expect(m.headers.get('from')).toBe('<sip:alice@example.com>;tag=65bnmj');
    expect(m.body.length).toBe(0);
  });

  it('accepts bare LF line ends and skips leading CRLFs (RFC 3261 §7.5)', () => {
    const m = req(`\r\n\r\n${REGISTER.join('\n')}\n\n`);
    expect(m.method).toBe('REGISTER');
    expect(m.headers.get('cseq')).toBe('1 REGISTER');
  });

  it('joins folded lines with one space (RFC 3261 §7.3.1)', () => {
    const m = req(crlf([...REGISTER, 'Subject: I know you are there,', '   pick up', '\tthe phone']));
    expect(m.headers.get('subject')).toBe('I know you are there, pick up the phone');
  });

  it('trims LWS between a header name and its colon', () => {
    expect(req(crlf([...REGISTER, 'Max-Forwards   :   70'])).headers.get('max-forwards')).toBe('70');
  });

  it('frames the body by Content-Length in bytes (compact l)', () => {
    const m = req(crlf([...REGISTER, 'l: 5'], 'héllo!!'));
    expect(new TextDecoder().decode(m.body)).toBe('héll');
  });

  it('takes the rest of the input as body when Content-Length is absent', () => {
    const bytes = new TextEncoder().encode(crlf(REGISTER, 'v=0\r\n'));
    expect(new TextDecoder().decode(req(bytes).body)).toBe('v=0\r\n');
  });

  it('copies the body out of a byte input so the caller may reuse its buffer', () => {
    const bytes = new TextEncoder().encode(crlf([...REGISTER, 'Content-Length: 3'], 'abc'));
    const m = req(bytes);
    bytes.fill(0);
    expect(new TextDecoder().decode(m.body)).toBe('abc');
  });

  it('decodes UTF-8 in header values of a byte input', () => {
    const m = req(new TextEncoder().encode(crlf([...REGISTER, 'Subject: ünïcødé'])));
    expect(m.headers.get('subject')).toBe('ünïcødé');
  });

  it('ignores octets beyond Content-Length (RFC 4475 dblreq)', () => {
    expect(req(crlf([...REGISTER, 'Content-Length: 0'], '\r\nINVITE sip:x SIP/2.0\r\n')).body.length).toBe(0);
  });

  it('accepts a header section that ends with the input', () => {
    expect(req(`${REGISTER.join('\r\n')}\r\nl: 0\r\n`).headers.get('content-length')).toBe('0');
  });

  it('tolerates runs of SP in the Request-Line without keeping them', () => {
    const m = req(crlf(['INVITE  sip:user@example.com  SIP/2.0  ', ...REGISTER.slice(1)]));
    expect([m.method, m.uri, m.version]).toEqual(['INVITE', 'sip:user@example.com', 'SIP/2.0']);
  });

  it('parses a Status-Line with a UTF-8 or empty reason', () => {
    const ok = parseMessage(crlf(['SIP/2.0 200 Всё хорошо', ...REGISTER.slice(1)]));
    expect(ok.ok && (ok.value as SipResponse).reason).toBe('Всё хорошо');
    const empty = parseMessage(crlf(['SIP/2.0 100 ', ...REGISTER.slice(1)]));
    expect(empty.ok && [(empty.value as SipResponse).status, (empty.value as SipResponse).reason]).toEqual([100, '']);
  });

  it('answers 505 to a request claiming SIP/7.0, keeping the request so it can be answered', () => {
    const r = parseMessage(crlf(['OPTIONS sip:x SIP/7.0', ...REGISTER.slice(1)]));
    expect(!r.ok && [r.error.status, r.error.request?.method]).toEqual([505, 'OPTIONS']);
  });

  it.each([
    ['Content-Length larger than the body', crlf([...REGISTER, 'Content-Length: 10'], 'abc'), 'Content-Length exceeds body'],
    ['two different Content-Length values', crlf([...REGISTER, 'Content-Length: 1', 'l: 2'], 'abc'), 'Conflicting Content-Length values'],
    ['a negative Content-Length', crlf([...REGISTER, 'Content-Length: -1']), "Invalid Content-Length '-1'"],
  ])('fails with 400 on %s but keeps the request', (_what, text, reason) => {
    const r = parseMessage(text);
    expect(!r.ok && [r.error.status, r.error.reason, r.error.request?.method]).toEqual([400, reason, 'REGISTER']);
  });

  it('accepts two identical Content-Length values', () => {
    expect(req(crlf([...REGISTER, 'Content-Length: 1', 'l: 1'], 'a')).body.length).toBe(1);
  });

  it.each([
    ['a header line without colon', crlf([...REGISTER, 'Garbage line']), 'Malformed header line (no colon): "Garbage line"'],
    ['a header name that is not a token', crlf([...REGISTER, 'Bad Name: x']), 'Malformed header name: "Bad Name"'],
    ['a continuation before any header', crlf(['OPTIONS sip:x SIP/2.0', ' folded']), 'Continuation line before the first header'],
    ['a Request-Line without version', crlf(['OPTIONS sip:x', ...REGISTER.slice(1)]), 'Malformed Request-Line: "OPTIONS sip:x"'],
    ['a garbled version', crlf(['OPTIONS sip:x SIP/two', ...REGISTER.slice(1)]), 'Malformed Request-Line version: "SIP/two"'],
    ['a one-word start line', crlf(['HELLO', ...REGISTER.slice(1)]), 'Malformed Request-Line: "HELLO"'],
    ['a status code above 699', crlf(['SIP/2.0 4294967301 big', ...REGISTER.slice(1)]), 'Invalid status code'],
    ['a two-digit status code', crlf(['SIP/2.0 20 OK', ...REGISTER.slice(1)]), 'Invalid status code'],
    ['empty input', '', 'Empty message'],
  ])('fails with 400 on %s', (_what, text, reason) => {
    const r = parseMessage(text);
    expect(!r.ok && [r.error.status, r.error.reason, r.error.request]).toEqual([400, reason, undefined]);
  });

  it.each([
    ['a bare CR', 'Subject: hi\rX-Injected: 1'],
    ['a NUL', 'Subject: a\u0000b'],
    ['a BEL', 'User-Agent: ua\u0007'],
    ['a DEL', 'Subject: \u007f'],
  ])('refuses a header value with %s (400, answerable: the echoed headers are clean)', (_what, line) => {
    const r = parseMessage(crlf([...REGISTER, line]));
    expect(!r.ok && r.error.status).toBe(400);
    expect(!r.ok && r.error.reason).toMatch(/^Bad Request \(control character in (Subject|User-Agent)\)$/);
    expect(!r.ok && r.error.request?.method).toBe('REGISTER');
  });

  it('drops rather than answers when the control character is in a header an answer would copy', () => {
    const r = parseMessage(crlf(REGISTER.map((l) => (l.startsWith('Call-ID') ? `${l}\rX: 1` : l))));
    expect(!r.ok && [r.error.status, r.error.request]).toEqual([400, undefined]);
  });

  it('accepts control characters escaped in a quoted string (RFC 4475 intmeth), and HTAB anywhere', () => {
    expect(req(crlf([...REGISTER, 'Subject: "BEL:\\\u0007 NUL:\\\u0000"', 'User-Agent: a\tb'])).headers.get('user-agent')).toBe('a\tb');
  });
});
