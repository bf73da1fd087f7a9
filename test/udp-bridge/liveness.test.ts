import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeConfig } from '../../udp-bridge/src/config.js';
import { CLOSE_KEEPALIVE_TIMEOUT, KEEPALIVE_TIMEOUT_REASON, livenessFrame } from '../../udp-bridge/src/control.js';
import { clockedRig, Device, settle, waitFor } from './harness.js';
import type { ClockedRig, Upstream } from './harness.js';
import { register, response } from './sip-vectors.js';
import { seeded } from '../../fuzz/prng.js';

// The bridge's clock is injected: the tests move it and run the sweep by hand, so nothing depends on how fast
// this machine is. Only the sockets are real.

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface Rig extends ClockedRig {
  cam: Device;
}

async function rig(over: Partial<BridgeConfig> = {}): Promise<Rig> {
  const r = await clockedRig(cleanup, over);
  const cam = await Device.open();
  cleanup.push(() => cam.close());
  return { ...r, cam };
}

const OPTIONS = 'OPTIONS sip:34020000001320000001@192.168.1.64:5060 SIP/2.0\r\nContent-Length: 0\r\n\r\n';

/**
 * Register the camera; the fake Worker answers with `control` frames and then the 200 on the same socket,
 * so once the 200 is at the camera the bridge has handled the control frames (a WebSocket keeps order).
 */
async function registerWith(r: Rig, control: string[]): Promise<Upstream> {
  const ok = response(200, 'OK', 'z9hG4bKlive1', 'REGISTER', ['Contact: <sip:34020000001320000001@192.168.1.64:5060>;expires=3600']);
  r.worker.onMessage = (conn, data) => {
    if (!data.toString().startsWith('REGISTER')) return;
    for (const c of control) conn.ws.send(c);
    conn.ws.send(ok);
  };
  const before = r.cam.inbox.length;
  await r.cam.send(register('z9hG4bKlive1'), r.port);
  await waitFor(() => r.cam.inbox.length === before + 1, 'the 200 at the camera');
  r.worker.onMessage = () => {};
  return r.worker.connections.at(-1)!;
}

