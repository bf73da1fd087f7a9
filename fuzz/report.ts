/**
 * The fuzzing run's result: the required outcomes, checked, and the table of answers per transport.
 * @module
 */
import { byLabel } from './metrics.js';
import type { Tally } from './tally.js';
import type { MemoryVerdict } from './watch.js';

/** Everything a run found out. */
export interface FuzzReport {
  command: string;
  seed: number;
  seconds: number;
  ws: { tally: Tally; worker: Map<string, number>; seconds: number };
  udp: { tally: Tally; worker: Map<string, number>; bridge: Map<string, number>; kernelDrops: number; seconds: number };
  workerd: { pids: number[]; gone: number[]; appeared: number[]; alarming: string[]; memory: MemoryVerdict };
  bridge: { pid: number; crashed: string | null; exit: string; levels: Record<string, number>; messages: [string, number][]; upstreamCloses: Record<string, number>; memory: MemoryVerdict };
  runtime: { levels: Record<string, number>; messages: [string, number][]; examples: [string, string][] };
  findingsDir: string | null;
  checks: { name: string; ok: boolean; detail: string }[];
  ok: boolean;
}

const n = (x: number) => x.toLocaleString('en-US');
const list = (r: Record<string, number>, top = 12) => {
  const e = Object.entries(r).filter(([, v]) => v !== 0).sort((a, b) => b[1] - a[1]);
  if (!e.length) return '0';
  const shown = e.slice(0, top).map(([k, v]) => `${k}: ${n(v)}`).join(', ');
  return e.length > top ? `${shown}, … (${e.length - top} more)` : shown;
};
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const pick = (r: Record<string, number>, f: (s: number) => boolean) => Object.fromEntries(Object.entries(r).filter(([s]) => f(Number(s))));

/** The required outcomes, each with its evidence. */
export function checks(r: Omit<FuzzReport, 'checks' | 'ok'>): FuzzReport['checks'] {
  const w = r.workerd;
  // workerd logs a frame over its 32 MiB message limit as an uncaught protocol error (and closes with 1009): not ours.
  const exceptions = r.runtime.messages.filter(([m]) => /request failed|uncaught|exception/i.test(m) && !/WebSocket protocol error/.test(m)).reduce((a, [, c]) => a + c, 0);
  const bridgeErrors = (r.udp.bridge.get('sip_bridge_drops_total{reason="internal_error"}') ?? 0) + (r.bridge.levels.error ?? 0) + (r.bridge.levels.stderr ?? 0);
  const live = (t: Tally) => `${t.liveness.ok}/${t.liveness.checked}${t.liveness.fresh ? ` (${t.liveness.fresh} through a fresh connection)` : ''}${t.liveness.failed.length ? `; unanswered: ${t.liveness.failed.slice(0, 5).join(', ')}` : ''}`;
  return [
    { name: 'workerd: same processes, no crash or restart', ok: w.gone.length === 0 && w.appeared.length === 0 && w.alarming.length === 0,
      detail: `pids ${w.pids.join(', ')} throughout; gone ${w.gone.length}, new ${w.appeared.length}; restart/crash lines in the output: ${w.alarming.length}` },
    { name: 'bridge: no crash, no internal error', ok: r.bridge.crashed === null && bridgeErrors === 0,
      detail: `${r.bridge.crashed ?? `pid ${r.bridge.pid} ran throughout; ${r.bridge.exit}`}; datagrams dropped as internal_error and error log lines: ${bridgeErrors}` },
    { name: 'every WebSocket connection answers OPTIONS afterwards', ok: r.ws.tally.liveness.checked > 0 && r.ws.tally.liveness.ok === r.ws.tally.liveness.checked, detail: live(r.ws.tally) },
    { name: 'every UDP source port gets its OPTIONS answered afterwards', ok: r.udp.tally.liveness.checked > 0 && r.udp.tally.liveness.ok === r.udp.tally.liveness.checked, detail: live(r.udp.tally) },
    { name: 'no fence (OPTIONS after each batch) went unanswered', ok: r.ws.tally.fenceTimeouts + r.udp.tally.fenceTimeouts === 0, detail: `WebSocket ${r.ws.tally.fenceTimeouts}/${n(r.ws.tally.fences)}, UDP ${r.udp.tally.fenceTimeouts}/${n(r.udp.tally.fences)}` },
    { name: 'the Worker\'s counters add up (connections opened = connections the fuzzer opened)', ok: opened(r.ws.worker, 'WS') === r.ws.tally.connections + r.ws.tally.liveness.fresh && opened(r.udp.worker, 'UDP') >= r.udp.tally.connections,
      detail: `WebSocket: /metrics ${opened(r.ws.worker, 'WS')}, fuzzer ${r.ws.tally.connections + r.ws.tally.liveness.fresh}; UDP: /metrics ${opened(r.udp.worker, 'UDP')} sockets for ${r.udp.tally.connections} source ports` },
    { name: 'workerd memory bounded', ok: w.memory.bounded, detail: mem(w.memory) },
    { name: 'bridge memory bounded', ok: r.bridge.memory.bounded, detail: mem(r.bridge.memory) },
    { name: 'no handler exception in the Worker (logged "request failed", uncaught)', ok: exceptions === 0,
      detail: `${exceptions} (runtime protocol errors for frames over 32 MiB, closed 1009: ${r.runtime.messages.filter(([m]) => /WebSocket protocol error/.test(m)).reduce((a, [, c]) => a + c, 0)})` },
  ];
}

