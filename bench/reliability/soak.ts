/**
 * Soak (issue #13, "Measure"): registered WebSocket devices and bridged GB/T 28181 cameras for ten minutes on
 * the local service; every keepalive and every refresh must be answered (0 drops), and everything is counted.
 *
 *   npx tsx bench/reliability/soak.ts                                 1,000 phones + 1,000 cameras, 10 minutes
 *   npx tsx bench/reliability/soak.ts --quick                         20 + 20, 1 minute
 *   npx tsx bench/reliability/soak.ts --phones 500 --cameras 500 --minutes 3
 *
 * - Phones: plain `ws` clients (subprotocol `sip`), REGISTER with digest as JsSIP 3.13.8 sends it (one Call-ID,
 *   `+sip.instance`, `reg-id`, Expires 600; every refresh REGISTER → 401 → REGISTER → 200), a CRLF keep-alive
 *   (RFC 5626 §4.4.1) every 20 s and a refresh every 60 s, each waiting for its answer.
 * - Cameras: one node-dgram socket each (one bridge flow), through the udp-bridge as a child process
 *   (`udp-bridge/src/main.ts`, per-IP bounds lifted: all of them are on 127.0.0.1), MD5 digest REGISTER in realm
 *   3402000000 (Expires 3600), a `<Notify><CmdType>Keepalive` MESSAGE every 5 s and a refresh every 120 s.
 *   UDP requests are retransmitted as RFC 3261's timer E does (0.5, 1, 2, 4 s); a transaction without a final
 *   response after 16 s is a drop, and retransmissions are counted.
 * - A drop: a request without its expected answer (timeout, or another status), or a WebSocket closed by the
 *   other side. At the end every camera must be online in `GET /api/v1/gb28181/devices`.
 * - Every 30 s: descriptors and memory of each workerd process, and the bridge's counters.
 * Starts are spread over the first period of each kind; the run is bounded by its duration plus the setup.
 * @module
 */
import { BRIDGE_TOKEN, startService, type RestartableService } from '../../test/e2e/harness.js';
import { GB } from '../ledger-sip.js';
import { memoryOf } from '../procs.js';
import { Camera, Kind, Phone } from './devices.js';
import { BridgeChild, fdKinds, fdLimit, freePort, machineLine, runtimeWorkerd, say, settle, sleep, table, workerds } from './kit.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const num = (name: string, full: number, small: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : quick ? small : full;
};
const SIZE = { phones: num('phones', 1000, 20), cameras: num('cameras', 1000, 20), minutes: num('minutes', 10, 1) };
const PERIOD = { crlf: 20_000, phoneRefresh: 60_000, keepalive: 5_000, cameraRefresh: 120_000 };

const K = {
  phoneRegister: new Kind(), crlf: new Kind(), phoneRefresh: new Kind(),
  cameraRegister: new Kind(), keepalive: new Kind(), cameraRefresh: new Kind(),
};
let unexpectedCloses = 0;
const closeCodes = new Map<number, number>();
let stopping = false;

// ---------------------------------------------------------------------------------------------------------

/** Run `op` every `period` ms from `offset` until `end`, one at a time. */
async function every(period: number, offset: number, end: number, op: () => Promise<unknown>): Promise<void> {
  let next = Date.now() + offset;
  while (!stopping && next < end) {
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    if (stopping) return;
    await op();
    next += period;
  }
}

