import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeDigestResponse, computeHA1, parseAlgorithm, verifyDigest } from '../../src/auth/digest.js';
import type { DigestCredentials } from '../../src/sip/auth-header.js';
import { parseCredentials } from '../../src/sip/auth-header.js';

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');
const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** examples/gb28181/README.md: camera 34020000001320000001, realm 3402000000, password 12345678. */
const GB = {
  username: '34020000001320000001', realm: '3402000000', password: '12345678', nonce: '6fe9ba44a76be22a',
  uri: 'sip:34020000002000000001@3402000000', nc: '00000001', cnonce: '0a4f113b',
};
const GB_HA1 = '8258341d7dd730ce4d3b8fd2db050320';

const creds = (over: Partial<DigestCredentials>): DigestCredentials => ({
  username: GB.username, realm: GB.realm, nonce: GB.nonce, uri: GB.uri, response: '',
  algorithm: 'MD5', qop: 'auth', nc: GB.nc, cnonce: GB.cnonce, opaque: null, ...over,
});

describe('parseAlgorithm', () => {
  it('treats an absent algorithm as MD5', () => expect(parseAlgorithm(null)).toBe('MD5'));
  it.each([['MD5', 'MD5'], ['md5', 'MD5'], ['SHA-256', 'SHA-256'], ['sha-256', 'SHA-256']])('maps %j to %j', (s, alg) => {
    expect(parseAlgorithm(s)).toBe(alg);
  });
  it.each(['MD5-sess', 'SHA-256-sess', 'SHA-512-256', 'SHA256', '', 'AKAv1-MD5'])('does not support %j', (s) => {
    expect(parseAlgorithm(s)).toBeNull();
  });
});

describe('computeHA1', () => {
  it('gives the GB28181 example HA1', () => {
    expect(computeHA1('MD5', GB.username, GB.realm, GB.password)).toBe(GB_HA1);
  });
  it('uses SHA-256 over username:realm:password for SHA-256', () => {
    expect(computeHA1('SHA-256', 'u', 'r', 'p')).toBe(sha256('u:r:p'));
  });
});

