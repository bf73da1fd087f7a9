/**
 * Real classic softphones through the real udp-bridge: baresip 1.0 and linphonec (Debian `baresip` and
 * `linphone-cli`, installed by .ci/run) register with digest, and call a JsSIP user agent on WebSocket and
 * are called by it (INVITE/180/200/ACK, then BYE), each side seeing the call established and ended.
 *
 * The service offers only MD5 (`DIGEST_ALGORITHMS=MD5`, the default): baresip 1.0's digest code (libre 1.1)
 * gives up on the whole 401 as soon as one challenge names another algorithm, which the last block pins
 * against `DIGEST_ALGORITHMS=MD5,SHA-256` (challenges MD5, SHA-256, MD5).
 *
 * Each test has its own users, so a softphone that is gone leaves no binding a later call would fork to.
 * Without /usr/bin/baresip or /usr/bin/linphonec their blocks are skipped.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../harness.js';
import type { JsSipUa } from '../clients/jssip.js';
import { UaPool, aor, createUsers, password } from '../uas.js';
import { eventually, startTestBridge, type TestBridge } from './udp-kit.js';
import {
  Baresip, Linphonec, PHONE_WAIT_MS, classicMedia, freeSipPort, haveBaresip, haveLinphonec, killAllSoftphones, rtpSink,
  type Softphone, type TracedMessage,
} from './softphone-kit.js';

const sinks: { close(): Promise<void> }[] = [];
// Every test's softphones are stopped here (a failed test keeps their directories: its report names them).
afterEach(async ({ task }) => {
  await killAllSoftphones((task.result?.errors?.length ?? 0) > 0);
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});
afterAll(() => killAllSoftphones());

/** Start a softphone for `user` and wait until the admin API lists its binding (from its own port). */
async function registered<P extends Softphone & { registered(): Promise<unknown> }>(svc: Service, start: (port: number) => P, user: string): Promise<P> {
  const phone = start(await freeSipPort());
  await phone.registered();
  const bindings = await eventually(() => svc.bindings(user), (b) => b.length > 0);
  expect(bindings.map((b) => b.contact), phone.report()).toEqual([expect.stringContaining(`@127.0.0.1:${phone.port}`)]);
  return phone;
}

/** A JsSIP user registered over WebSocket whose SDP is plain RTP/AVP G.711 towards a sink. */
async function classicJsSip(uas: UaPool, user: string): Promise<{ ua: JsSipUa; sdps: string[] }> {
  const sink = await rtpSink();
  sinks.push(sink);
  const ua = await uas.registeredJsSip(user);
  return { ua, sdps: classicMedia(ua, sink.port) };
}

const requestOf = (method: string, dir: 'in' | 'out') => (m: TracedMessage) => m.method === method && m.dir === dir;
const responseOf = (method: string, status: number, dir: 'in' | 'out') => (m: TracedMessage) => m.cseqMethod === method && m.status === status && m.dir === dir;

/**
 * The dialog as the softphone traced it: INVITE, its 200 and the ACK, the BYE and its 200, with `byeFrom`
 * sending the BYE, all to or from the bridge. Polls: linphonec's log may trail its console a little.
 */
async function expectDialog(phone: Softphone, callId: string, o: { caller: 'phone' | 'jssip'; byeFrom: 'phone' | 'jssip'; bridgePort: number }): Promise<void> {
  const sends = (who: 'phone' | 'jssip') => (who === 'phone' ? 'out' : 'in');
  const gets = (who: 'phone' | 'jssip') => (who === 'phone' ? 'in' : 'out');
  const expected: [string, (m: TracedMessage) => boolean][] = [
    [`INVITE ${sends(o.caller)}`, requestOf('INVITE', sends(o.caller))],
    [`200 to INVITE ${gets(o.caller)}`, responseOf('INVITE', 200, gets(o.caller))],
    [`ACK ${sends(o.caller)}`, requestOf('ACK', sends(o.caller))],
    [`BYE ${sends(o.byeFrom)}`, requestOf('BYE', sends(o.byeFrom))],
    [`200 to BYE ${gets(o.byeFrom)}`, responseOf('BYE', 200, gets(o.byeFrom))],
  ];
  for (const [label, pred] of expected) await phone.waitForMessage((m) => m.callId === callId && pred(m), `${label} (Call-ID ${callId})`);
  const peers = new Set(phone.call(callId).map((m) => m.peer));
  expect([...peers], phone.report()).toEqual([`127.0.0.1:${o.bridgePort}`]);
}

