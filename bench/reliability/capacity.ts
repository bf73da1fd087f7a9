/**
 * Capacity of the local service (issue #13, "Measure", with the soak): where local workerd's
 * `Too many open files` near 5,000 connections comes from, and memory per idle registered device at 1,000 and
 * 10,000 devices beside Kamailio's.
 *
 *   npx tsx bench/reliability/capacity.ts                 descriptors (200 connections) + memory (1,000, 9,000, 10,000)
 *   npx tsx bench/reliability/capacity.ts --quick         descriptors (20) + memory (50)
 *   npx tsx bench/reliability/capacity.ts --only fds      or --only memory; --fd-connections N; --memory 1000,10000
 *
 * Descriptors: every descriptor of each workerd process (`/proc/<pid>/fd`), by kind (socket, SQLite file:
 * database, -wal, -shm; other), before and after N connections, per connection. Targets: our Worker through
 * the harness's URL (wrangler's dev proxy, a second workerd, in front of the runtime, as `npm start` and the
 * benchmarks use it), our Worker at the runtime's own socket (no proxy), and the runtime floor of the benchmarks
 * (bench/floor/worker.ts: a Durable Object per WebSocket that never touches storage); bridged GB cameras
 * (one WebSocket each from the udp-bridge child process).
 *
 * Memory: bench/memory.ts's method (sum of VmRSS and PSS before and after N registered idle devices, divided by
 * N), with bench/ws-register.ts's clients, each size on a fresh Worker (a runtime that held objects before keeps
 * their heap). Ours is measured at the runtime's socket, counting the runtime workerd only (the dev proxy is not
 * part of a deployed service), once every object woken by the registrations has hibernated again (its SQLite
 * descriptors closed) and 5 s more: an idle device as it stays. Large sizes are opened and registered in batches
 * of 500, each left to hibernate before the next, so that descriptors of objects that are only briefly awake do
 * not count against the limit. At 1,000 also as `npm run bench` measures it (through the proxy, every workerd,
 * 5 s idle, objects still awake). Kamailio: a fresh instance per size (bench/kamailio.ts), its main process and
 * children, 5 s idle.
 * @module
 */
import { createTestHarness } from 'wrangler';
import { BENCH_BRIDGE_TOKEN, startWorker, type LocalWorker } from '../worker.js';
import { runMemory, type MemoryResult } from '../memory.js';
import { ensureInstalled, startKamailio } from '../kamailio.js';
import { memoryOf, type Memory, type Proc } from '../procs.js';
import { fmt } from '../stats.js';
import { openClients, openClientsSettled, pool, type SipWsClient } from '../ws-register.js';
import { BRIDGE_TOKEN, startService } from '../../test/e2e/harness.js';
import { GB } from '../ledger-sip.js';
import { Camera, Kind } from './devices.js';
import { BridgeChild, fdKinds, fdLimit, freePort, machineLine, say, sleep, table, workerds } from './kit.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1]!.split(',') : ['fds', 'memory'];
const FD_N = argv.includes('--fd-connections') ? Number(argv[argv.indexOf('--fd-connections') + 1]) : quick ? 20 : 200;
const MEMORY = argv.includes('--memory') ? argv[argv.indexOf('--memory') + 1]!.split(',').map(Number) : quick ? [50] : [1000, 9000, 10_000];

type Kinds = ReturnType<typeof fdKinds>;
const sub = (a: Kinds, b: Kinds): Kinds => ({ total: a.total - b.total, socket: a.socket - b.socket, sqlite: a.sqlite - b.sqlite, other: a.other - b.other });

/** Descriptors of each workerd, keyed by its role: `proxy` (owns the harness URL's port) or `runtime`. */
function roles(http: string): Record<'proxy' | 'runtime', Kinds & { pid: number }> {
  const port = Number(new URL(http).port);
  const all = workerds();
  const proxy = all.find((p) => p.ports.includes(port));
  const runtime = all.find((p) => !p.ports.includes(port));
  if (!proxy || !runtime) throw new Error(`workerds: ${JSON.stringify(all)}`);
  return { proxy: { pid: proxy.pid, ...fdKinds(proxy.pid) }, runtime: { pid: runtime.pid, ...fdKinds(runtime.pid) } };
}

