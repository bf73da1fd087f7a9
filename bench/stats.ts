/**
 * Small statistics and formatting helpers shared by the benchmarks.
 * @module
 */

/** Median and spread of repeated measurements. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Number of repetitions summarised. */
  n: number;
}

/** Value at quantile `q` (0…1) of an ascending sorted array, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** A closed-loop load run's outcome: registrations completed and failed, their rate and latency quantiles. */
export interface LoadResult {
  connections: number;
  completed: number;
  failed: number;
  /** Seconds from the first request to the last answer (or the bound). */
  elapsedSec: number;
  regsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** The first few distinct failure reasons. */
  errors: string[];
}

/** Summarise a run from its latencies (sorted here) and the span from `t0` to `last` (performance.now() ms). */
export function loadResult(connections: number, latencies: number[], failed: number, t0: number, last: number, errors: Iterable<string>): LoadResult {
  const elapsedSec = Math.max(1e-6, (last - t0) / 1000);
  latencies.sort((a, b) => a - b);
  return {
    connections, completed: latencies.length, failed, elapsedSec, regsPerSec: latencies.length / elapsedSec,
    p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), errors: [...errors],
  };
}

/** Median, minimum and maximum of a list of repetitions. */
export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/** A number with about three significant digits and thousands separators. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** `median (min–max)`, the way every table shows a repeated measurement. */
export function fmtSummary(s: Summary): string {
  return s.n > 1 ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(s.median);
}

/** A Markdown table from a header row and body rows. */
export function markdownTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Resolve after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
