/**
 * What the reliability scripts (issue #13, "Measure") share: the udp-bridge as a child process
 * (`udp-bridge/src/main.ts`, killable and restartable on the same port), the workerd processes under the
 * harness, JsSIP users that reconnect and re-register by themselves, counting, and Markdown output.
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { descendants, type Proc } from '../procs.js';
import { sleep } from '../stats.js';
import { freePort } from '../kamailio.js';
import { createJsSipUa, type JsSipUa } from '../../test/e2e/clients/jssip.js';
import { parsePrometheus } from '../../test/e2e/udp/udp-kit.js';

export { sleep, freePort };

/** Repository root. */
export const ROOT = resolve(import.meta.dirname, '../..');

/** `Date.now()` as seconds since `t0`, one decimal. */
export const since = (t0: number): string => ((Date.now() - t0) / 1000).toFixed(1);

/** Print a progress line with the time since the script started. */
const T0 = Date.now();
export function say(line: string): void {
  console.log(`[${since(T0)} s] ${line}`);
}

/** Run `fn` over `items` with at most `limit` in flight, never throwing (errors become values). */
export async function settle<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<(R | Error)[]> {
  const out: (R | Error)[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        out[i] = e instanceof Error ? e : new Error(String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A tally of outcomes by label (`200`, `480`, `timeout` …), printed as `200×98, 480×2`. */
export class Tally {
  readonly counts = new Map<string, number>();
  add(label: string | number, n = 1): void {
    this.counts.set(String(label), (this.counts.get(String(label)) ?? 0) + n);
  }
  get total(): number {
    let t = 0;
    for (const v of this.counts.values()) t += v;
    return t;
  }
  count(label: string | number): number {
    return this.counts.get(String(label)) ?? 0;
  }
  toString(): string {
    return [...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}×${v}`).join(', ') || '—';
  }
}

/** The short label of a thrown error, for tallies. */
export function errLabel(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  if (/timed out|timeout/i.test(m)) return 'timeout';
  if (/ECONNREFUSED|ECONNRESET|socket hang up|fetch failed|closed/i.test(m)) return 'connection error';
  return m.split('\n')[0]!.slice(0, 60);
}

// ---------------------------------------------------------------------------------------------------------
// workerd under the harness
// ---------------------------------------------------------------------------------------------------------

/** The workerd processes this script started (through wrangler's harness), with their listening ports. */
export function workerds(): (Proc & { ports: number[] })[] {
  const ss = spawnSync('ss', ['-tlnpH'], { encoding: 'utf8' }).stdout ?? '';
  return descendants(process.pid, /^workerd/).map((p) => ({
    ...p,
    ports: ss.split('\n').filter((l) => l.includes(`pid=${p.pid},`)).map((l) => Number(/:(\d+)\s/.exec(l)?.[1])).filter(Boolean),
  }));
}

/**
 * The workerd that runs the Worker (not wrangler's dev proxy, which owns the harness's URL port): the one to
 * kill for a runtime crash. wrangler restarts a crashed runtime by itself, on the same port and storage.
 */
export function runtimeWorkerd(http: string): Proc & { ports: number[] } {
  const port = Number(new URL(http).port);
  const all = workerds();
  const rt = all.filter((p) => !p.ports.includes(port));
  if (rt.length !== 1) throw new Error(`expected one runtime workerd besides the proxy on :${port}, found ${JSON.stringify(all)}`);
  return rt[0]!;
}

/** Open descriptors of a process by kind: TCP/UDP sockets, SQLite files (db, -wal, -shm), other. */
export function fdKinds(pid: number): { total: number; socket: number; sqlite: number; other: number } {
  const out = { total: 0, socket: 0, sqlite: 0, other: 0 };
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    let l = '';
    try {
      l = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    out.total++;
    if (l.startsWith('socket:')) out.socket++;
    else if (/\.sqlite(-wal|-shm)?$/.test(l)) out.sqlite++;
    else out.other++;
  }
  return out;
}

/** `Max open files` of a process (soft/hard). */
export function fdLimit(pid: number): string {
  try {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return m ? `${m[1]}/${m[2]}` : '?';
  } catch {
    return '?';
  }
}

// ---------------------------------------------------------------------------------------------------------
// The udp-bridge as a child process
// ---------------------------------------------------------------------------------------------------------

/** Options of {@link BridgeChild.start}. */
export interface BridgeChildOptions {
  upstream: string;
  token: string;
  /** UDP port (kept across restarts). */
  port: number;
  metricsPort: number;
  /** Extra flags. */
  flags?: string[];
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Lift every per-source and per-IP bound (default true: all load comes from 127.0.0.1). */
  lift?: boolean;
}

/**
 * `node --import tsx udp-bridge/src/main.ts`, by default with every per-source and per-IP bound lifted (all
 * devices come from 127.0.0.1), its JSON log lines kept. Its token goes through the environment, as the README advises.
 */
export class BridgeChild {
  readonly logs: string[] = [];
  private constructor(private readonly child: ChildProcess, readonly o: BridgeChildOptions, readonly exited: Promise<void>) {}

  static async start(o: BridgeChildOptions): Promise<BridgeChild> {
    const flags = [
      '--listen', `127.0.0.1:${o.port}`, '--advertise', `127.0.0.1:${o.port}`, '--upstream', o.upstream,
      '--metrics', `127.0.0.1:${o.metricsPort}`, '--log-level', o.logLevel ?? 'info',
      ...(o.lift === false ? [] : ['--rate', '1000000', '--burst', '1000000', '--max-flows-per-ip', '1000000', '--new-flows-per-ip', '1000000',
        '--new-flows-burst', '1000000']), ...(o.flags ?? []),
    ];
    const child = spawn(process.execPath, ['--import', 'tsx', 'udp-bridge/src/main.ts', ...flags], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BRIDGE_TOKEN: o.token },
    });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const b = new BridgeChild(child, o, exited);
    const keep = (line: string) => {
      b.logs.push(line);
      if (b.logs.length > 50_000) b.logs.splice(0, 10_000);
    };
    createInterface({ input: child.stderr! }).on('line', keep);
    await new Promise<void>((resolveStart, reject) => {
      const timer = setTimeout(() => reject(new Error(`the bridge did not start:\n${b.logs.join('\n')}`)), 30_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        keep(line);
        if (line.includes('"bridge listening"')) {
          clearTimeout(timer);
          resolveStart();
        }
      });
      child.once('exit', (code) => reject(new Error(`the bridge exited with ${code}:\n${b.logs.join('\n')}`)));
    });
    return b;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Kill it (SIGKILL: no goodbye to the Worker) and wait for the exit. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await Promise.race([this.exited, sleep(5_000).then(() => this.child.kill('SIGKILL'))]);
    await this.exited;
  }

  /** The bridge's `GET /metrics`, parsed. */
  async scrape(): Promise<Map<string, number>> {
    const res = await fetch(`http://127.0.0.1:${this.o.metricsPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return parsePrometheus(await res.text());
  }

  /** Metrics, or an empty map while it does not answer. */
  async metrics(): Promise<Map<string, number>> {
    return this.scrape().catch(() => new Map());
  }
}

// ---------------------------------------------------------------------------------------------------------
// JsSIP users that reconnect by themselves
// ---------------------------------------------------------------------------------------------------------

/** A JsSIP UA (test/e2e/clients/jssip.ts) that re-registers after every reconnect, counting its registrations. */
export interface WsUser {
  user: string;
  ua: JsSipUa;
  /** Times (ms) of every `registered` event. */
  registeredAt: number[];
  /** Times of every `disconnected` event. */
  disconnectedAt: number[];
  registrationFailures: number;
}

/**
 * Start a JsSIP UA and register it. JsSIP's own reconnection (`connection_recovery_min_interval` 2 s, max
 * 30 s: its defaults, which the e2e wrapper raises to 60/120 s) and `register: true` bring it back after a
 * dropped WebSocket, as a browser softphone does.
 */
export async function startWsUser(ws: string, user: string, password: string, domain: string): Promise<WsUser> {
  const ua = await createJsSipUa({ ws, user, password, domain, expires: 600 });
  const transport = (ua.ua as unknown as { _transport: { recovery_options: { min_interval: number; max_interval: number } } })._transport;
  transport.recovery_options = { min_interval: 2, max_interval: 30 };
  const w: WsUser = { user, ua, registeredAt: [], disconnectedAt: [], registrationFailures: 0 };
  ua.ua.on('registered', () => w.registeredAt.push(Date.now()));
  ua.ua.on('disconnected', () => w.disconnectedAt.push(Date.now()));
  ua.ua.on('registrationFailed', () => w.registrationFailures++);
  const r = await ua.register();
  if (!r.ok) throw new Error(`${user} did not register: ${r.cause} ${r.status ?? ''}`);
  (ua.ua as unknown as { set(k: string, v: unknown): boolean }).set('register', true);
  return w;
}

/** Registrations of `w` after `t`. */
export const registeredSince = (w: WsUser, t: number): boolean => w.registeredAt.some((x) => x > t);

// ---------------------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------------------

/** A Markdown table. */
export function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** `k/n` with the percentage. */
export const pct = (k: number, n: number): string => `${k}/${n} (${n ? Math.round((1000 * k) / n) / 10 : 0} %)`;

/** The machine line of a results section. */
export function machineLine(): string {
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return `${new Date().toISOString()}, ${nproc} cores shared with other work (load average at the end ${load}), node ${process.version}`;
}
