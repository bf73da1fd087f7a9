/**
 * One call between two registered softphones through the proxy, scripted on the wire (the shapes of
 * test/objects/routing.test.ts): INVITE with SDP → 100 / 180 / 200 → ACK → BYE → 200.
 * @module
 */
import type { SipRequest } from '../src/sip/message.js';
import { DOMAIN, responseTo, SDP, type WsPhone } from './ledger-sip.js';

/** A response of the callee, built from the request it answers (Via and Record-Route copied). */
function answer(req: SipRequest, status: number, reason: string, toTag: string, body = ''): string {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const v of req.headers.values('via')) lines.push(`Via: ${v}`);
  for (const r of req.headers.values('record-route')) lines.push(`Record-Route: ${r}`);
  lines.push(`From: ${req.headers.get('from')}`, `To: ${req.headers.get('to')};tag=${toTag}`, `Call-ID: ${req.headers.get('call-id')}`, `CSeq: ${req.headers.get('cseq')}`);
  if (status < 300 && req.method === 'INVITE') lines.push(`Contact: <sip:callee@callee.invalid;transport=ws>`);
  if (body) lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  return lines.join('\r\n');
}

/** Place a call from `a` to `b`, answer it, hang it up; throws unless every step saw the expected message. */
export async function oneCall(a: WsPhone, b: WsPhone): Promise<void> {
  const callId = `call-${a.callId.slice(0, 8)}`;
  const fromTag = `ft${callId.slice(-6)}`;
  const invite = [
    `INVITE sip:${b.user}@${DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/WSS ${a.host};branch=z9hG4bK${callId}i`,
    'Max-Forwards: 70',
    `From: <sip:${a.user}@${DOMAIN}>;tag=${fromTag}`,
    `To: <sip:${b.user}@${DOMAIN}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: ${a.contact}`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n');
  a.send(invite);
  const trying = await a.take(responseTo(callId, 1, false), 'the 100 to the INVITE');
  if (trying.type !== 'response' || trying.status !== 100) throw new Error('expected 100 Trying first');
  const inv = await b.nextRequest('INVITE');
  b.send(answer(inv, 180, 'Ringing', 'bt1'));
  const ringing = await a.take(responseTo(callId, 1, false), 'the 180');
  if (ringing.type !== 'response' || ringing.status !== 180) throw new Error('expected 180 Ringing');
  b.send(answer(inv, 200, 'OK', 'bt1', SDP));
  const ok = await a.take(responseTo(callId, 1), 'the 200 to the INVITE');
  if (ok.type !== 'response' || ok.status !== 200) throw new Error('expected 200 to the INVITE');
  const routes = ok.headers.values('record-route').reverse();
  const inDialog = (method: string, cseq: number) => [
    `${method} sip:callee@callee.invalid;transport=ws SIP/2.0`,
    `Via: SIP/2.0/WSS ${a.host};branch=z9hG4bK${callId}${method}`,
    'Max-Forwards: 70',
    `From: <sip:${a.user}@${DOMAIN}>;tag=${fromTag}`,
    `To: <sip:${b.user}@${DOMAIN}>;tag=bt1`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    ...routes.map((r) => `Route: ${r}`),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  a.send(inDialog('ACK', 1));
  await b.nextRequest('ACK');
  a.send(inDialog('BYE', 2));
  const bye = await b.nextRequest('BYE');
  b.send(answer(bye, 200, 'OK', 'bt1'));
  const done = await a.take(responseTo(callId, 2), 'the 200 to the BYE');
  if (done.type !== 'response' || done.status !== 200) throw new Error('expected 200 to the BYE');
}