const opened = (m: Map<string, number>, t: string) => m.get(`sip_connections_opened_total{transport="${t}"}`) ?? 0;
const mem = (m: MemoryVerdict) => `RSS before ${m.beforeMb} MiB, during ${m.duringMb.join(' / ')} MiB (at ¼, ½, ¾ of the fuzzing time), peak ${m.peakMb} MiB, end ${m.endMb} MiB; second half of a phase over its first: ${m.growthMb} MiB`;

/** The answers table (markdown), one column per transport. */
export function answersTable(r: Omit<FuzzReport, 'checks' | 'ok'>): string {
  const { ws, udp } = r;
  const wsW = r.ws.worker;
  const udpW = r.udp.worker;
  const rows: [string, string, string][] = [];
  const row = (label: string, a: string, b: string) => rows.push([label, a, b]);
  const rate = (t: Tally, s: number) => (s > 0 ? n(Math.round(t.sent / s)) : '–');
  row('mutated messages sent', n(ws.tally.sent), n(udp.tally.sent));
  row('… bytes', n(ws.tally.bytes), n(udp.tally.bytes));
  row('… fuzzing time, s (messages/s)', `${ws.seconds.toFixed(0)} (${rate(ws.tally, ws.seconds)})`, `${udp.seconds.toFixed(0)} (${rate(udp.tally, udp.seconds)})`);
  row('… framing', list(ws.tally.framing), 'datagrams');
  const cl = [ws.tally.classes(), udp.tally.classes()];
  row('final 2xx', n(cl[0]!['2xx']!), n(cl[1]!['2xx']!));
  row('401 / 407', list(pick(ws.tally.finals, (s) => s === 401 || s === 407)), list(pick(udp.tally.finals, (s) => s === 401 || s === 407)));
  row('other 4xx, by status', list(pick(ws.tally.finals, (s) => s >= 400 && s < 500 && s !== 401 && s !== 407)), list(pick(udp.tally.finals, (s) => s >= 400 && s < 500 && s !== 401 && s !== 407)));
  row('5xx, by status', list(pick(ws.tally.finals, (s) => s >= 500 && s < 600)), list(pick(udp.tally.finals, (s) => s >= 500 && s < 600)));
  row('… 5xx reasons', list(ws.tally.serverErrors, 6), list(udp.tally.serverErrors, 6));
  row('3xx / 6xx', `${n(cl[0]!['3xx']!)} / ${n(cl[0]!['6xx']!)}`, `${n(cl[1]!['3xx']!)} / ${n(cl[1]!['6xx']!)}`);
  row('CRLF pong (the mutation left only CR/LF)', n(ws.tally.pongs), n(udp.tally.pongs));
  row('nothing (no final answer)', n(ws.tally.unanswered()), n(udp.tally.unanswered()));
  row('… Worker `sip_frames_dropped_total`', n(wsW.get('sip_frames_dropped_total') ?? 0), n(udpW.get('sip_frames_dropped_total') ?? 0));
  row('… Worker responses received (mutated responses: relayed or dropped)', n(wsW.get('sip_responses_received_total') ?? 0), n(udpW.get('sip_responses_received_total') ?? 0));
  row('… bridge drops, by reason', '–', list(byLabel(udp.bridge, 'sip_bridge_drops_total')));
  row('… bridge: retransmissions absorbed', '–', n(udp.bridge.get('sip_bridge_retransmissions_absorbed_total') ?? 0));
  row('… lost in the kernel before the bridge read them (its socket\'s drops)', '–', n(udp.kernelDrops));
  row('1xx seen (INVITE)', list(ws.tally.provisional), list(udp.tally.provisional));
  row('Worker requests received, by method (valid ones too)', list(byLabel(wsW, 'sip_requests_received_total'), 8), list(byLabel(udpW, 'sip_requests_received_total'), 8));
  row('Worker: rate limited / auth failures / banned', `${n(wsW.get('sip_rate_limited_total') ?? 0)} / ${n(wsW.get('sip_auth_failures_total') ?? 0)} / ${n(wsW.get('sip_connections_banned_total') ?? 0)}`,
    `${n(udpW.get('sip_rate_limited_total') ?? 0)} / ${n(udpW.get('sip_auth_failures_total') ?? 0)} / ${n(udpW.get('sip_connections_banned_total') ?? 0)}`);
  row('connections (opened / closed by the server, by code)', `${n(ws.tally.connections)} / ${list(ws.tally.closes)}`,
    `${n(udp.tally.connections)} source ports / bridge upstream closes: ${list(r.bridge.upstreamCloses)}`);
  row('requests routed to the fuzzing flows (answered)', n(ws.tally.incoming), n(udp.tally.incoming));
  row('fences answered / sent', `${n(ws.tally.fences - ws.tally.fenceTimeouts)} / ${n(ws.tally.fences)}`, `${n(udp.tally.fences - udp.tally.fenceTimeouts)} / ${n(udp.tally.fences)}`);
  row('valid exchanges', list(ws.tally.valid), list(udp.tally.valid));
  row('liveness afterwards (answered / checked)', `${ws.tally.liveness.ok} / ${ws.tally.liveness.checked} (${ws.tally.liveness.fresh} fresh)`, `${udp.tally.liveness.ok} / ${udp.tally.liveness.checked}`);
  const m = (v: MemoryVerdict) => `${v.beforeMb} / ${v.duringMb.join(', ')} / ${v.peakMb} / ${v.endMb}`;
  row('RSS, MiB: workerd before / during (¼, ½, ¾) / peak / end', m(r.workerd.memory), '(one workerd for both)');
  row('RSS, MiB: bridge before / during (¼, ½, ¾ of UDP) / peak / end', '–', m(r.bridge.memory));
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return ['| | WebSocket | UDP through the bridge |', '| --- | --- | --- |', ...rows.map(([a, b, c]) => `| ${esc(a)} | ${esc(b)} | ${esc(c)} |`)].join('\n');
}

