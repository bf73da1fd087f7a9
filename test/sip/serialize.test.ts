import { describe, expect, it } from 'vitest';
import { SipHeaders } from '../../src/sip/message.js';
import type { SipRequest } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parse.js';
import { serialize, serializeToString } from '../../src/sip/serialize.js';

function request(pairs: [string, string][], body = ''): SipRequest {
  return { type: 'request', method: 'MESSAGE', uri: 'sip:bob@example.com', version: 'SIP/2.0', headers: SipHeaders.from(pairs), body: new TextEncoder().encode(body) };
}

describe('serialize', () => {
  it('writes the start line, headers with their wire names, and appends Content-Length', () => {
    expect(serializeToString(request([['v', 'SIP/2.0/WS a;branch=z9hG4bK1'], ['i', 'x']]))).toBe(
      'MESSAGE sip:bob@example.com SIP/2.0\r\nv: SIP/2.0/WS a;branch=z9hG4bK1\r\ni: x\r\nContent-Length: 0\r\n\r\n',
    );
  });

  it('rewrites an existing Content-Length in place with the body byte length', () => {
    const text = serializeToString(request([['l', '99'], ['Call-ID', 'x'], ['Content-Length', '7']], 'héllo'));
    expect(text).toBe('MESSAGE sip:bob@example.com SIP/2.0\r\nl: 6\r\nCall-ID: x\r\n\r\nhéllo');
  });

  it('writes a status line and binary body octets unchanged', () => {
    const body = new Uint8Array([0, 13, 10, 255]);
    const bytes = serialize({ type: 'response', version: 'SIP/2.0', status: 200, reason: 'OK', headers: new SipHeaders(), body });
    const head = 'SIP/2.0 200 OK\r\nContent-Length: 4\r\n\r\n';
    expect(new TextDecoder().decode(bytes.subarray(0, head.length))).toBe(head);
    expect([...bytes.subarray(head.length)]).toEqual([0, 13, 10, 255]);
  });

  it('round-trips through parseMessage', () => {
    const original = request([['Via', 'SIP/2.0/WSS h.invalid;branch=z9hG4bK1'], ['Subject', 'ünï']], 'body');
    const r = parseMessage(serialize(original));
    if (!r.ok) throw new Error(r.error.reason);
    expect(r.value.headers.get('subject')).toBe('ünï');
    expect(new TextDecoder().decode(r.value.body)).toBe('body');
  });
});
