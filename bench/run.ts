/**
 * `npm run bench` — runs the four benchmarks of issue #6 and the ledger of issue #10 and writes the tables into
 * docs/benchmarks.md (between the `bench:begin` / `bench:end` markers; the hand-written text around them is kept).
 *
 *   npm run bench               full sizes (about 10 minutes on 2 cores), writes docs/benchmarks.md
 *   npm run bench -- --quick    tiny sizes, prints only (add --write to write the file anyway)
 *   npm run bench -- --only parser,ws,udp,memory,ledger
 *   npm run bench -- --only ledger --ledger-before <rev|none> --ledger-after <rev>   (bench/ledger.ts)
 *
 * Installs Debian's kamailio, kamailio-websocket-modules and sip-tester when missing (skips those parts if it
 * cannot). Every target listens on 127.0.0.1 only.
 * @module
 */
import { execSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { PARSER_FULL, PARSER_QUICK, parserMarkdown, runParser } from './parser.js';
import { ensureInstalled, startKamailio, type Kamailio } from './kamailio.js';
import { runMemory, type MemoryResult } from './memory.js';
import { LEDGER_FULL, LEDGER_QUICK, ledgerArgs, runLedger } from './ledger.js';
import { LEDGER_TITLE, ledgerMarkdown } from './ledger-report.js';
import { fmt, fmtSummary, markdownTable, summarize } from './stats.js';
import { findMaxRate, startBenchBridge, type UdpResult } from './udp-register.js';
import { alternate, p50Ratio, trioErrors, trioMarkdown, type Trio } from './trio.js';
import { agentPorts, runUdpLoadProcess } from './udp-load.js';
import { BENCH_BRIDGE_TOKEN, startFloor, startWorker, type FloorWorker, type LocalWorker } from './worker.js';
import { runWsRegister, type WsRegisterResult } from './ws-register.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.find((a, i) => argv[i - 1] === '--only')?.split(',') ?? ['parser', 'ws', 'udp', 'memory', 'ledger'];
const DOC = new URL('../docs/benchmarks.md', import.meta.url);

/** Sizes per mode. Users: b0…b999 for the load tests, then disjoint ranges for each memory size. */
const SIZES = quick
  ? { ws: [1, 2], wsReps: 1, wsMs: 1000, udpReps: 1, memory: [3], memoryIdleMs: 500, users: 10, udpAgents: 2, udpMs: 1000,
      udp: { startRate: 5, maxRate: 10, factor: 2, stepSeconds: 1, bisections: 0, sockets: 2 } }
  : { ws: [1, 100, 1000], wsReps: 3, wsMs: 4000, udpReps: 3, memory: [1000, 10_000], memoryIdleMs: 5000, users: 1000,
      udpAgents: 100, udpMs: 4000,
      udp: { startRate: 100, maxRate: 12000, factor: 1.6, stepSeconds: 2, bisections: 2, sockets: 4 } };
const memoryFirstUser = (k: number) => SIZES.users + SIZES.memory.slice(0, k).reduce((a, b) => a + b, 0);

const sh = (cmd: string): string => {
  try {
    return execSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
  } catch {
    return 'n/a';
  }
};

function machine(): string {
  const command = process.env.npm_lifecycle_event === 'bench'
    ? `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}` : `npx tsx bench/run.ts ${argv.join(' ')}`.trim();
  return [
    `- command: \`${command}\``,
    `- date: ${new Date().toISOString()}`,
    `- cores (\`nproc\`): ${sh('nproc')} (${availableParallelism()} available to Node; ${cpus()[0]?.model ?? '?'})`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB; \`free -h\`:`,
    '',
    '```',
    sh('free -h'),
    '```',
    '',
    `- node ${process.version}, workerd ${sh('node -p "require(\'workerd/package.json\').version"')}, ` +
      `wrangler ${sh('node -p "require(\'wrangler/package.json\').version"')}`,
    `- ${sh('kamailio -v | head -1')}; ${sh('sipp -v | grep -o "SIPp v[^ ]*"')}`,
    `- wrangler's local trace collector (\`X_LOCAL_OBSERVABILITY\`): ${process.env.X_LOCAL_OBSERVABILITY === 'true' ? 'on' : 'off'}`,
    '- shared machine: other engineers ran tests on the same 2 cores during the run, so expect noise.',
  ].join('\n');
}

function udpMarkdown(ours: UdpResult[], kam: UdpResult[]): string {
  const best = (rs: UdpResult[]) => (rs.length ? summarize(rs.map((r) => r.bestRate)) : null);
  const o = best(ours);
  const k = best(kam);
  const cap = (rs: UdpResult[]) => (rs.some((r) => r.capped) ? ' — lower bound: no step failed up to the ladder cap' : '');
  const steps = (rs: UdpResult[]) => rs.map((r) => r.steps.map((x) => `${x.rate}${x.clean ? '✓' : `✗(${x.failed}f/${x.retransmissions}r)`}`).join(' ')).join('; ');
  return [
    markdownTable(['path', 'highest clean REG/s, median (min–max)', 'mean response at that rate, ms'], [
      ['SIPp → udp-bridge → Worker', o ? fmtSummary(o) + cap(ours) : 'n/a', respAt(ours)],
      ['SIPp → Kamailio UDP', k ? fmtSummary(k) + cap(kam) : 'n/a', respAt(kam)],
    ]),
    '',
    `- ours ÷ Kamailio: **${o && k ? (o.median / k.median).toFixed(2) : 'n/a'}×**`,
    `- steps (rate ✓ clean / ✗ failed calls f, retransmissions r), ours: ${steps(ours) || 'n/a'}`,
    `- steps, Kamailio: ${steps(kam) || 'n/a'}`,
  ].join('\n');
}

function respAt(rs: UdpResult[]): string {
  const v = rs.map((r) => r.steps.find((x) => x.rate === r.bestRate)?.responseMs ?? NaN).filter(Number.isFinite);
  return v.length ? fmtSummary(summarize(v)) : 'n/a';
}

function memoryMarkdown(rows: { n: number; ours: MemoryResult | null; kam: MemoryResult | null }[]): string {
  const kb = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? 'n/a' : fmt(x));
  return markdownTable(
    ['devices', 'ours RSS KiB/device', 'ours PSS KiB/device', 'Kamailio RSS KiB/device', 'Kamailio PSS KiB/device', 'ours ÷ Kamailio (PSS)', 'registered (ours/K)'],
    rows.map(({ n, ours, kam }) => [String(n), kb(ours?.rssKbPerDevice), kb(ours?.pssKbPerDevice), kb(kam?.rssKbPerDevice),
      kb(kam?.pssKbPerDevice), ours && kam && Number.isFinite(ours.pssKbPerDevice / kam.pssKbPerDevice)
        ? `**${(ours.pssKbPerDevice / kam.pssKbPerDevice).toFixed(1)}×**` : 'n/a',
      `${ours?.registered ?? 'n/a'}/${kam?.registered ?? 'n/a'}`]),
  );
}

