/**
 * Service counters for `/metrics`, kept in a few shard objects so no single
 * object sees every event. Flows batch their increments in memory and flush
 * them at most every {@link FLUSH_INTERVAL_MS} (and when the connection
 * closes), so a busy flow costs one RPC per interval; what an evicted object
 * had not flushed yet is lost, a bounded undercount.
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.js';

/** Longest time increments wait in a flow before they are sent to a shard. */
export const FLUSH_INTERVAL_MS = 10_000;

/** Number of shard objects counters are spread over. */
export const METRIC_SHARDS = 4;

/** One shard of the counters. Named `metrics:<n>`. */
export class MetricsObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)');
  }

  /** Add deltas to counters (names in Prometheus form, labels included). */
  async add(deltas: Record<string, number>): Promise<void> {
    const sql = this.ctx.storage.sql;
    for (const [name, d] of Object.entries(deltas)) {
      sql.exec('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value', name, d);
    }
  }

  /** Every counter of this shard. */
  async read(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of this.ctx.storage.sql.exec<{ name: string; value: number }>('SELECT name, value FROM counters')) out[r.name] = r.value;
    return out;
  }
}

/** In-memory increments of one object, flushed to a shard now and then. */
export class MetricsBuffer {
  private pending: Record<string, number> = {};
  private lastFlush = 0;

  constructor(private readonly env: Env, private readonly shard: number) {}

  /** Count one event. */
  inc(name: string, by = 1): void {
    this.pending[name] = (this.pending[name] ?? 0) + by;
  }

  /** Send what is pending if the interval has passed (or always with `force`); returns the RPC to wait on. */
  flush(now: number, force = false): Promise<void> | null {
    if (!force && now - this.lastFlush < FLUSH_INTERVAL_MS) return null;
    const deltas = this.pending;
    if (Object.keys(deltas).length === 0) return null;
    this.pending = {};
    this.lastFlush = now;
    const stub = this.env.METRICS.get(this.env.METRICS.idFromName(`metrics:${this.shard}`));
    return stub.add(deltas).catch(() => undefined);
  }
}

/** Render the sum of every shard in the Prometheus text format. */
export async function renderMetrics(env: Env): Promise<string> {
  const totals: Record<string, number> = {};
  const shards = await Promise.all(
    Array.from({ length: METRIC_SHARDS }, (_, i) => env.METRICS.get(env.METRICS.idFromName(`metrics:${i}`)).read()),
  );
  for (const s of shards) for (const [k, v] of Object.entries(s)) totals[k] = (totals[k] ?? 0) + v;
  const families = new Map<string, string[]>();
  for (const name of Object.keys(totals).sort()) {
    const family = name.split('{')[0]!;
    const lines = families.get(family) ?? [];
    lines.push(`${name} ${totals[name]}`);
    families.set(family, lines);
  }
  let out = '';
  for (const [family, lines] of families) out += `# TYPE ${family} counter\n${lines.join('\n')}\n`;
  return out;
}

const KNOWN_METHODS = new Set(['REGISTER', 'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'MESSAGE', 'INFO', 'UPDATE', 'PRACK', 'REFER', 'NOTIFY', 'SUBSCRIBE', 'PUBLISH']);

/** Method as a metric label: bounded to the known methods. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'other';
}
