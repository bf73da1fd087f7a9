/** GB/T 28181-2022 Annex I: the `X-GB-Ver` tag read, echoed and sent. */
import { describe, expect, it } from 'vitest';
import { echoGbVersion, gbVersionOf, platformVersionHeaders } from '../../src/gb28181/version.js';
import type { SipRequest } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parse.js';
import { createResponse } from '../../src/sip/response.js';

function request(extra: string[]): SipRequest {
  const text = [
    'MESSAGE sip:34020000002000000001@3402000000 SIP/2.0',
    'Via: SIP/2.0/TCP 192.168.1.64:5060;branch=z9hG4bK1',
    'From: <sip:34020000001320000001@3402000000>;tag=1',
    'To: <sip:34020000002000000001@3402000000>',
    'Call-ID: v1',
    'CSeq: 1 MESSAGE',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const parsed = parseMessage(text);
  if (!parsed.ok || parsed.value.type !== 'request') throw new Error('bad fixture');
  return parsed.value;
}

describe('X-GB-Ver', () => {
  it('reads the versions Annex I defines (1.0 2011, 2.0 2016, 3.0 2022), case-insensitively named, trimmed', () => {
    expect(gbVersionOf(request(['X-GB-Ver: 3.0']).headers)).toBe('3.0');
    expect(gbVersionOf(request(['x-gb-ver:2.0 ']).headers)).toBe('2.0');
    expect(gbVersionOf(request(['X-GB-Ver: 1.0']).headers)).toBe('1.0');
  });

  it('ignores an absent or unknown version (nothing is remembered or echoed for it)', () => {
    expect(gbVersionOf(request([]).headers)).toBeNull();
    for (const v of ['4.0', '3', 'constructor', 'toString', '3.0;x']) expect(gbVersionOf(request([`X-GB-Ver: ${v}`]).headers), v).toBeNull();
  });

  it('echoes the request\'s version in its response once, and nothing when it named none', () => {
    const req = request(['X-GB-Ver: 3.0']);
    const res = echoGbVersion(req, createResponse(req, 200));
    expect(res.headers.getAll('x-gb-ver')).toEqual(['3.0']);
    expect(echoGbVersion(req, res).headers.getAll('x-gb-ver')).toEqual(['3.0']);
    const plain = request([]);
    expect(echoGbVersion(plain, createResponse(plain, 404)).headers.has('x-gb-ver')).toBe(false);
  });

  it('tags the platform\'s own requests with 3.0 for a 2022 device only', () => {
    expect(platformVersionHeaders('3.0')).toEqual([['X-GB-Ver', '3.0']]);
    expect(platformVersionHeaders('2.0')).toEqual([]);
    expect(platformVersionHeaders(null)).toEqual([]);
    expect(platformVersionHeaders(undefined)).toEqual([]);
  });
});
