/**
 * Secrets in logs (issue #13): everything the Worker printed (its runtime's console output as wrangler's
 * harness captures it, `Service.logs()`), everything this process wrote to stdout and stderr while the Worker
 * ran (wrangler's own output), and the udp-bridge's log lines (at `debug`, its most talkative level), over a
 * run with registrations over WebSocket and UDP, wrong passwords, a 407 answered with Proxy-Authorization,
 * GB/T 28181 registrations with the shared and a per-device password, admin API calls, and frames built to
 * reach the logging paths (unparsable, oversized, not SIP) with credentials in them. None of it may contain a
 * password, an HA1, an `Authorization`/`Proxy-Authorization` value (whole, or its digest response), or the
 * NONCE_SECRET, ADMIN_TOKEN, BRIDGE_TOKEN or GB_PASSWORD.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { computeDigestResponse, computeHA1 } from '../../src/auth/digest.js';
import { formatCredentials, parseChallenge } from '../../src/sip/auth-header.js';
import { ADMIN_TOKEN, BRIDGE_TOKEN, DOMAIN, GB_PASSWORD, NONCE_SECRET, startService, type Service } from './harness.js';
import { UaPool, aor } from './uas.js';
import { UdpUa, startTestBridge, type TestBridge } from './udp/udp-kit.js';

const GB_PLATFORM = '34020000002000000001';
const GB_REALM = '3402000000';
const hex = (n: number) => randomBytes(n).toString('hex');

/** Passwords unique to this run, so that any appearance is a leak and not a coincidence. */
const pw = {
  alice: `alice-${hex(8)}`,
  bob: `bob-${hex(8)}`,
  erin: `erin-${hex(8)}`,
  carol: `carol-${hex(8)}`,
  wrongWs: `wrong-ws-${hex(8)}`,
  wrongUdp: `wrong-udp-${hex(8)}`,
  camera: `cam-${hex(8)}`,
};
const CAMERA = `${GB_REALM}1320${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
const SHARED_CAMERA = `${GB_REALM}1320${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;

let svc: Service;
let bridge: TestBridge;
const uas = new UaPool(() => svc);
/** What this process printed (console, stdout, stderr) while the Worker ran. */
const printed: string[] = [];
const restore: (() => void)[] = [];
/** Every credential value sent during the run (Authorization and Proxy-Authorization, whole). */
const credentials: string[] = [];

beforeAll(async () => {
  // vitest routes console output of test files around process.stdout, so both are wrapped.
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level];
    console[level] = (...args: unknown[]) => {
      printed.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      original.apply(console, args);
    };
    restore.push(() => (console[level] = original));
  }
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      printed.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1'));
      return write(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => (stream.write = write as typeof stream.write));
  }
  svc = await startService();
  for (const u of ['alice', 'bob', 'erin', 'carol'] as const) await svc.createUser(`sec-${u}`, pw[u]);
  const res = await svc.admin(`/gb28181/devices/${CAMERA}`, { method: 'PUT', body: JSON.stringify({ password: pw.camera }) });
  if (res.status >= 300) throw new Error(`PUT device password: ${res.status} ${await res.text()}`);
  bridge = await startTestBridge(svc.ws, { logLevel: 'debug' });
});
afterAll(async () => {
  await uas.stopAll();
  await bridge?.close();
  await svc?.close();
  for (const r of restore) r();
});

/** The first challenge of `header` in a datagram, answered for `method` `uri` as `user` with `password`. */
function answer(challenge: string, user: string, password: string, method: string, uri: string): string {
  const c = parseChallenge(challenge);
  if (!c.ok) throw new Error(`bad challenge ${challenge}`);
  const ha1 = computeHA1(c.value.algorithm, user, c.value.realm, password);
  const cnonce = hex(4);
  const response = c.value.qop === 'auth'
    ? computeDigestResponse({ algorithm: c.value.algorithm, ha1, method, uri, nonce: c.value.nonce, qop: 'auth', nc: '00000001', cnonce })
    : computeDigestResponse({ algorithm: c.value.algorithm, ha1, method, uri, nonce: c.value.nonce, qop: null });
  return formatCredentials({
    username: user, realm: c.value.realm, nonce: c.value.nonce, uri, response, algorithm: c.value.algorithm,
    qop: c.value.qop, nc: c.value.qop ? '00000001' : null, cnonce: c.value.qop ? cnonce : null, opaque: c.value.opaque ?? null,
  });
}