/** The runtime's own socket (`ws://127.0.0.1:<port>/sip`), bypassing wrangler's dev proxy. */
function directWs(http: string): string {
  const port = Number(new URL(http).port);
  const rt = workerds().find((p) => !p.ports.includes(port));
  if (!rt?.ports[0]) throw new Error('no runtime workerd socket');
  return `ws://127.0.0.1:${rt.ports[0]}/sip`;
}

const fdRows: string[][] = [];
const per = (d: Kinds, n: number) => `${fmt(d.total / n)} (${fmt(d.socket / n)} sockets, ${fmt(d.sqlite / n)} SQLite)`;

/** Connect N clients, register them (when `register`), let them idle, close them; descriptors per connection at each step. */
async function fdSteps(label: string, http: string, url: string, n: number, register: boolean): Promise<void> {
  await sleep(15_000); // objects woken before (provisioning) hibernate first
  const base = roles(http);
  const row = (step: string) => {
    const now = roles(http);
    fdRows.push([label, step, per(sub(now.proxy, base.proxy), n), per(sub(now.runtime, base.runtime), n)]);
    say(`fds ${label} / ${step}: proxy ${per(sub(now.proxy, base.proxy), n)}; runtime ${per(sub(now.runtime, base.runtime), n)}`);
  };
  const clients = await openClients(url, n, 0, 20);
  await sleep(1000);
  row(`${n} WebSockets open, nothing sent`);
  await pool(clients, 20, async (c) => c.ws.send('\r\n\r\n'));
  await sleep(1000);
  row('after a CRLF keep-alive each (answered by the runtime)');
  if (register) {
    await pool(clients, 20, (c) => c.register(15_000));
    await sleep(1000);
    row('after REGISTER → 401 → 200 each');
  }
  await sleep(20_000);
  row('20 s idle');
  for (const c of clients) c.close();
  await sleep(3000);
  row('3 s after closing them');
}

