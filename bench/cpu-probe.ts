/**
 * CPU probe (issue #10): workerd CPU µs per digest registration, ours against another tree (and the floor),
 * interleaved in one run. Not part of `npm run bench`: throughput on a shared machine is noisy, CPU per
 * registration much less so.
 *
 *   npx tsx bench/cpu-probe.ts                                   # this tree, 100 connections, 3 × 4 s
 *   git worktree add /tmp/perf-base main && ln -s "$PWD/node_modules" /tmp/perf-base/node_modules
 *   npx tsx bench/cpu-probe.ts --root /tmp/perf-base,. --reps 5  # base and candidate, interleaved
 *   npx tsx bench/cpu-probe.ts --root .,floor --connections 1    # `floor` is bench/floor/
 *   npx tsx bench/cpu-probe.ts --root /tmp/perf-base,. --concurrent  # both loaded at once (paired)
 *
 * Every root's Worker is started once (bench/worker.ts, the benchmark's settings) and its workerd processes
 * told apart by which appeared when it started. A repetition runs every target in turn (starting with the
 * next one each time): connect N clients, register each once (not counted), then loop REGISTER → 401 →
 * REGISTER+Authorization → 200 on every connection for the window (bench/ws-register.ts's exchange). CPU is
 * utime + stime of every thread of those workerd processes (`/proc/<pid>/task/<tid>/stat`) over the window,
 * divided by the registrations completed in it; also per thread name, so the isolate's thread, V8's GC
 * threads and the rest can be told apart. With `--concurrent` the targets are loaded at the same time, each
 * with its own N connections: on a machine others share, both then see the same contention, and the ratio
 * per repetition is steadier than either figure.
 * @module
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { summarize } from './stats.js';
import { startFloor, startWorker } from './worker.js';
import { descendants } from './procs.js';
import { openClients, pool, type SipWsClient } from './ws-register.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => argv.find((_, i) => argv[i - 1] === `--${name}`) ?? dflt;
const roots = arg('root', '.').split(',');
const connections = Number(arg('connections', '100'));
const reps = Number(arg('reps', '3'));
const windowMs = Number(arg('seconds', '4')) * 1000;
const concurrent = argv.includes('--concurrent');
const TICK_US = 1e6 / 100; // USER_HZ

/** CPU ticks per thread (keyed pid/tid, with the thread's name) of some processes. */
function threadTicks(pids: readonly number[]): Map<string, { comm: string; ticks: number }> {
  const out = new Map<string, { comm: string; ticks: number }>();
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        const comm = stat.slice(stat.indexOf('(') + 1, close);
        const f = stat.slice(close + 2).split(' ');
        out.set(`${pid}/${tid}`, { comm, ticks: Number(f[11]) + Number(f[12]) });
      } catch {
        // thread ended
      }
    }
  }
  return out;
}

interface Target {
  name: string;
  ws: string;
  pids: number[];
  close(): Promise<void>;
}

const workerdPids = () => new Set(descendants(process.pid, /^workerd/).map((p) => p.pid));

async function start(root: string): Promise<Target> {
  const before = workerdPids();
  let ws: string;
  let close: () => Promise<void>;
  if (root === 'floor') {
    const f = await startFloor();
    ({ ws, close } = f);
  } else {
    const w = await startWorker(join(resolve(root), 'wrangler.toml'));
    await w.provision(0, connections);
    ({ ws, close } = w);
  }
  const pids = [...workerdPids()].filter((p) => !before.has(p));
  return { name: root, ws, pids, close };
}

interface Sample {
  regs: number;
  regsPerSec: number;
  p50Ms: number;
  usPerReg: number;
  byThread: Map<string, number>;
}

/** Connect and register every client once (not counted). */
async function prepare(t: Target): Promise<SipWsClient[]> {
  const clients = await openClients(t.ws, connections);
  await pool(clients, 100, (c) => c.register());
  return clients;
}

/** Loop the exchange on every client for the window; CPU of `t`'s workerd threads over it. */
async function run(t: Target, clients: SipWsClient[]): Promise<Sample> {
  const lat: number[] = [];
  const a = threadTicks(t.pids);
  const t0 = performance.now();
  const deadline = t0 + windowMs;
  await Promise.all(clients.map(async (c) => {
    while (performance.now() < deadline) lat.push(await c.register());
  }));
  const elapsed = (performance.now() - t0) / 1000;
  const b = threadTicks(t.pids);
  for (const c of clients) c.close();
  const byThread = new Map<string, number>();
  let total = 0;
  for (const [k, v] of b) {
    const d = v.ticks - (a.get(k)?.ticks ?? 0);
    total += d;
    // Threads by process (the harness runs wrangler's dev proxy and the Worker in their own workerd) and name.
    const name = process.env.PROBE_TIDS ? `p${t.pids.indexOf(Number(k.split("/")[0]))}:${k}` : `p${t.pids.indexOf(Number(k.split("/")[0]))}:${v.comm}`;
    byThread.set(name, (byThread.get(name) ?? 0) + (d * TICK_US) / lat.length);
  }
  lat.sort((x, y) => x - y);
  return { regs: lat.length, regsPerSec: lat.length / elapsed, p50Ms: lat[Math.floor(lat.length / 2)]!, usPerReg: (total * TICK_US) / lat.length, byThread };
}

function report(r: number, t: Target, s: Sample): void {
  results.get(t.name)!.push(s);
  const threads = [...s.byThread].filter(([, us]) => us >= 1).sort((x, y) => y[1] - x[1])
    .map(([c, us]) => `${c} ${us.toFixed(1)}`).join(', ');
  console.log(`rep ${r + 1} ${t.name}: ${s.usPerReg.toFixed(1)} µs/reg, ${Math.round(s.regsPerSec)} REG/s, p50 ${s.p50Ms.toFixed(3)} ms (${threads})`);
}

const targets: Target[] = [];
for (const r of roots) targets.push(await start(r));
const results = new Map<string, Sample[]>(targets.map((t) => [t.name, []]));
try {
  for (let r = 0; r < reps; r++) {
    if (concurrent) {
      // Every target loaded at once: whatever else runs on the machine weighs on all of them alike.
      const ready = await Promise.all(targets.map(prepare));
      const samples = await Promise.all(targets.map((t, k) => run(t, ready[k]!)));
      targets.forEach((t, k) => report(r, t, samples[k]!));
      continue;
    }
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(r + k) % targets.length]!;
      report(r, t, await run(t, await prepare(t)));
    }
  }
} finally {
  for (const t of targets) await t.close();
}
const f = (xs: number[], d = 1) => {
  const s = summarize(xs);
  return `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
};
console.log(`\n${connections} connections, ${reps} × ${windowMs / 1000} s${concurrent ? ', targets loaded at once' : ''}; median (min–max)`);
for (const [name, ss] of results) {
  console.log(`${name}: workerd CPU µs/reg ${f(ss.map((s) => s.usPerReg))} · REG/s ${f(ss.map((s) => s.regsPerSec), 0)} · p50 ms ${f(ss.map((s) => s.p50Ms), 3)}`);
}
if (results.size === 2) {
  const [a, b] = [...results.values()];
  const ratios = a!.map((s, i) => b![i]!.usPerReg / s.usPerReg);
  console.log(`${[...results.keys()][1]} ÷ ${[...results.keys()][0]}, CPU µs/reg per repetition: ${f(ratios, 3)}`);
}
