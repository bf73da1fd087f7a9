/**
 * Voice broadcast (GB/T 28181 §9.12) inside workerd: a scripted camera on a bridged flow gets the platform's
 * Notify/Broadcast, answers it, INVITEs the source with an audio offer, gets 200 with a sendonly answer from
 * the audio source the API named and its own SSRC back, ACKs; the API lists and stops it (BYE), or the device
 * ends it with its own BYE. Offers without G.711 get 488, a refusal ends the API's wait, and a TCP flow closed
 * for silence loses its bindings.
 */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { computeDigestResponse, computeHA1 } from '../../src/auth/digest.js';
import { parseChallenge } from '../../src/sip/auth-header.js';
import type { SipRequest, SipResponse } from '../../src/sip/message.js';
import { LIVENESS_CLOSE_CODE } from '../../src/transport/liveness.js';
import { SipTestClient } from '../support/sip-client.js';
import { eventually, gbApi as api, nextRequest } from './helpers.js';

const PLATFORM = '34020000002000000001';
const REALM = '3402000000';
const PASSWORD = 'test-gb-password';
const AUDIO = { ip: '198.51.100.30', port: 10_000 };

async function camera(source: string, transport: 'udp' | 'tcp' = 'udp'): Promise<SipTestClient> {
  const res = await exports.default.fetch('http://edge/sip', {
    headers: {
      Upgrade: 'websocket', 'Sec-WebSocket-Protocol': 'sip', authorization: 'Bearer test-bridge-token', 'x-bridge-source': source,
      ...(transport === 'tcp' ? { 'x-bridge-transport': 'tcp' } : {}),
    },
  });
  res.webSocket!.accept();
  return new SipTestClient(res.webSocket!);
}

let seq = 0;
function request(method: string, id: string, o: { uri?: string; to?: string; callId?: string; cseq?: number; extra?: string[]; body?: string; type?: string } = {}): string {
  const body = o.body ?? '';
  return [
    `${method} ${o.uri ?? `sip:${PLATFORM}@${REALM}`} SIP/2.0`,
    `Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK${id.slice(-4)}${method}${++seq}`,
    `From: <sip:${id}@${REALM}>;tag=t${id.slice(-4)}`,
    `To: ${o.to ?? `<sip:${method === 'REGISTER' ? id : PLATFORM}@${REALM}>`}`,
    `Call-ID: ${o.callId ?? `${method}-${id}`}`,
    `CSeq: ${o.cseq ?? seq} ${method}`,
    `Contact: <sip:${id}@192.168.1.64:5060>`,
    'Max-Forwards: 70',
    ...(o.extra ?? []),
    ...(body ? [`Content-Type: ${o.type ?? 'Application/MANSCDP+xml'}`] : []),
    `Content-Length: ${new TextEncoder().encode(body).byteLength}`,
    '',
    body,
  ].join('\r\n');
}

async function register(c: SipTestClient, id: string): Promise<void> {
  const first = await c.request(request('REGISTER', id, { callId: `reg-${id}`, cseq: 1, extra: ['Expires: 3600'] }));
  const ch = parseChallenge(first.headers.get('www-authenticate')!);
  if (!ch.ok) throw new Error(ch.error);
  const uri = `sip:${PLATFORM}@${REALM}`;
  const response = computeDigestResponse({ algorithm: 'MD5', ha1: computeHA1('MD5', id, REALM, PASSWORD), method: 'REGISTER', uri, nonce: ch.value.nonce, qop: null });
  const auth = `Digest username="${id}", realm="${REALM}", nonce="${ch.value.nonce}", uri="${uri}", response="${response}", algorithm=MD5`;
  const ok = await c.request(request('REGISTER', id, { callId: `reg-${id}`, cseq: 2, extra: ['Expires: 3600', `Authorization: ${auth}`] }));
  expect(ok.status).toBe(200);
}

