/**
 * Digest authentication split along the service's layout (src/auth/authenticate.ts): `precheckCredentials` is
 * what the flow that issued the nonce checks before any hop (scheme, syntax, realm, algorithm, the nonce's MAC,
 * scope and age, the nonce-count window), `challengeValues` the three challenges of a 401/407, `verifyAccount`
 * the HA1 check in the AOR's object and `accountFor` the stored form of a password. Expected values are built
 * independently: nonces with `createNonce`, responses with the digest.ts helpers, HA1s with node:crypto.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { accountFor, challengeValues, precheckCredentials, verifyAccount, type PrecheckContext } from '../../src/auth/authenticate.js';
import { computeDigestResponse, computeHA1, type DigestAlgorithm } from '../../src/auth/digest.js';
import { createNonce } from '../../src/auth/nonce.js';
import { NonceCounts } from '../../src/auth/nonce-counts.js';
import { parseChallenge, parseCredentials, type DigestCredentials } from '../../src/sip/auth-header.js';

const SECRET = new TextEncoder().encode('authenticate spec secret');
const REALM = 'edge-sip.test';
const SCOPE = 'flow-a';
const NOW = Date.UTC(2026, 2, 1, 9, 0, 0);
const TTL = 300_000;
const URI = 'sip:edge-sip.test';
const rand = (seed: number): Uint8Array => Uint8Array.from({ length: 6 }, (_, i) => (seed * 37 + i * 11) & 255);
const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');
const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** A flow that woke up a minute ago. */
function ctx(over: Partial<PrecheckContext> = {}): PrecheckContext {
  return { realm: REALM, secret: SECRET, now: NOW, nonceTtlMs: TTL, scope: SCOPE, counts: new NonceCounts(NOW - 60_000, TTL), ...over };
}

/** A nonce this flow issued a second ago. */
const NONCE = createNonce(SECRET, NOW - 1000, rand(1), SCOPE);

interface Creds { user?: string; password?: string; realm?: string; nonce?: string; algorithm?: string | null; nc?: string | null; method?: string }

/** An Authorization value written by hand, its response computed with the digest helpers. */
function authorization(c: Creds = {}): string {
  const user = c.user ?? 'alice';
  const realm = c.realm ?? REALM;
  const nonce = c.nonce ?? NONCE;
  const algorithm = c.algorithm === undefined ? 'MD5' : c.algorithm;
  const alg: DigestAlgorithm = algorithm?.toUpperCase() === 'SHA-256' ? 'SHA-256' : 'MD5';
  const ha1 = computeHA1(alg, user, realm, c.password ?? 'alice-pw');
  const nc = c.nc === undefined ? '00000001' : c.nc;
  const method = c.method ?? 'REGISTER';
  const response = nc === null
    ? computeDigestResponse({ algorithm: alg, ha1, method, uri: URI, nonce, qop: null })
    : computeDigestResponse({ algorithm: alg, ha1, method, uri: URI, nonce, qop: 'auth', nc, cnonce: 'c0ffee' });
  let v = `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${URI}", response="${response}"`;
  if (algorithm !== null) v += `, algorithm=${algorithm}`;
  if (nc !== null) v += `, qop=auth, nc=${nc}, cnonce="c0ffee"`;
  return v;
}

const FRESH = { kind: 'challenge', stale: false };
const STALE = { kind: 'challenge', stale: true };

