/**
 * UDP REGISTER with SIPp (issue #6, part 3): bench/sipp/register-digest.xml (REGISTER → 401 → REGISTER with
 * `[authentication]` → 200) against a UDP target, stepping the call rate up until a step shows a failed call or
 * a retransmission; the result is the highest clean rate.
 *
 * Targets: the udp-bridge (started here, in this process, with {@link startBridge}) in front of the local
 * Worker, or Kamailio's UDP listener. `sockets` SIPp processes run side by side, each with `-t u1` (one source
 * port) and its own share of the users and of the rate: that many source addresses, i.e. that many bridge flows
 * (WebSockets). (`-t un -max_socket` would model devices better but aborts with "Could not find an existing
 * call socket to re-use!" in SIPp 3.6.1.)
 *
 * Bounded: each step sends `rate × stepSeconds` calls with a global SIPp timeout; the ladder stops at
 * `maxRate`, after which `bisections` steps narrow the gap between the last clean and the first failing rate.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startBridge, type Bridge } from '../udp-bridge/src/bridge.js';
import { DEFAULT_CONFIG } from '../udp-bridge/src/config.js';
import { freePort } from './kamailio.js';
import { benchPassword, benchUser } from './ws-register.js';

const SCENARIO = new URL('./sipp/register-digest.xml', import.meta.url).pathname;
/** Pause between the warm-up and the ladder, after flushing dirty pages to disk. */
const SETTLE_MS = 3_000;

/** Knobs of one rate search. */
export interface UdpOptions {
  /** `host:port` to send to. */
  target: string;
  /** Users b0 … b<users-1> are used round robin (they must exist on the target). */
  users: number;
  /** SIPp processes, i.e. source addresses (bridge flows). */
  sockets: number;
  startRate: number;
  maxRate: number;
  /** Multiplier between ladder steps. */
  factor: number;
  stepSeconds: number;
  bisections: number;
}

/** One SIPp run at a fixed rate. */
export interface SippRun {
  rate: number;
  calls: number;
  successful: number;
  failed: number;
  retransmissions: number;
  /** Mean response time (first REGISTER → 200), ms. */
  responseMs: number;
  clean: boolean;
}

/** Outcome of a search: the highest clean rate (0 if none) and every step taken. */
export interface UdpResult {
  target: string;
  bestRate: number;
  /** True when no step failed up to `maxRate`: bestRate is then only a lower bound. */
  capped: boolean;
  steps: SippRun[];
}

/** SIPp's `HH:MM:SS:uuuuuu` (or `…:mmm`) duration in ms. */
function durationMs(s: string): number {
  const p = s.split(':');
  if (p.length < 4) return Number(s) || 0;
  const frac = p[3]!;
  return ((Number(p[0]) * 60 + Number(p[1])) * 60 + Number(p[2])) * 1000 + Number(frac) / 10 ** (frac.length - 3);
}

/** Run one SIPp process from UDP `port` (asynchronously, so a bridge in this process keeps relaying). */
async function sippProcess(target: string, rate: number, calls: number, usersFile: string, stat: string, port: number): Promise<SippRun> {
  const timeoutSec = Math.ceil(calls / rate) + 15;
  const args = ['-sf', SCENARIO, '-inf', usersFile, '-t', 'u1', '-i', '127.0.0.1', '-p', String(port),
    '-r', rate.toFixed(3), '-m', String(calls), '-nostdin', '-timeout', `${timeoutSec}s`, '-timeout_error',
    '-trace_stat', '-stf', stat, '-fd', '1', target];
  await new Promise<void>((resolve, reject) => {
    const child = spawn('sipp', args, { stdio: 'ignore', cwd: dirname(stat) });
    const kill = setTimeout(() => child.kill('SIGKILL'), (timeoutSec + 10) * 1000);
    child.once('error', reject);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
  });
  const lines = readFileSync(stat, 'utf8').trim().split('\n');
  const head = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  const col = (name: string) => last[head.indexOf(name)] ?? '0';
  const successful = Number(col('SuccessfulCall(C)'));
  const failed = Number(col('FailedCall(C)'));
  const retransmissions = Number(col('Retransmissions(C)'));
  return {
    rate, calls, successful, failed, retransmissions, responseMs: durationMs(col('ResponseTime1(C)')),
    clean: failed === 0 && retransmissions === 0 && successful === calls,
  };
}

