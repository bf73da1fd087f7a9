import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeConfig } from '../../udp-bridge/src/config.js';
import { livenessFrame } from '../../udp-bridge/src/control.js';
import { clockedRig, Device, settle, waitFor } from './harness.js';
import type { ClockedRig } from './harness.js';
import { register, response } from './sip-vectors.js';

// One host must not fill the flow table (issue #13). The bridge's clock is injected and moved by hand, so the
// new-flow buckets refill exactly when the test says; only the sockets are real. Linux routes all of
// 127.0.0.0/8 to loopback, so 127.0.0.2 is a second source IP.

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const rig = (over: Partial<BridgeConfig> = {}): Promise<ClockedRig> => clockedRig(cleanup, over);

async function devices(n: number, host = '127.0.0.1'): Promise<Device[]> {
  const all: Device[] = [];
  for (let i = 0; i < n; i++) all.push(await Device.open(host));
  cleanup.push(() => all.forEach((d) => d.close()));
  return all;
}

/** Send one REGISTER from each device, a batch at a time, waiting for the bridge to have read each batch. */
async function registerAll(r: ClockedRig, from: Device[], tag: string): Promise<void> {
  for (let i = 0; i < from.length; i += 25) {
    const batch = from.slice(i, i + 25);
    const before = r.bridge.metrics.datagrams.in;
    await Promise.all(batch.map((d, j) => d.send(register(`z9hG4bK${tag}${i + j}`), r.port)));
    await waitFor(() => r.bridge.metrics.datagrams.in === before + batch.length, `batch ${i} at the bridge`);
  }
}

