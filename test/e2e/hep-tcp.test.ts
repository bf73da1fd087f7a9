/**
 * HEPv3 from the Worker over TCP (`connect()`; Workers cannot send UDP, and sngrep listens for HEP over UDP
 * only, so the receiver here is a small TCP server in the test that decodes the stream with our decoder):
 * the messages of a live trace, masked, reach the collector named by HEP_COLLECTOR.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHep3, type HepPacket } from '../../src/hep/hep3.js';
import { parseMessage } from '../../src/sip/parse.js';
import { SipTestClient } from '../support/sip-client.js';
import { DOMAIN, eventually, startService, type Service } from './harness.js';

let svc: Service;
let collector: Server;
const packets: HepPacket[] = [];
const errors: string[] = [];

/** A TCP HEP collector: HEPv3 packets back to back on each connection. */
function startCollector(): Promise<Server> {
  const server = createServer((socket) => {
    let buffered = new Uint8Array(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = new Uint8Array([...buffered, ...chunk]);
      for (;;) {
        if (buffered.length < 6) break;
        const total = (buffered[4]! << 8) | buffered[5]!;
        if (buffered.length < total) break;
        const d = decodeHep3(buffered);
        if (!d.ok) {
          errors.push(d.error);
          socket.destroy();
          return;
        }
        packets.push(d.value.packet);
        buffered = buffered.slice(d.value.length);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function client(): Promise<SipTestClient> {
  const ws = new WebSocket(svc.ws, 'sip');
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', reject, { once: true });
  });
  return new SipTestClient(ws as unknown as ConstructorParameters<typeof SipTestClient>[0]);
}

beforeAll(async () => {
  collector = await startCollector();
  const address = collector.address();
  if (address === null || typeof address === 'string') throw new Error('no collector address');
  svc = await startService({ HEP_COLLECTOR: `127.0.0.1:${address.port}`, HEP_CAPTURE_ID: '2002', HEP_AUTH_KEY: 'hep-test-key' });
  for (const u of ['hep-ws-a', 'hep-ws-b']) await svc.createUser(u, `${u}-secret`);
});
afterAll(async () => {
  await svc?.close();
  await new Promise((r) => collector?.close(r));
});

describe('HEP from the Worker over TCP', () => {
  it('sends a traced registration and MESSAGE as HEPv3 (SIP, TCP, capture id and key), credentials masked', async () => {
    const a = await client();
    const b = await client();
    expect((await a.register({ user: 'hep-ws-a', password: 'hep-ws-a-secret', domain: DOMAIN, callId: 'hep-reg-a', cseq: 1 })).status).toBe(200);
    const started = await svc.admin('/traces', { method: 'POST', body: JSON.stringify({ users: ['hep-ws-b'], seconds: 60 }) });
    expect(started.status).toBe(201);
    // Bob registers while the trace is on: his REGISTER (with Authorization) and its 200 are traced.
    expect((await b.register({ user: 'hep-ws-b', password: 'hep-ws-b-secret', domain: DOMAIN, callId: 'hep-reg-b', cseq: 1 })).status).toBe(200);
    a.send([`MESSAGE sip:hep-ws-b@${DOMAIN} SIP/2.0`, 'Via: SIP/2.0/WS a.invalid;branch=z9hG4bKhep1', 'Max-Forwards: 70', `From: <sip:hep-ws-a@${DOMAIN}>;tag=ha`,
      `To: <sip:hep-ws-b@${DOMAIN}>`, 'Call-ID: hep-msg-1', 'CSeq: 1 MESSAGE', 'Content-Type: text/plain', 'Content-Length: 2', '', 'hi'].join('\r\n'));
    const p = parseMessage(await b.next());
    if (!p.ok || p.value.type !== 'request') throw new Error('expected the MESSAGE');
    const vias = p.value.headers.values('via').map((v) => `Via: ${v}`);
    b.send(['SIP/2.0 200 OK', ...vias, `From: ${p.value.headers.get('from')}`, `To: ${p.value.headers.get('to')};tag=hb`, 'Call-ID: hep-msg-1', 'CSeq: 1 MESSAGE', 'Content-Length: 0', '', ''].join('\r\n'));
    expect((await a.response()).status).toBe(200);

    const sip = () => packets.map((x) => new TextDecoder().decode(x.payload));
    await eventually(sip, (s) => s.filter((t) => t.includes('Call-ID: hep-msg-1')).length >= 4, 15_000);
    expect(errors).toEqual([]);
    const msg = packets.filter((x) => new TextDecoder().decode(x.payload).includes('Call-ID: hep-msg-1'));
    expect(msg.map((x) => new TextDecoder().decode(x.payload).split('\r\n')[0]).sort()).toEqual([
      // In on Alice's flow, out on Bob's (to his contact), and the 200 both ways.
      'MESSAGE sip:hep-ws-b@edge-sip.test SIP/2.0', 'MESSAGE sip:ua@client.invalid;transport=ws SIP/2.0', 'SIP/2.0 200 OK', 'SIP/2.0 200 OK',
    ].sort());
    for (const x of packets) {
      expect(x).toMatchObject({ protoType: 1, protocol: 6, captureId: 2002, authKey: 'hep-test-key', family: 'IPv4' });
      expect(x.time).toBeGreaterThan(Date.now() - 120_000);
    }
    const register = sip().find((t) => t.startsWith('REGISTER') && t.includes('Authorization'));
    expect(register).toMatch(/^Authorization: \*\*\*$/m);
    expect(sip().join('\n')).not.toMatch(/response="/);
    // Alice was never traced by her own registration: nothing of hep-reg-a reached the collector.
    expect(sip().some((t) => t.includes('Call-ID: hep-reg-a'))).toBe(false);
    a.close();
    b.close();
  });
});
