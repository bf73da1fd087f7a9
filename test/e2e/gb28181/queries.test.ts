/**
 * The GB/T 28181 API end to end: SIPp acting as an NVR or a camera, registered through the real udp-bridge
 * against a really started Worker, answers what the API sends it:
 * - a Catalog refresh, answered in two parts out of order with one part retransmitted and names in GB2312,
 *   yields exactly the channels sent, names decoded; answered only in part, it yields 206 and what came;
 * - DeviceInfo comes back as sent;
 * - a PTZ command arrives with the right PTZCmd (the SIPp scenario checks it; the API answers 200);
 * - live view: INVITE (s=Play, y=) answered with the device's SDP, which the API returns byte for byte;
 *   stopping sends BYE, which the device answers 200.
 *
 * Each test is one device on its own UDP port: a first SIPp run registers it, a second one (server mode,
 * same port, so the same flow at the bridge and the Worker) answers the platform's request.
 */
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freeUdpPort, startTestBridge, waitUntilBound, type TestBridge } from '../udp/udp-kit.js';
import {
  gbLab, PLATFORM, REALM, catalogChannels, deviceUntil, gbApi, gbSipp, newDeviceId, parseTrace, writeCatalogItems, type DeviceJson,
} from './gb-kit.js';

const lab = gbLab();

/** Register device `id` from UDP `port` (SIPp, digest with qop) and wait until the API shows it online. */
async function registered(id: string, port: number): Promise<void> {
  const run = await gbSipp({ scenario: 'gb-camera-register-qop-expect-200.xml', bridgePort: lab.bridge.port, localPort: port, id }).result;
  expect(run.code, run.report).toBe(0);
  const dev = await deviceUntil(lab.svc, id, (d) => d.status === 200 && d.body.online);
  expect(dev.body.online, dev.text).toBe(true);
}