async function fds(): Promise<void> {
  {
    const w = await startWorker();
    try {
      await w.provision(0, FD_N, 16);
      await fdSteps('ours, through the dev proxy (the harness URL)', w.http, w.ws, FD_N, true);
      await fdSteps('ours, at the runtime socket', w.http, directWs(w.http), FD_N, true);
    } finally {
      await w.close();
    }
  }
  {
    process.env.X_LOCAL_OBSERVABILITY = 'false';
    const server = createTestHarness({ workers: [{ configPath: './bench/floor/wrangler.toml', secrets: { BRIDGE_TOKEN: BENCH_BRIDGE_TOKEN } }] });
    const { url } = await server.listen();
    const http = url.href.replace(/\/$/, '');
    try {
      await fdSteps('floor (no storage), at the runtime socket', http, directWs(http), FD_N, false);
    } finally {
      await server.close();
    }
  }
  {
    // GB cameras through the bridge: one WebSocket each from the bridge, keepalives every 5 s.
    const svc = await startService();
    const port = await freePort();
    const bridge = await BridgeChild.start({ upstream: directWs(svc.http), token: BRIDGE_TOKEN, port, metricsPort: await freePort() });
    const cams: Camera[] = [];
    try {
      await sleep(15_000);
      const base = roles(svc.http);
      const kind = new Kind();
      for (let i = 0; i < FD_N; i++) cams.push(await Camera.open(`${GB.realm}132${String(9_000_000 + i).padStart(7, '0')}`, port));
      await pool(cams, 20, (c) => c.register(kind));
      const row = (step: string) => {
        const now = roles(svc.http);
        fdRows.push(['GB cameras through the udp-bridge (child process), at the runtime socket', step,
          per(sub(now.proxy, base.proxy), FD_N), per(sub(now.runtime, base.runtime), FD_N)]);
      };
      row(`${kind.answered}/${FD_N} registered`);
      const stop = Date.now() + 20_000;
      while (Date.now() < stop) await pool(cams, 20, (c) => c.keepalive(kind));
      row('keepalives for 20 s (objects awake)');
      await sleep(20_000);
      row('then 20 s silent');
    } finally {
      for (const c of cams) c.close();
      await bridge.stop();
      await svc.close();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------------------------

/** Wait until `pid` holds at most `max` SQLite descriptors (objects hibernated), or `ms` pass. */
async function sqliteBelow(pid: number, max: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (fdKinds(pid).sqlite > max && Date.now() < end) await sleep(500);
}

/** Provision b<from>…b<to-1> in chunks, letting the AOR objects hibernate between chunks. */
async function provisionPaced(w: LocalWorker, from: number, to: number, runtimePid: () => number): Promise<void> {
  for (let a = from; a < to; a += 1000) {
    await w.provision(a, Math.min(to, a + 1000), 32);
    await sqliteBelow(runtimePid(), 1500, 60_000);
  }
}

/**
 * bench/memory.ts's measurement at the runtime's socket, opened and registered in batches (see the module
 * comment), measured once every object has hibernated again (the runtime's SQLite descriptors back to where
 * they were) and 5 s more: the cost of an idle registered device as it stays, its socket and what the runtime
 * keeps of a hibernated object.
 */
async function pacedMemory(url: string, procs: () => Proc[], runtimePid: () => number, devices: number, firstUser: number, batch: number):
  Promise<MemoryResult & { failedAt: string | null; idleSec: number }> {
  const pids = () => procs().map((p) => p.pid);
  const baseSqlite = fdKinds(runtimePid()).sqlite;
  await sleep(2000);
  const before: Memory = memoryOf(pids());
  const t0 = performance.now();
  const clients: SipWsClient[] = [];
  let registered = 0;
  let failedAt: string | null = null;
  try {
    const limit = Number(fdLimit(runtimePid()).split('/')[0]) || 20_000;
    for (let a = 0; a < devices && failedAt === null;) {
      // A new connection costs 2 descriptors for good and, while it registers, 6 more (its flow's and its AOR's
      // SQLite files): the batch is what the limit still has room for, 200 kept for the runtime itself.
      const room = Math.floor((limit - 200 - fdKinds(runtimePid()).total) / 8);
      const n = Math.min(batch, devices - a, room);
      if (n < Math.min(20, devices - a)) {
        failedAt = `stopped at ${a} devices: ${fdKinds(runtimePid()).total} of ${limit} descriptors in use, no room for another connection and its objects`;
        break;
      }
      const opened = await openClientsSettled(url, n, firstUser + a, 50, 15_000);
      clients.push(...opened.clients);
      let failures = 0;
      const ok = await pool(opened.clients, 50, (c) => (failures >= 20 ? Promise.resolve(false)
        : c.register(15_000).then(() => true, () => (failures++, false))));
      registered += ok.filter(Boolean).length;
      if (opened.errors.length || failures) failedAt = `at ${a + n} devices: ${opened.errors.length} connections and ${failures} registrations failed (${opened.errors[0] ?? ''})`;
      a += n;
      const rt = fdKinds(runtimePid());
      say(`memory ${devices}: ${registered} registered, runtime ${rt.total} fds (${rt.socket} sockets, ${rt.sqlite} SQLite)${failedAt ? `; ${failedAt}` : ''}`);
      if (a < devices) await sqliteBelow(runtimePid(), baseSqlite + 300, 60_000);
    }
    const setupSec = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    await sqliteBelow(runtimePid(), baseSqlite + 30, 90_000);
    await sleep(5000);
    const idleSec = (performance.now() - t1) / 1000;
    const after = memoryOf(pids());
    const rt = fdKinds(runtimePid());
    say(`memory ${devices}: measured after ${idleSec.toFixed(0)} s idle, runtime ${rt.total} fds (${rt.socket} sockets, ${rt.sqlite} SQLite), ${clients.filter((c) => c.ws.readyState === 1).length} connections open`);
    const k = (x: number, y: number) => (registered ? (x - y) / registered : NaN);
    return { devices, registered, before, after, setupSec, idleSec, rssKbPerDevice: k(after.rssKb, before.rssKb), pssKbPerDevice: k(after.pssKb, before.pssKb), failedAt };
  } finally {
    for (const c of clients) c.close();
    await sleep(1000);
  }
}

const memRows: string[][] = [];
const kb = (x: number) => (Number.isFinite(x) ? fmt(x) : 'n/a');
function memRow(target: string, r: MemoryResult & { failedAt?: string | null }, note = ''): void {
  memRows.push([target, String(r.devices), `${r.registered}`, kb(r.rssKbPerDevice), kb(r.pssKbPerDevice), `${fmt(r.setupSec)} s`, [r.failedAt, note].filter(Boolean).join('; ') || '']);
  say(`memory: ${target} ${r.devices}: ${JSON.stringify(r)}`);
}

async function memory(): Promise<void> {
  // Each measurement on a fresh Worker: a runtime that has already held objects keeps their heap.
  const fresh = async (n: number, fn: (w: LocalWorker, rtPid: () => number) => Promise<void>) => {
    const w = await startWorker();
    const port = Number(new URL(w.http).port);
    const rtPid = () => workerds().find((p) => !p.ports.includes(port))!.pid;
    try {
      await provisionPaced(w, 0, n, rtPid);
      await sqliteBelow(rtPid(), 100, 60_000);
      await fn(w, rtPid);
    } finally {
      await w.close().catch(() => undefined);
    }
  };
  for (const n of MEMORY) {
    await fresh(n, async (w, rtPid) => {
      const r = await pacedMemory(directWs(w.http), () => workerds().filter((p) => p.pid === rtPid()), rtPid, n, 0, n <= 2000 ? n : 500);
      memRow('ours at the runtime socket: the runtime workerd, once every object hibernated', r,
        `${n <= 2000 ? 'one batch' : 'batches of at most 500 (fewer as the limit nears), each left to hibernate'}; measured ${r.idleSec.toFixed(0)} s after the last registration`);
    });
  }
  if (MEMORY.includes(1000) || quick) {
    const n = quick ? MEMORY[0]! : 1000;
    await fresh(n, async (w) => {
      memRow('ours through the dev proxy: every workerd, 5 s idle (bench/memory.ts as `npm run bench` runs it)',
        await runMemory({ url: w.ws, processes: () => w.processes(), devices: n, firstUser: 0, concurrency: 100, idleMs: 5000 }), 'objects still awake');
    });
  }
  if (!ensureInstalled('kamailio', ['kamailio', 'kamailio-websocket-modules'])) return;
  for (const n of MEMORY) {
    const k = await startKamailio({ children: 2 });
    try {
      memRow('Kamailio (a fresh instance per size): main process and children, 5 s idle', await runMemory({ url: k.ws, processes: () => k.processes(), devices: n, firstUser: 0, concurrency: 100, idleMs: 5000 }));
    } finally {
      await k.stop();
    }
  }
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const limit = fdLimit(process.pid);
  if (only.includes('fds')) await fds();
  if (only.includes('memory')) await memory();
  const cmd = `npx tsx bench/reliability/capacity.ts${argv.length ? ` ${argv.join(' ')}` : ''}`;
  console.log([
    '',
    `Command: \`${cmd}\` (${machineLine()}; ${((Date.now() - t0) / 1000).toFixed(0)} s; descriptor limit of this process and its children, soft/hard: ${limit})`,
    '',
    fdRows.length ? table(['target', 'step', 'dev proxy workerd: descriptors per connection', 'runtime workerd: descriptors per connection'], fdRows) : '',
    '',
    memRows.length ? table(['target', 'devices', 'registered', 'RSS KiB/device', 'PSS KiB/device', 'setup', 'note'], memRows) : '',
    '',
  ].join('\n'));
}

await main();
process.exit(0);
