/**
 * V8 CPU profile of the Worker's isolate under REGISTER load (issue #10), through `wrangler dev
 * --inspector-port`. Not part of `npm run bench`.
 *
 *   npx tsx bench/cpu-profile.ts --out /tmp/prof.cpuprofile [--connections 100] [--seconds 4] [--interval 250]
 *
 * Starts `wrangler dev` on free ports with the benchmark settings (bench/worker.ts's secrets as `--var`, no
 * local trace collector, state in a temporary directory), provisions the users, registers every connection
 * once, then profiles the isolate (sampling every `interval` µs) while the connections loop the digest
 * exchange. Prints the top functions by self time (µs per registration and share of the samples); the
 * profile opens in Chrome's DevTools.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { BENCH_ADMIN_TOKEN, BENCH_BRIDGE_TOKEN } from './worker.js';
import { benchPassword, benchUser, openClients, pool } from './ws-register.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => argv.find((_, i) => argv[i - 1] === `--${name}`) ?? dflt;
const out = arg('out', '/tmp/prof.cpuprofile');
const connections = Number(arg('connections', '100'));
const windowMs = Number(arg('seconds', '4')) * 1000;
const interval = Number(arg('interval', '250'));

const freePort = () => new Promise<number>((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => res(p));
  });
});
const port = await freePort();
const inspector = await freePort();
const vars = {
  ADMIN_TOKEN: BENCH_ADMIN_TOKEN, NONCE_SECRET: 'bench-nonce-secret', BRIDGE_TOKEN: BENCH_BRIDGE_TOKEN,
  FLOW_MESSAGE_RATE: '1000000', FLOW_MESSAGE_BURST: '1000000',
};
const dev = spawn('npx', ['wrangler', 'dev', '--port', String(port), '--inspector-port', String(inspector),
  '--persist-to', mkdtempSync(join(tmpdir(), 'edge-sip-prof-')), ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])], {
  env: { ...process.env, X_LOCAL_OBSERVABILITY: 'false', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  stdio: ['ignore', 'pipe', 'inherit'], detached: true,
});
const http = `http://127.0.0.1:${port}`;
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${http}/healthz`)).ok) break;
    } catch {
      // not up yet
    }
    if (i > 600) throw new Error('wrangler dev did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  await pool(Array.from({ length: connections }, (_, i) => benchUser(i)), 16, async (user) => {
    const r = await fetch(`${http}/api/v1/users/${user}`, {
      method: 'PUT', headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password: benchPassword(user) }),
    });
    await r.arrayBuffer();
  });
  const clients = await openClients(`ws://127.0.0.1:${port}/sip`, connections);
  await pool(clients, 100, (c) => c.register());
  // Warm the JIT before sampling.
  const loop = (ms: number) => {
    const end = performance.now() + ms;
    let n = 0;
    return Promise.all(clients.map(async (c) => {
      while (performance.now() < end) {
        await c.register();
        n++;
      }
    })).then(() => n);
  };
  await loop(1000);
  const targets = await (await fetch(`http://127.0.0.1:${inspector}/json/list`)).json() as { webSocketDebuggerUrl: string; title?: string }[];
  const cdp = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((r) => cdp.once('open', r));
  let id = 0;
  const pending = new Map<number, (v: unknown) => void>();
  cdp.on('message', (d: Buffer) => {
    const m = JSON.parse(d.toString()) as { id?: number; result?: unknown };
    if (m.id !== undefined) pending.get(m.id)?.(m.result);
  });
  const call = (method: string, params: object = {}) => new Promise<unknown>((res) => {
    pending.set(++id, res);
    cdp.send(JSON.stringify({ id, method, params }));
  });
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval });
  await call('Profiler.start');
  const regs = await loop(windowMs);
  const { profile } = await call('Profiler.stop') as { profile: Profile };
  // The bundle the profile's line numbers refer to, beside it.
  const scriptId = profile.nodes.find((n) => n.callFrame.url.endsWith('index.js'))?.callFrame.scriptId;
  if (scriptId) {
    await call('Debugger.enable');
    const { scriptSource } = await call('Debugger.getScriptSource', { scriptId }) as { scriptSource: string };
    writeFileSync(`${out}.js`, scriptSource);
  }
  cdp.close();
  for (const c of clients) c.close();
  writeFileSync(out, JSON.stringify(profile));
  summarizeProfile(profile, regs);
} finally {
  process.kill(-dev.pid!, 'SIGTERM');
}

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; scriptId: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

function summarizeProfile(p: Profile, regs: number): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((s, i) => {
    const n = byId.get(s)!;
    const f = n.callFrame;
    const key = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    const dt = p.timeDeltas[i + 1] ?? interval;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0);
  const busy = total - idle;
  console.log(`${regs} registrations; busy ${(busy / regs).toFixed(1)} profiled µs per registration`);
  for (const [k, v] of [...self].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 40)) {
    console.log(`${(v / regs).toFixed(2).padStart(7)} µs ${((100 * v) / busy).toFixed(1).padStart(5)} %  ${k}`);
  }
}