interface Sample {
  at: number;
  procs: { pid: number; role: string; total: number; socket: number; sqlite: number; rssMb: number }[];
  bridge: Map<string, number>;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  say(`sizes: ${JSON.stringify(SIZE)}`);
  const svc: RestartableService = await startService();
  const bridgePort = await freePort();
  const metricsPort = await freePort();
  const bridge = await BridgeChild.start({ upstream: svc.ws, token: BRIDGE_TOKEN, port: bridgePort, metricsPort });
  const phones: Phone[] = [];
  const cameras: Camera[] = [];
  const samples: Sample[] = [];
  const sample = async (): Promise<Sample> => {
    const port = Number(new URL(svc.http).port);
    const procs = workerds().map((p) => ({ pid: p.pid, role: p.ports.includes(port) ? 'dev proxy' : 'runtime', ...fdKinds(p.pid), rssMb: memoryOf([p.pid]).rssKb / 1024 }));
    const s = { at: Date.now(), procs, bridge: await bridge.metrics() };
    samples.push(s);
    return s;
  };
  const fmtSample = (s: Sample) => s.procs.map((p) => `${p.role} workerd ${p.pid}: ${p.total} fds (${p.socket} sockets, ${p.sqlite} SQLite), ${p.rssMb.toFixed(0)} MB`).join('; ');
  let setupSec = 0;
  let online = { online: 0, total: 0 };
  let phonesBound = 0;
  const limits = workerds().map((p) => `${p.pid}: ${fdLimit(p.pid)}`).join(', ');
  try {
    say(`workerd descriptor limits (soft/hard): ${limits}; idle: ${fmtSample(await sample())}`);
    const users = Array.from({ length: SIZE.phones }, (_, i) => `s${i}`);
    await settle(users, 16, (u) => svc.createUser(u, `${u}-secret`));
    say(`provisioned ${users.length} users`);
    // Objects woken by a batch hold SQLite files (3 descriptors each) until they hibernate: pace the setup so
    // that they do not add up to the runtime's descriptor limit (see bench/reliability/capacity.ts).
    const rt = runtimeWorkerd(svc.http).pid;
    const paced = async <T>(items: readonly T[], fn: (x: T) => Promise<void>) => {
      const out: unknown[] = [];
      for (let a = 0; a < items.length; a += 250) {
        out.push(...await settle(items.slice(a, a + 250), 50, fn));
        if (fdKinds(rt).sqlite > 4500) {
          const until = Date.now() + 60_000;
          while (fdKinds(rt).sqlite > 1500 && Date.now() < until) await sleep(500);
        }
      }
      return out;
    };
    const opened = await paced(users, async (u) => {
      const p = await Phone.open(svc.ws, u);
      p.onClose = (code) => {
        if (stopping) return;
        unexpectedCloses++;
        closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
      };
      phones.push(p);
      await p.register(K.phoneRegister);
    });
    const cams = Array.from({ length: SIZE.cameras }, (_, i) => `${GB.realm}132${String(i).padStart(7, '0')}`);
    const camOpened = await paced(cams, async (id) => {
      const c = await Camera.open(id, bridgePort);
      cameras.push(c);
      await c.register(K.cameraRegister);
    });
    setupSec = (Date.now() - t0) / 1000;
    const openErrors = [...opened, ...camOpened].filter((r) => r instanceof Error) as Error[];
    say(`setup: ${phones.length} phones (${K.phoneRegister.answered} registered), ${cameras.length} cameras (${K.cameraRegister.answered} registered); ${openErrors.length} errors ${openErrors.slice(0, 3).map((e) => e.message).join('; ')}`);
    say(`after setup: ${fmtSample(await sample())}`);

    const end = Date.now() + SIZE.minutes * 60_000;
    const sampler = (async () => {
      while (Date.now() < end - 1000 && !stopping) {
        await sleep(Math.min(30_000, end - Date.now() - 500));
        const s = await sample();
        say(`soak: ${fmtSample(s)}; bridge flows ${s.bridge.get('sip_bridge_flows_connected')}/${s.bridge.get('sip_bridge_flows')}; ` +
          `crlf ${K.crlf.answered}/${K.crlf.sent}, refresh ${K.phoneRefresh.answered}/${K.phoneRefresh.sent}, keepalive ${K.keepalive.answered}/${K.keepalive.sent}, ` +
          `camera refresh ${K.cameraRefresh.answered}/${K.cameraRefresh.sent}, drops ${Object.values(K).reduce((a, k) => a + k.drops, 0)}, closes ${unexpectedCloses}`);
      }
    })();
    const loops: Promise<void>[] = [];
    for (const p of phones) {
      loops.push(every(PERIOD.crlf, Math.random() * PERIOD.crlf, end, () => (p.closed ? Promise.resolve() : p.crlf(K.crlf))));
      loops.push(every(PERIOD.phoneRefresh, Math.random() * PERIOD.phoneRefresh, end, () => (p.closed ? Promise.resolve() : p.register(K.phoneRefresh))));
    }
    for (const c of cameras) {
      loops.push(every(PERIOD.keepalive, Math.random() * PERIOD.keepalive, end, () => c.keepalive(K.keepalive)));
      loops.push(every(PERIOD.cameraRefresh, Math.random() * PERIOD.cameraRefresh, end, () => c.register(K.cameraRefresh)));
    }
    await Promise.all(loops);
    await sampler;
    const s = await sample();
    say(`end: ${fmtSample(s)}`);
    // The service's view at the end: every camera online, every phone's binding there.
    const res = await svc.admin('/gb28181/devices');
    const list = ((await res.json()) as { devices: { deviceId: string; online: boolean }[] }).devices;
    online = { online: list.filter((d) => d.online).length, total: list.length };
    const bound = await settle(phones.slice(0, 100), 8, (p) => svc.bindings(p.user).then((b) => b.length));
    phonesBound = bound.filter((b) => typeof b === 'number' && b >= 1).length;
  } finally {
    stopping = true;
    for (const p of phones) p.close();
    for (const c of cameras) c.close();
    await bridge.stop().catch(() => undefined);
    await svc.close().catch(() => undefined);
  }