describe('precheckCredentials', () => {
  it('challenges a request without credentials', () => {
    expect(precheckCredentials(undefined, ctx())).toEqual(FRESH);
  });

  it('challenges credentials of a scheme it does not know, as if there were none (RFC 4475 §3.3.12 regaut01)', () => {
    expect(precheckCredentials('NoOneKnowsThisScheme opaque-data=here', ctx())).toEqual(FRESH);
    expect(precheckCredentials('Basic YWxpY2U6YWxpY2UtcHc=', ctx())).toEqual(FRESH);
  });

  it('calls malformed Digest credentials malformed, with the reason', () => {
    expect(precheckCredentials(`Digest username="alice", realm="${REALM}", nonce="${NONCE}", uri="${URI}"`, ctx()))
      .toEqual({ kind: 'malformed', reason: 'missing response' });
    expect(precheckCredentials(authorization().replace(', nc=00000001', ''), ctx())).toEqual({ kind: 'malformed', reason: 'qop requires nc' });
    expect(precheckCredentials('Digest username="alice', ctx())).toEqual({ kind: 'malformed', reason: 'unterminated quoted string in parameter username' });
  });

  it('challenges afresh credentials for another realm', () => {
    expect(precheckCredentials(authorization({ realm: 'other.example' }), ctx())).toEqual(FRESH);
  });

  it.each(['MD5-sess', 'SHA-256-sess', 'SHA-512-256', 'AKAv1-MD5'])('challenges afresh the algorithm %s, which is not offered', (algorithm) => {
    expect(precheckCredentials(authorization({ algorithm }), ctx())).toEqual(FRESH);
  });

  it('challenges afresh a forged nonce: one signed with another secret, a tampered one, garbage', () => {
    const otherSecret = createNonce(new TextEncoder().encode('not our secret'), NOW - 1000, rand(1), SCOPE);
    const last = NONCE.at(-1) === 'A' ? 'B' : 'A';
    for (const nonce of [otherSecret, NONCE.slice(0, -1) + last, 'deadbeef', '']) {
      expect(precheckCredentials(authorization({ nonce }), ctx())).toEqual(FRESH);
    }
  });

  it('challenges afresh, not stale, a genuine nonce another flow issued (nonces are bound to their flow)', () => {
    const theirs = createNonce(SECRET, NOW - 1000, rand(2), 'flow-b');
    expect(precheckCredentials(authorization({ nonce: theirs }), ctx())).toEqual(FRESH);
  });

  it('challenges afresh a nonce dated beyond the clock skew in the future', () => {
    const future = createNonce(SECRET, NOW + 3_600_000, rand(3), SCOPE);
    expect(precheckCredentials(authorization({ nonce: future }), ctx())).toEqual(FRESH);
  });

  it('answers stale=true to this flow\'s nonce once it is older than the ttl', () => {
    const old = createNonce(SECRET, NOW - TTL - 1, rand(4), SCOPE);
    expect(precheckCredentials(authorization({ nonce: old }), ctx({ counts: new NonceCounts(NOW - 2 * TTL, TTL) }))).toEqual(STALE);
  });

  it('answers stale=true to a replayed nonce count, and accepts a higher one (RFC 2617 §3.2.2)', () => {
    const c = ctx();
    expect(precheckCredentials(authorization(), c).kind).toBe('credentials');
    expect(precheckCredentials(authorization(), c)).toEqual(STALE);
    expect(precheckCredentials(authorization({ nc: '00000002' }), c).kind).toBe('credentials');
    expect(precheckCredentials(authorization({ nc: '00000002' }), c)).toEqual(STALE);
    expect(precheckCredentials(authorization({ nc: '00000001' }), c)).toEqual(STALE);
  });

  it('accepts a no-qop (RFC 2069) nonce once: its count is taken as 1', () => {
    const c = ctx();
    expect(precheckCredentials(authorization({ nc: null }), c).kind).toBe('credentials');
    expect(precheckCredentials(authorization({ nc: null }), c)).toEqual(STALE);
  });

  it('answers stale=true to a nonce issued before the flow woke up, whose counts it no longer has', () => {
    expect(precheckCredentials(authorization(), ctx({ counts: new NonceCounts(NOW - 500, TTL) }))).toEqual(STALE);
  });

  it('never accepts anything without a secret, not even a nonce signed with the empty key', () => {
    const empty = new Uint8Array(0);
    const nonce = createNonce(empty, NOW - 1000, rand(5), SCOPE);
    expect(precheckCredentials(authorization({ nonce }), ctx({ secret: empty }))).toEqual(FRESH);
    expect(precheckCredentials(undefined, ctx({ secret: empty }))).toEqual(FRESH);
  });

  it('hands good credentials on, parsed, with their algorithm (absent means MD5)', () => {
    const value = authorization({ algorithm: null });
    const expected = parseCredentials(value);
    expect(precheckCredentials(value, ctx())).toEqual({ kind: 'credentials', credentials: expected.ok && expected.value, algorithm: 'MD5' });
    const sha = precheckCredentials(authorization({ algorithm: 'sha-256', nc: '00000003' }), ctx());
    expect(sha.kind === 'credentials' && [sha.algorithm, sha.credentials.username, sha.credentials.nc]).toEqual(['SHA-256', 'alice', '00000003']);
  });

  it('does not answer stale=true to a malformed nonce count (RFC 2617 §3.2.2 nc-value = 8LHEX)', () => {
    const r = precheckCredentials(authorization({ nc: '1' }), ctx());
    expect(r.kind).not.toBe('credentials');
    expect(r).not.toEqual(STALE);
  });
});

