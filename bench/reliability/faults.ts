/**
 * Faults (issue #13, "Measure"): what the service loses and gets back when a piece of it dies under load.
 *
 *   npx tsx bench/reliability/faults.ts                  full size (N bridged devices, M JsSIP users, calls)
 *   npx tsx bench/reliability/faults.ts --quick          tiny sizes
 *   npx tsx bench/reliability/faults.ts --devices 50 --ws 10 --calls 4 --only kill,reload,bridge,calls
 *
 * The Worker runs as the e2e tests run it (test/e2e/harness.ts `startService`: wrangler's test harness, test
 * secrets, default limits); the udp-bridge is a child process (`udp-bridge/src/main.ts`, per-IP bounds lifted
 * since every device is on 127.0.0.1); devices are node-dgram user agents (test/e2e/udp/udp-kit.ts `UdpUa`,
 * digest REGISTER, answer every request 200) and SIPp; WebSocket users are JsSIP (test/e2e/clients/jssip.ts)
 * with JsSIP's own reconnection and `register: true`.
 *
 * Scenarios, each on the same service, one after the other:
 * - kill:   SIGKILL of the workerd that runs the Worker, in the middle of load; wrangler restarts it by itself
 *           on the same port and storage (its "runtime crashed … being restarted").
 * - reload: `restart()`: the Worker reloaded in place (as a redeploy), in the middle of load.
 * - bridge: SIGKILL of the bridge, restarted on the same UDP port.
 * - calls:  calls up (JsSIP ↔ JsSIP and JsSIP → SIPp through the bridge), then the Worker reloaded, then the
 *           Worker killed.
 * Load: every device sends an OPTIONS to the service every 2 s (no re-registration), platform MESSAGEs
 * (`POST /api/v1/messages`) to random devices and users, JsSIP users MESSAGE random devices.
 * Reachable: a platform MESSAGE (`POST /api/v1/messages`) answered 200 by the device or user itself; for
 * devices also a MESSAGE from a JsSIP user answered 200. Everything is counted; nothing passes or fails on time.
 * Bounded: every wait has a deadline; the whole run takes a few minutes.
 * @module
 */
import { BRIDGE_TOKEN, DOMAIN, startService, type RestartableService } from '../../test/e2e/harness.js';
import { UdpUa, startSipp, waitUntilBound, killAllSipp, type SippRun } from '../../test/e2e/udp/udp-kit.js';
import type { IncomingCall, OutgoingCall } from '../../test/e2e/clients/jssip.js';
import {
  BridgeChild, Tally, errLabel, freePort, machineLine, pct, registeredSince, runtimeWorkerd, say, settle, sleep, startWsUser, table,
  type WsUser,
} from './kit.js';

const argv = process.argv.slice(2);
const arg = (name: string, full: number, quick: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : argv.includes('--quick') ? quick : full;
};
const SIZE = { devices: arg('devices', 200, 6), ws: arg('ws', 20, 3), calls: arg('calls', 10, 2) };
const ONLY = (argv[argv.indexOf('--only') + 1] ?? '').split(',').filter((x) => argv.includes('--only') && x);
const runs = (s: string) => ONLY.length === 0 || ONLY.includes(s);
const password = (u: string) => `${u}-secret`;
const aor = (u: string) => `sip:${u}@${DOMAIN}`;

let svc: RestartableService;
let bridge: BridgeChild;
let bridgePort: number;
let metricsPort: number;
let devices: UdpUa[] = [];
let users: WsUser[] = [];

// ---------------------------------------------------------------------------------------------------------
// Probes
// ---------------------------------------------------------------------------------------------------------

/** A platform MESSAGE to `user`; the label is the device's final status (200 = it answered), or the HTTP error. */
async function platformMessage(user: string, body: string): Promise<string> {
  const res = await svc.admin('/messages', { method: 'POST', body: JSON.stringify({ to: user, body }), signal: AbortSignal.timeout(15_000) });
  if (res.status !== 200) return `http ${res.status}`;
  return String(((await res.json()) as { status: number }).status);
}