  const last = samples.at(-1)!;
  const drops = Object.values(K).reduce((a, k) => a + k.drops, 0) + unexpectedCloses;
  const maxOf = (pid: number, f: 'total' | 'sqlite' | 'socket') => Math.max(...samples.flatMap((s) => s.procs.filter((p) => p.pid === pid).map((p) => p[f])));
  const cmd = `npx tsx bench/reliability/soak.ts${argv.length ? ` ${argv.join(' ')}` : ''}`;
  const out = [
    `Command: \`${cmd}\` (${SIZE.phones} WebSocket phones, ${SIZE.cameras} bridged GB cameras, ${SIZE.minutes} min after a ${setupSec.toFixed(0)} s setup; ${machineLine()})`,
    '',
    table(['request', 'sent', 'answered', 'timed out', 'other status', 'UDP retransmissions', 'ms p50 / p99 / max'], [
      K.phoneRegister.row('phone: first REGISTER (→ 401 → 200)'),
      K.crlf.row(`phone: CRLF keep-alive, every ${PERIOD.crlf / 1000} s`),
      K.phoneRefresh.row(`phone: refresh (REGISTER → 401 → 200), every ${PERIOD.phoneRefresh / 1000} s`),
      K.cameraRegister.row('camera: first REGISTER (→ 401 → 200)'),
      K.keepalive.row(`camera: Keepalive MESSAGE, every ${PERIOD.keepalive / 1000} s`),
      K.cameraRefresh.row(`camera: refresh (REGISTER → 401 → 200), every ${PERIOD.cameraRefresh / 1000} s`),
    ]),
    '',
    `- **drops: ${drops}** (timeouts and other statuses above, plus ${unexpectedCloses} WebSocket${unexpectedCloses === 1 ? '' : 's'} closed by the service${closeCodes.size ? `: codes ${[...closeCodes.entries()].map(([c, n]) => `${c}×${n}`).join(', ')}` : ''})`,
    `- at the end: ${online.online}/${online.total} cameras online in \`GET /api/v1/gb28181/devices\`; ${phonesBound}/${Math.min(100, SIZE.phones)} phones sampled have their binding; requests from the service to cameras: ${cameras.reduce((a, c) => a + c.requestsReceived, 0)}`,
    `- bridge at the end: flows ${last.bridge.get('sip_bridge_flows_connected')}/${last.bridge.get('sip_bridge_flows')} connected, reconnects ${last.bridge.get('sip_bridge_reconnects_total') ?? 0}, liveness timeouts ${last.bridge.get('sip_bridge_liveness_timeouts_total') ?? 0}, ` +
      `drops ${[...last.bridge.entries()].filter(([k, v]) => k.startsWith('sip_bridge_drops_total') && v > 0).map(([k, v]) => `${/reason="([^"]+)"/.exec(k)?.[1] ?? k} ${v}`).join(', ') || 0}, retransmissions absorbed ${last.bridge.get('sip_bridge_retransmissions_absorbed_total') ?? 0}`,
    `- workerd descriptors (limit soft/hard ${limits}): ${last.procs.map((p) => `${p.role} ${p.pid}: max ${maxOf(p.pid, 'total')} (sockets ${maxOf(p.pid, 'socket')}, SQLite ${maxOf(p.pid, 'sqlite')})`).join('; ')}; at the end ${fmtSample(last)}`,
  ].join('\n');
  console.log(`\n${out}\n`);
}

await main();
process.exit(0);