function ok(req: SipRequest): string {
  return ['SIP/2.0 200 OK', ...req.headers.values('via').map((v) => `Via: ${v}`), `From: ${req.headers.get('from')}`, `To: ${req.headers.get('to')};tag=dev1`,
    `Call-ID: ${req.headers.get('call-id')}`, `CSeq: ${req.headers.get('cseq')}`, 'Content-Length: 0', '', ''].join('\r\n');
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function offer(id: string, rtp = 'RTP/AVP 8 0', extra: string[] = []): string {
  return ['v=0', `o=${id} 0 0 IN IP4 192.168.1.64`, 's=Play', 'c=IN IP4 192.168.1.64', 't=0 0', `m=audio 15062 ${rtp}`, 'a=recvonly', 'a=rtpmap:8 PCMA/8000', ...extra, 'y=0100000099', 'f=v/////a/1/8/1', ''].join('\r\n');
}

/** The device's part up to the INVITE: 200 to the Notify, Response/Broadcast OK; returns the Notify. */
async function acceptNotify(c: SipTestClient, id: string, result = 'OK'): Promise<SipRequest> {
  const notify = await nextRequest(c);
  c.send(ok(notify));
  const sn = /<SN>(\d+)<\/SN>/.exec(text(notify.body))![1];
  const res = `<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>Broadcast</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${id}</DeviceID>\r\n<Result>${result}</Result>\r\n</Response>\r\n`;
  expect((await c.request(request('MESSAGE', id, { callId: `bres-${sn}`, body: res }))).status).toBe(200);
  return notify;
}

describe('voice broadcast (GB/T 28181 §9.12)', () => {
  it('Notify, the device INVITEs the source, 200 sendonly from the audio source with its SSRC, ACK; listed; stopped with BYE', async () => {
    const id = '34020000001320000101';
    const channel = '34020000001370000101';
    const c = await camera('203.0.113.40:5060');
    await register(c, id);
    const started = api(`/devices/${id}/broadcast`, { method: 'POST', body: JSON.stringify({ channel, audio: AUDIO }) });
    const notify = await acceptNotify(c, id);
    expect(notify.method).toBe('MESSAGE');
    expect(notify.uri).toBe(`sip:${id}@192.168.1.64:5060`);
    expect(text(notify.body)).toMatch(new RegExp(`<Notify>\\r\\n<CmdType>Broadcast</CmdType>\\r\\n<SN>\\d+</SN>\\r\\n<SourceID>${PLATFORM}</SourceID>\\r\\n<TargetID>${channel}</TargetID>\\r\\n</Notify>`));

    // The audio channel calls the source (From: the channel ID, as Hikvision cameras do).
    const inviteText = request('INVITE', channel, { callId: 'bc-1', cseq: 1, body: offer(channel), type: 'application/sdp', extra: [`Subject: ${channel}:0100000099,${PLATFORM}:0`] });
    const answered = await c.request(inviteText);
    expect(answered.status).toBe(200);
    expect(answered.headers.get('content-type')).toBe('application/sdp');
    expect(answered.headers.get('to')).toMatch(/;tag=\w+/);
    expect(answered.headers.get('contact')).toMatch(new RegExp(`^<sip:${PLATFORM}@`));
    const sdp = text(answered.body);
    expect(sdp).toContain('c=IN IP4 198.51.100.30');
    expect(sdp).toContain('m=audio 10000 RTP/AVP 8');
    expect(sdp).toContain('a=sendonly');
    expect(sdp).toContain('a=rtpmap:8 PCMA/8000');
    expect(sdp).toContain('y=0100000099');

    const session = (await (await started).json()) as Record<string, unknown>;
    expect(session).toMatchObject({ callId: 'bc-1', sourceId: PLATFORM, targetId: channel, ssrc: '0100000099', audio: AUDIO, device: { ip: '192.168.1.64', port: 15062, transport: 'UDP' }, state: 'answered', answer: sdp });

    // A retransmitted INVITE gets the same 200 (same tag), and the ACK confirms the session.
    const again = await c.request(inviteText);
    expect(again.headers.get('to')).toBe(answered.headers.get('to'));
    const toTag = /tag=(\w+)/.exec(answered.headers.get('to')!)![1];
    c.send(request('ACK', channel, { callId: 'bc-1', cseq: 1, to: `<sip:${PLATFORM}@${REALM}>;tag=${toTag}` }));
    const listed = await eventually(async () => (await (await api(`/devices/${id}/broadcast`)).json()) as { broadcasts: Array<{ state: string }> }, (l) => l.broadcasts[0]?.state === 'confirmed');
    expect(listed.broadcasts).toHaveLength(1);

    const stop = api(`/devices/${id}/broadcast/bc-1`, { method: 'DELETE' });
    const bye = await nextRequest(c);
    expect(bye.method).toBe('BYE');
    expect(bye.uri).toBe(`sip:${channel}@192.168.1.64:5060`);
    expect(bye.headers.get('call-id')).toBe('bc-1');
    expect(bye.headers.get('from')).toBe(`<sip:${PLATFORM}@${REALM}>;tag=${toTag}`);
    expect(bye.headers.get('to')).toBe(`<sip:${channel}@${REALM}>;tag=t${channel.slice(-4)}`);
    c.send(ok(bye));
    expect(await (await stop).json()).toEqual({ status: 200, reason: 'OK' });
    expect(((await (await api(`/devices/${id}/broadcast`)).json()) as { broadcasts: unknown[] }).broadcasts).toEqual([]);
    expect((await api(`/devices/${id}/broadcast/bc-1`, { method: 'DELETE' })).status).toBe(404);
    c.close();
  });

  it('the device ends the broadcast with BYE: 200, and the session is gone; a BYE for an unknown call gets 481', async () => {
    const id = '34020000001320000102';
    const c = await camera('203.0.113.41:5060');
    await register(c, id);
    const started = api(`/devices/${id}/broadcast`, { method: 'POST', body: JSON.stringify({ audio: AUDIO }) });
    await acceptNotify(c, id);
    const answered = await c.request(request('INVITE', id, { callId: 'bc-2', cseq: 1, body: offer(id, 'TCP/RTP/AVP 8', ['a=setup:active', 'a=connection:new']), type: 'application/sdp' }));
    expect(answered.status).toBe(200);
    const sdp = text(answered.body);
    expect(sdp).toContain('m=audio 10000 TCP/RTP/AVP 8');
    expect(sdp).toContain('a=setup:passive');
    expect((await started).status).toBe(200);
    const to = answered.headers.get('to')!;
    expect((await c.request(request('BYE', id, { uri: `sip:${PLATFORM}@${REALM}`, callId: 'bc-2', cseq: 2, to }))).status).toBe(200);
    expect(((await (await api(`/devices/${id}/broadcast`)).json()) as { broadcasts: unknown[] }).broadcasts).toEqual([]);
    expect((await c.request(request('BYE', id, { callId: 'bc-2', cseq: 3, to }))).status).toBe(481);
    c.close();
  });

  it('answers an offer without G.711 with 488 and the API with 502; a Result ERROR ends the wait with 502', async () => {
    const id = '34020000001320000103';
    const c = await camera('203.0.113.42:5060');
    await register(c, id);
    const started = api(`/devices/${id}/broadcast`, { method: 'POST', body: JSON.stringify({ audio: AUDIO }) });
    await acceptNotify(c, id);
    const g729 = ['v=0', 'o=x 0 0 IN IP4 192.168.1.64', 's=Play', 'c=IN IP4 192.168.1.64', 't=0 0', 'm=audio 15062 RTP/AVP 18', 'a=rtpmap:18 G729/8000', 'a=recvonly', ''].join('\r\n');
    const refused: SipResponse = await c.request(request('INVITE', id, { callId: 'bc-3', cseq: 1, body: g729, type: 'application/sdp' }));
    expect(refused.status).toBe(488);
    const res = await started;
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ sipStatus: 488, error: expect.stringContaining('PCMA or PCMU') });

    const second = api(`/devices/${id}/broadcast?wait=30`, { method: 'POST', body: JSON.stringify({ audio: AUDIO }) });
    await acceptNotify(c, id, 'ERROR');
    const r2 = await second;
    expect(r2.status).toBe(502);
    expect(((await r2.json()) as { error: string }).error).toContain('Result ERROR');
    // No broadcast waits now: an INVITE to the source gets 404.
    expect((await c.request(request('INVITE', id, { callId: 'bc-4', cseq: 1, body: offer(id), type: 'application/sdp' }))).status).toBe(404);
    c.close();
  });

  it('validates input: 400 with the schema message, no audio source 400, offline 409, unknown device 404', async () => {
    const id = '34020000001320000104';
    const bad = await api(`/devices/${id}/broadcast`, { method: 'POST', body: JSON.stringify({ channel: '123' }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: '"channel" must be a 20-digit channel ID' });
    const port = await api(`/devices/${id}/broadcast`, { method: 'POST', body: JSON.stringify({ audio: { ip: '198.51.100.1', port: 70_000 } }) });
    expect(await port.json()).toEqual({ error: '"audio.port" must be an integer 1-65535' });
    const crlf = await api(`/devices/${id}/broadcast`, { method: 'POST', body: JSON.stringify({ audio: { ip: '1.2.3.4\r\nX: y', port: 1 } }) });
    expect(crlf.status).toBe(400);
    const noJson = await api(`/devices/${id}/broadcast`, { method: 'POST', body: '{' });
    expect(noJson.status).toBe(400);
    expect(await noJson.json()).toHaveProperty('error');
    const none = await api(`/devices/${id}/broadcast`, { method: 'POST', body: '{}' });
    expect(none.status).toBe(400);
    expect(((await none.json()) as { error: string }).error).toContain('GB_BROADCAST_AUDIO_IP');
    expect((await api(`/devices/${id}/broadcast`, { method: 'POST', body: JSON.stringify({ audio: AUDIO }) })).status).toBe(409);
    expect((await api('/devices/3402000000132000010/broadcast')).status).toBe(400);
    expect((await api(`/devices/${id}/broadcast/nope`, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('a device closed for silence', () => {
  const targets = async (id: string) => (await env.AOR.get(env.AOR.idFromName(`sip:${id}@${REALM}`)).lookup()).targets;

  it('over TCP is offline (keepalive timeout) and its bindings are gone, as on 4001: nothing is routed to the dead connection', async () => {
    const id = '34020000001320000105';
    const c = await camera('203.0.113.43:40001', 'tcp');
    await register(c, id);
    expect(await targets(id)).toHaveLength(1);
    await eventually(async () => c.controls, (x) => x.length > 0);
    c.close(LIVENESS_CLOSE_CODE, 'keepalive timeout');
    const dev = await eventually(async () => (await (await api(`/devices/${id}`)).json()) as { online: boolean; offlineReason: string }, (d) => !d.online);
    expect(dev.offlineReason).toBe('keepalive timeout');
    expect(await eventually(() => targets(id), (t) => t.length === 0)).toEqual([]);
  });

  it('over UDP is offline but keeps its binding: the address stays reachable, a new datagram brings it back', async () => {
    const id = '34020000001320000106';
    const c = await camera('203.0.113.44:5060');
    await register(c, id);
    await eventually(async () => c.controls, (x) => x.length > 0);
    c.close(LIVENESS_CLOSE_CODE, 'keepalive timeout');
    await eventually(async () => (await (await api(`/devices/${id}`)).json()) as { online: boolean }, (d) => !d.online);
    expect(await targets(id)).toHaveLength(1);
  });
});
