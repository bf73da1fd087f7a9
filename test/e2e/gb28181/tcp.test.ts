/**
 * A GB/T 28181-2022 camera over TCP (§9.1.1: a NATed device registers over TCP, keeps the connection, and
 * all later signalling uses it) through the real udp-bridge against a really started Worker: digest
 * REGISTER with `X-GB-Ver: 3.0` echoed; keepalives answered on the connection; a Catalog query from the API
 * reaches it over the same connection (Via TCP at the bridge, `X-GB-Ver: 3.0`), and its answer comes back
 * through the API; the device shows transport TCP and version 3.0; closing the connection marks it offline
 * ("connection closed").
 */
import { describe, expect, it } from 'vitest';
import { deviceUntil, gbApi, gbLab, newDeviceId, PLATFORM, REALM, type DeviceJson } from './gb-kit.js';
import { channelOf, TcpCamera } from './tcp-camera.js';

const lab = gbLab();

describe('a GB28181-2022 camera on one TCP connection through the bridge', () => {
  it('registers, keeps alive, answers a Catalog query on the same connection, and is offline once the connection closes', async () => {
    const bridgeTcp = lab.bridge.bridge.tcpAddress()!.port;
    const id = newDeviceId('132');
    const cam = await TcpCamera.connect(id, bridgeTcp);
    try {
      const { challenge, ok } = await cam.register();
      expect(challenge.first).toMatch(/^SIP\/2\.0 401/);
      expect(challenge.header('x-gb-ver')).toBe('3.0');
      expect(ok.first, ok.text).toMatch(/^SIP\/2\.0 200/);
      expect(ok.header('x-gb-ver')).toBe('3.0');
      expect(ok.header('via')).toContain(`received=127.0.0.1`);
      expect(ok.header('via')).toContain(`rport=${cam.port}`);

      const online = await deviceUntil(lab.svc, id, (d) => d.status === 200 && d.body.online);
      expect(online.body).toMatchObject({ online: true, transport: 'TCP', gbVersion: '3.0', source: `127.0.0.1:${cam.port}` });

      for (const sn of [1, 2]) {
        const ka = await cam.keepalive(sn);
        expect(ka.first).toMatch(/^SIP\/2\.0 200/);
        expect(ka.header('x-gb-ver')).toBe('3.0');
      }

      const res = await gbApi<{ sumNum: number; complete: boolean; items: Array<Record<string, unknown>> }>(lab.svc, `/devices/${id}/catalog?wait=10`, { method: 'POST' });
      expect(res.status, `${res.text}\n${lab.bridge.tail()}`).toBe(200);
      expect(res.body).toMatchObject({ sumNum: 1, complete: true });
      expect(res.body.items).toMatchObject([{ deviceId: channelOf(id), name: 'Gate', status: 'ON' }]);
      // The query came down the device's own connection, addressed from the bridge's TCP side, tagged 3.0.
      const query = cam.received.find((r) => r.first.startsWith('MESSAGE'))!;
      expect(query.first).toMatch(new RegExp(`^MESSAGE sip:${id}@127\\.0\\.0\\.1:${cam.port};transport=tcp SIP/2\\.0$`));
      expect(query.header('via')).toMatch(new RegExp(`^SIP/2\\.0/TCP 127\\.0\\.0\\.1:${bridgeTcp};branch=`));
      expect(query.header('from')).toMatch(new RegExp(`^<sip:${PLATFORM}@${REALM}>;tag=`));
      expect(query.header('x-gb-ver')).toBe('3.0');
      expect(lab.bridge.bridge.tcpConnections()).toBeGreaterThanOrEqual(1);

      cam.socket.end();
      const offline = await deviceUntil(lab.svc, id, (d) => d.status === 200 && !d.body.online);
      expect(offline.body, lab.bridge.tail()).toMatchObject({ online: false, offlineReason: 'connection closed' });
    } finally {
      cam.socket.destroy();
    }
  });

  it('a 2016 camera (X-GB-Ver 2.0) over TCP gets 2.0 echoed and no 3.0 in the platform\'s requests', async () => {
    const id = newDeviceId('132');
    const cam = await TcpCamera.connect(id, lab.bridge.bridge.tcpAddress()!.port, '2.0');
    try {
      const { ok } = await cam.register();
      expect(ok.header('x-gb-ver')).toBe('2.0');
      await deviceUntil(lab.svc, id, (d) => d.status === 200 && d.body.online);
      const res = await gbApi<DeviceJson>(lab.svc, `/devices/${id}/catalog?wait=10`, { method: 'POST' });
      expect(res.status, res.text).toBe(200);
      const query = cam.received.find((r) => r.first.startsWith('MESSAGE'))!;
      expect(query.header('x-gb-ver')).toBeUndefined();
    } finally {
      cam.socket.destroy();
    }
  });
});
