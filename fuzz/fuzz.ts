/**
 * Wire fuzzing (issue #13): start the Worker and the bridge, fuzz over WebSockets, then over UDP through the
 * bridge, check the required outcomes and gather the counts. `fuzz/run.ts` is its command line; the e2e test
 * `test/e2e/fuzz-smoke.test.ts` runs it at a tiny size.
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBridgeProcess } from './bridge.js';
import { VICTIM } from './flow.js';
import { delta, settled } from './metrics.js';
import { pool, runUdpPhase, runWsPhase, sipUsers } from './phases.js';
import { checks, type FuzzReport } from './report.js';
import { staticSeeds } from './seeds.js';
import { Tally } from './tally.js';
import { memoryVerdict, Watch } from './watch.js';
import { FUZZ_BRIDGE_TOKEN, startFuzzWorker } from './worker.js';

/** Knobs of a run. */
export interface FuzzOptions {
  /** Mutated messages in all (split between the transports by `wsShare`). */
  count: number;
  /** Bound on the fuzzing time, seconds (split likewise). */
  seconds: number;
  seed: number;
  /** Share of the count and time for WebSockets; the rest goes to UDP. */
  wsShare: number;
  wsFlows: number;
  udpFlows: number;
  /** Mutated messages between two fences, on a WebSocket and from a UDP source port. */
  batch: number;
  udpBatch: number;
  /** Keep the Worker's and the bridge's per-connection and per-source rate limits (off: lifted). */
  rateLimit: boolean;
  /** Where the messages of findings are written (null: nowhere). */
  outDir: string | null;
  /** Called every 2 s with a progress line. */
  progress?: (line: string) => void;
  command?: string;
}

export const DEFAULTS: FuzzOptions = {
  count: 1_000_000, seconds: 3600, seed: 1, wsShare: 0.7, wsFlows: 64, udpFlows: 32, batch: 8, udpBatch: 4, rateLimit: false, outDir: null,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Datagrams the kernel dropped at the UDP sockets bound to these local ports (a full receive buffer), from /proc/net/udp. */
function udpSocketDrops(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let drops = 0;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.endsWith(hex)) drops += Number(f[f.length - 1] ?? 0);
  }
  return drops;
}

