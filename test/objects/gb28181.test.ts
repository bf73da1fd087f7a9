/**
 * GB/T 28181 devices inside workerd: a scripted camera on a bridged flow
 * registers, keeps alive, answers queries, PTZ and live view driven by the API.
 */
import { exports } from 'cloudflare:workers';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { computeDigestResponse, computeHA1 } from '../../src/auth/digest.js';
import { parseChallenge } from '../../src/sip/auth-header.js';
import type { SipRequest } from '../../src/sip/message.js';
import type { AorObject } from '../../src/objects/aor-object.js';
import { SipTestClient } from '../support/sip-client.js';
import { LIVENESS_CLOSE_CODE } from '../../src/transport/liveness.js';
import { eventually, gbApi as api, nextRequest } from './helpers.js';

const PLATFORM = '34020000002000000001';
const REALM = '3402000000';
const PASSWORD = 'test-gb-password';

async function camera(source: string): Promise<SipTestClient> {
  const res = await exports.default.fetch('http://edge/sip', {
    headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': 'sip', authorization: 'Bearer test-bridge-token', 'x-bridge-source': source },
  });
  res.webSocket!.accept();
  return new SipTestClient(res.webSocket!);
}

function request(method: string, id: string, cseq: number, extra: string[] = [], body = ''): string {
  return [
    `${method} sip:${PLATFORM}@${REALM} SIP/2.0`,
    `Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK${id.slice(-4)}${method}${cseq}`,
    `From: <sip:${id}@${REALM}>;tag=t${id.slice(-4)}`,
    `To: <sip:${method === 'REGISTER' ? id : PLATFORM}@${REALM}>`,
    `Call-ID: ${method === 'REGISTER' ? 'reg' : 'msg'}-${id}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:${id}@192.168.1.64:5060>`,
    'Max-Forwards: 70',
    'User-Agent: IP Camera',
    ...extra,
    ...(body ? ['Content-Type: Application/MANSCDP+xml'] : []),
    `Content-Length: ${new TextEncoder().encode(body).byteLength}`,
    '',
    body,
  ].join('\r\n');
}

async function register(c: SipTestClient, id: string, qop: boolean): Promise<ReturnType<SipTestClient['response']>> {
  const first = await c.request(request('REGISTER', id, 1, ['Expires: 3600', 'X-GB-Ver: 2.0']));
  expect(first.status).toBe(401);
  expect(first.headers.getAll('www-authenticate')).toHaveLength(1);
  const ch = parseChallenge(first.headers.get('www-authenticate')!);
  if (!ch.ok) throw new Error(ch.error);
  const uri = `sip:${PLATFORM}@${REALM}`;
  const ha1 = computeHA1('MD5', id, REALM, PASSWORD);
  const nonce = ch.value.nonce;
  const auth = qop
    ? `Digest username="${id}", realm="${REALM}", nonce="${nonce}", uri="${uri}", response="${computeDigestResponse({ algorithm: 'MD5', ha1, method: 'REGISTER', uri, nonce, qop: 'auth', nc: '00000001', cnonce: '0a4f113b' })}", algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b"`
    : `Digest username="${id}", realm="${REALM}", nonce="${nonce}", uri="${uri}", response="${computeDigestResponse({ algorithm: 'MD5', ha1, method: 'REGISTER', uri, nonce, qop: null })}", algorithm=MD5`;
  return c.request(request('REGISTER', id, 2, ['Expires: 3600', 'X-GB-Ver: 2.0', `Authorization: ${auth}`]));
}

function ok(req: SipRequest, extra: string[] = [], body = ''): string {
  return ['SIP/2.0 200 OK', ...req.headers.values('via').map((v) => `Via: ${v}`), `From: ${req.headers.get('from')}`, `To: ${req.headers.get('to')};tag=dev1`,
    `Call-ID: ${req.headers.get('call-id')}`, `CSeq: ${req.headers.get('cseq')}`, ...extra, `Content-Length: ${body.length}`, '', body].join('\r\n');
}