describe('computeDigestResponse', () => {
  it('gives the GB28181 response with qop=auth', () => {
    const r = computeDigestResponse({ algorithm: 'MD5', ha1: GB_HA1, method: 'REGISTER', uri: GB.uri, nonce: GB.nonce, qop: 'auth', nc: GB.nc, cnonce: GB.cnonce });
    expect(r).toBe('fb6d2f768312116118c121c2608cf961');
  });

  it('gives the GB28181 response in the RFC 2069 form without qop', () => {
    const r = computeDigestResponse({ algorithm: 'MD5', ha1: GB_HA1, method: 'REGISTER', uri: GB.uri, nonce: GB.nonce, qop: null });
    expect(r).toBe('6a2143ae65b119e276a75f0a4a8992b7');
  });

  it('gives the RFC 2617 §3.5 example response', () => {
    const ha1 = computeHA1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    const r = computeDigestResponse({ algorithm: 'MD5', ha1, method: 'GET', uri: '/dir/index.html', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth', nc: '00000001', cnonce: '0a4f113b' });
    expect(r).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('gives the RFC 7616 §3.9.1 SHA-256 example response', () => {
    const ha1 = computeHA1('SHA-256', 'Mufasa', 'http-auth@example.org', 'Circle of Life');
    const r = computeDigestResponse({ algorithm: 'SHA-256', ha1, method: 'GET', uri: '/dir/index.html', nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', qop: 'auth', nc: '00000001', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' });
    expect(r).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('matches a node:crypto SHA-256 oracle for a SIP REGISTER, with and without qop', () => {
    const ha1 = sha256('alice:example.com:sécret');
    const ha2 = sha256('REGISTER:sip:example.com');
    const withQop = computeDigestResponse({ algorithm: 'SHA-256', ha1, method: 'REGISTER', uri: 'sip:example.com', nonce: 'N1', qop: 'auth', nc: '0000002a', cnonce: 'c' });
    expect(withQop).toBe(sha256(`${ha1}:N1:0000002a:c:auth:${ha2}`));
    const without = computeDigestResponse({ algorithm: 'SHA-256', ha1, method: 'REGISTER', uri: 'sip:example.com', nonce: 'N1', qop: null });
    expect(without).toBe(sha256(`${ha1}:N1:${ha2}`));
  });
});

describe('verifyDigest', () => {
  const good = creds({ response: 'fb6d2f768312116118c121c2608cf961' });

  it('accepts the GB28181 Authorization header from 03-register-auth.sip', () => {
    const r = parseCredentials('Digest username="34020000001320000001",realm="3402000000",nonce="6fe9ba44a76be22a",uri="sip:34020000002000000001@3402000000",response="fb6d2f768312116118c121c2608cf961",algorithm=MD5,qop=auth,nc=00000001,cnonce="0a4f113b"');
    expect(r.ok && verifyDigest(r.value, GB_HA1, 'REGISTER')).toBe(true);
  });

  it('accepts the no-qop form some cameras send', () => {
    const c = creds({ response: '6a2143ae65b119e276a75f0a4a8992b7', qop: null, nc: null, cnonce: null });
    expect(verifyDigest(c, GB_HA1, 'REGISTER')).toBe(true);
  });

  it('treats an absent algorithm as MD5', () => {
    expect(verifyDigest({ ...good, algorithm: null }, GB_HA1, 'REGISTER')).toBe(true);
  });

  it('accepts an upper-case response and an upper-case stored HA1', () => {
    expect(verifyDigest({ ...good, response: good.response.toUpperCase() }, GB_HA1.toUpperCase(), 'REGISTER')).toBe(true);
  });

  it('accepts SHA-256 credentials checked against a node:crypto oracle', () => {
    const ha1 = sha256('alice:example.com:pw');
    const response = sha256(`${ha1}:n:00000001:c:auth:${sha256('REGISTER:sip:example.com')}`);
    const c = creds({ username: 'alice', realm: 'example.com', nonce: 'n', uri: 'sip:example.com', cnonce: 'c', algorithm: 'SHA-256', response });
    expect(verifyDigest(c, ha1, 'REGISTER')).toBe(true);
    expect(verifyDigest({ ...c, algorithm: 'MD5' }, ha1, 'REGISTER')).toBe(false);
  });

  it('rejects a wrong password', () => {
    expect(verifyDigest(good, computeHA1('MD5', GB.username, GB.realm, '87654321'), 'REGISTER')).toBe(false);
  });

  it('rejects a different uri parameter', () => {
    expect(verifyDigest({ ...good, uri: 'sip:3402000000' }, GB_HA1, 'REGISTER')).toBe(false);
  });

  it('rejects a different method', () => {
    expect(verifyDigest(good, GB_HA1, 'INVITE')).toBe(false);
  });

  it('rejects a different nonce, nc or cnonce', () => {
    expect(verifyDigest({ ...good, nonce: '6fe9ba44a76be22b' }, GB_HA1, 'REGISTER')).toBe(false);
    expect(verifyDigest({ ...good, nc: '00000002' }, GB_HA1, 'REGISTER')).toBe(false);
    expect(verifyDigest({ ...good, cnonce: 'x' }, GB_HA1, 'REGISTER')).toBe(false);
  });

  it('rejects the qop response presented without qop and vice versa', () => {
    expect(verifyDigest({ ...good, qop: null, nc: null, cnonce: null }, GB_HA1, 'REGISTER')).toBe(false);
    expect(verifyDigest({ ...good, response: '6a2143ae65b119e276a75f0a4a8992b7' }, GB_HA1, 'REGISTER')).toBe(false);
  });

  it('rejects unsupported algorithms and qop values', () => {
    expect(verifyDigest({ ...good, algorithm: 'MD5-sess' }, GB_HA1, 'REGISTER')).toBe(false);
    expect(verifyDigest({ ...good, qop: 'auth-int' }, GB_HA1, 'REGISTER')).toBe(false);
  });

  it('rejects qop without nc or cnonce', () => {
    expect(verifyDigest({ ...good, nc: null }, GB_HA1, 'REGISTER')).toBe(false);
    expect(verifyDigest({ ...good, cnonce: null }, GB_HA1, 'REGISTER')).toBe(false);
  });

  it('rejects an empty or truncated response', () => {
    expect(verifyDigest({ ...good, response: '' }, GB_HA1, 'REGISTER')).toBe(false);
    expect(verifyDigest({ ...good, response: good.response.slice(0, 31) }, GB_HA1, 'REGISTER')).toBe(false);
  });

  it('agrees with a node:crypto MD5 oracle', () => {
    const ha2 = md5(`REGISTER:${GB.uri}`);
    expect(md5(`${GB_HA1}:${GB.nonce}:${GB.nc}:${GB.cnonce}:auth:${ha2}`)).toBe(good.response);
  });
});
