/**
 * The Worker restarts (as on a redeploy: every WebSocket drops, durable storage stays, same URL) while a UDP
 * device is registered through the real udp-bridge. The bridge reconnects on its own, the device registers
 * again, and a platform MESSAGE sent through the admin API reaches it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RestartableService } from '../harness.js';
import { DOMAIN, UdpUa, eventually, startTestBridge, type TestBridge } from './udp-kit.js';

let svc: RestartableService;
let bridge: TestBridge;
const uas: UdpUa[] = [];

beforeAll(async () => {
  svc = await startService();
  await svc.createUser('udp-restart-1', 'udp-restart-1-secret');
  bridge = await startTestBridge(svc.ws);
});
afterEach(async () => {
  for (const ua of uas.splice(0)) await ua.close();
});
afterAll(async () => {
  await bridge?.close();
  await svc?.close();
});

interface PlatformAnswer {
  to: string;
  status: number;
  reason: string;
}

async function platformMessage(user: string, body: string): Promise<{ http: number; answer: PlatformAnswer }> {
  const res = await svc.admin('/messages', { method: 'POST', body: JSON.stringify({ to: user, body, contentType: 'text/plain' }) });
  return { http: res.status, answer: (await res.json()) as PlatformAnswer };
}

async function bindings(user: string): Promise<unknown[]> {
  const res = await svc.admin(`/users/${user}/bindings`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { bindings: unknown[] }).bindings;
}

describe('a Worker restart', () => {
  it('leaves a UDP device reachable once the bridge has reconnected and the device has registered again', async () => {
    const user = 'udp-restart-1';
    const dev = await UdpUa.open(user, `${user}-secret`, bridge.port, () => bridge.tail());
    uas.push(dev);
    const logs = () => `bridge log:\n${bridge.logs.slice(-40).join('\n')}\ndevice received:\n${dev.dump()}`;

    expect((await dev.register()).response.status, dev.dump()).toBe(200);
    expect(await bindings(user)).toHaveLength(1);

    // Before the restart: the platform reaches the device, and the device's 200 is the API's answer.
    let since = dev.received.length;
    const before = await platformMessage(user, 'before restart');
    expect(before.http).toBe(200);
    expect(before.answer, logs()).toMatchObject({ to: `sip:${user}@${DOMAIN}`, status: 200 });
    const m1 = await dev.waitFor((d) => d.method === 'MESSAGE', 'the platform MESSAGE before the restart', 5_000, since);
    expect(m1.text).toMatch(/\r\n\r\nbefore restart$/);

    const m0 = await bridge.scrape();
    const reconnects0 = m0.get('sip_bridge_reconnects_total')!;
    expect(m0.get('sip_bridge_flows_connected')).toBe(1);

    await svc.restart();

    // The bridge notices the dropped WebSocket and reconnects by itself (no datagram needed).
    const m2 = await eventually(() => bridge.scrape(), (m) => m.get('sip_bridge_reconnects_total')! > reconnects0 && m.get('sip_bridge_flows_connected') === 1, 20_000, 200);
    expect(m2.get('sip_bridge_reconnects_total'), logs()).toBeGreaterThan(reconnects0);
    expect(m2.get('sip_bridge_flows_connected'), logs()).toBe(1);
    expect(m2.get('sip_bridge_flows')).toBe(1);

    // The device registers again (same source address: the same flow object in the Worker).
    const again = await dev.register();
    expect(again.response.status, logs()).toBe(200);
    expect(await bindings(user)).toHaveLength(1);

    since = dev.received.length;
    const ping = await platformMessage(user, 'ping');
    expect(ping.http).toBe(200);
    expect(ping.answer, logs()).toMatchObject({ to: `sip:${user}@${DOMAIN}`, status: 200 });
    const m3 = await dev.waitFor((d) => d.method === 'MESSAGE', 'the platform MESSAGE after the restart', 5_000, since);
    expect(m3.text).toMatch(/\r\n\r\nping$/);
    expect(m3.header('content-type')).toBe('text/plain');
    expect(m3.from.port).toBe(bridge.port); // from the bridge's own socket, the device's NAT pinhole
  });
});