describe('challengeValues', () => {
  it('offers MD5, SHA-256 and MD5 again, with one nonce, the realm and qop="auth" (RFC 8760 §2.4)', () => {
    expect(challengeValues(REALM, 'n0nce', false)).toEqual([
      'Digest realm="edge-sip.test", nonce="n0nce", algorithm=MD5, qop="auth"',
      'Digest realm="edge-sip.test", nonce="n0nce", algorithm=SHA-256, qop="auth"',
      'Digest realm="edge-sip.test", nonce="n0nce", algorithm=MD5, qop="auth"',
    ]);
  });

  it('marks every challenge stale=true when asked', () => {
    const values = challengeValues(REALM, 'n0nce', true);
    expect(values).toHaveLength(3);
    for (const v of values) expect(v.endsWith(', stale=true')).toBe(true);
    expect(values.map((v) => { const c = parseChallenge(v); return c.ok && [c.value.algorithm, c.value.stale, c.value.nonce]; }))
      .toEqual([['MD5', true, 'n0nce'], ['SHA-256', true, 'n0nce'], ['MD5', true, 'n0nce']]);
  });

  it('quotes a realm with a quote in it so that it reads back', () => {
    const [v] = challengeValues('a "b" realm', 'n', false);
    expect(v).toBe('Digest realm="a \\"b\\" realm", nonce="n", algorithm=MD5, qop="auth"');
    const c = parseChallenge(v!);
    expect(c.ok && c.value.realm).toBe('a "b" realm');
  });
});

