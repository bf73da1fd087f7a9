/**
 * The flow object inside workerd: RFC 7118 framing, keep-alives, bad input,
 * and a real hibernate-and-wake cycle.
 */
import { env, exports } from 'cloudflare:workers';
import { evictDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { answerChallenge, registerText, SipTestClient } from '../support/sip-client.js';
import { parseMessage } from '../../src/sip/parse.js';
import { aorStub, connect, createUser, DOMAIN, eventually } from './helpers.js';

beforeAll(async () => {
  await createUser('alice', 'alice-pw');
  await createUser('dave', 'dave-pw');
});

describe('FlowObject', () => {
  it('challenges a REGISTER with one MD5 digest challenge (the default DIGEST_ALGORITHMS), then registers it', async () => {
    const c = await connect();
    const first = await c.request(registerText({ user: 'alice', domain: DOMAIN, callId: 'f1', cseq: 1 }));
    expect(first.status).toBe(401);
    const challenges = first.headers.getAll('www-authenticate');
    expect(challenges).toHaveLength(1);
    expect(challenges[0]).toContain('algorithm=MD5');
    expect(challenges[0]).toContain('qop="auth"');
    expect(first.headers.get('via')).toContain('received=');
    const ok = await c.register({ user: 'alice', password: 'alice-pw', domain: DOMAIN, callId: 'f1b', cseq: 1 });
    expect(ok.status).toBe(200);
    expect(ok.headers.values('contact')).toEqual(['<sip:ua@client.invalid;transport=ws>;expires=3600']);
    c.close();
  });

  it('refuses credentials computed over another URI than the Request-URI with 400 (RFC 2617 §3.2.2.5)', async () => {
    const c = await connect();
    const first = await c.request(registerText({ user: 'alice', domain: DOMAIN, callId: 'uri1', cseq: 1 }));
    const elsewhere = answerChallenge(first, 'alice', 'alice-pw', 'sip:elsewhere.example.com');
    const res = await c.request(registerText({ user: 'alice', domain: DOMAIN, callId: 'uri1', cseq: 2, authorization: elsewhere }));
    expect([res.status, res.reason]).toEqual([400, 'Malformed Authorization: the digest uri is not the Request-URI']);
    // The same password over the Request-URI registers.
    const right = answerChallenge(first, 'alice', 'alice-pw', `sip:${DOMAIN}`);
    expect((await c.request(registerText({ user: 'alice', domain: DOMAIN, callId: 'uri1', cseq: 3, authorization: right }))).status).toBe(200);
    c.close();
  });

  it('answers CRLF keep-alives in text and binary frames', async () => {
    const c = await connect();
    c.send('\r\n\r\n');
    expect(await c.next()).toBe('\r\n');
    c.send(new TextEncoder().encode('\r\n\r\n'));
    expect(await c.next()).toBe('\r\n');
    c.send('\r\n'); // a pong: no answer
    expect(await c.silent()).toBe(true);
    c.close();
  });

  it('answers an unparsable but answerable request with 400 and a reason, and drops garbage silently', async () => {
    const c = await connect();
    const bad = 'OPTIONS sip:edge-sip.test SIP/2.0\r\nVia: SIP/2.0/WS x.invalid;branch=z9hG4bKbad\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: bad1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 99\r\n\r\nshort';
    const res = await c.request(bad);
    expect(res.status).toBe(400);
    expect(res.reason).toMatch(/Content-Length/i);
    c.send('\u0000\u0001 not sip at all');
    expect(await c.silent()).toBe(true);
    const wrongVersion = await c.request(bad.replace('SIP/2.0\r\nVia', 'SIP/7.0\r\nVia'));
    expect(wrongVersion.status).toBe(505);
    c.close();
  });

  it('answers a frame over 64 KiB with 400 and a reason, and keeps the connection usable', async () => {
    const c = await connect();
    const big = registerText({ user: 'alice', domain: DOMAIN, callId: 'big', cseq: 1, extra: [`X-Pad: ${'a'.repeat(70_000)}`] });
    const res = await c.request(big);
    expect(res.status).toBe(400);
    expect(res.reason).toMatch(/65536/);
    const options = await c.request('OPTIONS sip:edge-sip.test SIP/2.0\r\nVia: SIP/2.0/WS x.invalid;branch=z9hG4bKo1\r\nMax-Forwards: 70\r\nFrom: <sip:a@edge-sip.test>;tag=1\r\nTo: <sip:edge-sip.test>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
    expect(options.status).toBe(200);
    expect(options.headers.get('allow')).toContain('INVITE');
    c.close();
  });

  it('keeps the socket and its binding across a hibernate-and-wake cycle, and drops the binding when the socket closes', async () => {
    const c = await connect();
    const ok = await c.register({ user: 'dave', password: 'dave-pw', domain: DOMAIN, callId: 'h1', cseq: 1 });
    expect(ok.status).toBe(200);
    const [binding] = await aorStub('dave').listBindings();
    const flow = env.FLOW.get(env.FLOW.idFromString(binding!.flowId));
    await evictDurableObject(flow, { webSockets: 'hibernate' });
    // The socket is still open and the woken object still knows its flow and AOR.
    c.send('\r\n\r\n');
    expect(await c.next()).toBe('\r\n');
    const refresh = await c.register({ user: 'dave', password: 'dave-pw', domain: DOMAIN, callId: 'h1', cseq: 3 });
    expect(refresh.status).toBe(200);
    expect(await aorStub('dave').listBindings()).toHaveLength(1);
    await evictDurableObject(flow, { webSockets: 'hibernate' });
    c.close();
    const left = await eventually(() => aorStub('dave').listBindings(), (l) => l.length === 0);
    expect(left).toEqual([]);
  });

  it('binds a nonce to the connection that got it: elsewhere it earns a fresh challenge', async () => {
    const a = await connect();
    const b = await connect();
    const first = await a.request(registerText({ user: 'dave', domain: DOMAIN, callId: 'n1', cseq: 1 }));
    const auth = answerChallenge(first, 'dave', 'dave-pw', `sip:${DOMAIN}`);
    const elsewhere = await b.request(registerText({ user: 'dave', domain: DOMAIN, callId: 'n2', cseq: 1, authorization: auth }));
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.headers.get('www-authenticate')).not.toContain('stale=true');
    const here = await a.request(registerText({ user: 'dave', domain: DOMAIN, callId: 'n1', cseq: 2, authorization: auth }));
    expect(here.status).toBe(200);
    a.close();
    b.close();
  });

  it('answers a nonce from before a hibernate-and-wake with stale=true, and the fresh one registers', async () => {
    const c = await connect();
    const first = await c.request(registerText({ user: 'dave', domain: DOMAIN, callId: 's1', cseq: 1 }));
    const used = answerChallenge(first, 'dave', 'dave-pw', `sip:${DOMAIN}`);
    expect((await c.request(registerText({ user: 'dave', domain: DOMAIN, callId: 's1', cseq: 2, authorization: used }))).status).toBe(200);
    const [binding] = (await aorStub('dave').listBindings()).filter((b) => b.callId === 's1');
    await evictDurableObject(env.FLOW.get(env.FLOW.idFromString(binding!.flowId)), { webSockets: 'hibernate' });
    // The woken flow no longer knows which counts were used: it cannot tell this replay from a new count.
    const replay = await c.request(registerText({ user: 'dave', domain: DOMAIN, callId: 's1', cseq: 3, authorization: used }));
    expect(replay.status).toBe(401);
    expect(replay.headers.get('www-authenticate')).toContain('stale=true');
    const fresh = answerChallenge(replay, 'dave', 'dave-pw', `sip:${DOMAIN}`);
    expect((await c.request(registerText({ user: 'dave', domain: DOMAIN, callId: 's1', cseq: 4, authorization: fresh }))).status).toBe(200);
    c.close();
  });

  it('keeps more AORs on a bridged UDP flow than a socket attachment holds (16 KiB)', async () => {
    const res = await exports.default.fetch('http://edge/sip', {
      headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': 'sip', authorization: 'Bearer test-bridge-token', 'x-bridge-source': '198.51.100.7:5060' },
    });
    res.webSocket!.accept();
    const site = new SipTestClient(res.webSocket!);
    // 80 accounts with 200-character names behind one address: about 19 KiB of AORs.
    const users = Array.from({ length: 80 }, (_, i) => `pbx${i}-${'x'.repeat(200)}`);
    for (const user of users) await createUser(user, 'pbx-pw');
    const statuses = [];
    for (const user of users) statuses.push((await site.register({ user, password: 'pbx-pw', domain: DOMAIN, callId: `pbx-${user.slice(0, 6)}`, cseq: 1 })).status);
    expect(new Set(statuses)).toEqual(new Set([200]));
    site.close();
  });

  it('refuses to register another user\'s AOR with 403', async () => {
    const c = await connect();
    const first = await c.request(registerText({ user: 'alice', domain: DOMAIN, callId: 'x1', cseq: 1 }));
    const { answerChallenge } = await import('../support/sip-client.js');
    const auth = answerChallenge(first, 'dave', 'dave-pw', `sip:${DOMAIN}`);
    const res = await c.request(registerText({ user: 'alice', domain: DOMAIN, callId: 'x1', cseq: 2, authorization: auth }));
    expect(res.status).toBe(403);
    c.close();
  });

  it('answers a flood beyond the connection\'s burst with 503 and Retry-After', async () => {
    const c = await connect();
    const options = (i: number) => `OPTIONS sip:edge-sip.test SIP/2.0\r\nVia: SIP/2.0/WS f.invalid;branch=z9hG4bKfl${i}\r\nMax-Forwards: 70\r\nFrom: <sip:f@edge-sip.test>;tag=1\r\nTo: <sip:edge-sip.test>\r\nCall-ID: flood\r\nCSeq: ${i} OPTIONS\r\nContent-Length: 0\r\n\r\n`;
    for (let i = 1; i <= 260; i++) c.send(options(i));
    const statuses: number[] = [];
    for (let i = 0; i < 260; i++) statuses.push((await c.response()).status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(200);
    expect(statuses).toContain(503);
    c.close();
  });

  it('closes a connection after ten failed authentications (over ten accounts: under the address guard\'s bounds)', async () => {
    const c = await connect();
    const closed = new Promise<number>((resolve) => c.ws.addEventListener('close', (e) => resolve(e.code)));
    let last = 0;
    for (let i = 0; i < 10; i++) {
      last = (await c.register({ user: `nobody${i}`, password: 'guess', domain: DOMAIN, callId: `bad${i}`, cseq: 1 })).status;
    }
    expect(last).toBe(401);
    expect(await closed).toBe(1008);
  });

  it('parses what it sends', async () => {
    const c = await connect();
    const raw = await (async () => {
      c.send(registerText({ user: 'alice', domain: DOMAIN, callId: 'p1', cseq: 1 }));
      return c.next();
    })();
    expect(parseMessage(raw).ok).toBe(true);
    c.close();
  });
});