describe('udp-bridge flow limits per source IP', () => {
  it('205 source ports from one IP against maxFlows 200 leave room for a device from another IP, whose REGISTER reaches the Worker', async () => {
    const r = await rig({ maxFlows: 200 }); // defaults: 64 flows per IP, 10 new flows/s per IP, burst 50
    r.worker.onMessage = (conn, data) => {
      const branch = /branch=(z9hG4bK\w+)/.exec(data.toString())?.[1];
      if (branch !== undefined) conn.ws.send(response(200, 'OK', branch, 'REGISTER', ['Contact: <sip:c@192.168.1.64>;expires=3600']));
    };
    const host = await devices(205);
    await registerAll(r, host, 'h');
    expect(r.bridge.flowsFrom('127.0.0.1')).toBe(50); // the burst
    expect(r.bridge.metrics.drops.new_flow_rate).toBe(155);
    // Ten seconds later the bucket is full again (capped at the burst), and the host retries: 14 more, to its 64.
    r.advance(10_000);
    await registerAll(r, host, 'again');
    expect(r.bridge.flowsFrom('127.0.0.1')).toBe(64);
    expect(r.bridge.metrics.drops.flow_limit_per_ip).toBe(141);
    expect(r.bridge.metrics.drops.flow_limit).toBe(0);
    await waitFor(() => r.worker.connections.length === 64, 'one WebSocket per admitted flow');

    const [camera] = await devices(1, '127.0.0.2');
    await camera!.send(register('z9hG4bKcamera'), r.port);
    const fromCamera = () => r.worker.connections.find((c) => c.headers['x-bridge-source'] === `127.0.0.2:${camera!.port}`);
    await waitFor(() => fromCamera()?.messages.length === 1, "the other IP's REGISTER at the Worker");
    expect(fromCamera()!.messages[0]!.data.toString()).toContain('branch=z9hG4bKcamera');
    await waitFor(() => camera!.inbox.length === 1, 'the 200 at the camera');
    expect(r.bridge.flowCount()).toBe(65);
    expect(r.worker.connections).toHaveLength(65);

    const m = r.bridge.metricsAddress()!;
    const text = await (await fetch(`http://${m.host}:${m.port}/metrics`)).text();
    expect(text).toContain('sip_bridge_drops_total{reason="flow_limit_per_ip"} 141');
    expect(text).toContain('sip_bridge_drops_total{reason="new_flow_rate"} 155');
    expect(text).toContain('sip_bridge_drops_total{reason="flow_limit"} 0');
    expect(text).toMatch(/sip_bridge_response_cache_bytes [1-9]\d*/);
    expect(text).toContain('sip_bridge_response_cache_evictions_total{reason="total_bytes"} 0');
  });

  it('keeps the count per IP exact as flows close (liveness timeout, idle, shutdown), and gives the cache bytes back', async () => {
    const r = await rig({ maxFlowsPerIp: 3, idleTimeoutMs: 60_000 });
    const registered = (conn: { ws: { send: (d: string) => void } }, data: Buffer) => {
      const branch = /branch=(z9hG4bK\w+)/.exec(data.toString())?.[1];
      if (branch?.startsWith('z9hG4bKreg')) conn.ws.send(response(200, 'OK', branch, 'REGISTER', ['Contact: <sip:c@192.168.1.64>;expires=3600']));
    };
    r.worker.onMessage = registered;
    const [reg, ...rest] = await devices(5);
    await reg!.send(register('z9hG4bKreg1'), r.port);
    await waitFor(() => reg!.inbox.length === 1, 'the 200');
    await registerAll(r, rest, 'idle');
    expect(r.bridge.flowsFrom('127.0.0.1')).toBe(3);
    expect(r.bridge.metrics.drops.flow_limit_per_ip).toBe(2);
    expect(r.bridge.metrics.cacheBytes()).toBeGreaterThan(0);

    // Idle: the two unregistered flows close; the registered one stays. Their ports may now open flows.
    r.advance(60_001);
    r.bridge.sweep();
    expect(r.bridge.flowsFrom('127.0.0.1')).toBe(1);
    await registerAll(r, rest.slice(2), 'late');
    expect(r.bridge.flowsFrom('127.0.0.1')).toBe(3);

    // Liveness: the registered flow is told a limit and stays silent past it.
    const regConn = r.worker.connections.find((c) => c.headers['x-bridge-source'] === `127.0.0.1:${reg!.port}`)!;
    regConn.ws.send(livenessFrame(1_000));
    regConn.ws.send('OPTIONS sip:c@192.168.1.64 SIP/2.0\r\nContent-Length: 0\r\n\r\n');
    await waitFor(() => reg!.inbox.length === 2, 'the OPTIONS behind the control frame');
    r.advance(1_001);
    r.bridge.sweep();
    expect(r.bridge.flowsFrom('127.0.0.1')).toBe(2);
    expect(r.bridge.metrics.livenessTimeouts).toBe(1);

    await r.bridge.close();
    expect([r.bridge.flowCount(), r.bridge.flowsFrom('127.0.0.1'), r.bridge.metrics.cacheBytes()]).toEqual([0, 0, 0]);
  });

  it('opens no WebSocket and takes no new-flow token for a datagram that is not SIP', async () => {
    const r = await rig({ newFlowsPerIpBurst: 1, newFlowsPerIpPerSecond: 1 });
    const [a, b, c, d] = await devices(4);
    await a!.send('GET / HTTP/1.1\r\n\r\n', r.port);
    await b!.send(Buffer.from([0xff, 0xfe, 0x00, 0x42]), r.port);
    await c!.send('\r\n\r\n', r.port);
    await waitFor(() => r.bridge.metrics.datagrams.in === 3, 'the three datagrams');
    await settle();
    expect(r.bridge.flowCount()).toBe(0);
    expect(r.worker.connections).toHaveLength(0);
    // The one token is still there for the first SIP datagram; the next new port is over the rate.
    await d!.send(register('z9hG4bKsip'), r.port);
    await waitFor(() => r.worker.received().length === 1, 'the REGISTER at the Worker');
    await a!.send(register('z9hG4bKsip2'), r.port);
    await waitFor(() => r.bridge.metrics.drops.new_flow_rate === 1, 'the refused second flow');
    expect(r.bridge.metrics.drops.not_sip).toBe(2);
    expect(r.bridge.flowCount()).toBe(1);
  });
});