/** Credentials as the precheck hands them on. */
function credentialsOf(c: Creds): DigestCredentials {
  const r = parseCredentials(authorization(c));
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('verifyAccount', () => {
  const alice = accountFor('alice', REALM, 'alice-pw');

  it('accepts the right password with MD5 and with SHA-256', () => {
    expect(verifyAccount(credentialsOf({}), 'MD5', alice, 'REGISTER')).toBe(true);
    expect(verifyAccount(credentialsOf({ algorithm: 'SHA-256' }), 'SHA-256', alice, 'REGISTER')).toBe(true);
  });

  it('refuses a wrong password', () => {
    expect(verifyAccount(credentialsOf({ password: 'guess' }), 'MD5', alice, 'REGISTER')).toBe(false);
    expect(verifyAccount(credentialsOf({ password: 'guess', algorithm: 'SHA-256' }), 'SHA-256', alice, 'REGISTER')).toBe(false);
  });

  it('fails an unknown user exactly like a wrong password, even a response computed over the dummy HA1', () => {
    expect(verifyAccount(credentialsOf({ user: 'mallory' }), 'MD5', null, 'REGISTER')).toBe(false);
    const zeros = '0'.repeat(64);
    const response = computeDigestResponse({ algorithm: 'SHA-256', ha1: zeros, method: 'REGISTER', uri: URI, nonce: NONCE, qop: 'auth', nc: '00000001', cnonce: 'c0ffee' });
    const forged: DigestCredentials = { ...credentialsOf({ user: 'mallory', algorithm: 'SHA-256' }), response };
    expect(verifyAccount(forged, 'SHA-256', null, 'REGISTER')).toBe(false);
  });

  it('refuses credentials naming another user, even when the digest matches the account\'s HA1', () => {
    const asAlice = credentialsOf({});
    expect(verifyAccount({ ...asAlice, username: 'bob' }, 'MD5', alice, 'REGISTER')).toBe(false);
  });

  it('uses the HA1 of the algorithm the credentials name', () => {
    const onlyMd5 = { ...alice, ha1Sha256: sha256('alice:edge-sip.test:another-pw') };
    expect(verifyAccount(credentialsOf({}), 'MD5', onlyMd5, 'REGISTER')).toBe(true);
    expect(verifyAccount(credentialsOf({ algorithm: 'SHA-256' }), 'SHA-256', onlyMd5, 'REGISTER')).toBe(false);
  });

  it('verifies over the request\'s own method (RFC 3261 §22.4)', () => {
    expect(verifyAccount(credentialsOf({ method: 'INVITE' }), 'MD5', alice, 'INVITE')).toBe(true);
    expect(verifyAccount(credentialsOf({ method: 'INVITE' }), 'MD5', alice, 'REGISTER')).toBe(false);
  });
});

describe('accountFor', () => {
  it('stores H(username:realm:password) for MD5 and SHA-256 (RFC 3261 §22.4, RFC 8760), and not the password', () => {
    const a = accountFor('alice', REALM, 'alice-pw');
    expect(a).toEqual({ username: 'alice', realm: REALM, ha1Md5: md5('alice:edge-sip.test:alice-pw'), ha1Sha256: sha256('alice:edge-sip.test:alice-pw') });
    expect(JSON.stringify(a)).not.toContain('alice-pw');
  });

  it('hashes non-ASCII passwords as UTF-8', () => {
    expect(accountFor('李', '3402000000', 'pässwörd').ha1Md5).toBe(md5('李:3402000000:pässwörd'));
  });
});

describe('precheckCredentials and the digest uri (RFC 2617 §3.2.2.5)', () => {
  const withUri = (uri: string) => authorization().replace(`uri="${URI}"`, `uri="${uri}"`);
  const check = (digestUri: string, requestUri: string) => precheckCredentials(withUri(digestUri), ctx({ requestUri })).kind;

  it('accepts credentials over the Request-URI, or an equal URI', () => {
    expect(check(URI, URI)).toBe('credentials');
    expect(check('sip:EDGE-SIP.test', URI)).toBe('credentials');
  });

  it('refuses credentials computed over another resource as malformed (answered 400)', () => {
    const r = precheckCredentials(withUri('sip:bob@edge-sip.test'), ctx({ requestUri: 'sip:carol@edge-sip.test' }));
    expect(r).toEqual({ kind: 'malformed', reason: 'the digest uri is not the Request-URI' });
    expect(check('sip:elsewhere.example.com', URI)).toBe('malformed');
  });

  it('accepts the service named by its address: a GB camera\'s platform URI by realm or IP, SIPp\'s sip:<ip>:<port>', () => {
    expect(check('sip:34020000002000000001@3402000000', 'sip:34020000002000000001@192.168.1.10:5060')).toBe('credentials');
    expect(check('sip:127.0.0.1:5060', 'sip:bob@edge-sip.test')).toBe('credentials');
    expect(check('sip:34020000002000000001@192.168.1.10', 'sip:34020000002000000099@192.168.1.10')).toBe('malformed');
  });
});

describe('challengeValues and the offered algorithms (DIGEST_ALGORITHMS)', () => {
  it('offers one challenge per algorithm, and MD5 twice around SHA-256 when both are offered', () => {
    const algs = (values: string[]) => values.map((v) => /algorithm=([\w-]+)/.exec(v)![1]);
    expect(algs(challengeValues(REALM, 'n', false, ['MD5']))).toEqual(['MD5']);
    expect(algs(challengeValues(REALM, 'n', false, ['SHA-256']))).toEqual(['SHA-256']);
    expect(algs(challengeValues(REALM, 'n', false, ['SHA-256', 'MD5']))).toEqual(['MD5', 'SHA-256', 'MD5']);
  });

  it('challenges credentials of an algorithm that is not offered', () => {
    const sha = authorization({ algorithm: 'SHA-256' });
    expect(precheckCredentials(sha, ctx({ algorithms: ['MD5'] }))).toEqual(FRESH);
    expect(precheckCredentials(sha, ctx({ algorithms: ['MD5', 'SHA-256'] })).kind).toBe('credentials');
  });
});
