/**
 * `/metrics`: the sum of every shard in the Prometheus text format.
 * @module
 */
import type { Env } from '../env.js';
import { GAUGES } from './metrics-gauges.js';
import { METRIC_SHARDS } from './metrics-object.js';
import { metricsShard } from './stubs.js';

/** Every counter and gauge summed over the shards (one RPC per shard). */
export async function metricTotals(env: Env): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  const shards = await Promise.all(Array.from({ length: METRIC_SHARDS }, (_, i) => metricsShard(env, i).read()));
  for (const s of shards) for (const [k, v] of Object.entries(s)) totals[k] = (totals[k] ?? 0) + v;
  return totals;
}

/** Render the sum of every shard in the Prometheus text format. */
export async function renderMetrics(env: Env): Promise<string> {
  const totals = await metricTotals(env);
  const families = new Map<string, string[]>();
  for (const name of Object.keys(totals).sort()) {
    const family = name.split('{')[0]!;
    const lines = families.get(family) ?? [];
    lines.push(`${name} ${totals[name]}`);
    families.set(family, lines);
  }
  let out = '';
  for (const [family, lines] of families) out += `# TYPE ${family} ${GAUGES.has(family) ? 'gauge' : 'counter'}\n${lines.join('\n')}\n`;
  return out;
}
