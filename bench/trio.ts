/**
 * Ours, the runtime floor (bench/floor/) and Kamailio side by side (issue #10): repetitions that alternate
 * the targets, and the tables of the REGISTER load rows (REG/s, p50/p99 and the ratios between the three).
 * @module
 */
import { fmtSummary, markdownTable, summarize } from './stats.js';
import type { WsRegisterResult } from './ws-register.js';

/** The three targets, in table order. */
export const TARGETS = ['ours', 'floor', 'kam'] as const;
/** One of {@link TARGETS}. */
export type Target = (typeof TARGETS)[number];
/** Repetitions of one measurement per target (empty when a target is missing, e.g. Kamailio not installed). */
export type Trio<T> = Record<Target, T[]>;

/**
 * Run `reps` repetitions of every target that has a runner. Repetition r starts with target r (mod 3) and goes
 * round, so that no target always runs first (warm caches) or last (a tired machine).
 */
export async function alternate<T>(reps: number, run: Partial<Record<Target, () => Promise<T>>>,
  onResult?: (target: Target, result: T) => void): Promise<Trio<T>> {
  const out: Trio<T> = { ours: [], floor: [], kam: [] };
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < TARGETS.length; k++) {
      const t = TARGETS[(r + k) % TARGETS.length]!;
      const fn = run[t];
      if (!fn) continue;
      const result = await fn();
      out[t].push(result);
      onResult?.(t, result);
    }
  }
  return out;
}

const median = (rs: WsRegisterResult[], f: (r: WsRegisterResult) => number) => (rs.length ? summarize(rs.map(f)).median : NaN);
const cell = (rs: WsRegisterResult[], f: (r: WsRegisterResult) => number) => (rs.length ? fmtSummary(summarize(rs.map(f))) : 'n/a');
const ratio = (a: number, b: number, bold = true) => {
  const x = a / b;
  if (!Number.isFinite(x)) return 'n/a';
  return bold ? `**${x.toFixed(2)}×**` : `${x.toFixed(2)}×`;
};
const regs = (r: WsRegisterResult) => r.regsPerSec;

/**
 * Two tables for rows of closed-loop REGISTER loads: throughput (REG/s of each target, the ratios ours ÷ floor,
 * ours ÷ Kamailio, floor ÷ Kamailio, failures) and latency (p50/p99 of each, p50 ours ÷ floor). Ratios are of
 * the medians. `first` heads the column of row labels (connections, user agents).
 */
export function trioMarkdown(first: string, rows: { label: string; trio: Trio<WsRegisterResult> }[]): string {
  const [o, f, k] = ['ours', 'floor', 'Kamailio'];
  const throughput = markdownTable(
    [first, `${o} REG/s`, `${f} REG/s`, `${k} REG/s`, `${o} ÷ ${f}`, `${o} ÷ ${k}`, `${f} ÷ ${k}`, `failed (${o}/${f}/${k})`],
    rows.map(({ label, trio: t }) => [label, cell(t.ours, regs), cell(t.floor, regs), cell(t.kam, regs),
      ratio(median(t.ours, regs), median(t.floor, regs)), ratio(median(t.ours, regs), median(t.kam, regs)),
      ratio(median(t.floor, regs), median(t.kam, regs)),
      TARGETS.map((x) => (t[x].length ? String(t[x].reduce((a, r) => a + r.failed, 0)) : 'n/a')).join('/')]),
  );
  const latency = markdownTable(
    [first, `${o} p50 ms`, `${o} p99 ms`, `${f} p50 ms`, `${f} p99 ms`, `${k} p50 ms`, `${k} p99 ms`, `p50 ${o} ÷ ${f}`],
    rows.map(({ label, trio: t }) => [label, ...TARGETS.flatMap((x) => [cell(t[x], (r) => r.p50Ms), cell(t[x], (r) => r.p99Ms)]),
      ratio(median(t.ours, (r) => r.p50Ms), median(t.floor, (r) => r.p50Ms), false)]),
  );
  return `${throughput}\n\n${latency}`;
}

/** p50 latency of ours ÷ the floor's in one row (the runtime's share of a single registration's latency). */
export function p50Ratio(t: Trio<WsRegisterResult>): string {
  return ratio(median(t.ours, (r) => r.p50Ms), median(t.floor, (r) => r.p50Ms));
}

/** First distinct error messages of a trio's repetitions, for the console. */
export function trioErrors(t: Trio<WsRegisterResult>): string {
  return TARGETS.map((x) => [...new Set(t[x].flatMap((r) => r.errors))].slice(0, 3).map((e) => `${x}: ${e}`)).flat().join('; ');
}