/** Run the fuzzer; never throws for a finding (they are in the report), only when it cannot run at all. */
export async function runFuzz(opts: Partial<FuzzOptions> = {}): Promise<FuzzReport> {
  const o = { ...DEFAULTS, ...opts };
  const corpus = staticSeeds();
  const worker = await startFuzzWorker({ rateLimit: o.rateLimit });
  let bridge: Awaited<ReturnType<typeof startBridgeProcess>> | null = null;
  let watch: Watch | null = null;
  let ticker: NodeJS.Timeout | null = null;
  let keepShards: NodeJS.Timeout | null = null;
  try {
    const users = [...sipUsers('WS', o.wsFlows), ...sipUsers('UDP', o.udpFlows), VICTIM];
    await pool(users, 8, (u) => worker.createUser(u, `pw-${u}`));
    bridge = await startBridgeProcess(worker.ws, FUZZ_BRIDGE_TOKEN, { rateLimit: o.rateLimit });
    const b = bridge;
    const w = new Watch(() => worker.processes(), () => (b.exit() === null ? b.pid : null), () => worker.drainLogs());
    watch = w;
    w.phase = 'before';
    w.start();
    await sleep(2_000);
    // Keep the metrics shards busy: an idle shard is evicted after ~10 s with the counts it has not written yet
    // (fuzz/repro/metrics-lost-on-eviction.ts); a read every 3 s keeps it resident until its alarm writes them.
    keepShards = setInterval(() => void worker.metrics().catch(() => undefined), 3_000);
    const m0 = await settled(() => worker.metrics());
    const ws = new Tally();
    const udp = new Tally();
    const t0 = Date.now();
    const wsCount = Math.round(o.count * o.wsShare);
    let phaseStart = t0;
    ticker = setInterval(() => {
      const t = w.phase.startsWith('udp') ? udp : ws;
      const s = w.samples.at(-1);
      const el = (Date.now() - phaseStart) / 1000;
      const f = (x: number) => x.toLocaleString('en-US');
      const total = (r: Record<string, number>) => Object.values(r).reduce((a, x) => a + x, 0);
      o.progress?.(`fuzz ${w.phase.padEnd(10)} sent ${f(ws.sent + udp.sent)} / ${f(o.count)} (ws ${f(ws.sent)}, udp ${f(udp.sent)})`
        + ` ${f(Math.round(t.sent / Math.max(el, 0.001)))}/s | finals ${f(total(ws.finals) + total(udp.finals))}`
        + ` | closes ${total(ws.closes)} | unanswered fences ${ws.fenceTimeouts + udp.fenceTimeouts} | workerd ${Math.round((s?.workerdKb ?? 0) / 1024)} MiB`
        + ` bridge ${Math.round((s?.bridgeKb ?? 0) / 1024)} MiB | ${Math.round((Date.now() - t0) / 1000)} s`);
    }, 2_000);
    const phase = { corpus, seed: o.seed, batch: o.batch, maxBytes: 34 << 20 };
    w.phase = 'ws';
    await runWsPhase(worker.ws, { ...phase, count: wsCount, deadline: t0 + o.seconds * 1000 * o.wsShare, flows: o.wsFlows }, ws);
    const wsSeconds = (Date.now() - phaseStart) / 1000;
    w.phase = 'ws-settle';
    const m1 = await settled(() => worker.metrics());
    const b0 = await b.metrics();
    w.phase = 'udp';
    phaseStart = Date.now();
    await runUdpPhase(b.port, { ...phase, batch: o.udpBatch, count: o.count - ws.sent, deadline: t0 + o.seconds * 1000, flows: o.udpFlows }, udp);
    const udpSeconds = (Date.now() - phaseStart) / 1000;
    w.phase = 'udp-settle';
    const b1 = await b.metrics();
    const kernelDrops = udpSocketDrops(b.port);
    const crashed = b.exit() === null ? null : `the bridge exited during the run: ${JSON.stringify(b.exit())}`;
    w.check();
    const bExit = await b.stop();
    w.phase = 'end';
    // Bridged flows flush their counters when the bridge's sockets close.
    const m2 = await settled(() => worker.metrics());
    await sleep(2_000);
    clearInterval(ticker);
    clearInterval(keepShards);
    w.stop();
    const findingsDir = o.outDir && writeFindings(o.outDir, [ws, udp]);
    const base = {
      command: o.command ?? `runFuzz(${JSON.stringify({ count: o.count, seconds: o.seconds, seed: o.seed })})`,
      seed: o.seed,
      seconds: (Date.now() - t0) / 1000,
      ws: { tally: ws, worker: delta(m0, m1), seconds: wsSeconds },
      udp: { tally: udp, worker: delta(m1, m2), bridge: delta(b0, b1), kernelDrops, seconds: udpSeconds },
      workerd: { pids: w.workerdPids, gone: [...w.gone], appeared: [...w.appeared], alarming: w.alarming, memory: memoryVerdict(w.samples, 'workerdKb', ['ws', 'udp'], 64) },
      bridge: {
        pid: b.pid, crashed, exit: `exited with ${bExit.code ?? bExit.signal} after SIGTERM`, levels: b.levels,
        messages: [...b.messages].sort((x, y) => y[1] - x[1]), upstreamCloses: b.upstreamCloses, memory: memoryVerdict(w.samples, 'bridgeKb', ['udp'], 32),
      },
      runtime: { levels: w.runtimeLevels, messages: [...w.runtimeMessages].sort((x, y) => y[1] - x[1]), examples: [...w.runtimeExamples] },
      findingsDir,
    };
    const c = checks(base);
    return { ...base, checks: c, ok: c.every((x) => x.ok) };
  } finally {
    if (ticker) clearInterval(ticker);
    if (keepShards) clearInterval(keepShards);
    watch?.stop();
    await bridge?.stop();
    await worker.close();
  }
}

/** Each finding's messages as files (`<n>-<kind>-<i>.bin`) and an index, for replaying. */
function writeFindings(dir: string, tallies: Tally[]): string | null {
  const all = tallies.flatMap((t) => t.findings);
  if (!all.length) return null;
  mkdirSync(dir, { recursive: true });
  const index = all.map((f, k) => ({
    kind: f.kind, detail: f.detail, flow: f.flow,
    messages: f.messages.map((m, i) => {
      const file = `${k}-${f.kind.replace(/\W+/g, '_')}-${i}.bin`;
      writeFileSync(join(dir, file), m.bytes);
      return { file, seed: m.seed, ops: m.ops, framing: m.framing, bytes: m.bytes.length };
    }),
  }));
  writeFileSync(join(dir, 'findings.json'), JSON.stringify(index, null, 2));
  return dir;
}
