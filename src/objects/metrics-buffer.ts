/**
 * The increments an object has not sent to a metrics shard yet. A flush is an RPC (a billed request) and, in
 * the shard, row writes, so a flow flushes rarely: after {@link MetricsFlushPolicy.events} increments or
 * {@link MetricsFlushPolicy.ageMs}, and when its connection closes. The pending counts are plain data, so a
 * flow keeps them in its socket attachment and loses none when it hibernates.
 * @module
 */

/** When increments are sent to a shard. */
export interface MetricsFlushPolicy {
  /** Send once this many increments are pending. */
  events: number;
  /** Send once the oldest pending increment is this old (0: at every event). */
  ageMs: number;
}

/** Counters waiting to be sent, and since when. */
export interface PendingMetrics {
  counts: Record<string, number>;
  /** Increments pending. */
  events: number;
  /** Unix ms of the oldest pending increment, or null when nothing is pending. */
  since: number | null;
}

/** Nothing pending. */
export function emptyMetrics(): PendingMetrics {
  return { counts: {}, events: 0, since: null };
}

/** Pending increments of one object. */
export class MetricsBuffer {
  #pending: PendingMetrics;

  /** @param send delivers a batch to a shard (one RPC). */
  constructor(
    private readonly policy: MetricsFlushPolicy,
    private readonly send: (counts: Record<string, number>) => Promise<void>,
    restored: PendingMetrics = emptyMetrics(),
  ) {
    this.#pending = restored;
  }

  /** Count one event (`name` in Prometheus form, labels included). */
  inc(name: string, now: number, by = 1): void {
    const p = this.#pending;
    p.counts[name] = (p.counts[name] ?? 0) + by;
    p.events += by;
    p.since ??= now;
  }

  /** What is pending (to keep across hibernation). */
  get pending(): PendingMetrics {
    return this.#pending;
  }

  /** Whether the policy says to send now. */
  due(now: number): boolean {
    const p = this.#pending;
    return p.since !== null && (p.events >= this.policy.events || now - p.since >= this.policy.ageMs);
  }

  /** Send what is pending if it is due (or always with `force`); returns the RPC to wait on, or null. */
  flush(now: number, force = false): Promise<void> | null {
    if (this.#pending.since === null || (!force && !this.due(now))) return null;
    const { counts } = this.#pending;
    this.#pending = emptyMetrics();
    return this.send(counts).catch(() => undefined);
  }
}