/** Messages mutated from the flows' own live seeds, by seed, over both transports. */
function live(r: FuzzReport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of [r.ws.tally, r.udp.tally]) for (const [k, v] of Object.entries(t.seeds)) if (k.startsWith('live-')) out[k.slice(5)] = (out[k.slice(5)] ?? 0) + v;
  return out;
}

/** The whole report as text: checks, the table, operators, logs, findings. */
export function renderReport(r: FuzzReport): string {
  const t = [r.ws.tally, r.udp.tally];
  const ops: Record<string, number> = {};
  for (const x of t) for (const [k, v] of Object.entries(x.ops)) ops[k] = (ops[k] ?? 0) + v;
  const findings = t.flatMap((x) => Object.entries(x.findingCounts).map(([k, v]) => `${x === r.ws.tally ? 'WebSocket' : 'UDP'} ${k}: ${v}`));
  return [
    `## Fuzz run: ${r.command}`,
    '',
    ...r.checks.map((c) => `- ${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`),
    '',
    answersTable(r),
    '',
    `- operators applied: ${list(ops, 30)}`,
    `- seeds used: ${sum(r.ws.tally.seeds) + sum(r.udp.tally.seeds)} messages from ${new Set([...Object.keys(r.ws.tally.seeds), ...Object.keys(r.udp.tally.seeds)]).size} seeds; live seeds: ${list(live(r), 20)}`,
    `- workerd runtime log: ${list(r.runtime.levels)}; warnings and errors: ${r.runtime.messages.length ? '' : 'none'}`,
    ...r.runtime.messages.filter(([m]) => m.startsWith('error')).map(([m, c]) => `  - ${c} × ${m}\n    example: ${r.runtime.examples.find(([k]) => k === m)?.[1] ?? ''}`),
    ...r.runtime.messages.filter(([m]) => !m.startsWith('error')).slice(0, 15).map(([m, c]) => `  - ${c} × ${m}`),
    `- bridge log: ${list(r.bridge.levels)}${r.bridge.messages.length ? '' : ''}`,
    ...r.bridge.messages.slice(0, 10).map(([m, c]) => `  - ${c} × ${m}`),
    `- findings: ${findings.length ? findings.join('; ') : 'none'}${r.findingsDir ? ` (messages in ${r.findingsDir})` : ''}`,
    '',
    r.ok ? 'RESULT: PASS' : 'RESULT: FAIL',
  ].join('\n');
}
