/**
 * The bounds of a trace once it is on: how long (10 minutes at most), how fast (a token bucket per trace;
 * the excess is counted as `dropped`) and how much is kept (a ring of the last N messages). Pure.
 * @module
 */

/** A trace's bounds. */
export interface TraceLimits {
  /** Messages per second, sustained. */
  rate: number;
  /** Messages at once. */
  burst: number;
  /** Messages kept: the last N. */
  ring: number;
}

/** Default and longest duration of a trace, seconds. */
export const TRACE_MAX_SECONDS = 600;
/** The defaults (`TRACE_RATE`, `TRACE_BURST`, `TRACE_RING`). */
export const DEFAULT_TRACE_LIMITS: Readonly<TraceLimits> = { rate: 50, burst: 200, ring: 1000 };
/** Most records a flow sends a trace in one batch; beyond it they are counted as dropped. */
export const MAX_BATCH = 100;

/** A token bucket, refilled from the clock it is given. */
export class TraceRate {
  #tokens: number;
  #at: number;

  constructor(private readonly limits: Pick<TraceLimits, 'rate' | 'burst'>, now: number) {
    this.#tokens = limits.burst;
    this.#at = now;
  }

  /** How many of `n` messages may pass at `now` (the rest are dropped). */
  admit(n: number, now: number): number {
    this.#tokens = Math.min(this.limits.burst, this.#tokens + (Math.max(0, now - this.#at) / 1000) * this.limits.rate);
    this.#at = now;
    const passed = Math.min(n, Math.floor(this.#tokens));
    this.#tokens -= passed;
    return passed;
  }
}

/** The oldest sequence number a ring of `size` keeps once `last` is written. */
export function ringStart(last: number, size: number): number {
  return Math.max(1, last - size + 1);
}

/** Limits from the Worker's vars, defaults for what is unset or not a positive integer. */
export function traceLimits(vars: { TRACE_RATE?: string; TRACE_BURST?: string; TRACE_RING?: string }): TraceLimits {
  const n = (v: string | undefined, d: number) => {
    const x = Number.parseInt(v ?? '', 10);
    return Number.isInteger(x) && x > 0 ? x : d;
  };
  const d = DEFAULT_TRACE_LIMITS;
  return { rate: n(vars.TRACE_RATE, d.rate), burst: n(vars.TRACE_BURST, d.burst), ring: Math.min(n(vars.TRACE_RING, d.ring), 10_000) };
}