function catalogPart(sn: string, items: Array<[string, string]>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\r\n<Response>\r\n<CmdType>Catalog</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>34020000001180000009</DeviceID>\r\n<SumNum>3</SumNum>\r\n<DeviceList Num="${items.length}">\r\n${items
    .map(([id, name]) => `<Item>\r\n<DeviceID>${id}</DeviceID>\r\n<Name>${name}</Name>\r\n<Status>ON</Status>\r\n</Item>\r\n`)
    .join('')}</DeviceList>\r\n</Response>\r\n`;
}

describe('a GB28181 camera', () => {
  it('registers with and without qop, gets a local Date without zone, Expires and X-GB-Ver echoed', async () => {
    const c = await camera('203.0.113.7:40122');
    const res = await register(c, '34020000001320000001', true);
    expect(res.status).toBe(200);
    expect(res.headers.get('date')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
    expect(res.headers.get('expires')).toBe('3600');
    expect(res.headers.get('x-gb-ver')).toBe('2.0');
    const c2 = await camera('203.0.113.8:40122');
    expect((await register(c2, '34020000001320000002', false)).status).toBe(200);
    const dev = (await (await api('/devices/34020000001320000001')).json()) as { online: boolean; source: string; gbVersion: string };
    expect(dev).toMatchObject({ online: true, source: '203.0.113.7:40122', gbVersion: '2.0' });
    c.close();
    c2.close();
  });

  it('keeps every device of one address on its flow when they register at the same time', async () => {
    const c = await camera('203.0.113.50:5060');
    const ids = ['34020000001320000051', '34020000001320000052'];
    const byCallId = async (n: number) => {
      const out = new Map<string, Awaited<ReturnType<SipTestClient['response']>>>();
      for (let i = 0; i < n; i++) {
        const r = await c.response();
        out.set(r.headers.get('call-id')!, r);
      }
      return out;
    };
    for (const id of ids) c.send(request('REGISTER', id, 1, ['Expires: 3600']));
    const challenges = await byCallId(2);
    for (const id of ids) {
      const ch = parseChallenge(challenges.get(`reg-${id}`)!.headers.get('www-authenticate')!);
      if (!ch.ok) throw new Error(ch.error);
      const uri = `sip:${PLATFORM}@${REALM}`;
      const response = computeDigestResponse({ algorithm: 'MD5', ha1: computeHA1('MD5', id, REALM, PASSWORD), method: 'REGISTER', uri, nonce: ch.value.nonce, qop: null });
      c.send(request('REGISTER', id, 2, ['Expires: 3600', `Authorization: Digest username="${id}", realm="${REALM}", nonce="${ch.value.nonce}", uri="${uri}", response="${response}", algorithm=MD5`]));
    }
    const oks = await byCallId(2);
    expect(ids.map((id) => oks.get(`reg-${id}`)?.status)).toEqual([200, 200]);
    for (const id of ids) {
      const keepalive = `<?xml version="1.0"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>1</SN>\r\n<DeviceID>${id}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`;
      expect((await c.request(request('MESSAGE', id, 3, [], keepalive))).status, id).toBe(200);
    }
    c.close();
  });

  it('answers keepalives with 200, and a MESSAGE from an unregistered device with 404', async () => {
    const c = await camera('203.0.113.9:5060');
    expect((await register(c, '34020000001320000003', true)).status).toBe(200);
    const keepalive = '<?xml version="1.0"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>1</SN>\r\n<DeviceID>34020000001320000003</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n';
    expect((await c.request(request('MESSAGE', '34020000001320000003', 3, [], keepalive))).status).toBe(200);
    const stranger = await camera('203.0.113.10:5060');
    expect((await stranger.request(request('MESSAGE', '34020000001320000004', 1, [], keepalive))).status).toBe(404);
    c.close();
    stranger.close();
  });

  it('stays registered across the bridge\'s reconnect: keepalives on the new connection get 200', async () => {
    const c = await camera('203.0.113.14:5060');
    expect((await register(c, '34020000001320000007', true)).status).toBe(200);
    const again = await camera('203.0.113.14:5060');
    const keepalive = '<?xml version="1.0"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>2</SN>\r\n<DeviceID>34020000001320000007</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n';
    expect((await again.request(request('MESSAGE', '34020000001320000007', 3, [], keepalive))).status).toBe(200);
    again.close();
  });

  it('answers keepalives on the flow, tells the bridge its liveness limit, and is offline once the bridge closes it for silence', async () => {
    const id = '34020000001320000005';
    const c = await camera('203.0.113.11:5060');
    expect((await register(c, id, true)).status).toBe(200);
    expect(await eventually(async () => c.controls, (x) => x.length > 0)).toEqual([{ type: 'liveness', timeoutMs: 180_000 }]);
    const keepalive = `<?xml version="1.0"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>9</SN>\r\n<DeviceID>${id}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`;
    const before = Date.now();
    expect((await c.request(request('MESSAGE', id, 3, [], keepalive))).status).toBe(200);
    const online = (await (await api(`/devices/${id}`)).json()) as { online: boolean; lastKeepaliveAt: number };
    expect(online.online).toBe(true);
    expect(online.lastKeepaliveAt).toBeGreaterThanOrEqual(before);
    c.close(LIVENESS_CLOSE_CODE, 'keepalive timeout');
    const dev = await eventually(async () => (await (await api(`/devices/${id}`)).json()) as { online: boolean; offlineReason: string }, (d) => !d.online);
    expect(dev).toMatchObject({ online: false, offlineReason: 'keepalive timeout' });
    expect((await api(`/devices/${id}/catalog`, { method: 'POST' })).status).toBe(409);
    const list = (await (await api('/devices')).json()) as { devices: Array<{ deviceId: string; online: boolean }> };
    expect(list.devices.find((d) => d.deviceId === id)).toMatchObject({ online: false });
  });

  it('answers a keepalive after the registration lapsed with 404 and shows the device offline (registration expired)', async () => {
    const id = '34020000001320000016';
    const c = await camera('203.0.113.16:5060');
    expect((await register(c, id, true)).status).toBe(200);
    const keepalive = `<?xml version="1.0"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>11</SN>\r\n<DeviceID>${id}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`;
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 3_700_000); // past Expires 3600 and the grace, inside the lease's horizon
      expect((await c.request(request('MESSAGE', id, 5, [], keepalive))).status).toBe(404);
      const dev = await eventually(async () => (await (await api(`/devices/${id}`)).json()) as { online: boolean; offlineReason: string }, (d) => !d.online);
      expect(dev).toMatchObject({ online: false, offlineReason: 'registration expired' });
    } finally {
      vi.useRealTimers();
    }
    c.close();
  });

  it('comes back online with the next keepalive after the bridge reconnects', async () => {
    const id = '34020000001320000015';
    const c = await camera('203.0.113.15:5060');
    expect((await register(c, id, true)).status).toBe(200);
    c.close(LIVENESS_CLOSE_CODE, 'keepalive timeout');
    await eventually(async () => (await (await api(`/devices/${id}`)).json()) as { online: boolean }, (d) => !d.online);
    const again = await camera('203.0.113.15:5060');
    const keepalive = `<?xml version="1.0"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>10</SN>\r\n<DeviceID>${id}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`;
    expect((await again.request(request('MESSAGE', id, 4, [], keepalive))).status).toBe(200);
    expect((await (await api(`/devices/${id}`)).json()) as { online: boolean }).toMatchObject({ online: true, offlineReason: null });
    again.close();
  });

  it('answers a catalog refresh from parts that arrive out of order and retransmitted, each item once', async () => {
    const nvr = '34020000001180000009';
    const c = await camera('203.0.113.12:5060');
    expect((await register(c, nvr, true)).status).toBe(200);
    const pending = api(`/devices/${nvr}/catalog?wait=20`, { method: 'POST' });
    const query = await nextRequest(c);
    expect(query.method).toBe('MESSAGE');
    const xml = new TextDecoder().decode(query.body);
    expect(xml).toContain('<CmdType>Catalog</CmdType>');
    const sn = /<SN>(\d+)<\/SN>/.exec(xml)![1]!;
    c.send(ok(query));
    const partB = catalogPart(sn, [['34020000001310000003', 'C']]);
    const partA = catalogPart(sn, [['34020000001310000001', 'A'], ['34020000001310000002', 'B']]);
    expect((await c.request(request('MESSAGE', nvr, 10, [], partB))).status).toBe(200);
    expect((await c.request(request('MESSAGE', nvr, 10, [], partB))).status).toBe(200);
    expect((await c.request(request('MESSAGE', nvr, 11, [], partA))).status).toBe(200);
    const res = await pending;
    expect(res.status).toBe(200);
    const body = (await res.json()) as { sumNum: number; items: Array<{ deviceId: string }> };
    expect(body.items.map((i) => i.deviceId).sort()).toEqual(['34020000001310000001', '34020000001310000002', '34020000001310000003']);
    c.close();
  });

  it('closes a catalog as partial when parts stop coming, well before the wait ends', async () => {
    const nvr = '34020000001180000008';
    const c = await camera('203.0.113.15:5060');
    expect((await register(c, nvr, true)).status).toBe(200);
    const started = Date.now();
    const pending = api(`/devices/${nvr}/catalog?wait=30`, { method: 'POST' });
    const query = await nextRequest(c);
    const sn = /<SN>(\d+)<\/SN>/.exec(new TextDecoder().decode(query.body))![1]!;
    c.send(ok(query));
    expect((await c.request(request('MESSAGE', nvr, 10, [], catalogPart(sn, [['34020000001310000009', 'Z']])))).status).toBe(200);
    const res = await pending;
    expect(res.status).toBe(206);
    expect(await res.json()).toMatchObject({ partial: true, sumNum: 3, complete: false });
    expect(Date.now() - started).toBeLessThan(20_000);
    c.close();
  }, 25_000);

  it('sends PTZ with a checksummed PTZCmd, and starts and stops live view', async () => {
    const id = '34020000001320000006';
    const c = await camera('203.0.113.13:5060');
    expect((await register(c, id, true)).status).toBe(200);
    const ptz = api(`/devices/${id}/ptz`, { method: 'POST', body: JSON.stringify({ tilt: 'up', speed: 128 }) });
    const control = await nextRequest(c);
    expect(new TextDecoder().decode(control.body)).toContain('<PTZCmd>A50F0108808000BD</PTZCmd>');
    c.send(ok(control));
    expect((await ptz).status).toBe(200);

    const live = api(`/devices/${id}/live`, { method: 'POST', body: JSON.stringify({ channel: '34020000001310000001', mediaIp: '198.51.100.20', mediaPort: 30000 }) });
    const invite = await nextRequest(c);
    expect(invite.method).toBe('INVITE');
    expect(invite.uri).toBe('sip:34020000001310000001@192.168.1.64:5060');
    const offer = new TextDecoder().decode(invite.body);
    expect(offer).toContain('s=Play');
    expect(offer).toMatch(/y=\d{10}/);
    expect(invite.headers.get('subject')).toMatch(/^34020000001310000001:\d{10},34020000002000000001:0$/);
    const answer = 'v=0\r\no=34020000001310000001 0 0 IN IP4 192.168.1.64\r\ns=Play\r\nc=IN IP4 192.168.1.64\r\nt=0 0\r\nm=video 15060 RTP/AVP 96\r\na=sendonly\r\na=rtpmap:96 PS/90000\r\ny=0200000001\r\n';
    c.send(ok(invite, ['Contact: <sip:34020000001310000001@192.168.1.64:5060>', 'Content-Type: application/sdp'], answer));
    const ack = await nextRequest(c);
    expect(ack.method).toBe('ACK');
    const started = (await (await live).json()) as { callId: string; answer: string; media: { ip: string; port: number } };
    expect(started.answer).toBe(answer);
    expect(started.media).toEqual({ ip: '192.168.1.64', port: 15060 });
    const stop = api(`/devices/${id}/live/${encodeURIComponent(started.callId)}`, { method: 'DELETE' });
    const bye = await nextRequest(c);
    expect(bye.method).toBe('BYE');
    c.send(ok(bye));
    expect((await stop).status).toBe(200);
    c.close();
  });

  it('reports unknown devices with 404', async () => {
    expect((await api('/devices/34020000001329999999')).status).toBe(404);
  });
});
