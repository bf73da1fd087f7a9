import { describe, expect, it } from 'vitest';
import { createLogger, redact, redactUrl } from '../../udp-bridge/src/log.js';

describe('redact', () => {
  it('removes Authorization and Proxy-Authorization values, folded lines included, and keeps the rest', () => {
    const text = [
      'REGISTER sip:3402000000 SIP/2.0',
      'Authorization: Digest username="34020000001320000001", realm="3402000000",',
      '  nonce="abc", response="0123456789abcdef"',
      'proxy-authorization : Digest username="x", response="f00"',
      'Call-ID: 1@cam',
      '',
      '',
    ].join('\r\n');
    const out = redact(text);
    expect(out).not.toMatch(/response=|username=|nonce=/);
    expect(out).toContain('Authorization: [redacted]\r\n');
    expect(out).toContain('proxy-authorization : [redacted]\r\n');
    expect(out).toContain('REGISTER sip:3402000000 SIP/2.0\r\n');
    expect(out).toContain('Call-ID: 1@cam');
  });

  it('leaves WWW-Authenticate challenges alone', () => {
    const text = 'WWW-Authenticate: Digest realm="r", nonce="n"\r\n';
    expect(redact(text)).toBe(text);
  });
});

describe('redactUrl', () => {
  it('drops user info and query strings', () => {
    expect(redactUrl('wss://u:p@sip.example.com/sip?token=abc')).toBe('wss://sip.example.com/sip?[redacted]');
    expect(redactUrl('ws://127.0.0.1:8787/sip')).toBe('ws://127.0.0.1:8787/sip');
  });
});

describe('createLogger', () => {
  it('writes one JSON object per line at or above the level', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l));
    log.debug('hidden');
    log.info('flow opened', { flow: '1.2.3.4:5060' });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'info', msg: 'flow opened', flow: '1.2.3.4:5060' });
  });
});
