/**
 * RFC 7118 framing (src/transport/ws-frames.ts): `classifyFrame` tells a received WebSocket message apart as an
 * RFC 5626 §4.4.1 CRLF keep-alive (a double CRLF ping gets a single CRLF pong, a single CRLF pong gets nothing),
 * an over-size frame (64 KiB, text measured in UTF-8 octets, binary in bytes) or one SIP message; `isUtf8` and
 * `encodeFrame` decide how a message leaves: a text frame when it is UTF-8, a binary frame otherwise (RFC 7118
 * §5.1, e.g. a GB2312 MANSCDP body). Expected frames are written out by hand, not produced by the serializer.
 */
import { describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, classifyFrame, encodeFrame, isUtf8 } from '../../src/transport/ws-frames.js';
import { SipHeaders, type SipRequest } from '../../src/sip/message.js';

const utf8 = new TextEncoder();
const buf = (bytes: ArrayLike<number>): ArrayBuffer => Uint8Array.from(bytes).buffer as ArrayBuffer;
const textBuf = (s: string): ArrayBuffer => utf8.encode(s).buffer as ArrayBuffer;

const OPTIONS = 'OPTIONS sip:edge-sip.test SIP/2.0\r\nVia: SIP/2.0/WS a.invalid;branch=z9hG4bKw1\r\nMax-Forwards: 70\r\n'
  + 'From: <sip:a@edge-sip.test>;tag=1\r\nTo: <sip:edge-sip.test>\r\nCall-ID: w1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';

describe('classifyFrame: CRLF keep-alives (RFC 5626 §4.4.1)', () => {
  it('answers a double-CRLF ping with a single CRLF pong, in a text or a binary frame', () => {
    expect(classifyFrame('\r\n\r\n')).toEqual({ kind: 'keepalive', reply: '\r\n' });
    expect(classifyFrame(buf([13, 10, 13, 10]))).toEqual({ kind: 'keepalive', reply: '\r\n' });
  });

  it('answers nothing to a single-CRLF pong, in a text or a binary frame', () => {
    expect(classifyFrame('\r\n')).toEqual({ kind: 'keepalive', reply: null });
    expect(classifyFrame(buf([13, 10]))).toEqual({ kind: 'keepalive', reply: null });
  });

  it('does not take an empty frame, or a ping with anything after it, for a keep-alive', () => {
    expect(classifyFrame('')).toEqual({ kind: 'message', data: '' });
    expect(classifyFrame(buf([])).kind).toBe('message');
    expect(classifyFrame('\r\n\r\nx').kind).toBe('message');
    expect(classifyFrame('\r\n\r\n\r\n').kind).toBe('message');
    expect(classifyFrame(buf([13, 10, 13, 10, 13, 10])).kind).toBe('message');
    expect(classifyFrame(' \r\n').kind).toBe('message');
  });
});

describe('classifyFrame: SIP messages', () => {
  it('hands a text frame on as the same string', () => {
    expect(classifyFrame(OPTIONS)).toEqual({ kind: 'message', data: OPTIONS });
  });

  it('hands a binary frame on as its bytes', () => {
    const f = classifyFrame(textBuf(OPTIONS));
    expect(f.kind).toBe('message');
    expect(f.kind === 'message' && f.data instanceof Uint8Array).toBe(true);
    expect(f.kind === 'message' && [...(f.data as Uint8Array)]).toEqual([...utf8.encode(OPTIONS)]);
  });
});

describe('classifyFrame: the 64 KiB limit', () => {
  it('is 65536 bytes', () => expect(MAX_FRAME_BYTES).toBe(65_536));

  it('accepts a text frame of exactly 64 KiB and refuses one byte more, with its size and its first 8 KiB', () => {
    const at = 'a'.repeat(65_536);
    expect(classifyFrame(at)).toEqual({ kind: 'message', data: at });
    const over = OPTIONS + 'x'.repeat(65_537 - OPTIONS.length);
    expect(classifyFrame(over)).toEqual({ kind: 'too-large', bytes: 65_537, head: over.slice(0, 8192) });
  });

  it('measures a text frame in UTF-8 octets, not in characters', () => {
    expect(classifyFrame('é'.repeat(32_768)).kind).toBe('message'); // 65536 octets
    expect(classifyFrame('é'.repeat(32_769))).toMatchObject({ kind: 'too-large', bytes: 65_538 });
    expect(classifyFrame('中'.repeat(21_845)).kind).toBe('message'); // 65535 octets
    expect(classifyFrame('中'.repeat(21_846))).toMatchObject({ kind: 'too-large', bytes: 65_538 });
    expect(classifyFrame('😀'.repeat(16_384)).kind).toBe('message'); // 65536 octets in 32768 UTF-16 units
    expect(classifyFrame('😀'.repeat(16_385))).toMatchObject({ kind: 'too-large', bytes: 65_540 });
  });

  it('accepts a binary frame of exactly 64 KiB and refuses one byte more, its head decoded for an answer', () => {
    const at = new Uint8Array(65_536).fill(0x41);
    expect(classifyFrame(at.buffer as ArrayBuffer).kind).toBe('message');
    const over = new Uint8Array(65_537).fill(0x78);
    over.set(utf8.encode(OPTIONS));
    const f = classifyFrame(over.buffer as ArrayBuffer);
    expect(f.kind === 'too-large' && [f.bytes, f.head.length, f.head.startsWith('OPTIONS sip:edge-sip.test SIP/2.0\r\n')]).toEqual([65_537, 8192, true]);
  });

  it('refuses a binary frame of CRLFs over the limit rather than answering it as a ping', () => {
    expect(classifyFrame(new Uint8Array(65_540).fill(13).buffer as ArrayBuffer).kind).toBe('too-large');
  });
});

