/**
 * Service counters for `/metrics`, kept in a few shard objects so no single object sees every event. Objects
 * batch their increments ({@link MetricsBuffer}) and send them rarely. A shard keeps its counters in memory
 * and writes the changed rows at most every {@link PERSIST_MS}: written through when it was idle, behind
 * (by a timer of the same instance) while it is busy, so its row writes do not grow with the fleet. A pending
 * timer keeps the instance resident, so nothing dirty is lost to an idle eviction (an alarm would not: it runs
 * in a new instance).
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.js';

/** Longest a changed counter waits in a busy shard before its row is written. */
export const PERSIST_MS = 5_000;

/** Number of shard objects counters are spread over. */
export const METRIC_SHARDS = 4;

/** One shard of the counters. Named `metrics:<n>` (`stubs.ts`). */
export class MetricsObject extends DurableObject<Env> {
  readonly #counters = new Map<string, number>();
  readonly #dirty = new Set<string>();
  #lastAdd = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)');
    for (const r of ctx.storage.sql.exec<{ name: string; value: number }>('SELECT name, value FROM counters')) this.#counters.set(r.name, r.value);
  }

  /** Add deltas to counters (names in Prometheus form, labels included). */
  async add(deltas: Record<string, number>): Promise<void> {
    for (const [name, d] of Object.entries(deltas)) {
      this.#counters.set(name, (this.#counters.get(name) ?? 0) + d);
      this.#dirty.add(name);
    }
    const now = Date.now();
    const idle = now - this.#lastAdd >= PERSIST_MS;
    this.#lastAdd = now;
    if (idle) this.#persist();
    // A timer, not an alarm: a pending timer keeps this instance resident until it fires, where an idle
    // object with only an alarm pending is evicted and its alarm runs in a new one with nothing dirty.
    else this.#timer ??= setTimeout(() => {
      this.#timer = null;
      this.#persist();
    }, PERSIST_MS);
  }

  /** Every counter of this shard. */
  async read(): Promise<Record<string, number>> {
    return Object.fromEntries(this.#counters);
  }

  /** An alarm left by an earlier version of this class: write what is dirty. */
  override async alarm(): Promise<void> {
    this.#persist();
  }

  #persist(): void {
    for (const name of this.#dirty) {
      this.ctx.storage.sql.exec('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value', name, this.#counters.get(name) ?? 0);
    }
    this.#dirty.clear();
  }
}

/** The shard an object's increments go to, from its id. */
export function shardOf(objectId: string): number {
  return Number.parseInt(objectId.slice(-2), 16) % METRIC_SHARDS;
}