const post = (body?: unknown): RequestInit => ({ method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

describe('a GB28181 NVR and cameras (SIPp) driven through the API', () => {
  it('Catalog: two parts out of order, one retransmitted and resent, GB2312 names: exactly the channels sent, names decoded', async () => {
    const nvr = newDeviceId('118');
    const port = await freeUdpPort();
    await registered(nvr, port);
    const bodydir = writeCatalogItems(nvr);
    const absorbed = async () => (await lab.bridge.scrape()).get('sip_bridge_retransmissions_absorbed_total') ?? 0;
    const absorbedBefore = await absorbed();
    const sipp = gbSipp({ scenario: 'gb-nvr-catalog.xml', bridgePort: lab.bridge.port, localPort: port, id: nvr, keys: { bodydir } });
    try {
      await waitUntilBound(port);
      const res = await gbApi<{ sumNum: number; complete: boolean; items: Array<Record<string, unknown>> }>(lab.svc, `/devices/${nvr}/catalog?wait=20`, post());
      const run = await sipp.result;
      expect(run.code, run.report).toBe(0);
      expect(res.status, res.text).toBe(200);

      const expected = catalogChannels(nvr);
      expect(res.body.sumNum).toBe(2);
      expect(res.body.complete).toBe(true);
      // Exactly the two channels, each once (the retransmitted part counted once), in arrival order (B first).
      expect(res.body.items.map((i) => i.deviceId)).toEqual([expected[1]!.deviceId, expected[0]!.deviceId]);
      for (const e of expected) {
        expect(res.body.items.find((i) => i.deviceId === e.deviceId)).toMatchObject({
          deviceId: e.deviceId, name: e.name, manufacturer: 'Acme', model: 'IPC-100', owner: 'Owner', civilCode: '340200',
          address: e.address, parental: false, parentId: nvr, status: e.status, ptzType: e.ptzType,
        });
      }
      // The device keeps them.
      const dev = await gbApi<DeviceJson>(lab.svc, `/devices/${nvr}`);
      expect(dev.body.catalogComplete).toBe(true);
      expect(dev.body.channels.map((c) => [c.deviceId, c.name]).sort()).toEqual(expected.map((e) => [e.deviceId, e.name]).sort());

      // Wire: the query; part B, a keepalive, part B retransmitted (byte for byte), part B resent as a new
      // transaction, part A; all with the query's SN and the names as GB2312 bytes (Content-Length counts
      // bytes); every one answered 200.
      const msgs = parseTrace(run.messages);
      const query = msgs.find((m) => m.dir === 'received' && m.first.startsWith('MESSAGE'))!;
      expect(query.first).toBe(`MESSAGE sip:${nvr}@127.0.0.1:${port} SIP/2.0`);
      expect(query.header('from')).toMatch(new RegExp(`^<?sip:${PLATFORM}@${REALM}>?;tag=`));
      expect(query.header('content-type')?.toLowerCase()).toBe('application/manscdp+xml');
      expect(query.body).toMatch(/<Query>\s*<CmdType>Catalog<\/CmdType>\s*<SN>\d+<\/SN>/);
      const sn = /<SN>(\d+)<\/SN>/.exec(query.body)![1];
      const parts = msgs.filter((m) => m.dir === 'sent' && m.first.startsWith('MESSAGE') && m.body.includes('<Response>'));
      expect(parts, run.report).toHaveLength(4);
      expect(parts[1]!.text, 'the retransmission is byte for byte the first part B').toBe(parts[0]!.text);
      expect(parts[2]!.header('via')).not.toBe(parts[0]!.header('via'));
      const B = expected[1]!;
      const A = expected[0]!;
      expect(parts.map((p) => /<DeviceID>(\d+)<\/DeviceID>\r\n<Name>/.exec(p.body)?.[1])).toEqual([B.deviceId, B.deviceId, B.deviceId, A.deviceId]);
      for (const p of parts) {
        expect(p.body).toContain(`<SN>${sn}</SN>`);
        expect(Number(p.header('content-length'))).toBe(Buffer.byteLength(p.body, 'latin1'));
      }
      expect(Buffer.from(parts[0]!.body, 'latin1').includes(Buffer.concat([Buffer.from('<Name>'), B.nameBytes, Buffer.from('</Name>')]))).toBe(true);
      expect(Buffer.from(parts[3]!.body, 'latin1').includes(Buffer.concat([Buffer.from('<Name>'), A.nameBytes, Buffer.from('</Name>')]))).toBe(true);
      expect(new TextDecoder('gb18030').decode(A.nameBytes)).toBe(A.name);
      expect(new TextDecoder('gb18030').decode(B.nameBytes)).toBe(B.name);
      const oks = msgs.filter((m) => m.dir === 'received' && m.first.startsWith('SIP/2.0 200'));
      expect(oks.map((m) => m.header('cseq')), run.report).toEqual(['7 MESSAGE', '8 MESSAGE', '7 MESSAGE', '9 MESSAGE', '10 MESSAGE']);
      // The byte-for-byte retransmission was answered by the bridge from its cache (the resend with a new
      // branch went on to the Worker, whose reassembly counted the channel once).
      expect(await absorbed()).toBeGreaterThanOrEqual(absorbedBefore + 1);
    } finally {
      sipp.kill();
      rmSync(bodydir, { recursive: true, force: true });
    }
  });

  it('Catalog answered in part: 206 with the channels that came, marked incomplete', async () => {
    const nvr = newDeviceId('118');
    const port = await freeUdpPort();
    await registered(nvr, port);
    const bodydir = writeCatalogItems(nvr);
    const sipp = gbSipp({ scenario: 'gb-nvr-catalog-partial.xml', bridgePort: lab.bridge.port, localPort: port, id: nvr, keys: { bodydir } });
    try {
      await waitUntilBound(port);
      const res = await gbApi<{ partial: boolean; sumNum: number; complete: boolean; items: Array<Record<string, unknown>> }>(lab.svc, `/devices/${nvr}/catalog?wait=3`, post());
      const run = await sipp.result;
      expect(run.code, run.report).toBe(0);
      expect(res.status, res.text).toBe(206);
      const B = catalogChannels(nvr)[1]!;
      expect(res.body).toMatchObject({ partial: true, sumNum: 2, complete: false });
      expect(res.body.items.map((i) => [i.deviceId, i.name])).toEqual([[B.deviceId, B.name]]);
      const dev = await gbApi<DeviceJson>(lab.svc, `/devices/${nvr}`);
      expect(dev.body.catalogComplete).toBe(false);
      expect(dev.body.channels.map((c) => c.deviceId)).toEqual([B.deviceId]);
    } finally {
      sipp.kill();
      rmSync(bodydir, { recursive: true, force: true });
    }
  });

  it('DeviceInfo: the answer comes back through the API and is kept on the device', async () => {
    const cam = newDeviceId('132');
    const port = await freeUdpPort();
    await registered(cam, port);
    const sipp = gbSipp({ scenario: 'gb-camera-device-info.xml', bridgePort: lab.bridge.port, localPort: port, id: cam });
    try {
      await waitUntilBound(port);
      const res = await gbApi(lab.svc, `/devices/${cam}/device-info?wait=15`, post());
      const run = await sipp.result;
      expect(run.code, run.report).toBe(0);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ deviceName: 'SIPp IPC', manufacturer: 'Acme', model: 'IPC-100', firmware: 'V5.7.3 build 240520', channel: 1, result: 'OK' });
      const dev = await gbApi<DeviceJson>(lab.svc, `/devices/${cam}`);
      expect(dev.body.info).toEqual({ deviceName: 'SIPp IPC', manufacturer: 'Acme', model: 'IPC-100', firmware: 'V5.7.3 build 240520', channel: 1 });
      const query = parseTrace(run.messages).find((m) => m.dir === 'received' && m.first.startsWith('MESSAGE'))!;
      expect(query.body).toMatch(/<Query>\s*<CmdType>DeviceInfo<\/CmdType>\s*<SN>\d+<\/SN>\s*<DeviceID>\d{20}<\/DeviceID>/);
      expect(query.body).toContain(`<DeviceID>${cam}</DeviceID>`);
    } finally {
      sipp.kill();
    }
  });

  it('PTZ: {tilt: up, speed: 128} reaches the camera as PTZCmd A50F0108808000BD and the API answers 200', async () => {
    const cam = newDeviceId('132');
    const port = await freeUdpPort();
    await registered(cam, port);
    const sipp = gbSipp({ scenario: 'gb-camera-ptz.xml', bridgePort: lab.bridge.port, localPort: port, id: cam });
    try {
      await waitUntilBound(port);
      const res = await gbApi(lab.svc, `/devices/${cam}/ptz`, post({ tilt: 'up', speed: 128 }));
      const run = await sipp.result;
      // Exit code 0: the scenario's check of the PTZCmd passed.
      expect(run.code, run.report).toBe(0);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ ptzCmd: 'A50F0108808000BD', status: 200 });
      const control = parseTrace(run.messages).find((m) => m.dir === 'received' && m.first.startsWith('MESSAGE'))!;
      expect(control.body).toContain('<CmdType>DeviceControl</CmdType>');
      expect(control.body).toContain(`<DeviceID>${cam}</DeviceID>`);
      expect(control.body).toContain('<PTZCmd>A50F0108808000BD</PTZCmd>');
    } finally {
      sipp.kill();
    }
  });

  it('live view: INVITE with s=Play and y=, the device SDP answer returned byte for byte; stop sends BYE', async () => {
    const cam = newDeviceId('132');
    const channel = newDeviceId('131');
    const port = await freeUdpPort();
    await registered(cam, port);
    const mediaport = '15060';
    const sipp = gbSipp({ scenario: 'gb-camera-live.xml', bridgePort: lab.bridge.port, localPort: port, id: cam, keys: { channel, mediaport }, timeoutMs: 45_000 });
    try {
      await waitUntilBound(port);
      const start = await gbApi<{ callId: string; channelId: string; ssrc: string; answer: string; media: { ip: string; port: number } }>(
        lab.svc, `/devices/${cam}/live`, post({ channel, mediaIp: '198.51.100.20', mediaPort: 30000 }),
      );
      expect(start.status, start.text).toBe(200);
      expect(start.body.ssrc).toMatch(/^0\d{9}$/);
      const answer = [
        'v=0', `o=${channel} 0 0 IN IP4 127.0.0.1`, 's=Play', 'c=IN IP4 127.0.0.1', 't=0 0', `m=video ${mediaport} RTP/AVP 96`,
        'a=sendonly', 'a=rtpmap:96 PS/90000', `y=${start.body.ssrc}`, '',
      ].join('\r\n');
      expect(start.body.answer).toBe(answer);
      expect(start.body).toMatchObject({ channelId: channel, media: { ip: '127.0.0.1', port: Number(mediaport) } });
      const session = await gbApi<DeviceJson & { sessions: Array<{ callId: string }> }>(lab.svc, `/devices/${cam}`);
      expect(session.body.sessions.map((s) => s.callId)).toContain(start.body.callId);

      const stop = await gbApi<{ status: number }>(lab.svc, `/devices/${cam}/live/${encodeURIComponent(start.body.callId)}`, { method: 'DELETE' });
      const run = await sipp.result;
      // Exit code 0: the device got the ACK and the BYE and answered the BYE.
      expect(run.code, run.report).toBe(0);
      expect(stop.status, stop.text).toBe(200);
      expect(stop.body).toMatchObject({ status: 200 });
      const after = await gbApi<DeviceJson & { sessions: Array<{ callId: string }> }>(lab.svc, `/devices/${cam}`);
      expect(after.body.sessions.map((s) => s.callId)).not.toContain(start.body.callId);

      // Wire: the offer, the answer as the device sent it, ACK and BYE in the dialog.
      const msgs = parseTrace(run.messages);
      const invite = msgs.find((m) => m.dir === 'received' && m.first.startsWith('INVITE'))!;
      expect(invite.first).toBe(`INVITE sip:${channel}@127.0.0.1:${port} SIP/2.0`);
      expect(invite.header('subject')).toBe(`${channel}:${start.body.ssrc},${PLATFORM}:0`);
      expect(invite.body).toContain('s=Play');
      expect(invite.body).toContain('c=IN IP4 198.51.100.20');
      expect(invite.body).toMatch(/^m=video 30000 RTP\/AVP /m);
      expect(invite.body).toContain(`y=${start.body.ssrc}\r\n`);
      const ok = msgs.find((m) => m.dir === 'sent' && m.first.startsWith('SIP/2.0 200') && (m.header('cseq') ?? '').endsWith('INVITE'))!;
      expect(ok.body).toBe(start.body.answer);
      const ack = msgs.find((m) => m.dir === 'received' && m.first.startsWith('ACK'));
      const bye = msgs.find((m) => m.dir === 'received' && m.first.startsWith('BYE'));
      expect(ack?.header('call-id')).toBe(start.body.callId);
      expect(bye?.header('call-id')).toBe(start.body.callId);
    } finally {
      sipp.kill();
    }
  });
});
