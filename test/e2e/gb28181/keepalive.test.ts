/**
 * GB/T 28181 keepalive end to end, with a short keepalive policy (GB_KEEPALIVE_INTERVAL 2 s, 2 misses:
 * offline 4 s after the last sign of life): a SIPp camera registers through the real udp-bridge, sends
 * 6 keepalives one second apart and stays online the whole time (longer than the 4 s a registration alone
 * would last), then stops and goes offline with `keepalive timeout`; queries to it then get 409.
 */
import { describe, expect, it } from 'vitest';
import { freeUdpPort, sleep } from '../udp/udp-kit.js';
import { gbLab, deviceUntil, gbApi, gbSipp, newDeviceId, parseTrace, type DeviceJson } from './gb-kit.js';

const INTERVAL_S = 2;
const MISSES = 2;
const DEADLINE_MS = INTERVAL_S * MISSES * 1000;

const lab = gbLab({ GB_KEEPALIVE_INTERVAL: String(INTERVAL_S), GB_KEEPALIVE_MISSES: String(MISSES) });

describe('a GB28181 camera (SIPp) sending keepalives through the udp-bridge', () => {
  it('stays online while keepalives come and goes offline (keepalive timeout) when they stop', async () => {
    const id = newDeviceId('132');
    const port = await freeUdpPort();
    const sipp = gbSipp({ scenario: 'gb-camera-keepalive.xml', bridgePort: lab.bridge.port, localPort: port, id, timeoutMs: 40_000 });
    try {
      // Online once registered.
      const first = await deviceUntil(lab.svc, id, (d) => d.status === 200 && d.body.online, 10_000);
      expect(first.body.online, first.text).toBe(true);
      const registeredAt = first.body.registeredAt!;

      // Watch it while the keepalives come (SIPp exits after the 6th).
      const seen: Array<{ at: number; online: boolean; lastKeepaliveAt: number | null }> = [];
      let done = false;
      void sipp.result.then(() => (done = true));
      while (!done) {
        const d = await gbApi<DeviceJson>(lab.svc, `/devices/${id}`);
        seen.push({ at: Date.now(), online: d.body.online, lastKeepaliveAt: d.body.lastKeepaliveAt });
        await sleep(200);
      }
      const run = await sipp.result;
      const lastKeepaliveSentAt = Date.now();
      expect(run.code, run.report).toBe(0);
      const msgs = parseTrace(run.messages);
      const keepalives = msgs.filter((m) => m.dir === 'sent' && m.first.startsWith('MESSAGE'));
      expect(keepalives, run.report).toHaveLength(6);
      for (const k of keepalives) {
        expect(k.header('content-type')).toBe('Application/MANSCDP+xml');
        expect(k.body).toContain('<CmdType>Keepalive</CmdType>');
        expect(k.body).toContain(`<DeviceID>${id}</DeviceID>`);
      }
      expect(msgs.filter((m) => m.dir === 'received' && m.first.startsWith('SIP/2.0 200'))).toHaveLength(7);

      // Online throughout, for longer than registration alone would have kept it, and keepalives were counted.
      expect(seen.every((s) => s.online), JSON.stringify(seen)).toBe(true);
      expect(seen.at(-1)!.at - registeredAt).toBeGreaterThan(DEADLINE_MS + 500);
      expect(seen.at(-1)!.lastKeepaliveAt).toBeGreaterThan(registeredAt);

      // Silence: offline about DEADLINE_MS after the last keepalive, not before most of it passed.
      const off = await deviceUntil(lab.svc, id, (d) => d.status === 200 && !d.body.online, DEADLINE_MS + 10_000);
      const offAt = Date.now();
      expect(off.body, off.text).toMatchObject({ online: false, offlineReason: 'keepalive timeout' });
      expect(offAt - lastKeepaliveSentAt).toBeGreaterThan(DEADLINE_MS - 1_500);

      // An offline device is not queried: 409.
      const q = await gbApi(lab.svc, `/devices/${id}/catalog?wait=2`, { method: 'POST' });
      expect(q.status, q.text).toBe(409);
    } finally {
      sipp.kill();
    }
  });
});
