/**
 * The Worker restarts (a redeploy: every WebSocket drops, durable storage stays, same URL) while a GB camera
 * is registered over TCP through the real bridge. The Worker went away; the device did not: the bridge
 * reconnects the device's WebSocket, its TCP connection stays open, the device stays online, and a Catalog
 * query from the API still reaches it over that same connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RestartableService } from '../harness.js';
import { startTestBridge, type TestBridge } from '../udp/udp-kit.js';
import { deviceUntil, gbApi, newDeviceId } from './gb-kit.js';
import { channelOf, TcpCamera } from './tcp-camera.js';

let svc: RestartableService;
let bridge: TestBridge;

beforeAll(async () => {
  svc = await startService();
  bridge = await startTestBridge(svc.ws);
});
afterAll(async () => {
  await bridge?.close();
  await svc?.close();
});

describe('a TCP camera across a Worker restart', () => {
  it('keeps its connection, stays online, and is still reached over it', async () => {
    const id = newDeviceId('132');
    const cam = await TcpCamera.connect(id, bridge.bridge.tcpAddress()!.port);
    try {
      expect((await cam.register()).ok.first).toMatch(/^SIP\/2\.0 200/);
      await deviceUntil(svc, id, (d) => d.status === 200 && d.body.online);
      const reconnectsBefore = (await bridge.scrape()).get('sip_bridge_reconnects_total') ?? 0;
      await svc.restart();
      const reconnected = async () => ((await bridge.scrape()).get('sip_bridge_reconnects_total') ?? 0) > reconnectsBefore;
      for (let i = 0; i < 100 && !(await reconnected()); i++) await new Promise((r) => setTimeout(r, 100));
      expect(await reconnected(), bridge.tail()).toBe(true);
      expect(cam.closed, bridge.tail()).toBe(false);
      // The keepalive goes up the reconnected WebSocket; the device is online and reachable on the same connection.
      expect((await cam.keepalive(1)).first).toMatch(/^SIP\/2\.0 200/);
      const dev = await deviceUntil(svc, id, (d) => d.status === 200 && d.body.online);
      expect(dev.body).toMatchObject({ online: true, transport: 'TCP' });
      const res = await gbApi<{ items: Array<Record<string, unknown>> }>(svc, `/devices/${id}/catalog?wait=10`, { method: 'POST' });
      expect(res.status, `${res.text}\n${bridge.tail()}`).toBe(200);
      expect(res.body.items).toMatchObject([{ deviceId: channelOf(id) }]);
      expect(cam.closed).toBe(false);
      expect(bridge.bridge.tcpConnections()).toBe(1);
    } finally {
      cam.socket.destroy();
    }
  });
});
