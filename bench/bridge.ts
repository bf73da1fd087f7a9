/**
 * The udp-bridge's own cost per datagram (issue #10, part 2): `npx tsx bench/bridge.ts [--clients 10,100]`.
 *
 * N UDP clients, each its own socket (so its own bridge flow and WebSocket), each send a REGISTER-sized
 * datagram and wait for the answer, closed loop. Two servers, each in a child process whose CPU time is read
 * from `/proc/<pid>/stat` (utime + stime) around the measured window:
 *
 * - `echo`: a bare Node UDP socket that answers each request with a 200 built by {@link okFor}, the baseline;
 * - `bridge`: the udp-bridge (`udp-bridge/src/main.ts`, bundled with esbuild as `npm run build:bridge` does, or
 *   run through tsx with `--tsx`) in front of a trivial `ws` server in this process that answers each SIP frame
 *   with the same 200 (echo-level work).
 *
 * Reported per server: exchanges/s (one datagram each way), p50/p99 round trip, and the server process's CPU µs
 * per exchange. `--profile <dir>` writes a V8 CPU profile of each bridge child (`node --cpu-prof`); `--root <dir>`
 * measures the bridge of another checkout (before/after comparisons).
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { fmt, markdownTable, quantile, sleep, summarize } from './stats.js';

const ROOT = new URL('..', import.meta.url).pathname;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** A REGISTER with digest credentials, about the size a camera or phone sends (≈ 600 bytes). */
function registerFor(client: number, seq: number, port: number): Buffer {
  return Buffer.from(
    `REGISTER sip:edge-sip.test SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=z9hG4bK-${client}-${seq}\r\n` +
      `From: <sip:u${client}@edge-sip.test>;tag=t${client}\r\n` +
      `To: <sip:u${client}@edge-sip.test>\r\n` +
      `Call-ID: bench-${client}@127.0.0.1\r\n` +
      `CSeq: ${seq} REGISTER\r\n` +
      `Contact: <sip:u${client}@127.0.0.1:${port}>;expires=3600\r\n` +
      `Authorization: Digest username="u${client}", realm="edge-sip.test", nonce="a3f1c2d4e5b6978812345678abcdef0123456789", ` +
      `uri="sip:edge-sip.test", response="0123456789abcdef0123456789abcdef", algorithm=MD5, cseq=${seq}, qop=auth, nc=00000001, cnonce="0a1b2c3d"\r\n` +
      `Max-Forwards: 70\r\nUser-Agent: bench-bridge\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n`,
    'latin1',
  );
}

/** The fixed 200 for a request from {@link registerFor}: its Via … CSeq lines copied, two indexOf and a concat. */
function okFor(req: Buffer): Buffer {
  const from = req.indexOf('\r\nVia:');
  const to = req.indexOf('\r\nContact:');
  return Buffer.concat([OK_HEAD, req.subarray(from, to), OK_TAIL]);
}
const OK_HEAD = Buffer.from('SIP/2.0 200 OK');
const OK_TAIL = Buffer.from('\r\nContact: <sip:bench@127.0.0.1>;expires=3600\r\nContent-Length: 0\r\n\r\n');

/** The echo server's source: the same {@link okFor}, so the baseline does the same trivial work. */
const ECHO_SOURCE = `
import { createSocket } from 'node:dgram';
const OK_HEAD = Buffer.from(${JSON.stringify(OK_HEAD.toString())});
const OK_TAIL = Buffer.from(${JSON.stringify(OK_TAIL.toString())});
${okFor.toString()}
const s = createSocket('udp4');
s.on('message', (b, r) => s.send(okFor(b), r.port, r.address));
s.bind(0, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'bridge listening', udp: '127.0.0.1:' + s.address().port })));
process.on('SIGTERM', () => s.close());
`;

/** utime and stime of a process, in µs. */
function cpuMicros(pid: number): { user: number; sys: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(f[11]) * 1e6) / CLK_TCK, sys: (Number(f[12]) * 1e6) / CLK_TCK };
}