async function main(): Promise<void> {
  const sections: string[] = [`### Machine and command\n\n${machine()}`];
  const section = (title: string, body: string) => {
    sections.push(`### ${title}\n\n${body}`);
    console.log(`\n## ${title}\n\n${body}\n`);
  };
  if (only.includes('parser')) section('1. Parser', parserMarkdown(runParser(quick ? PARSER_QUICK : PARSER_FULL)));
  // The ledger starts its own Workers (ledger on, or the counting shim) and runs before the load tests' servers.
  if (only.includes('ledger')) {
    const r = await runLedger({ sizes: quick ? LEDGER_QUICK : LEDGER_FULL, ...ledgerArgs(argv, quick, 'ledger-'), log: (l) => console.log(l) });
    section(LEDGER_TITLE, ledgerMarkdown(r));
  }

  const needServers = only.some((x) => x !== 'parser' && x !== 'ledger');
  const haveKamailio = needServers && ensureInstalled('kamailio', ['kamailio', 'kamailio-websocket-modules']);
  const haveSipp = only.includes('udp') && ensureInstalled('sipp', ['sip-tester']);
  let worker: LocalWorker | null = null;
  let floor: FloorWorker | null = null;
  let kam: Kamailio | null = null;
  try {
    if (needServers) {
      worker = await startWorker();
      const total = memoryFirstUser(SIZES.memory.length);
      const t0 = performance.now();
      await worker.provision(0, only.includes('memory') ? total : SIZES.users, 32);
      console.log(`provisioned users in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      if (haveKamailio) kam = await startKamailio({ children: 2 });
      if (only.includes('ws') || only.includes('udp')) floor = await startFloor();
    }
    const log = (what: string) => (t: string, r: WsRegisterResult) =>
      console.log(`${what}: ${t} ${fmt(r.regsPerSec)}/s p50 ${fmt(r.p50Ms)} ms${r.failed ? `, ${r.failed} failed` : ''}`);
    if (worker && floor && only.includes('ws')) {
      const rows = [];
      for (const n of SIZES.ws) {
        const o = { connections: n, perConnection: 1e9, durationMs: SIZES.wsMs };
        const trio = await alternate(SIZES.wsReps, {
          ours: () => runWsRegister({ ...o, url: worker!.ws }),
          floor: () => runWsRegister({ ...o, url: floor!.ws }),
          ...(kam ? { kam: () => runWsRegister({ ...o, url: kam!.ws }) } : {}),
        }, log(`ws ${n}`));
        if (trioErrors(trio)) console.error(`ws ${n}: ${trioErrors(trio)}`);
        rows.push({ label: String(n), trio });
      }
      section('2. REGISTER with digest over WebSocket', [trioMarkdown('connections', rows), '',
        `- p50 latency of one registration, ours ÷ floor, at ${SIZES.ws[0]} connection: ${p50Ratio(rows[0]!.trio)}`,
        '- floor: bench/floor/worker.ts, the runtime floor (one hibernatable-WebSocket object per connection answering the same exchange with fixed responses: no SIP parsing, no digest check, no storage), started by the same harness',
        `- each repetition: connect all, register each connection once (not counted), then every connection loops REGISTER → 401 → REGISTER+Authorization → 200 for ${SIZES.wsMs} ms;` +
        ` ${SIZES.wsReps} repetitions, ours, floor and Kamailio alternating (each repetition starts with the next target); p50/p99 per repetition, median (min–max) across them; ratios of the medians`].join('\n'));
    }
    if (worker && floor && only.includes('udp')) {
      const ob = await startBenchBridge(worker.ws, BENCH_BRIDGE_TOKEN);
      const fb = await startBenchBridge(floor.ws, BENCH_BRIDGE_TOKEN);
      const ladder: Trio<UdpResult> = { ours: [], floor: [], kam: [] };
      let load: Trio<WsRegisterResult> = { ours: [], floor: [], kam: [] };
      try {
        // The SIPp ladder first, as before this table existed: it then runs on AORs that carry only its binding.
        for (let r = 0; haveSipp && r < SIZES.udpReps; r++) {
          ladder.ours.push(await findMaxRate({ ...SIZES.udp, users: SIZES.users, target: ob.target }));
          if (kam) ladder.kam.push(await findMaxRate({ ...SIZES.udp, users: SIZES.users, target: `127.0.0.1:${kam.udpPort}` }));
          console.log(`udp ladder: ours ${ladder.ours.at(-1)!.bestRate}/s, kamailio ${ladder.kam.at(-1)?.bestRate ?? 'n/a'}/s`);
        }
        // The same source ports for every run: each user agent keeps its address (and its bridge flow).
        const ports = await agentPorts(SIZES.udpAgents);
        const o = { ports, durationMs: SIZES.udpMs };
        load = await alternate(SIZES.udpReps, {
          ours: () => runUdpLoadProcess({ ...o, target: ob.target }),
          floor: () => runUdpLoadProcess({ ...o, target: fb.target }),
          ...(kam ? { kam: () => runUdpLoadProcess({ ...o, target: `127.0.0.1:${kam!.udpPort}` }) } : {}),
        }, log(`udp ${SIZES.udpAgents} agents`));
        if (trioErrors(load)) console.error(`udp: ${trioErrors(load)}`);
      } finally {
        await Promise.all([ob.bridge.close(), fb.bridge.close()]);
      }
      const u = SIZES.udp;
      section('3. REGISTER with digest over UDP', [
        `#### Closed loop, one socket per user agent (\`bench/udp-load.ts\`)`, '',
        trioMarkdown('user agents', [{ label: String(SIZES.udpAgents), trio: load }]), '',
        `- ${SIZES.udpAgents} user agents, each its own UDP socket with its own source port for the whole run (a device keeps its address; through the udp-bridge, one flow = one WebSocket each), users b0…b${SIZES.udpAgents - 1};` +
        ` ours and the floor through the udp-bridge (\`startBridge\` in this process, per-source rate limit lifted, one bridge each; the generator runs in a child process), Kamailio straight to its UDP port`,
        `- each repetition: register every agent once (not counted), then every agent loops REGISTER → 401 → REGISTER+Authorization (MD5, qop=auth) → 200, keeping its Call-ID and raising its CSeq, for ${SIZES.udpMs} ms;` +
        ` one transaction outstanding per agent, no retransmission (5 s timeout = failed); ${SIZES.udpReps} repetitions, the three targets alternating; ratios of the medians`,
        '', '#### Rate ladder (SIPp)', '',
        haveSipp ? udpMarkdown(ladder.ours, ladder.kam) : 'n/a: SIPp is not installed', '',
        `- ${u.sockets} SIPp processes with \`-t u1\` side by side (${u.sockets} source ports, kept for every step of a repetition = bridge flows = WebSockets), each with its share of the rate and of the users, users b0…b${SIZES.users - 1};` +
        ` one uncounted warm-up step that registers every user once (then \`sync\` and a 3 s pause), then a rate ladder from ${u.startRate}/s ×${u.factor} (≤ ${u.maxRate}), ${u.stepSeconds} s of calls per step, then ${u.bisections} bisection steps;` +
        ` a step is clean when every call succeeded with no retransmission; ${SIZES.udpReps} repetitions`].join('\n'));
    }
    // The floor's workerd would count as ours in the memory figures.
    await floor?.close();
    floor = null;
    if (worker && only.includes('memory')) {
      const rows = [];
      for (const [k, n] of SIZES.memory.entries()) {
        const o = { devices: n, firstUser: memoryFirstUser(k), concurrency: 100, idleMs: SIZES.memoryIdleMs };
        const ours = await runMemory({ ...o, url: worker.ws, processes: () => worker!.processes() });
        const km = kam ? await runMemory({ ...o, url: kam.ws, processes: () => kam!.processes() }) : null;
        console.log(`memory ${n}: ours ${JSON.stringify(ours)}, kamailio ${JSON.stringify(km)}`);
        rows.push({ n, ours, kam: km });
      }
      section('4. Memory per idle registered WebSocket device', [memoryMarkdown(rows), '',
        `- (memory after − before) ÷ registered devices, after ${SIZES.memoryIdleMs} ms idle; one run per size;` +
        ' ours: every workerd process; Kamailio: main process and children (RSS counts its shared memory once per process that touched it, PSS splits it)'].join('\n'));
    }
  } finally {
    await kam?.stop();
    await floor?.close().catch((e: Error) => console.error(`closing the floor: ${e.message}`));
    await worker?.close().catch((e: Error) => console.error(`closing the Worker: ${e.message}`));
  }
  if (!quick || argv.includes('--write')) writeDoc(sections.join('\n\n'));
}

