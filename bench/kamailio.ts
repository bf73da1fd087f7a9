/**
 * Start and stop Kamailio with bench/kamailio/kamailio.cfg in a temporary runtime directory, in the
 * foreground (`kamailio -f <cfg> -DD -E`), on free loopback ports; install it from Debian when missing.
 *
 * Standalone: `npx tsx bench/kamailio.ts [seconds]` starts it, prints the ports and stops it after `seconds`
 * (default 30) or on Ctrl-C.
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendants, type Proc } from './procs.js';
import { sleep } from './stats.js';

const CFG = new URL('./kamailio/kamailio.cfg', import.meta.url);

/** A running Kamailio. */
export interface Kamailio {
  udpPort: number;
  wsPort: number;
  /** `ws://127.0.0.1:<port>/` */
  ws: string;
  /** The main process and its children. */
  processes(): Proc[];
  /** Recent stderr output (for errors). */
  log(): string;
  stop(): Promise<void>;
}

/** True when a command is on PATH. */
export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Install Debian packages when a command is missing (issue #6 allows kamailio and sip-tester). */
export function ensureInstalled(cmd: string, packages: string[]): boolean {
  if (hasCommand(cmd)) return true;
  console.error(`${cmd} missing: apt-get install -y ${packages.join(' ')}`);
  const r = spawnSync('apt-get', ['install', '-y', ...packages], { stdio: 'inherit', timeout: 300_000 });
  return r.status === 0 && hasCommand(cmd);
}

/** A free port on 127.0.0.1 for TCP (and, checked, UDP). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      }).on('error', reject);
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

async function waitForTcp(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`kamailio exited with ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (up) return;
    await sleep(100);
  }
  throw new Error('kamailio did not start listening in time');
}

/** Signal the process group we started (it may already be gone). */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already exited
  }
}

/** Start Kamailio; `children` is both its UDP and its TCP worker count, `shmMb` its shared memory. */
export async function startKamailio(opts: { children?: number; shmMb?: number } = {}): Promise<Kamailio> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-sip-kamailio-'));
  const udpPort = await freePort();
  let wsPort = await freePort();
  while (wsPort === udpPort) wsPort = await freePort();
  const cfg = readFileSync(CFG, 'utf8')
    .replaceAll('__UDP_PORT__', String(udpPort))
    .replaceAll('__WS_PORT__', String(wsPort))
    .replaceAll('__CHILDREN__', String(opts.children ?? 2));
  const cfgPath = join(dir, 'kamailio.cfg');
  writeFileSync(cfgPath, cfg);
  const args = ['-f', cfgPath, '-DD', '-E', '-m', String(opts.shmMb ?? 1024), '-M', '16', '-Y', dir, '-P', join(dir, 'kamailio.pid')];
  const child = spawn('kamailio', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-8000);
  });
  try {
    await waitForTcp(wsPort, child, 15_000);
    await sleep(300); // let the workers finish starting
  } catch (e) {
    if (child.pid) killGroup(child.pid, 'SIGKILL');
    throw new Error(`${(e as Error).message}\n${log}`);
  }
  const pid = child.pid!;
  return {
    udpPort, wsPort, ws: `ws://127.0.0.1:${wsPort}/`,
    processes: () => [{ pid, comm: 'kamailio' }, ...descendants(pid)],
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        killGroup(pid, 'SIGTERM');
        const ok = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
        if (!ok) killGroup(pid, 'SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const k = await startKamailio();
  console.log(`kamailio: udp 127.0.0.1:${k.udpPort}, ${k.ws}; pids ${k.processes().map((p) => p.pid).join(' ')}`);
  const stop = () => void k.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  setTimeout(stop, Number(process.argv[2] ?? 30) * 1000);
}
