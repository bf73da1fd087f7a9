/**
 * The real udp-bridge (`udp-bridge/src/main.ts`, which runs `startBridge`) as a child process in front of the
 * Worker: its own process, so its RSS is its own and a crash is an exit. Its JSON log lines are read as they
 * come: errors and warnings counted, upstream closes counted by code.
 * @module
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parsePrometheus } from './metrics.js';
import { ROOT } from './seeds.js';

/** A running bridge child. */
export interface BridgeProcess {
  pid: number;
  /** UDP port devices send to (on 127.0.0.1). */
  port: number;
  /** Null while running; how it ended otherwise. */
  exit(): { code: number | null; signal: string | null } | null;
  /** `GET /metrics` of the bridge, parsed. */
  metrics(): Promise<Map<string, number>>;
  /** Log lines by level, and by message for warn and error. */
  readonly levels: Record<string, number>;
  readonly messages: Map<string, number>;
  /** Upstream WebSocket closes the bridge saw (`flow disconnected, reconnecting`), by code. */
  readonly upstreamCloses: Record<string, number>;
  /** The last log lines (evidence). */
  tail(): string[];
  /** SIGTERM, and wait for a clean exit (SIGKILL after 10 s). */
  stop(): Promise<{ code: number | null; signal: string | null }>;
}

/** Start the bridge with the per-source rate limit lifted (the mutations should reach the Worker, not a drop). */
export async function startBridgeProcess(upstream: string, token: string, o: { rateLimit: boolean }): Promise<BridgeProcess> {
  const args = ['--import', 'tsx', join(ROOT, 'udp-bridge/src/main.ts'), '--listen', '127.0.0.1:0', '--upstream', upstream, '--metrics', '127.0.0.1:0', '--log-level', 'info',
    ...(o.rateLimit ? [] : ['--rate', '1000000', '--burst', '1000000'])];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BRIDGE_TOKEN: token } });
  const levels: Record<string, number> = {};
  const messages = new Map<string, number>();
  const upstreamCloses: Record<string, number> = {};
  const tail: string[] = [];
  let exited: { code: number | null; signal: string | null } | null = null;
  const done = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve(exited = { code, signal })));
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > 200) tail.splice(0, 100);
  };
  createInterface({ input: child.stderr! }).on('line', (line) => {
    levels.stderr = (levels.stderr ?? 0) + 1;
    keep(`stderr: ${line}`);
  });
  const started = new Promise<{ port: number; metrics: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bridge did not start:\n${tail.join('\n')}`)), 30_000);
    void done.then((e) => reject(new Error(`the bridge exited at start (${e.code ?? e.signal}):\n${tail.join('\n')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let j: { level?: string; msg?: string; udp?: string; metrics?: string; code?: number };
      try {
        j = JSON.parse(line) as typeof j;
      } catch {
        levels.unparsed = (levels.unparsed ?? 0) + 1;
        keep(line);
        return;
      }
      const level = j.level ?? '?';
      levels[level] = (levels[level] ?? 0) + 1;
      if (level === 'warn' || level === 'error') {
        const key = `${level}: ${j.msg}`;
        messages.set(key, (messages.get(key) ?? 0) + 1);
        keep(line);
      }
      if (j.msg === 'flow disconnected, reconnecting') upstreamCloses[String(j.code)] = (upstreamCloses[String(j.code)] ?? 0) + 1;
      if (j.msg === 'bridge listening' && j.udp && j.metrics) {
        clearTimeout(timer);
        resolve({ port: Number(j.udp.split(':').pop()), metrics: j.metrics });
      }
    });
  });
  const { port, metrics } = await started;
  return {
    pid: child.pid!,
    port,
    exit: () => exited,
    async metrics() {
      const res = await fetch(`http://${metrics}/metrics`);
      if (res.status !== 200) throw new Error(`bridge GET /metrics: ${res.status}`);
      return parsePrometheus(await res.text());
    },
    levels,
    messages,
    upstreamCloses,
    tail: () => tail.slice(-40),
    async stop() {
      if (exited) return exited;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const e = await done;
      clearTimeout(kill);
      return e;
    },
  };
}
