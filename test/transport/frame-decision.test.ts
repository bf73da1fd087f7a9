/**
 * The first step of a flow: what one WebSocket frame gets before any state is read.
 */
import { describe, expect, it } from 'vitest';
import { decideFrame } from '../../src/transport/frame-decision.js';

const OPTIONS = 'OPTIONS sip:edge-sip.test SIP/2.0\r\nVia: SIP/2.0/WS a.invalid;branch=z9hG4bKf1\r\nMax-Forwards: 70\r\nFrom: <sip:a@edge-sip.test>;tag=1\r\nTo: <sip:edge-sip.test>\r\nCall-ID: f1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
const yes = () => true;
const no = () => false;

describe('decideFrame', () => {
  it('pongs a double CRLF and stays silent on a single one, whatever the rate', () => {
    expect(decideFrame('\r\n\r\n', no)).toEqual({ kind: 'keepalive', reply: '\r\n' });
    expect(decideFrame(new TextEncoder().encode('\r\n').buffer as ArrayBuffer, no)).toEqual({ kind: 'keepalive', reply: null });
  });

  it('hands a well-formed message on', () => {
    const d = decideFrame(OPTIONS, yes);
    expect(d.kind === 'message' && d.message.type === 'request' && d.message.method).toBe('OPTIONS');
  });

  it('answers a request over the rate with 503 and Retry-After, and sheds what cannot be answered', () => {
    const d = decideFrame(OPTIONS, no);
    expect(d.kind === 'answer' && [d.response.status, d.response.headers.get('retry-after'), d.counter]).toEqual([503, '5', 'sip_rate_limited_total']);
    expect(decideFrame('SIP/2.0 200 OK\r\n\r\n', no)).toEqual({ kind: 'shed' });
    expect(decideFrame(OPTIONS.replace(/OPTIONS/g, 'ACK'), no)).toEqual({ kind: 'shed' });
  });

  it('answers a malformed request with 400 and the reason, and drops garbage with the reason', () => {
    const bad = decideFrame(OPTIONS.replace('Content-Length: 0', 'Content-Length: abc'), yes);
    expect(bad.kind === 'answer' && [bad.response.status, bad.response.reason]).toEqual([400, "Invalid Content-Length 'abc'"]);
    expect(decideFrame('not sip at all', yes).kind).toBe('drop');
  });

  it('answers a request over 64 KiB with 400 from its head, and drops an over-size frame with no request in it', () => {
    const big = OPTIONS.replace('Content-Length: 0', `X-Pad: ${'a'.repeat(70_000)}\r\nContent-Length: 0`);
    const d = decideFrame(big, yes);
    expect(d.kind === 'answer' && d.response.status).toBe(400);
    expect(d.kind === 'answer' && d.response.reason).toContain('65536-byte frame limit');
    expect(decideFrame('x'.repeat(70_000), yes).kind).toBe('drop');
  });
});