/** Platform MESSAGEs to each user, 8 at a time. */
async function reachByApi(names: readonly string[], tag: string): Promise<Tally> {
  const t = new Tally();
  for (const r of await settle(names, 8, (u) => platformMessage(u, `${tag} ${u}`))) t.add(r instanceof Error ? errLabel(r) : r);
  return t;
}

/** MESSAGEs from JsSIP users (round robin) to each target, 4 at a time. */
async function reachByJsSip(targets: readonly string[], tag: string): Promise<Tally> {
  const t = new Tally();
  const res = await settle(targets, 4, (u, i) => users[i % users.length]!.ua.sendMessage(aor(u), `${tag} ${u}`).then((r) => String(r.status ?? r.reason)));
  for (const r of res) t.add(r instanceof Error ? errLabel(r) : r);
  return t;
}

/** The next REGISTER of every device (REGISTER → 401 → REGISTER with digest), 16 at a time. */
async function registerAll(list: readonly UdpUa[]): Promise<Tally> {
  const t = new Tally();
  for (const r of await settle(list, 16, (d) => d.register(600).then((x) => String(x.response.status)))) t.add(r instanceof Error ? errLabel(r) : r);
  return t;
}

/** Load in the background until stopped; outcomes are tallied by the phase they started in. */
class Load {
  private stopped = false;
  private loops: Promise<void>[] = [];
  phase = 'before';
  readonly by = new Map<string, { options: Tally; api: Tally; jssip: Tally }>();

  constructor(private readonly o: { pings: boolean }) {}

  private tally(kind: 'options' | 'api' | 'jssip', label: string, phase: string): void {
    if (!this.by.has(phase)) this.by.set(phase, { options: new Tally(), api: new Tally(), jssip: new Tally() });
    this.by.get(phase)![kind].add(label);
  }

  start(): void {
    const loop = async (kind: 'options' | 'api' | 'jssip', every: number, op: () => Promise<string>) => {
      while (!this.stopped) {
        const phase = this.phase;
        const t = Date.now();
        this.tally(kind, await op().catch(errLabel), phase);
        await sleep(Math.max(0, every - (Date.now() - t)));
      }
    };
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)]!;
    if (this.o.pings) {
      // Every device pings every 2 s, staggered: one loop per device would be thousands of timers; 20 loops.
      const loops = 20;
      for (let k = 0; k < loops; k++) {
        const mine = devices.filter((_, i) => i % loops === k);
        if (mine.length) this.loops.push(loop('options', 2000 / mine.length, (() => {
          let j = 0;
          return () => mine[j++ % mine.length]!.options().then((d) => String(d.status), (e) => errLabel(e));
        })()));
      }
    }
    for (let k = 0; k < 2; k++) this.loops.push(loop('api', 100, () => platformMessage(pick(Math.random() < 0.8 ? devices.map((d) => d.user) : users.map((u) => u.user)), 'load')));
    this.loops.push(loop('jssip', 200, () => pick(users).ua.sendMessage(aor(pick(devices).user), 'load').then((r) => String(r.status ?? r.reason))));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  summary(): string {
    return [...this.by.entries()].map(([phase, t]) => `${phase}: OPTIONS ${t.options}; API MESSAGE ${t.api}; JsSIP MESSAGE ${t.jssip}`).join(' / ');
  }
}

/** Poll `fn` every 200 ms until it holds or `ms` pass; resolves with the time it held (ms since t0), or null. */
async function until(t0: number, ms: number, fn: () => Promise<boolean> | boolean): Promise<number | null> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return Date.now() - t0;
    await sleep(200);
  }
  return null;
}

const secs = (ms: number | null) => (ms === null ? 'not within the bound' : `${(ms / 1000).toFixed(1)} s`);

