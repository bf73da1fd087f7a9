/**
 * Proxy routing between flows inside workerd, with scripted clients so every
 * header on the wire can be checked.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import type { SipRequest } from '../../src/sip/message.js';
import { SipTestClient } from '../support/sip-client.js';
import { connect, createUser, DOMAIN, nextRequest } from './helpers.js';
import { eventually } from '../support/eventually.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

async function registered(user: string, contact: string): Promise<SipTestClient> {
  const c = await connect();
  const res = await c.register({ user, password: `${user}-pw`, domain: DOMAIN, callId: `reg-${user}-${contact}`, cseq: 1, contacts: [`<sip:${contact}@${contact}.invalid;transport=ws>`] });
  expect(res.status).toBe(200);
  return c;
}

function invite(from: string, to: string, callId: string, extra: string[] = []): string {
  return [
    `INVITE sip:${to}@${DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/WS ${from}.invalid;branch=z9hG4bK${callId}`,
    'Max-Forwards: 70',
    `From: <sip:${from}@${DOMAIN}>;tag=ft-${callId}`,
    `To: <sip:${to}@${DOMAIN}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:${from}@${from}.invalid;transport=ws>`,
    'Content-Type: application/sdp',
    ...extra,
    `Content-Length: ${SDP.length}`,
    '',
    SDP,
  ].join('\r\n');
}

/** A response from the UAS side, built from a received request. */
function answer(req: SipRequest, status: number, reason: string, toTag: string, body = ''): string {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const v of req.headers.values('via')) lines.push(`Via: ${v}`);
  for (const r of req.headers.values('record-route')) lines.push(`Record-Route: ${r}`);
  lines.push(`From: ${req.headers.get('from')}`, `To: ${req.headers.get('to')};tag=${toTag}`, `Call-ID: ${req.headers.get('call-id')}`, `CSeq: ${req.headers.get('cseq')}`);
  if (status < 300 && req.method === 'INVITE') lines.push('Contact: <sip:callee@callee.invalid;transport=ws>');
  if (body) lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${body.length}`, '', body);
  return lines.join('\r\n');
}

beforeAll(async () => {
  for (const u of ['ann', 'ben', 'cat', 'dan', 'eve']) await createUser(u, `${u}-pw`);
});

describe('proxying INVITE', () => {
  it('forwards an INVITE with our Via and Record-Route, relays 180 and 200, and routes ACK and BYE by Route', async () => {
    const ann = await registered('ann', 'ann');
    const ben = await registered('ben', 'ben');
    ann.send(invite('ann', 'ben', 'call1'));
    expect((await ann.response()).status).toBe(100);
    const inv = await nextRequest(ben);
    expect(inv.uri).toBe('sip:ben@ben.invalid;transport=ws');
    expect(inv.headers.get('max-forwards')).toBe('69');
    expect(inv.headers.values('via')).toHaveLength(2);
    expect(inv.headers.values('record-route')).toHaveLength(2);
    expect(new TextDecoder().decode(inv.body)).toBe(SDP);
    ben.send(answer(inv, 180, 'Ringing', 'bt1'));
    const ringing = await ann.response();
    expect(ringing.status).toBe(180);
    expect(ringing.headers.values('via')).toHaveLength(1);
    ben.send(answer(inv, 200, 'OK', 'bt1', SDP));
    const ok = await ann.response();
    expect(ok.status).toBe(200);
    expect(new TextDecoder().decode(ok.body)).toBe(SDP);
    const routes = ok.headers.values('record-route').reverse();
    const inDialog = (method: string, cseq: number) =>
      [`${method} sip:callee@callee.invalid;transport=ws SIP/2.0`, `Via: SIP/2.0/WS ann.invalid;branch=z9hG4bK${method}${cseq}`, 'Max-Forwards: 70',
        'From: <sip:ann@edge-sip.test>;tag=ft-call1', 'To: <sip:ben@edge-sip.test>;tag=bt1', 'Call-ID: call1', `CSeq: ${cseq} ${method}`,
        ...routes.map((r) => `Route: ${r}`), 'Content-Length: 0', '', ''].join('\r\n');
    ann.send(inDialog('ACK', 1));
    const ack = await nextRequest(ben);
    expect(ack.method).toBe('ACK');
    expect(ack.headers.has('route')).toBe(false);
    // The route is this dialog's only: reused for another Call-ID it is not ours (481), with strangers' tags 403.
    expect((await ann.request(inDialog('INFO', 3).replace('Call-ID: call1', 'Call-ID: other-call'))).status).toBe(481);
    expect((await ann.request(inDialog('INFO', 4).replace('tag=ft-call1', 'tag=forged').replace('tag=bt1', 'tag=forged2'))).status).toBe(403);
    expect(await ben.silent(200)).toBe(true);
    ann.send(inDialog('BYE', 5));
    const bye = await nextRequest(ben);
    expect(bye.method).toBe('BYE');
    ben.send(answer(bye, 200, 'OK', 'bt1'));
    expect((await ann.response()).status).toBe(200);
    // RFC 5626 §5.3: once the callee's flow is gone, a request on the route is answered 430 (Flow Failed).
    ben.close();
    let cseq = 6;
    const probe = async () => (await ann.request(inDialog('INFO', cseq++)).catch(() => null))?.status ?? 0; // 0: sent before the close was seen
    expect(await eventually(probe, (s) => s !== 0)).toBe(430);
    ann.close();
  });

  it('answers 404 for an unknown user and 480 for a user with no binding', async () => {
    const ann = await registered('ann', 'ann2');
    expect((await ann.request(invite('ann', 'nobody', 'c404'))).status).toBe(404);
    expect((await ann.request(invite('ann', 'eve', 'c480'))).status).toBe(480);
    ann.close();
  });

  it('answers 483 when Max-Forwards is zero', async () => {
    const ann = await registered('ann', 'ann3');
    expect((await ann.request(invite('ann', 'ben', 'c483').replace('Max-Forwards: 70', 'Max-Forwards: 0'))).status).toBe(483);
    ann.close();
  });

  it('challenges an INVITE from a connection with no registration with 407', async () => {
    const stranger = await connect();
    const res = await stranger.request(invite('ann', 'ben', 'c407'));
    expect(res.status).toBe(407);
    expect(res.headers.getAll('proxy-authenticate').length).toBeGreaterThan(0);
    stranger.close();
  });

  it('forks to two connections of one user, and cancels the other branch when one answers', async () => {
    const cat = await registered('cat', 'cat');
    const d1 = await registered('dan', 'd1');
    const d2 = await registered('dan', 'd2');
    cat.send(invite('cat', 'dan', 'fork1'));
    expect((await cat.response()).status).toBe(100);
    const i1 = await nextRequest(d1);
    const i2 = await nextRequest(d2);
    d1.send(answer(i1, 180, 'Ringing', 'd1t'));
    d2.send(answer(i2, 180, 'Ringing', 'd2t'));
    expect((await cat.response()).status).toBe(180);
    expect((await cat.response()).status).toBe(180);
    d1.send(answer(i1, 200, 'OK', 'd1t', SDP));
    expect((await cat.response()).status).toBe(200);
    const cancel = await nextRequest(d2);
    expect(cancel.method).toBe('CANCEL');
    expect(cancel.headers.values('via')[0]).toBe(i2.headers.values('via')[0]);
    d2.send(answer(cancel, 200, 'OK', 'd2t'));
    d2.send(answer(i2, 487, 'Request Terminated', 'd2t'));
    const ack = await nextRequest(d2);
    expect(ack.method).toBe('ACK');
    expect(await cat.silent()).toBe(true); // the 487 is not forwarded after the 200
    for (const c of [cat, d1, d2]) c.close();
  });

  it('answers a CANCEL with 200 and the INVITE with 487', async () => {
    const cat = await registered('cat', 'cat2');
    const dan = await registered('dan', 'd3');
    cat.send(invite('cat', 'dan', 'cx1'));
    expect((await cat.response()).status).toBe(100);
    const inv = await nextRequest(dan);
    dan.send(answer(inv, 180, 'Ringing', 'dt'));
    expect((await cat.response()).status).toBe(180);
    cat.send(['CANCEL sip:dan@edge-sip.test SIP/2.0', 'Via: SIP/2.0/WS cat.invalid;branch=z9hG4bKcx1', 'Max-Forwards: 70', 'From: <sip:cat@edge-sip.test>;tag=ft-cx1', 'To: <sip:dan@edge-sip.test>', 'Call-ID: cx1', 'CSeq: 1 CANCEL', 'Content-Length: 0', '', ''].join('\r\n'));
    expect((await cat.response()).status).toBe(200);
    const cancel = await nextRequest(dan);
    expect(cancel.method).toBe('CANCEL');
    dan.send(answer(cancel, 200, 'OK', 'dt'));
    dan.send(answer(inv, 487, 'Request Terminated', 'dt'));
    expect((await cat.response()).status).toBe(487);
    cat.close();
    dan.close();
  });
});