/**
 * Run `usersFiles.length` SIPp processes at `rate / n` each, `calls` in all, and add their counts up. Process j
 * sends from `ports[j]` (a free port when not given): the same ports across steps keep each simulated device
 * at one address, as a real device is, instead of moving all of them to a new flow at every step.
 */
export async function runSipp(target: string, rate: number, calls: number, usersFiles: string[], dir: string, ports: number[] = []): Promise<SippRun> {
  const n = usersFiles.length;
  const runs = await Promise.all(usersFiles.map(async (f, j) =>
    sippProcess(target, rate / n, Math.max(1, Math.round(calls / n)), f, join(dir, `stat-${rate}-${j}-${Date.now()}.csv`), ports[j] ?? await freePort())));
  const sum = (f: (r: SippRun) => number) => runs.reduce((a, r) => a + f(r), 0);
  return {
    rate, calls: sum((r) => r.calls), successful: sum((r) => r.successful), failed: sum((r) => r.failed),
    retransmissions: sum((r) => r.retransmissions), responseMs: sum((r) => r.responseMs) / n,
    clean: runs.every((r) => r.clean),
  };
}

/** Step the rate up until a step is not clean, then bisect; returns the highest clean rate. */
export async function findMaxRate(o: UdpOptions): Promise<UdpResult> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-sip-sipp-'));
  try {
    // Process j registers the users i with i % sockets === j.
    const usersFiles = Array.from({ length: o.sockets }, (_, j) => {
      const f = join(dir, `users-${j}.csv`);
      const rows = [];
      for (let i = j; i < o.users; i += o.sockets) rows.push(`${benchUser(i)};${benchPassword(benchUser(i))}`);
      writeFileSync(f, `SEQUENTIAL\n${rows.join('\n')}\n`);
      return f;
    });
    const ports: number[] = [];
    for (let j = 0; j < o.sockets; j++) ports.push(await freePort());
    const steps: SippRun[] = [];
    const step = async (rate: number) => {
      const r = await runSipp(o.target, rate, Math.max(o.sockets, Math.round(rate * o.stepSeconds)), usersFiles, dir, ports);
      steps.push(r);
      return r.clean;
    };
    // Warm-up, not counted: opens the bridge flows and registers every user once, so that the ladder measures
    // re-registrations, not the first write of each binding (locally: a new SQLite file per object).
    await runSipp(o.target, o.startRate, Math.max(o.sockets, o.users, Math.round(o.startRate * o.stepSeconds)), usersFiles, dir, ports);
    // Locally the first registrations create one SQLite file per object: let the kernel write them back before
    // the ladder starts, or its writeback stalls the first steps (seen as retransmissions at 410/s).
    spawnSync('sync');
    await sleep(SETTLE_MS);
    let good = 0;
    let bad = 0;
    for (let rate = o.startRate; rate <= o.maxRate; rate = Math.round(rate * o.factor)) {
      if (await step(rate)) good = rate;
      else {
        bad = rate;
        break;
      }
    }
    for (let k = 0; k < o.bisections && bad > 0 && bad - good > 1; k++) {
      const mid = Math.round((good + bad) / 2);
      if (await step(mid)) good = mid;
      else bad = mid;
    }
    return { target: o.target, bestRate: good, capped: bad === 0, steps };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Start a udp-bridge on a free loopback port in front of `upstream`. The per-source rate limit is lifted so
 * that the benchmark measures the path, not the limiter's policy.
 */
export async function startBenchBridge(upstream: string, token: string): Promise<{ bridge: Bridge; target: string }> {
  const port = await freePort();
  const bridge = await startBridge({
    ...DEFAULT_CONFIG,
    listen: { host: '127.0.0.1', port },
    advertise: { host: '127.0.0.1', port },
    upstream,
    token,
    // Capacity, not policy: every per-source and per-IP bound lifted (all load comes from 127.0.0.1).
    ratePerSecond: 1_000_000,
    rateBurst: 1_000_000,
    maxFlowsPerIp: 1_000_000,
    newFlowsPerIpPerSecond: 1_000_000,
    newFlowsPerIpBurst: 1_000_000,
    logLevel: 'error',
  });
  return { bridge, target: `127.0.0.1:${port}` };
}