describe('isUtf8', () => {
  it.each([
    ['empty', []],
    ['ASCII', [...utf8.encode('<?xml version="1.0"?>')]],
    ['two-, three- and four-byte sequences', [...utf8.encode('é中😀')]],
    ['a byte-order mark', [0xef, 0xbb, 0xbf, 0x41]],
  ])('accepts %s', (_, bytes) => expect(isUtf8(Uint8Array.from(bytes))).toBe(true));

  it.each([
    ['GB2312 中文', [0xd6, 0xd0, 0xce, 0xc4]],
    ['a lone continuation byte', [0x41, 0x80]],
    ['an overlong "/"', [0xc0, 0xaf]],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0x41, 0xe4, 0xb8]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['Latin-1 é', [0x63, 0x61, 0x66, 0xe9]],
  ])('refuses %s', (_, bytes) => expect(isUtf8(Uint8Array.from(bytes))).toBe(false));
});

/** A MESSAGE from the platform to a camera with `body`, headers in wire order. */
function message(body: Uint8Array, contentType = 'Application/MANSCDP+xml', from = '<sip:34020000002000000001@3402000000>;tag=p1'): SipRequest {
  return {
    type: 'request', method: 'MESSAGE', uri: 'sip:34020000001320000001@3402000000', version: 'SIP/2.0', body,
    headers: SipHeaders.from([
      ['Via', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKm1'], ['From', from], ['To', '<sip:34020000001320000001@3402000000>'],
      ['Call-ID', 'm1'], ['CSeq', '20 MESSAGE'], ['Max-Forwards', '70'], ['Content-Type', contentType], ['Content-Length', '999'],
    ]),
  };
}

const HEAD = (length: number, from = '<sip:34020000002000000001@3402000000>;tag=p1'): string =>
  'MESSAGE sip:34020000001320000001@3402000000 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKm1\r\n'
  + `From: ${from}\r\nTo: <sip:34020000001320000001@3402000000>\r\nCall-ID: m1\r\nCSeq: 20 MESSAGE\r\n`
  + `Max-Forwards: 70\r\nContent-Type: Application/MANSCDP+xml\r\nContent-Length: ${length}\r\n\r\n`;

/** The octets a frame carries on the wire. */
const octets = (frame: string | Uint8Array): number[] => [...(typeof frame === 'string' ? utf8.encode(frame) : frame)];

describe('encodeFrame (RFC 7118 §5.1)', () => {
  it('sends a message without a body as text', () => {
    expect(encodeFrame(message(new Uint8Array(0)))).toBe(HEAD(0));
  });

  it('sends a UTF-8 body as text, Content-Length counting its octets', () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?><Query><Name>大门</Name></Query>';
    const frame = encodeFrame(message(utf8.encode(xml)));
    expect(frame).toBe(HEAD(utf8.encode(xml).length) + xml);
  });

  it('sends a UTF-8 display name in a header as text', () => {
    const from = '"监控中心" <sip:34020000002000000001@3402000000>;tag=p1';
    expect(encodeFrame(message(utf8.encode('<a/>'), undefined, from))).toBe(HEAD(4, from) + '<a/>');
  });

  it('sends a GB2312 body as a binary frame with its octets untouched', () => {
    const body = Uint8Array.from([...utf8.encode('<Name>'), 0xb4, 0xf3, 0xc3, 0xc5, ...utf8.encode('</Name>')]); // 大门 in GB2312
    const frame = encodeFrame(message(body));
    expect(frame).toBeInstanceOf(Uint8Array);
    expect(octets(frame)).toEqual([...utf8.encode(HEAD(body.length)), ...body]);
  });

  it('sends a binary frame whose header section is UTF-8 when the body is not', () => {
    const from = '"监控中心" <sip:34020000002000000001@3402000000>;tag=p1';
    const body = Uint8Array.from([0xd6, 0xd0, 0xce, 0xc4]);
    expect(octets(encodeFrame(message(body, undefined, from)))).toEqual([...utf8.encode(HEAD(4, from)), ...body]);
  });

  it('keeps a byte-order mark at the start of a UTF-8 body, so Content-Length still counts every octet', () => {
    const body = Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8.encode('<a/>')]);
    expect(octets(encodeFrame(message(body)))).toEqual([...utf8.encode(HEAD(7)), ...body]);
  });
});
