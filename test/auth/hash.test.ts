import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacSha256, md5Hex, sha256Hex, timingSafeEqual, timingSafeEqualBytes } from '../../src/auth/hash.js';

const INPUTS = ['', 'a', 'abc', '34020000001320000001:3402000000:12345678', 'Mufasa:testrealm@host.com:Circle Of Life',
  'grüße:réalm:пароль', '设备:域:密码', '😀 emoji', 'x'.repeat(1000)];

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('md5Hex', () => {
  it.each(INPUTS)('matches node:crypto md5 over the UTF-8 bytes of %j', (s) => {
    expect(md5Hex(s)).toBe(createHash('md5').update(s, 'utf8').digest('hex'));
  });
  it('returns 32 lower-case hex digits', () => {
    expect(md5Hex('abc')).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('sha256Hex', () => {
  it.each(INPUTS)('matches node:crypto sha256 over the UTF-8 bytes of %j', (s) => {
    expect(sha256Hex(s)).toBe(createHash('sha256').update(s, 'utf8').digest('hex'));
  });
});

describe('hmacSha256', () => {
  const keys = [new Uint8Array(0), enc('secret'), new Uint8Array(32).fill(7), new Uint8Array(100).fill(0xa5)];
  it.each(keys.flatMap((k) => INPUTS.slice(0, 6).map((s) => [k, s] as const)))('matches node:crypto hmac (key %#)', (key, s) => {
    const expected = createHmac('sha256', key).update(enc(s)).digest('hex');
    expect(Buffer.from(hmacSha256(key, enc(s))).toString('hex')).toBe(expected);
  });
});

describe('timingSafeEqual', () => {
  it('is true only for identical strings', () => {
    expect(timingSafeEqual('abc', 'abc')).toBe(true);
    expect(timingSafeEqual('', '')).toBe(true);
    expect(timingSafeEqual('abc', 'abd')).toBe(false);
    expect(timingSafeEqual('abc', 'Abc')).toBe(false);
  });
  it('is false when one string is a prefix of the other', () => {
    expect(timingSafeEqual('abc', 'abcd')).toBe(false);
    expect(timingSafeEqual('abcd', 'abc')).toBe(false);
    expect(timingSafeEqual('', 'a')).toBe(false);
  });
  it('is false when a trailing NUL is the only difference', () => {
    expect(timingSafeEqual('abc', 'abc\0')).toBe(false);
  });
  it('compares byte arrays the same way', () => {
    expect(timingSafeEqualBytes(enc('abc'), enc('abc'))).toBe(true);
    expect(timingSafeEqualBytes(enc('abc'), enc('abd'))).toBe(false);
    expect(timingSafeEqualBytes(enc('abc'), new Uint8Array([97, 98, 99, 0]))).toBe(false);
  });
});