/** Replace the generated part of docs/benchmarks.md, keeping the hand-written text around it. */
function writeDoc(generated: string): void {
  const begin = '<!-- bench:begin (generated by `npm run bench`; edits inside are overwritten) -->';
  const end = '<!-- bench:end -->';
  const old = existsSync(DOC) ? readFileSync(DOC, 'utf8') : `# Benchmarks\n\n${begin}\n${end}\n`;
  const i = old.indexOf(begin);
  const j = old.indexOf(end);
  // Sections not run this time (--only) keep their previous text; a numbered section replaces the one with
  // its number even when its title changed.
  const key = (title: string) => /^### \d+\./.exec(title)?.[0] ?? title;
  const split = (text: string) => new Map(text.split(/\n(?=### )/).filter((x) => x.startsWith('### '))
    .map((x) => [key(x.slice(0, x.indexOf('\n'))), x.trim()] as const));
  const merged = i >= 0 && j > i ? split(old.slice(i + begin.length, j)) : new Map<string, string>();
  for (const [title, text] of split(generated)) merged.set(title, text);
  generated = [...merged.entries()].sort(([a], [b]) => (a.startsWith('### Machine') ? -1 : b.startsWith('### Machine') ? 1 : a.localeCompare(b)))
    .map(([, t]) => t).join('\n\n');
  const next = i >= 0 && j > i
    ? `${old.slice(0, i + begin.length)}\n${generated}\n${old.slice(j)}`
    : `${old.trimEnd()}\n\n${begin}\n${generated}\n${end}\n`;
  writeFileSync(DOC, next);
  console.log(`wrote ${DOC.pathname}`);
}

await main();
process.exit(0);