/** A started server child: its pid and UDP port. */
interface Server {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

async function spawnServer(kind: 'echo' | 'bridge', opts: { upstream: string; bundle: string | null; profile: string | null; root: string }): Promise<Server> {
  const node = process.execPath;
  let child: ChildProcess;
  if (kind === 'echo') {
    child = spawn(node, ['--input-type=module', '-e', ECHO_SOURCE], { stdio: ['ignore', 'pipe', 'inherit'] });
  } else {
    const prof = opts.profile === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${opts.profile}`];
    const entry = opts.bundle === null ? ['--import', 'tsx', join(opts.root, 'udp-bridge/src/main.ts')] : [opts.bundle];
    const flags = ['--listen', '127.0.0.1:0', '--upstream', opts.upstream, '--rate', '1000000', '--burst', '1000000', '--max-flows-per-ip', '1000000', '--new-flows-per-ip', '1000000', '--new-flows-burst', '1000000', '--log-level', 'info'];
    child = spawn(node, [...prof, ...entry, ...flags], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BRIDGE_TOKEN: 'bench-token' }, cwd: ROOT });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`${kind} did not start`)), 20_000);
    lines.on('line', (line) => {
      const m = /"msg":"bridge listening".*"udp":"[^"]*:(\d+)"/.exec(line);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
  return {
    pid: child.pid!,
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}

/** The trivial Worker stand-in: answers every SIP frame with the fixed 200, as a text frame (as workerd does). */
async function startUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, handleProtocols: () => 'sip' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(okFor(data as Buffer).toString('latin1'))));
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/sip`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** One measured window against a server. */
interface Sample {
  perSecond: number;
  p50: number;
  p99: number;
  cpuUsPerExchange: number;
  /** The part of it spent in the kernel (stime). */
  sysUsPerExchange: number;
  /** This process's CPU (clients and the ws upstream) per exchange. */
  loadUsPerExchange: number;
  lost: number;
}

/** Closed-loop clients: each sends, waits for the answer, sends again; a request unanswered for 1 s is resent as a new one. */
async function load(server: Server, clients: number, warmMs: number, measureMs: number): Promise<Sample> {
  const sockets: Socket[] = [];
  const sentAt = new Float64Array(clients);
  const seq = new Uint32Array(clients);
  const rtts: number[] = [];
  let measuring = false;
  let stopped = false;
  let count = 0;
  let lost = 0;
  const send = (i: number): void => {
    const s = sockets[i]!;
    seq[i]!++;
    sentAt[i] = performance.now();
    s.send(registerFor(i, seq[i]!, s.address().port), server.port, '127.0.0.1');
  };
  for (let i = 0; i < clients; i++) {
    const s = createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    s.on('message', () => {
      if (stopped) return;
      if (measuring) {
        rtts.push(performance.now() - sentAt[i]!);
        count++;
      }
      send(i);
    });
    sockets.push(s);
  }
  const watchdog = setInterval(() => {
    const t = performance.now();
    for (let i = 0; i < clients; i++) {
      if (t - sentAt[i]! > 1_000) {
        lost++;
        send(i);
      }
    }
  }, 250);
  for (let i = 0; i < clients; i++) send(i);
  await sleep(warmMs);
  const cpu0 = cpuMicros(server.pid);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  lost = 0;
  measuring = true;
  await sleep(measureMs);
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu1 = cpuMicros(server.pid);
  const self = process.cpuUsage(self0);
  stopped = true;
  clearInterval(watchdog);
  for (const s of sockets) s.close();
  rtts.sort((a, b) => a - b);
  return {
    perSecond: count / elapsed,
    p50: quantile(rtts, 0.5),
    p99: quantile(rtts, 0.99),
    cpuUsPerExchange: (cpu1.user + cpu1.sys - cpu0.user - cpu0.sys) / count,
    sysUsPerExchange: (cpu1.sys - cpu0.sys) / count,
    loadUsPerExchange: (self.user + self.system) / count,
    lost,
  };
}

/** Bundle the bridge of the checkout at `root` like `npm run build:bridge`, into a temporary file. */
async function bundleBridge(root: string, dir: string): Promise<string> {
  const outfile = join(dir, 'udp-bridge.mjs');
  await build({
    entryPoints: [join(root, 'udp-bridge/src/main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    outfile,
    external: ['bufferutil', 'utf-8-validate'],
    nodePaths: [join(ROOT, 'node_modules')],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return outfile;
}

/** A server to measure: the echo, or the bridge of one checkout. */
interface Target {
  label: string;
  kind: 'echo' | 'bridge';
  root: string;
  bundle: string | null;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '10,100' },
      seconds: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '1' },
      reps: { type: 'string', default: '3' },
      tsx: { type: 'boolean', default: false },
      profile: { type: 'string' },
      quick: { type: 'boolean', default: false },
      /** Checkouts whose bridges to measure, interleaved, comma-separated (e.g. one from `git archive <commit> udp-bridge src`). */
      root: { type: 'string', default: ROOT },
    },
  });
  const sizes = values.clients.split(',').map(Number);
  const measureMs = values.quick ? 500 : Number(values.seconds) * 1000;
  const warmMs = values.quick ? 300 : Number(values.warmup) * 1000;
  const reps = values.quick ? 1 : Number(values.reps);
  const tmp = mkdtempSync(join(tmpdir(), 'bench-bridge-'));
  const roots = values.root.split(',').map((r) => resolve(r));
  const targets: Target[] = [{ label: 'Node UDP echo', kind: 'echo', root: ROOT, bundle: null }];
  for (const [i, root] of roots.entries()) {
    const bundle = values.tsx ? null : await bundleBridge(root, mkdtempSync(join(tmp, `b${i}-`)));
    targets.push({ label: roots.length > 1 ? `udp-bridge (${root})` : 'udp-bridge + ws upstream', kind: 'bridge', root, bundle });
  }
  const upstream = await startUpstream();
  const rows: string[][] = [];
  try {
    for (const clients of sizes) {
      const runs = targets.map((): Sample[] => []);
      for (let r = 0; r < reps; r++) {
        for (const [i, t] of targets.entries()) {
          const server = await spawnServer(t.kind, { upstream: upstream.url, bundle: t.bundle, profile: values.profile ?? null, root: t.root });
          try {
            runs[i]!.push(await load(server, clients, warmMs, measureMs));
          } finally {
            await server.stop();
          }
        }
      }
      for (const [i, t] of targets.entries()) {
        const s = runs[i]!;
        const med = (f: (x: Sample) => number): string => {
          const m = summarize(s.map(f));
          return m.n > 1 ? `${fmt(m.median)} (${fmt(m.min)}–${fmt(m.max)})` : fmt(m.median);
        };
        rows.push([String(clients), t.label, med((x) => x.perSecond), med((x) => x.p50), med((x) => x.p99), med((x) => x.cpuUsPerExchange), med((x) => x.sysUsPerExchange), med((x) => x.loadUsPerExchange), String(s.reduce((a, x) => a + x.lost, 0))]);
      }
    }
  } finally {
    await upstream.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  const head = ['clients', 'server', 'exchanges/s', 'p50 ms', 'p99 ms', 'server CPU µs/exchange', 'of which kernel', 'load+upstream CPU µs/exchange', 'lost'];
  process.stdout.write(`${markdownTable(head, rows)}\n\n- ${reps} × ${measureMs / 1000} s per row (median (min–max)), after ${warmMs / 1000} s warm-up, servers interleaved; bridge from ${values.tsx ? 'tsx' : 'an esbuild bundle'}; node ${process.version}\n`);
}

await main();