describe('udp-bridge liveness (control frames from the Worker)', () => {
  it('never sends a control frame to the device, and relays everything around it', async () => {
    const r = await rig();
    const conn = await registerWith(r, []);
    conn.ws.send(livenessFrame(60_000));
    conn.ws.send(Buffer.from('{"binary": "frames are not control frames"}'), { binary: true });
    conn.ws.send(OPTIONS);
    await waitFor(() => r.cam.inbox.length === 3, 'the binary frame and the OPTIONS at the camera');
    await settle();
    expect(r.cam.inbox.map((m) => m.data.toString())).toEqual([expect.stringMatching(/^SIP\/2\.0 200 OK/), '{"binary": "frames are not control frames"}', OPTIONS]);
    expect(r.bridge.metrics.controlFrames.liveness).toBe(1);
    expect(r.bridge.metrics.datagrams.out).toBe(3);
  });

  it('closes a flow silent past its limit with 4000 "keepalive timeout", forgets it, and opens a fresh one on the next datagram', async () => {
    const r = await rig();
    const conn = await registerWith(r, [livenessFrame(3_000)]);
    r.advance(3_000);
    r.bridge.sweep();
    expect(r.bridge.flowCount()).toBe(1); // silent for exactly the limit: not yet
    r.advance(1);
    r.bridge.sweep();
    expect(r.bridge.flowCount()).toBe(0);
    expect(r.bridge.metrics.livenessTimeouts).toBe(1);
    await waitFor(() => conn.closedWith !== null, 'the close at the Worker');
    expect(conn.closedWith).toBe(CLOSE_KEEPALIVE_TIMEOUT);
    expect(conn.closeReason).toBe(KEEPALIVE_TIMEOUT_REASON);
    // The registration it held does not keep a silent device's flow (the Worker decides it is offline).
    await r.cam.send(register('z9hG4bKlive2', { cseq: 2 }), r.port);
    await waitFor(() => r.worker.connections.length === 2 && r.worker.connections[1]!.messages.length === 1, 'a new WebSocket');
    expect(r.worker.connections[1]!.headers['x-bridge-source']).toBe(`127.0.0.1:${r.cam.port}`);
    await settle();
    expect(r.worker.connections).toHaveLength(2); // no reconnect of the closed one
    const m = r.bridge.metricsAddress()!;
    expect(await (await fetch(`http://${m.host}:${m.port}/metrics`)).text()).toContain('sip_bridge_liveness_timeouts_total 1');
  });

  it('never closes a flow whose datagrams (requests, retransmissions, CRLF keep-alives) arrive ±50 % around a third of the limit', async () => {
    const timeoutMs = 3_000;
    const r = await rig({ ratePerSecond: 1_000, rateBurst: 1_000 });
    const conn = await registerWith(r, [livenessFrame(timeoutMs)]);
    const random = seeded(10);
    const kinds = ['\r\n\r\n', register('z9hG4bKlive1'), '\r\n', 'MESSAGE'] as const;
    let sent = r.bridge.metrics.datagrams.in;
    for (let i = 0; i < 60; i++) {
      const gap = Math.round((timeoutMs / 3) * (0.5 + random())); // 500…1500 ms
      // Sweep at every quarter of the gap, as the real sweep would run several times in it.
      for (let q = 0; q < 4; q++) {
        r.advance(gap / 4);
        r.bridge.sweep();
      }
      const kind = kinds[i % kinds.length]!;
      const datagram = kind === 'MESSAGE' ? register(`z9hG4bKjit${i}`, { cseq: i + 2 }).replace(/REGISTER/g, 'MESSAGE') : kind;
      await r.cam.send(datagram, r.port);
      sent++;
      await waitFor(() => r.bridge.metrics.datagrams.in === sent, `datagram ${i} at the bridge`);
      r.bridge.sweep();
      expect(r.bridge.flowCount(), `after datagram ${i}`).toBe(1);
    }
    expect(r.bridge.metrics.livenessTimeouts).toBe(0);
    expect(r.bridge.metrics.keepalives).toBeGreaterThan(0);
    expect(r.bridge.metrics.retransmissionsAbsorbed).toBeGreaterThan(0);
    expect(conn.closedWith).toBeNull();
    expect(r.worker.connections).toHaveLength(1);
  });

  it('counts and ignores malformed and unknown control frames, and keeps relaying', async () => {
    const r = await rig();
    const bad = ['{not json', '{}', '{"type":42}', '{"type":"liveness"}', '{"type":"liveness","timeoutMs":-5}', '{"type":"liveness","timeoutMs":"60000"}', '{"type":"liveness","timeoutMs":1.5}', '{"type":"liveness","timeoutMs":1e300}', '{' + '"a":['.repeat(5_000)];
    const conn = await registerWith(r, [...bad, '{"type":"from-the-future","x":1}']);
    conn.ws.send(OPTIONS);
    await waitFor(() => r.cam.inbox.length === 2, 'the OPTIONS at the camera');
    expect(r.cam.inbox[1]!.data.toString()).toBe(OPTIONS);
    expect(r.bridge.metrics.controlFrames).toEqual({ liveness: 0, unknown_type: 1, malformed: bad.length });
    // None of them set a limit.
    r.advance(60_000);
    r.bridge.sweep();
    expect(r.bridge.flowCount()).toBe(1);
    expect(conn.closedWith).toBeNull();
    const m = r.bridge.metricsAddress()!;
    const text = await (await fetch(`http://${m.host}:${m.port}/metrics`)).text();
    expect(text).toContain(`sip_bridge_control_frames_total{outcome="malformed"} ${bad.length}`);
    expect(text).toContain('sip_bridge_control_frames_total{outcome="unknown_type"} 1');
  });

  it('lifts the limit on null or 0, and a later frame replaces an earlier one', async () => {
    const r = await rig();
    const conn = await registerWith(r, [livenessFrame(1_000), livenessFrame(null)]);
    r.advance(30_000);
    r.bridge.sweep();
    expect(r.bridge.flowCount()).toBe(1);
    conn.ws.send(livenessFrame(120_000));
    conn.ws.send(livenessFrame(0));
    conn.ws.send(livenessFrame(5_000));
    conn.ws.send(OPTIONS);
    await waitFor(() => r.cam.inbox.length === 2, 'the OPTIONS');
    r.advance(5_000); // 35 s since the last datagram > 5 s
    r.bridge.sweep();
    expect(r.bridge.flowCount()).toBe(0);
    await waitFor(() => conn.closedWith === CLOSE_KEEPALIVE_TIMEOUT, 'the close');
  });
});