describe.skipIf(!haveBaresip && !haveLinphonec)('classic softphones through the udp-bridge (the default DIGEST_ALGORITHMS=MD5)', () => {
  let svc: Service;
  let bridge: TestBridge;
  const uas = new UaPool(() => svc);
  const users = ['bs-reg', 'bs-out', 'bs-in', 'ws-bs-out', 'ws-bs-in', 'ln-reg', 'ln-out', 'ln-in', 'ws-ln-out', 'ws-ln-in'];

  beforeAll(async () => {
    svc = await startService();
    await createUsers(svc, users);
    bridge = await startTestBridge(svc.ws);
  });
  afterEach(() => uas.stopAll());
  afterAll(async () => {
    await killAllSoftphones();
    await bridge?.close();
    await svc?.close();
  });

  const baresip = (user: string) => (port: number) => Baresip.start({ user, password: password(user), bridgePort: bridge.port, port });
  const linphonec = (user: string) => (port: number) => Linphonec.start({ user, password: password(user), bridgePort: bridge.port, port });

  describe.skipIf(!haveBaresip)('baresip 1.0', () => {
    it('registers through the bridge with MD5 digest; the admin API lists its binding', async () => {
      const phone = await registered(svc, baresip('bs-reg'), 'bs-reg');
      const [binding] = await svc.bindings('bs-reg');
      expect(binding!.userAgent).toMatch(/^baresip v1\.0/);
      expect(binding!.contact).toMatch(new RegExp(`^<?sip:bs-reg-[^@]+@127\\.0\\.0\\.1:${phone.port}>?$`));
      // One MD5 challenge, answered with qop=auth over the Request-URI it used (with ;transport=udp).
      const trace = phone.trace();
      const challenge = trace.find(responseOf('REGISTER', 401, 'in'));
      expect(challenge?.headers('www-authenticate'), phone.report()).toEqual([expect.stringMatching(/^Digest realm="edge-sip\.test", nonce="[^"]+", algorithm=MD5, qop="auth"$/)]);
      const authorized = trace.find((m) => m.method === 'REGISTER' && m.header('authorization') !== undefined)!;
      expect(authorized.startLine).toBe('REGISTER sip:edge-sip.test;transport=udp SIP/2.0');
      expect(authorized.header('authorization')).toMatch(/uri="sip:edge-sip\.test;transport=udp", response="[0-9a-f]{32}", cnonce="[0-9a-f]+", qop=auth, nc=00000001$/);
      expect(trace.find(responseOf('REGISTER', 200, 'in'))).toBeDefined();
    });

    it('calls a JsSIP user: JsSIP answers, then hangs up with BYE', async () => {
      const { ua: y, sdps } = await classicJsSip(uas, 'ws-bs-out');
      const phone = await registered(svc, baresip('bs-out'), 'bs-out');
      const mark = phone.output.length;
      phone.send(`/dial ${aor('ws-bs-out')}`);
      const incoming = await y.incoming.next(PHONE_WAIT_MS);
      expect(incoming.from).toBe(aor('bs-out'));
      expect(incoming.offerReceived()).toMatch(/^m=audio \d+ RTP\/AVP /m);
      incoming.answer();
      await incoming.confirmed.wait(PHONE_WAIT_MS);
      await phone.waitFor(/Call established: sip:ws-bs-out@edge-sip\.test/, 'the call established', { from: mark });
      expect(sdps).toHaveLength(1);
      incoming.bye();
      expect(await incoming.ended.wait(PHONE_WAIT_MS)).toEqual({ by: 'local', cause: 'bye' });
      // libre reports a BYE received as ECONNRESET: "<peer>: session closed: Connection reset by peer".
      await phone.waitFor(/sip:ws-bs-out@edge-sip\.test\S*: session closed/, 'the call closed by the BYE', { from: mark });
      const bye200 = await y.wire.waitFor((m) => m.dir === 'in' && m.cseqMethod === 'BYE' && m.status !== undefined, "the answer to JsSIP's BYE", PHONE_WAIT_MS);
      expect(bye200.status, y.wire.dump()).toBe(200);
      await expectDialog(phone, incoming.callId, { caller: 'phone', byeFrom: 'jssip', bridgePort: bridge.port });
    });

    it('is called by a JsSIP user: baresip accepts (/accept), then hangs up with BYE', async () => {
      const { ua: y } = await classicJsSip(uas, 'ws-bs-in');
      const phone = await registered(svc, baresip('bs-in'), 'bs-in');
      const mark = phone.output.length;
      const out = y.call(aor('bs-in'));
      await phone.waitFor(/Incoming call from: +sip:ws-bs-in@edge-sip\.test/, 'the incoming call', { from: mark });
      expect(await out.progress.wait(PHONE_WAIT_MS), y.wire.dump()).toBe(180);
      phone.send('/accept');
      await out.accepted.wait(PHONE_WAIT_MS);
      expect(out.answerReceived()).toMatch(/^m=audio \d+ RTP\/AVP 0/m);
      await phone.waitFor(/Call established: sip:ws-bs-in@edge-sip\.test/, 'the call established', { from: mark });
      await phone.waitForMessage((m) => m.callId === out.callId && requestOf('ACK', 'in')(m), 'the ACK from JsSIP');
      phone.send('/hangup');
      await phone.waitFor(new RegExp(`call: terminate call '${out.callId}'`), 'baresip to end the call', { from: mark });
      expect(await out.ended.wait(PHONE_WAIT_MS)).toEqual({ by: 'remote', cause: 'Terminated' });
      expect(y.wire.requests('BYE', out.callId)).toHaveLength(1);
      await expectDialog(phone, out.callId, { caller: 'jssip', byeFrom: 'phone', bridgePort: bridge.port });
    });
  });

  describe.skipIf(!haveLinphonec)('linphonec', () => {
    it('registers through the bridge with MD5 digest; the admin API lists its binding', async () => {
      const phone = await registered(svc, linphonec('ln-reg'), 'ln-reg');
      const [binding] = await svc.bindings('ln-reg');
      expect(binding!.userAgent).toMatch(/^Linphonec\//);
      expect(binding!.contact).toContain(`sip:ln-reg@127.0.0.1:${phone.port};transport=udp`);
      expect(binding!.instanceId).toMatch(/^<?urn:uuid:[0-9a-f-]+>?$/);
      const trace = phone.trace();
      const challenge = trace.find(responseOf('REGISTER', 401, 'in'));
      expect(challenge?.headers('www-authenticate'), phone.report()).toEqual([expect.stringMatching(/algorithm=MD5, qop="auth"$/)]);
      const authorized = trace.find((m) => m.method === 'REGISTER' && m.header('authorization') !== undefined)!;
      expect(authorized.header('authorization')).toMatch(/algorithm=MD5, username="ln-reg", +uri="sip:edge-sip\.test", response="[0-9a-f]{32}"/);
    });

    it('calls a JsSIP user (call): JsSIP answers, then hangs up with BYE', async () => {
      const { ua: y } = await classicJsSip(uas, 'ws-ln-out');
      const phone = await registered(svc, linphonec('ln-out'), 'ln-out');
      const mark = phone.output.length;
      phone.send(`call ${aor('ws-ln-out')}`);
      const incoming = await y.incoming.next(PHONE_WAIT_MS);
      expect(incoming.from).toBe(aor('ln-out'));
      expect(incoming.offerReceived()).toMatch(/^m=audio \d+ RTP\/AVP /m);
      await phone.waitFor(/Call \d+ to sip:ws-ln-out@edge-sip\.test ringing/, 'the 180 from JsSIP', { from: mark });
      incoming.answer();
      await incoming.confirmed.wait(PHONE_WAIT_MS);
      await phone.waitFor(/Call \d+ with sip:ws-ln-out@edge-sip\.test connected/, 'the call connected', { from: mark });
      incoming.bye();
      expect(await incoming.ended.wait(PHONE_WAIT_MS)).toEqual({ by: 'local', cause: 'bye' });
      await phone.waitFor(/Call \d+ with sip:ws-ln-out@edge-sip\.test ended/, 'the call ended by the BYE', { from: mark });
      const bye200 = await y.wire.waitFor((m) => m.dir === 'in' && m.cseqMethod === 'BYE' && m.status !== undefined, "the answer to JsSIP's BYE", PHONE_WAIT_MS);
      expect(bye200.status, y.wire.dump()).toBe(200);
      await expectDialog(phone, incoming.callId, { caller: 'phone', byeFrom: 'jssip', bridgePort: bridge.port });
    });

    it('is called by a JsSIP user: linphonec answers (answer), then hangs up (terminate) with BYE', async () => {
      const { ua: y } = await classicJsSip(uas, 'ws-ln-in');
      const phone = await registered(svc, linphonec('ln-in'), 'ln-in');
      const mark = phone.output.length;
      const out = y.call(aor('ln-in'));
      await phone.waitFor(/Receiving new incoming call from sip:ws-ln-in@edge-sip\.test, assigned id \d+/, 'the incoming call', { from: mark });
      expect(await out.progress.wait(PHONE_WAIT_MS), y.wire.dump()).toBe(180);
      phone.send('answer');
      await out.accepted.wait(PHONE_WAIT_MS);
      expect(out.answerReceived()).toMatch(/^m=audio \d+ RTP\/AVP 0/m);
      await phone.waitFor(/Call \d+ with sip:ws-ln-in@edge-sip\.test connected/, 'the call connected', { from: mark });
      // linphonec prints "connected" when it sends its 200; hang up once the ACK is in (else its BYE may overtake it).
      await phone.waitForMessage((m) => m.callId === out.callId && requestOf('ACK', 'in')(m), 'the ACK from JsSIP');
      phone.send('terminate');
      expect(await out.ended.wait(PHONE_WAIT_MS)).toEqual({ by: 'remote', cause: 'Terminated' });
      await phone.waitFor(/Call \d+ with sip:ws-ln-in@edge-sip\.test ended/, 'the call ended', { from: mark });
      expect(y.wire.requests('BYE', out.callId)).toHaveLength(1);
      await expectDialog(phone, out.callId, { caller: 'jssip', byeFrom: 'phone', bridgePort: bridge.port });
    });
  });
});

describe.skipIf(!haveBaresip && !haveLinphonec)('classic softphones against DIGEST_ALGORITHMS=MD5,SHA-256 (challenges MD5, SHA-256, MD5)', () => {
  let svc: Service;
  let bridge: TestBridge;

  beforeAll(async () => {
    svc = await startService({ DIGEST_ALGORITHMS: 'MD5,SHA-256' });
    await createUsers(svc, ['bs-default', 'ln-default']);
    bridge = await startTestBridge(svc.ws);
  });
  afterAll(async () => {
    await killAllSoftphones();
    await bridge?.close();
    await svc?.close();
  });

  it.skipIf(!haveBaresip)('baresip 1.0 gives up at the 401 (libre speaks MD5 only): "Register: Function not implemented", no second REGISTER', async () => {
    const phone = Baresip.start({ user: 'bs-default', password: password('bs-default'), bridgePort: bridge.port, port: await freeSipPort() });
    await phone.waitFor(/reg: sip:bs-default@edge-sip\.test: Register: Function not implemented/, 'baresip to give up (ENOSYS)');
    const trace = phone.trace();
    const challenge = trace.find(responseOf('REGISTER', 401, 'in'));
    expect(challenge?.headers('www-authenticate').map((h) => /algorithm=([\w-]+)/.exec(h)?.[1]), phone.report()).toEqual(['MD5', 'SHA-256', 'MD5']);
    expect(trace.filter(requestOf('REGISTER', 'out')), phone.report()).toHaveLength(1);
    expect(await svc.bindings('bs-default')).toEqual([]);
  });

  it.skipIf(!haveLinphonec)('linphonec registers with the first challenge it supports (MD5)', async () => {
    const phone = await registered(svc, (port) => Linphonec.start({ user: 'ln-default', password: password('ln-default'), bridgePort: bridge.port, port }), 'ln-default');
    const authorized = phone.trace().find((m) => m.method === 'REGISTER' && m.header('authorization') !== undefined);
    expect(authorized?.header('authorization'), phone.report()).toMatch(/algorithm=MD5,/);
  });
});
