/**
 * Keeps the benchmark harness (bench/, issue #6) from rotting: every benchmark runs once at a tiny size.
 * No timing assertions, only that each produced a well-formed result. The SIPp and Kamailio parts are skipped
 * when those programs are not installed (CI installs neither).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runParser } from '../../bench/parser.js';
import { hasCommand, startKamailio, type Kamailio } from '../../bench/kamailio.js';
import { runMemory } from '../../bench/memory.js';
import { LEDGER_QUICK, runLedger } from '../../bench/ledger.js';
import { ledgerMarkdown } from '../../bench/ledger-report.js';
import { alternate, trioMarkdown } from '../../bench/trio.js';
import { agentPorts, runUdpLoadProcess } from '../../bench/udp-load.js';
import { findMaxRate, startBenchBridge } from '../../bench/udp-register.js';
import { BENCH_BRIDGE_TOKEN, startFloor, startWorker, type FloorWorker, type LocalWorker } from '../../bench/worker.js';
import { runWsRegister } from '../../bench/ws-register.js';

const haveKamailio = hasCommand('kamailio');
const haveSipp = hasCommand('sipp');
const tiny = { users: 2, sockets: 1, startRate: 2, maxRate: 2, factor: 2, stepSeconds: 1, bisections: 0 };

let worker: LocalWorker;
let floor: FloorWorker;
let kam: Kamailio | null = null;
beforeAll(async () => {
  worker = await startWorker();
  floor = await startFloor();
  await worker.provision(0, 4);
  if (haveKamailio) kam = await startKamailio({ children: 1, shmMb: 64 });
});
afterAll(async () => {
  await kam?.stop();
  await floor?.close();
  await worker?.close();
});

describe('bench harness at tiny size', () => {
  it('parser: every candidate produces figures', () => {
    const r = runParser({ warmupMs: 5, repMs: 2, repetitions: 1 });
    expect(r.rows.map((x) => x.name)).toContain('JsSIP Parser.parseMessage');
    for (const row of r.rows) expect(row.msgsPerSec.median).toBeGreaterThan(0);
    expect(Number.isFinite(r.ratios.parseVsBest)).toBe(true);
  });

  it('ws-register: 1 connection × 2 registrations against the Worker', async () => {
    const r = await runWsRegister({ url: worker.ws, connections: 1, perConnection: 2, durationMs: 30_000 });
    expect(r).toMatchObject({ connections: 1, completed: 2, failed: 0 });
    expect(r.p99Ms).toBeGreaterThan(0);
  });

  it('ws-register: ours and the floor alternating, in one table', async () => {
    const o = { connections: 1, perConnection: 2, durationMs: 30_000 };
    const trio = await alternate(2, {
      ours: () => runWsRegister({ ...o, url: worker.ws }),
      floor: () => runWsRegister({ ...o, url: floor.ws }),
    });
    expect(trio.ours).toHaveLength(2);
    for (const r of trio.floor) expect(r).toMatchObject({ connections: 1, completed: 2, failed: 0 });
    expect(trioMarkdown('connections', [{ label: '1', trio }])).toContain('| 1 |');
  });

  it('floor: a bridge connection needs the bridge token', async () => {
    const headers = { authorization: 'Bearer wrong', 'x-bridge-source': '127.0.0.1:5999' };
    await expect(runWsRegister({ url: floor.ws, connections: 1, perConnection: 1, durationMs: 5_000, headers })).rejects.toThrow(/401/);
  });

  it('udp-load: 2 user agents through the udp-bridge to ours and to the floor', async () => {
    const ports = await agentPorts(2);
    for (const upstream of [worker.ws, floor.ws]) {
      const { bridge, target } = await startBenchBridge(upstream, BENCH_BRIDGE_TOKEN);
      try {
        const r = await runUdpLoadProcess({ target, ports, durationMs: 200 });
        expect(r).toMatchObject({ connections: 2, failed: 0 });
        expect(r.completed).toBeGreaterThan(0);
        expect(bridge.flowCount()).toBe(2);
      } finally {
        await bridge.close();
      }
    }
  });

  it.skipIf(!haveKamailio)('udp-load: 2 user agents against Kamailio', async () => {
    const r = await runUdpLoadProcess({ target: `127.0.0.1:${kam!.udpPort}`, ports: await agentPorts(2), durationMs: 200 });
    expect(r).toMatchObject({ connections: 2, failed: 0 });
    expect(r.completed).toBeGreaterThan(0);
  });

  it.skipIf(!haveKamailio)('ws-register: 1 connection × 2 registrations against Kamailio', async () => {
    const r = await runWsRegister({ url: kam!.ws, connections: 1, perConnection: 2, durationMs: 30_000 });
    expect(r).toMatchObject({ connections: 1, completed: 2, failed: 0 });
  });

  it.skipIf(!haveSipp)('udp-register: SIPp with 2 calls through the udp-bridge', async () => {
    const { bridge, target } = await startBenchBridge(worker.ws, BENCH_BRIDGE_TOKEN);
    try {
      const r = await findMaxRate({ ...tiny, target });
      expect(r.steps).toHaveLength(1);
      expect(r.steps[0]!.calls).toBe(2);
      expect(r.steps[0]!.successful + r.steps[0]!.failed).toBeGreaterThan(0);
    } finally {
      await bridge.close();
    }
  });

  it.skipIf(!haveSipp || !haveKamailio)('udp-register: SIPp with 2 calls against Kamailio', async () => {
    const r = await findMaxRate({ ...tiny, target: `127.0.0.1:${kam!.udpPort}` });
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]!.successful + r.steps[0]!.failed).toBeGreaterThan(0);
  });

  it('memory: 2 idle devices on the Worker (and Kamailio when installed)', async () => {
    const o = { devices: 2, firstUser: 2, concurrency: 2, idleMs: 100 };
    const ours = await runMemory({ ...o, url: worker.ws, processes: () => worker.processes() });
    expect(ours.registered).toBe(2);
    expect(ours.after.rssKb).toBeGreaterThan(0);
    expect(Number.isFinite(ours.pssKbPerDevice)).toBe(true);
    if (kam) {
      const k = await runMemory({ ...o, url: kam.ws, processes: () => kam!.processes() });
      expect(k.registered).toBe(2);
      expect(k.after.rssKb).toBeGreaterThan(0);
    }
  });
});

describe('ledger benchmark at tiny size', () => {
  it('measures every scenario on this tree, the lease renewal and the shim cross-check, and renders its section', async () => {
    const r = await runLedger({ sizes: LEDGER_QUICK, before: null });
    const q = LEDGER_QUICK;
    expect(r.after.gbFirst.sentSip).toBe(2);
    expect(r.after.gbHour.sentSip).toBe(q.keepalives + 2);
    expect(r.after.phoneHourJssip).toMatchObject({ sentSip: 2 * q.refreshes, sentCrlf: q.crlf });
    expect(r.after.phoneHourReuse.sentCrlf).toBe(q.crlf);
    expect(r.after.call.sentSip).toBe(6);
    for (const u of [...Object.values(r.after), r.renewal.camera, r.renewal.phone]) {
      for (const n of [u.wsMessages, u.fetches, u.rpcs, u.alarms, u.rowsWritten, u.alarmsSet]) expect(Number.isInteger(n) && n >= 0).toBe(true);
    }
    // The built-in ledger and the outside counting shim see the same units.
    expect(r.check?.compared).toBeGreaterThan(0);
    expect(r.check?.differences).toEqual([]);
    const md = ledgerMarkdown(r);
    expect(md).toContain('| target | result | met? |');
    expect(md).toContain('quick size');
  }, 180_000);
});