async function healthy(): Promise<boolean> {
  try {
    const r = await fetch(`${svc.http}/healthz`, { signal: AbortSignal.timeout(2000) });
    return r.status === 200;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------------------

interface FaultRow {
  fault: string;
  cells: Record<string, string>;
  load: string;
}
const rows: FaultRow[] = [];

/** kill / reload: the Worker dies (or reloads) under load. */
async function workerFault(kind: 'kill' | 'reload'): Promise<void> {
  const N = devices.length;
  say(`${kind}: baseline`);
  const base = await reachByApi(devices.map((d) => d.user), 'baseline');
  const m0 = await bridge.metrics();
  const load = new Load({ pings: true });
  load.start();
  await sleep(5_000);
  const t0 = Date.now();
  load.phase = 'outage';
  if (kind === 'kill') {
    const rt = runtimeWorkerd(svc.http);
    say(`kill: SIGKILL workerd ${rt.pid} (ports ${rt.ports.join(',')})`);
    process.kill(rt.pid, 'SIGKILL');
  } else {
    say('reload: restart()');
    await svc.restart();
  }
  const up = await until(t0, 60_000, healthy);
  const reconnects0 = m0.get('sip_bridge_reconnects_total') ?? 0;
  const bridged = await until(t0, 60_000, async () => {
    const m = await bridge.metrics();
    return (m.get('sip_bridge_reconnects_total') ?? 0) >= reconnects0 + N && m.get('sip_bridge_flows_connected') === N;
  });
  const mb = await bridge.metrics();
  const wsBack = await until(t0, 90_000, () => users.every((u) => registeredSince(u, t0)));
  load.phase = 'after';
  await sleep(12_000); // longer than a request's own timeout (10 s), so every loop shows the recovery
  await load.stop();
  say(`${kind}: healthz ${secs(up)}, bridge ${secs(bridged)}, JsSIP ${secs(wsBack)}; load ${load.summary()}`);
  const beforeReg = await reachByApi(devices.map((d) => d.user), 'before-register');
  const wsReach = await reachByApi(users.map((u) => u.user), 'ws');
  const reg = await registerAll(devices);
  const afterReg = await reachByApi(devices.map((d) => d.user), 'after-register');
  const byJsSip = await reachByJsSip(devices.map((d) => d.user), 'from-jssip');
  const wsRe = users.filter((u) => registeredSince(u, t0)).length;
  rows.push({
    fault: kind === 'kill' ? 'workerd SIGKILL under load (wrangler restarts it: same port, same storage)' : 'Worker `restart()` under load (reload in place, as a redeploy)',
    load: load.summary(),
    cells: {
      'reachable before': pct(base.count(200), N),
      'back (healthz)': secs(up),
      'bridge flows reconnected': `${mb.get('sip_bridge_flows_connected') ?? '?'}/${N}, +${(mb.get('sip_bridge_reconnects_total') ?? 0) - reconnects0} reconnects, ${secs(bridged)}`,
      'devices reachable before their next REGISTER': `${pct(beforeReg.count(200), N)}; ${beforeReg}`,
      'next REGISTER': reg.toString(),
      'devices reachable after it (API / JsSIP MESSAGE)': `${pct(afterReg.count(200), N)} / ${pct(byJsSip.count(200), N)}`,
      'JsSIP users re-registered by themselves': `${pct(wsRe, users.length)}, all by ${secs(wsBack)}`,
      'JsSIP users reachable': pct(wsReach.count(200), users.length),
    },
  });
}

/** bridge: the bridge dies and comes back on the same port. */
async function bridgeFault(): Promise<void> {
  const N = devices.length;
  say('bridge: baseline');
  const base = await reachByApi(devices.map((d) => d.user), 'baseline');
  const load = new Load({ pings: false });
  load.start();
  await sleep(5_000);
  const t0 = Date.now();
  load.phase = 'outage';
  await bridge.kill();
  say('bridge: killed; restarting on the same port');
  const during = await reachByApi(devices.slice(0, Math.min(N, 20)).map((d) => d.user), 'bridge-down');
  bridge = await BridgeChild.start({ upstream: svc.ws, token: BRIDGE_TOKEN, port: bridgePort, metricsPort });
  const restarted = Date.now() - t0;
  load.phase = 'after';
  await sleep(12_000);
  await load.stop();
  const beforeReg = await reachByApi(devices.map((d) => d.user), 'before-register');
  const reg = await registerAll(devices);
  const bridged = await until(t0, 30_000, async () => (await bridge.metrics()).get('sip_bridge_flows_connected') === N);
  const afterReg = await reachByApi(devices.map((d) => d.user), 'after-register');
  const byJsSip = await reachByJsSip(devices.map((d) => d.user), 'from-jssip');
  const wsReach = await reachByApi(users.map((u) => u.user), 'ws');
  rows.push({
    fault: 'udp-bridge SIGKILL under load, restarted on the same UDP port',
    load: load.summary(),
    cells: {
      'reachable before': pct(base.count(200), N),
      'back (healthz)': `bridge listening again ${secs(restarted)} after the kill`,
      'bridge flows reconnected': `${(await bridge.metrics()).get('sip_bridge_flows_connected') ?? '?'}/${N} after the devices' REGISTERs (${secs(bridged)}); while down: ${during}`,
      'devices reachable before their next REGISTER': `${pct(beforeReg.count(200), N)}; ${beforeReg}`,
      'next REGISTER': reg.toString(),
      'devices reachable after it (API / JsSIP MESSAGE)': `${pct(afterReg.count(200), N)} / ${pct(byJsSip.count(200), N)}`,
      'JsSIP users re-registered by themselves': 'not affected',
      'JsSIP users reachable': pct(wsReach.count(200), users.length),
    },
  });
}

interface CallRow {
  fault: string;
  cells: Record<string, string>;
}
const callRows: CallRow[] = [];

/** calls: calls up, then the Worker reloads or is killed. */
async function callsFault(kind: 'reload' | 'kill'): Promise<void> {
  const K = Math.max(1, Math.floor(SIZE.calls / 2));
  say(`calls/${kind}: ${K} JsSIP↔JsSIP and ${K} JsSIP→SIPp calls`);
  const tag = `${kind[0]}${Date.now() % 100000}`;
  const names = Array.from({ length: K }, (_, i) => [`ca-${tag}-${i}`, `cb-${tag}-${i}`, `cs-${tag}-${i}`, `cx-${tag}-${i}`]);
  for (const n of names.flat()) await svc.createUser(n, password(n));
  const callers: WsUser[] = [];
  const callees: WsUser[] = [];
  const sippCallers: WsUser[] = [];
  for (const [a, b, , x] of names) {
    callers.push(await startWsUser(svc.ws, a!, password(a!), DOMAIN));
    callees.push(await startWsUser(svc.ws, b!, password(b!), DOMAIN));
    sippCallers.push(await startWsUser(svc.ws, x!, password(x!), DOMAIN));
  }
  // SIPp callees: register through the bridge, then answer one call on the same port (the same flow).
  const sippPorts: number[] = [];
  const uas: SippRun[] = [];
  for (const [, , s] of names) {
    const port = await freePort();
    sippPorts.push(port);
    const reg = await startSipp({ scenario: 'register-digest-expect-200.xml', remotePort: bridgePort, localPort: port, user: s!, password: password(s!) }).result;
    if (reg.code !== 0) throw new Error(`SIPp ${s} did not register:\n${reg.report}`);
    uas.push(startSipp({ scenario: '../../bench/reliability/uas-call-survives-restart.xml', remotePort: bridgePort, localPort: port, user: s!, password: password(s!), calls: 1, timeoutMs: 240_000 }));
    await waitUntilBound(port);
  }
  // Calls up.
  const wsCalls: { out: OutgoingCall; inc: IncomingCall; caller: WsUser }[] = [];
  for (let i = 0; i < K; i++) {
    const out = callers[i]!.ua.call(aor(callees[i]!.user));
    const inc = await callees[i]!.ua.incoming.next(15_000);
    inc.answer();
    await out.accepted.wait(15_000);
    await inc.confirmed.wait(15_000);
    wsCalls.push({ out, inc, caller: callers[i]! });
  }
  const sipCalls: OutgoingCall[] = [];
  for (let i = 0; i < K; i++) {
    const out = sippCallers[i]!.ua.call(aor(names[i]![2]!));
    await out.accepted.wait(15_000);
    sipCalls.push(out);
  }
  say(`calls/${kind}: ${wsCalls.length + sipCalls.length} calls up`);
  const all = [...callers, ...callees, ...sippCallers];
  const m0 = await bridge.metrics();
  const t0 = Date.now();
  if (kind === 'kill') process.kill(runtimeWorkerd(svc.http).pid, 'SIGKILL');
  else await svc.restart();
  const up = await until(t0, 60_000, healthy);
  const wsBack = await until(t0, 90_000, () => all.every((u) => registeredSince(u, t0)));
  const bridged = await until(t0, 30_000, async () => {
    const m = await bridge.metrics();
    return (m.get('sip_bridge_reconnects_total') ?? 0) > (m0.get('sip_bridge_reconnects_total') ?? 0) && m.get('sip_bridge_flows_connected') === m.get('sip_bridge_flows');
  });
  say(`calls/${kind}: healthz ${secs(up)}, JsSIP ${secs(wsBack)}, bridge ${secs(bridged)}`);
  // JsSIP → SIPp (bridged): a BYE from the caller must reach SIPp through the reconnected bridge flow.
  const sp = { up: 0, bye: new Tally(), sippDone: 0 };
  for (const [i, c] of sipCalls.entries()) {
    if (!c.ended.fired && !c.failed.fired) sp.up++;
    const w = sippCallers[i]!.ua.wire;
    c.bye();
    sp.bye.add(await w.waitFor((m) => m.dir === 'in' && m.cseqMethod === 'BYE' && m.callId === c.callId && (m.status ?? 0) >= 200, 'the final response to BYE', 10_000)
      .then((m) => String(m.status), errLabel));
  }
  for (const r of await Promise.all(uas.map((u) => Promise.race([u.result, sleep(15_000).then(() => null)])))) {
    if (r?.code === 0) sp.sippDone++;
    else if (process.env.FAULTS_DEBUG) say(`SIPp callee: ${r === null ? 'still running' : r.report.slice(-3000)}`);
  }
  if (process.env.FAULTS_DEBUG) for (const c of sippCallers) say(`caller ${c.user} wire:\n${c.ua.wire.dump().slice(-4000)}`);
  for (const u of uas) u.kill();
  // JsSIP ↔ JsSIP: still up at both ends? an INFO from the caller, then a BYE from the caller.
  const ws = { upBoth: 0, info: new Tally(), bye: new Tally(), calleeEnded: 0 };
  for (const c of wsCalls) {
    if (!c.out.ended.fired && !c.out.failed.fired && !c.inc.ended.fired) ws.upBoth++;
    ws.info.add(await c.out.sendInfo('application/x-fault', 'after restart').then(String, errLabel));
    c.out.bye();
    const byeRes = await c.caller.ua.wire.waitFor((m) => m.dir === 'in' && m.cseqMethod === 'BYE' && m.callId === c.out.callId && (m.status ?? 0) >= 200, 'the final response to BYE', 10_000)
      .then((m) => String(m.status), errLabel);
    ws.bye.add(byeRes);
    if (await c.inc.ended.wait(5_000).then(() => true, () => false)) ws.calleeEnded++;
  }
  // New calls after the fault, between the same users.
  const fresh = new Tally();
  for (let i = 0; i < K; i++) {
    const out = callers[i]!.ua.call(aor(callees[i]!.user));
    const ok = await callees[i]!.ua.incoming.next(15_000).then(async (inc) => {
      inc.answer();
      await out.accepted.wait(15_000);
      out.bye();
      await inc.ended.wait(10_000);
      return 'established and hung up';
    }, errLabel);
    fresh.add(ok);
  }
  callRows.push({
    fault: kind === 'kill' ? 'workerd SIGKILL with calls up' : 'Worker `restart()` with calls up',
    cells: {
      'calls up': `${wsCalls.length} JsSIP↔JsSIP, ${sipCalls.length} JsSIP→SIPp (bridged)`,
      'back (healthz), JsSIP re-registered, bridge reconnected': `${secs(up)}, ${pct(all.filter((u) => registeredSince(u, t0)).length, all.length)} by ${secs(wsBack)}, ${secs(bridged)}`,
      'JsSIP↔JsSIP: dialog kept at both UAs': pct(ws.upBoth, wsCalls.length),
      'JsSIP↔JsSIP: INFO from the caller': ws.info.toString(),
      'JsSIP↔JsSIP: BYE from the caller (response; callee ended)': `${ws.bye}; ${pct(ws.calleeEnded, wsCalls.length)}`,
      'JsSIP→SIPp: dialog kept at JsSIP': pct(sp.up, sipCalls.length),
      'JsSIP→SIPp: BYE from the caller (response; SIPp saw its BYE)': `${sp.bye}; ${pct(sp.sippDone, sipCalls.length)}`,
      'new JsSIP↔JsSIP calls after': fresh.toString(),
    },
  });
  for (const u of all) await u.ua.stop().catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = Date.now();
  say(`sizes: ${JSON.stringify(SIZE)}`);
  svc = await startService();
  bridgePort = await freePort();
  metricsPort = await freePort();
  try {
    bridge = await BridgeChild.start({ upstream: svc.ws, token: BRIDGE_TOKEN, port: bridgePort, metricsPort });
    const dn = Array.from({ length: SIZE.devices }, (_, i) => `d${i}`);
    const wn = Array.from({ length: SIZE.ws }, (_, i) => `w${i}`);
    await settle([...dn, ...wn], 8, (u) => svc.createUser(u, password(u)));
    devices = await Promise.all(dn.map((u) => UdpUa.open(u, password(u), bridgePort)));
    const reg = await registerAll(devices);
    say(`devices registered: ${reg}`);
    for (const u of wn) users.push(await startWsUser(svc.ws, u, password(u), DOMAIN));
    say(`JsSIP users registered: ${users.length}`);
    if (runs('kill')) await workerFault('kill');
    if (runs('reload')) await workerFault('reload');
    if (runs('bridge')) await bridgeFault();
    if (runs('calls')) {
      await callsFault('reload');
      await callsFault('kill');
    }
  } finally {
    await killAllSipp();
    for (const u of users) await u.ua.stop().catch(() => undefined);
    for (const d of devices) await d.close().catch(() => undefined);
    await bridge?.stop().catch(() => undefined);
    await svc.close().catch(() => undefined);
  }
  const cmd = `npx tsx bench/reliability/faults.ts${argv.length ? ` ${argv.join(' ')}` : ''}`;
  const heads = rows[0] ? Object.keys(rows[0].cells) : [];
  const out = [
    `Command: \`${cmd}\` (${SIZE.devices} bridged node-dgram devices, ${SIZE.ws} JsSIP users, ${machineLine()}, ${((Date.now() - t0) / 1000).toFixed(0)} s)`,
    '',
    rows.length ? table(['fault', ...heads], rows.map((r) => [r.fault, ...heads.map((h) => r.cells[h] ?? '')])) : '',
    '',
    ...rows.map((r) => `- load during "${r.fault}": ${r.load}`),
    '',
    callRows.length ? table(['fault', ...Object.keys(callRows[0]!.cells)], callRows.map((r) => [r.fault, ...Object.values(r.cells)])) : '',
  ].join('\n');
  console.log(`\n${out}\n`);
}

await main();
process.exit(0);
