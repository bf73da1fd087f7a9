/**
 * Starts our Worker locally for the benchmarks (workerd via wrangler's test harness, as the e2e tests do)
 * and provisions the benchmark users through the admin API; starts the runtime floor (bench/floor/) the same way.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { createTestHarness } from 'wrangler';
import { descendants, type Proc } from './procs.js';
import { benchPassword, benchUser, pool } from './ws-register.js';

export const BENCH_ADMIN_TOKEN = 'bench-admin-token';
export const BENCH_BRIDGE_TOKEN = 'bench-bridge-token';

/** A running local Worker. */
export interface LocalWorker {
  http: string;
  /** SIP WebSocket URL (`ws://127.0.0.1:<port>/sip`). */
  ws: string;
  /** Provision users `b<from>` … `b<to-1>` (idempotent), `concurrency` PUTs in flight. */
  provision(from: number, to: number, concurrency?: number): Promise<void>;
  /** The workerd processes serving it. */
  processes(): Proc[];
  close(): Promise<void>;
}

/** Environment of every harness the benchmarks start (set before the first one starts). */
function benchEnv(): void {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
  // wrangler's local trace collector (the Local Explorer's observability) writes a trace of every event
  // (each WebSocket message, each RPC) to its own SQLite object: 7x the cost of a hibernatable message.
  // Production has no such collector. `X_LOCAL_OBSERVABILITY=true npm run bench` measures with it.
  process.env.X_LOCAL_OBSERVABILITY ??= 'false';
  process.env.WRANGLER_SEND_METRICS = 'false';
  process.env.WRANGLER_LOG ??= 'warn';
}

/**
 * Locally each connection costs wrangler's dev proxy about 4 descriptors (docs/reliability.md, capacity):
 * try to lift workerd's descriptor limit for 10,000 devices (fails silently where the hard limit cannot be
 * raised).
 */
function liftFileLimit(): void {
  for (const p of descendants(process.pid, /^workerd/)) {
    spawnSync('prlimit', ['--pid', String(p.pid), '--nofile=200000:200000'], { stdio: 'ignore' });
  }
}

/** A running floor Worker (bench/floor/worker.ts). */
export interface FloorWorker {
  /** SIP WebSocket URL (`ws://127.0.0.1:<port>/sip`). */
  ws: string;
  close(): Promise<void>;
}

/**
 * Start the runtime floor from bench/floor/wrangler.toml, exactly as {@link startWorker} starts ours: same
 * harness, same environment, the same bridge token. Its workerd is a second process tree under this one, so
 * close it before measuring our memory.
 */
export async function startFloor(): Promise<FloorWorker> {
  benchEnv();
  const server = createTestHarness({
    workers: [{ configPath: './bench/floor/wrangler.toml', secrets: { BRIDGE_TOKEN: BENCH_BRIDGE_TOKEN } }],
  });
  const { url } = await server.listen();
  liftFileLimit();
  return { ws: `${url.href.replace(/\/$/, '').replace(/^http/, 'ws')}/sip`, close: () => server.close() };
}

/**
 * Start the Worker from ./wrangler.toml (or `configPath`, another tree's, for A/B probes such as
 * bench/cpu-probe.ts) on a free port with benchmark secrets.
 */
export async function startWorker(configPath = './wrangler.toml'): Promise<LocalWorker> {
  benchEnv();
  const server = createTestHarness({
    workers: [{
      configPath,
      secrets: {
        ADMIN_TOKEN: BENCH_ADMIN_TOKEN, NONCE_SECRET: 'bench-nonce-secret', BRIDGE_TOKEN: BENCH_BRIDGE_TOKEN,
        // Lift the per-connection message limit (default 50/s, burst 200): we measure capacity, not policy.
        FLOW_MESSAGE_RATE: '1000000', FLOW_MESSAGE_BURST: '1000000',
      },
    }],
  });
  const { url } = await server.listen();
  liftFileLimit();
  const http = url.href.replace(/\/$/, '');
  const provisioned = new Set<number>();
  return {
    http,
    ws: `${http.replace(/^http/, 'ws')}/sip`,
    async provision(from, to, concurrency = 16) {
      const todo = Array.from({ length: to - from }, (_, i) => from + i).filter((i) => !provisioned.has(i));
      await pool(todo, concurrency, async (i) => {
        const user = benchUser(i);
        const res = await fetch(`${http}/api/v1/users/${user}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ password: benchPassword(user) }),
        });
        if (res.status >= 300) throw new Error(`provision ${user}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        provisioned.add(i);
      });
    },
    processes: () => descendants(process.pid, /^workerd/),
    close: () => server.close(),
  };
}
