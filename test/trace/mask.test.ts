/**
 * Masking credentials in traced messages: Authorization and Proxy-Authorization values never leave the flow.
 */
import { describe, expect, it } from 'vitest';
import { maskCredentials } from '../../src/trace/mask.js';

const reg = (extra: string[], body = '') => ['REGISTER sip:edge-sip.test SIP/2.0', 'Via: SIP/2.0/WS x.invalid;branch=z9hG4bK1', 'Call-ID: c1', ...extra, `Content-Length: ${body.length}`, '', body].join('\r\n');

describe('maskCredentials', () => {
  it('writes *** for the values of Authorization and Proxy-Authorization, whatever their case', () => {
    const text = reg(['Authorization: Digest username="alice", response="6629fae49393a05397450978507c4ef1"', 'proxy-authorization:Digest username="alice", nonce="n"']);
    expect(maskCredentials(text)).toBe(reg(['Authorization: ***', 'proxy-authorization: ***']));
  });

  it('drops the continuation lines of a masked header and keeps everyone else’s', () => {
    const text = reg(['Authorization: Digest username="alice",', '  response="secret"', 'Subject: a', '  b']);
    expect(maskCredentials(text)).toBe(reg(['Authorization: ***', 'Subject: a', '  b']));
  });

  it('leaves the body and other headers alone, and a message without credentials unchanged', () => {
    const body = 'Authorization: this is the body, not a header';
    expect(maskCredentials(reg(['X-Authorization-Note: kept'], body))).toBe(reg(['X-Authorization-Note: kept'], body));
    const plain = reg(['Contact: <sip:a@b>']);
    expect(maskCredentials(plain)).toBe(plain);
  });

  it('shows challenges (WWW-Authenticate): only credentials are masked', () => {
    const text = reg(['WWW-Authenticate: Digest realm="edge-sip.test", nonce="abc"']);
    expect(maskCredentials(text)).toBe(text);
  });

  it('masks in a message cut short (no blank line) and with bare LF line ends', () => {
    expect(maskCredentials('INVITE sip:b@x SIP/2.0\nProxy-Authorization: Digest x')).toBe('INVITE sip:b@x SIP/2.0\nProxy-Authorization: ***');
  });
});
