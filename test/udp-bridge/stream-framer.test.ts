/**
 * Framing SIP on a TCP stream (RFC 3261 §18.3): messages come out whole and in order however the bytes are
 * split or packed, CRLF keep-alives between them are pings (RFC 5626 §4.4.1) and never messages, and a stream
 * that breaks framing (no or bad Content-Length, too big, not SIP) stops with the reason and, when the
 * header section was read, that header section to answer.
 */
import { describe, expect, it } from 'vitest';
import { contentLength, headEnd, StreamFramer, type FrameEvent } from '../../udp-bridge/src/stream-framer.js';
import { seeded } from '../../fuzz/prng.js';

const LIMITS = { maxHeaderBytes: 1024, maxMessageBytes: 4096 };
const enc = (s: string) => Buffer.from(s, 'latin1');
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

function message(cseq: number, body = ''): string {
  return [
    'MESSAGE sip:34020000002000000001@3402000000 SIP/2.0',
    `Via: SIP/2.0/TCP 192.168.1.64:5060;rport;branch=z9hG4bK${cseq}`,
    'From: <sip:34020000001320000001@3402000000>;tag=1',
    'To: <sip:34020000002000000001@3402000000>',
    'Call-ID: k1',
    `CSeq: ${cseq} MESSAGE`,
    'Content-Type: Application/MANSCDP+xml',
    `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
    '',
    body,
  ].join('\r\n');
}

const KEEPALIVE = '<?xml version="1.0"?>\r\n<Notify><CmdType>Keepalive</CmdType><SN>1</SN></Notify>\r\n';

/** Every event of pushing `chunks` in order into one framer. */
function frame(chunks: Array<string | Uint8Array>, limits = LIMITS): FrameEvent[] {
  const f = new StreamFramer(limits);
  return chunks.flatMap((c) => f.push(typeof c === 'string' ? enc(c) : c));
}

const messages = (events: FrameEvent[]) => events.filter((e) => e.kind === 'message').map((e) => text((e as { bytes: Uint8Array }).bytes));

describe('StreamFramer', () => {
  it('frames one message with its body, byte for byte', () => {
    const m = message(1, KEEPALIVE);
    expect(frame([m])).toEqual([{ kind: 'message', bytes: new Uint8Array(enc(m)) }]);
  });

  it('reassembles a message split at every possible point, and one fed a byte at a time', () => {
    const m = message(2, KEEPALIVE);
    for (let cut = 1; cut < m.length; cut++) expect(messages(frame([m.slice(0, cut), m.slice(cut)])), `cut at ${cut}`).toEqual([m]);
    expect(messages(frame([...m]))).toEqual([m]);
  });

  it('separates several messages arriving in one read (pipelining), in order', () => {
    const all = [message(1, KEEPALIVE), message(2), message(3, 'x'.repeat(100))];
    expect(messages(frame([all.join('')]))).toEqual(all);
  });

  it('frames random splits of a pipelined stream identically (seeded)', () => {
    const all = [message(1, KEEPALIVE), '\r\n\r\n', message(2), '\r\n', message(3, KEEPALIVE)];
    const stream = enc(all.join(''));
    const rnd = seeded(12);
    for (let run = 0; run < 200; run++) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < stream.length; ) {
        const n = 1 + Math.floor(rnd() * 90);
        chunks.push(stream.subarray(i, i + n));
        i += n;
      }
      const events = frame(chunks);
      expect(events.map((e) => e.kind)).toEqual(['message', 'ping', 'message', 'message']);
      expect(messages(events)).toEqual([all[0], all[2], all[4]]);
    }
  });

  it('takes CRLFCRLF between messages as a ping, and a lone CRLF (a pong) or stray line ends as nothing', () => {
    expect(frame(['\r\n\r\n'])).toEqual([{ kind: 'ping' }]);
    expect(frame(['\r\n'])).toEqual([]);
    expect(frame(['\r\n', '\r\n'])).toEqual([{ kind: 'ping' }]);
    expect(frame(['\r\n\r\n\r\n\r\n'])).toEqual([{ kind: 'ping' }, { kind: 'ping' }]);
    expect(frame(['\r\r\n\r\n'])).toEqual([{ kind: 'ping' }]);
    expect(frame(['\n\n\n'])).toEqual([]);
    const m = message(4);
    expect(frame([`\r\n\r\n${m}\r\n`]).map((e) => e.kind)).toEqual(['ping', 'message']);
  });

  it('does not count CRLFs inside a body as pings', () => {
    const m = message(5, '\r\n\r\n\r\n\r\n');
    expect(frame([m])).toEqual([{ kind: 'message', bytes: new Uint8Array(enc(m)) }]);
  });

  it('reads the compact form and accepts LF-only line ends', () => {
    const m = 'MESSAGE sip:p@r SIP/2.0\nv: SIP/2.0/TCP h;branch=z9hG4bK1\nl: 3\n\nabc';
    expect(messages(frame([m, 'OPTIONS sip:p SIP/2.0\r\nl:0\r\n\r\n']))).toEqual([m, 'OPTIONS sip:p SIP/2.0\r\nl:0\r\n\r\n']);
  });

  it('holds only what it has not framed', () => {
    const f = new StreamFramer(LIMITS);
    const m = message(6, KEEPALIVE);
    f.push(enc(m + m.slice(0, 10)));
    expect(f.buffered).toBe(10);
  });

  describe('errors: the stream stops, with the header section when it was read', () => {
    it('no Content-Length: no_content_length, with the head (answerable with 400)', () => {
      const head = 'MESSAGE sip:p@r SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n';
      const events = frame([head, message(7)]);
      expect(events).toEqual([{ kind: 'error', reason: 'no_content_length', head: new Uint8Array(enc(head)) }]);
    });

    it.each([['abc'], ['-1'], ['1.5'], ['12345678901'], ['']])('Content-Length "%s": bad_content_length', (v) => {
      const events = frame([`MESSAGE sip:p SIP/2.0\r\nContent-Length: ${v}\r\n\r\n`]);
      expect(events).toMatchObject([{ kind: 'error', reason: 'bad_content_length' }]);
    });

    it('two different Content-Length values are bad; two equal ones are fine', () => {
      expect(frame(['OPTIONS sip:p SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab'])).toMatchObject([{ kind: 'error', reason: 'bad_content_length' }]);
      expect(messages(frame(['OPTIONS sip:p SIP/2.0\r\nContent-Length: 2\r\nl: 2\r\n\r\nab']))).toHaveLength(1);
    });

    it('a body beyond the message bound: body_too_large before any of it is held', () => {
      const f = new StreamFramer(LIMITS);
      const events = f.push(enc('MESSAGE sip:p SIP/2.0\r\nContent-Length: 4000000000\r\n\r\nxx'));
      expect(events).toMatchObject([{ kind: 'error', reason: 'body_too_large' }]);
      expect(f.buffered).toBe(0);
      expect(f.error).toBe('body_too_large');
      expect(f.push(enc(message(1)))).toEqual([]);
    });

    it('a header section without its end beyond the header bound: header_too_large, head unknown', () => {
      const f = new StreamFramer(LIMITS);
      expect(f.push(enc(`OPTIONS sip:p SIP/2.0\r\nX: ${'a'.repeat(600)}\r\n`))).toEqual([]);
      expect(f.push(enc(`Y: ${'b'.repeat(600)}\r\n`))).toEqual([{ kind: 'error', reason: 'header_too_large', head: null }]);
      expect(f.buffered).toBe(0);
    });

    it('garbage (binary, a TLS hello, HTTP-looking junk without a blank line) is not_sip or too large, never a message', () => {
      expect(frame([new Uint8Array([0x16, 0x03, 0x01, 0x00, 0xa5])])).toEqual([{ kind: 'error', reason: 'not_sip', head: null }]);
      expect(frame([' INVITE sip:x SIP/2.0\r\n\r\n'])).toMatchObject([{ reason: 'not_sip' }]);
      expect(frame([message(1), '\x00\x01'])).toMatchObject([{ kind: 'message' }, { kind: 'error', reason: 'not_sip' }]);
      expect(frame(['G'.repeat(2000)])).toMatchObject([{ kind: 'error', reason: 'header_too_large' }]);
    });

    it('never throws on random bytes, and never holds more than a message bound plus one read (seeded)', () => {
      const rnd = seeded(99);
      for (let run = 0; run < 300; run++) {
        const f = new StreamFramer(LIMITS);
        for (let k = 0; k < 20; k++) {
          const chunk = new Uint8Array(1 + Math.floor(rnd() * 300)).map(() => (rnd() < 0.3 ? [13, 10, 58, 32][Math.floor(rnd() * 4)]! : Math.floor(rnd() * 256)));
          if (rnd() < 0.2) chunk.set(enc('MESSAGE sip:a SIP/2.0\r\nl: 9\r\n\r\n').subarray(0, chunk.length));
          for (const e of f.push(chunk)) if (e.kind === 'message') expect(e.bytes.length).toBeLessThanOrEqual(LIMITS.maxMessageBytes);
          expect(f.buffered).toBeLessThanOrEqual(LIMITS.maxMessageBytes + 300);
        }
      }
    });
  });
});

describe('contentLength and headEnd', () => {
  it('reads a folded Content-Length and ignores the start line', () => {
    expect(contentLength(enc('OPTIONS sip:l:5 SIP/2.0\r\nContent-Length:\r\n 12\r\n\r\n'))).toBe(12);
    expect(contentLength(enc('OPTIONS sip:p SIP/2.0\r\nContent-Type: x\r\n\r\n'))).toBe('no_content_length');
  });

  it('finds the end of the header section after CRLFCRLF or LFLF, resuming from where it stopped', () => {
    expect(headEnd(enc('A\r\nB\r\n\r\nbody'), 0)).toBe(8);
    expect(headEnd(enc('A\nB\n\nbody'), 0)).toBe(5);
    expect(headEnd(enc('A\r\nB\r\n'), 0)).toBe(-1);
    expect(headEnd(enc('A\r\nB\r\n\r\n'), 6)).toBe(8);
  });
});