/** The Authorization / Proxy-Authorization values in a request's text. */
const credentialsIn = (text: string) => [...text.matchAll(/^(?:proxy-)?authorization:[ \t]*(.*)$/gim)].map((m) => m[1]!.trim());

/** A GB camera's REGISTER through the bridge: REGISTER → 401 → REGISTER with MD5 digest (uri: the platform's). */
async function registerCamera(id: string, password: string): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  const callId = `cam-${hex(6)}`;
  const got: string[] = [];
  s.on('message', (b) => got.push(b.toString('latin1')));
  const reg = (cseq: number, auth: string | null) => [
    `REGISTER sip:${GB_PLATFORM}@${GB_REALM} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=z9hG4bK${hex(6)}`,
    `From: <sip:${id}@${GB_REALM}>;tag=${hex(4)}`,
    `To: <sip:${id}@${GB_REALM}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${id}@127.0.0.1:${port}>`,
    'Max-Forwards: 70',
    'Expires: 3600',
    ...(auth ? [`Authorization: ${auth}`] : []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const exchange = async (text: string, cseq: number) => {
    const n = got.length;
    s.send(text, bridge.port, '127.0.0.1');
    for (let i = 0; i < 100; i++) {
      const r = got.slice(n).find((g) => g.includes(`CSeq: ${cseq} REGISTER`) && /^SIP\/2\.0 [2-6]/.test(g));
      if (r) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`no answer to CSeq ${cseq} of camera ${id}`);
  };
  try {
    const first = await exchange(reg(1, null), 1);
    const challenge = /^WWW-Authenticate:[ \t]*(.*)$/im.exec(first)?.[1];
    if (!challenge) throw new Error(`no challenge:\n${first}`);
    const auth = answer(challenge.trim(), id, password, 'REGISTER', `sip:${GB_PLATFORM}@${GB_REALM}`);
    credentials.push(auth);
    const second = await exchange(reg(2, auth), 2);
    return Number(/^SIP\/2\.0 (\d{3})/.exec(second)?.[1]);
  } finally {
    s.close();
  }
}

describe('secrets in logs', () => {
  it('a run with registrations, wrong passwords, a 407 and malformed frames with credentials', async () => {
    // WebSocket: JsSIP registers; another JsSIP registers with a wrong password (401, then refused).
    const alice = await uas.jssip('sec-alice', { password: pw.alice });
    expect(await alice.register()).toEqual({ ok: true });
    const bob = await uas.jssip('sec-bob', { password: pw.wrongWs });
    expect((await bob.register()).ok).toBe(false);
    // 407: a JsSIP user not registered on its connection sends a MESSAGE; JsSIP answers with Proxy-Authorization.
    const erin = await uas.jssip('sec-erin', { password: pw.erin });
    expect((await erin.sendMessage(aor('sec-alice'), 'through a 407')).status, erin.wire.dump()).toBe(200);
    for (const ua of [alice, bob, erin]) for (const m of ua.wire.messages) if (m.dir === 'out') credentials.push(...credentialsIn(m.raw));
    expect(erin.wire.messages.some((m) => m.dir === 'in' && m.status === 407)).toBe(true);

    // UDP through the bridge: a device registers, another uses a wrong password.
    const carol = await UdpUa.open('sec-carol', pw.carol, bridge.port);
    const ok = await carol.register();
    expect(ok.response.status, carol.dump()).toBe(200);
    credentials.push(...credentialsIn(ok.request.toString('latin1')));
    const wrong = await UdpUa.open('sec-carol', pw.wrongUdp, bridge.port);
    const refused = await wrong.register();
    expect(refused.response.status).not.toBe(200);
    credentials.push(...credentialsIn(refused.request.toString('latin1')));
    // 407 over UDP: an unregistered device's MESSAGE, then with Proxy-Authorization.
    const dave = await UdpUa.open('sec-carol', pw.carol, bridge.port);
    const msg = (cseq: number, auth: string | null) => {
      const branch = `z9hG4bK${hex(6)}`;
      return {
        branch,
        text: [
          `MESSAGE ${aor('sec-alice')} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${dave.port};rport;branch=${branch}`,
          'Max-Forwards: 70',
          `From: <sip:sec-carol@${DOMAIN}>;tag=${hex(4)}`,
          `To: <${aor('sec-alice')}>`,
          `Call-ID: m-${hex(6)}`,
          `CSeq: ${cseq} MESSAGE`,
          ...(auth ? [`Proxy-Authorization: ${auth}`] : []),
          'Content-Type: text/plain',
          'Content-Length: 4',
          '',
          'udp!',
        ].join('\r\n'),
      };
    };
    const m1 = msg(1, null);
    await dave.send(m1.text);
    const c407 = await dave.responseFor(m1.branch, 'the 407 to MESSAGE');
    expect(c407.status, dave.dump()).toBe(407);
    const pauth = answer(c407.header('proxy-authenticate')!, 'sec-carol', pw.carol, 'MESSAGE', aor('sec-alice'));
    credentials.push(pauth);
    const m2 = msg(2, pauth);
    await dave.send(m2.text);
    expect((await dave.responseFor(m2.branch, 'the answer to MESSAGE with Proxy-Authorization')).status, dave.dump()).toBe(200);
    for (const u of [carol, wrong, dave]) await u.close();

    // GB/T 28181: a camera with its own password, one with the shared GB_PASSWORD, one with a wrong password.
    expect(await registerCamera(CAMERA, pw.camera)).toBe(200);
    expect(await registerCamera(SHARED_CAMERA, GB_PASSWORD)).toBe(200);
    expect(await registerCamera(`${GB_REALM}1320999999`, pw.wrongUdp)).not.toBe(200);

    // Admin API: a good token, and a wrong one.
    expect((await svc.admin('/users/sec-alice')).status).toBe(200);
    expect((await fetch(`${svc.http}/api/v1/users/sec-alice`, { headers: { authorization: `Bearer not-${ADMIN_TOKEN}` } })).status).toBe(401);

    // Frames built to reach the logging paths, with credentials in them (canaries: any appearance is a leak).
    const canary = () => {
      const c = `canary${hex(8)}`;
      credentials.push(c);
      return c;
    };
    const raw = await new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(svc.ws, 'sip');
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
    const answers: string[] = [];
    raw.on('message', (d: Buffer) => answers.push(d.toString()));
    // Unparsable: the frame starts with its Authorization header (a fragment, or a client that lost its first line).
    raw.send(`Authorization: Digest username="sec-alice", response="${canary()}"\r\nCSeq: 1 REGISTER\r\n\r\n`);
    // Unparsable: no request line, an Authorization header.
    raw.send(`garbage\r\nAuthorization: Digest username="sec-alice", response="${canary()}"\r\n\r\n`);
    // A request whose headers the Worker refuses (no Via, no CSeq), with credentials.
    raw.send(`REGISTER sip:${DOMAIN} SIP/2.0\r\nAuthorization: Digest username="sec-alice", response="${canary()}"\r\nContent-Length: 0\r\n\r\n`);
    // Oversized (over 64 KiB), credentials in its head.
    raw.send(`REGISTER sip:${DOMAIN} SIP/2.0\r\nVia: SIP/2.0/WS x.invalid;branch=z9hG4bK${hex(4)}\r\nAuthorization: Digest username="sec-alice", response="${canary()}"\r\nX-Pad: ${'a'.repeat(70_000)}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 500));
    raw.close();
    // Not SIP for the bridge (logged at debug with a redacted preview): CRLF, bare CR and bare LF line ends.
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    for (const eol of ['\r\n', '\r', '\n']) {
      udp.send(`not sip at all${eol}Authorization: Digest response="${canary()}"${eol}Proxy-Authorization: Digest response="${canary()}"${eol}${eol}`, bridge.port, '127.0.0.1');
    }
    await new Promise((r) => setTimeout(r, 500));
    udp.close();
    await uas.stopAll();
    await new Promise((r) => setTimeout(r, 1000)); // closes reach the Worker and its log lines come out
  });

  it('no password, HA1, credential value or service secret appears in what the Worker, wrangler or the bridge printed', () => {
    const worker = svc.logs();
    const bridgeLines = bridge.logs;
    // Something was captured from each, or the test proves nothing.
    expect(worker.some((l) => l.includes('flow closed')), worker.join('\n')).toBe(true);
    expect(bridgeLines.some((l) => l.includes('flow opened')), bridgeLines.join('\n')).toBe(true);
    expect(bridgeLines.some((l) => l.includes('not SIP')), bridgeLines.join('\n')).toBe(true);
    const haystack = [
      ['the Worker (Service.logs())', worker.join('\n')],
      ['this process\'s console, stdout and stderr (wrangler\'s own output)', printed.join('\n')],
      ['the bridge', bridgeLines.join('\n')],
    ] as const;

    const secrets: [string, string][] = [
      ['NONCE_SECRET', NONCE_SECRET], ['ADMIN_TOKEN', ADMIN_TOKEN], ['BRIDGE_TOKEN', BRIDGE_TOKEN], ['GB_PASSWORD', GB_PASSWORD],
    ];
    const accounts: [string, string, string][] = [
      ['sec-alice', DOMAIN, pw.alice], ['sec-bob', DOMAIN, pw.bob], ['sec-bob', DOMAIN, pw.wrongWs], ['sec-erin', DOMAIN, pw.erin],
      ['sec-carol', DOMAIN, pw.carol], ['sec-carol', DOMAIN, pw.wrongUdp], [CAMERA, GB_REALM, pw.camera], [SHARED_CAMERA, GB_REALM, GB_PASSWORD],
    ];
    for (const [user, realm, password] of accounts) {
      secrets.push([`password of ${user}`, password]);
      for (const alg of ['MD5', 'SHA-256'] as const) secrets.push([`${alg} HA1 of ${user}`, computeHA1(alg, user, realm, password)]);
    }
    expect(credentials.length).toBeGreaterThanOrEqual(12);
    for (const c of credentials) {
      secrets.push(['a credential value', c]);
      const response = /response="?([0-9a-f]+|canary[0-9a-f]+)"?/i.exec(c)?.[1];
      if (response) secrets.push(['a digest response', response]);
    }
    const leaks: string[] = [];
    for (const [where, text] of haystack) {
      const lower = text.toLowerCase();
      for (const [what, value] of secrets) if (lower.includes(value.toLowerCase())) leaks.push(`${what} (${value.slice(0, 24)}…) in ${where}`);
    }
    if (process.env.SECRETS_REPORT) {
      const rows = haystack.map(([where, text]) => `| ${where} | ${text.split('\n').filter(Boolean).length} | ${secrets.length} | ${leaks.filter((l) => l.endsWith(`in ${where}`)).length} |`);
      console.log(['| output | lines | values searched | found |', '| --- | --- | --- | --- |', ...rows].join('\n'));
      const kinds = new Map<string, number>();
      for (const [what] of secrets) kinds.set(what.replace(/ of .*/, ''), (kinds.get(what.replace(/ of .*/, '')) ?? 0) + 1);
      console.log(`values searched: ${[...kinds.entries()].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
    }
    expect(leaks).toEqual([]);
  });
});
