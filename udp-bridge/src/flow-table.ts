/**
 * The bridge's table of flows by source address, with the limits on opening new ones: in total, per source
 * IP, and a per-IP rate of new flows, so one host cannot take every flow (and every upstream WebSocket).
 * Pure, with the clock passed in.
 * @module
 */

import { MAX_TRACKED_SOURCES, RateLimiter } from './rate-limit.js';
import { sourceIp } from './source.js';
import type { Source } from './source.js';

/** Why a datagram could not open a flow (each is its own drop reason in the metrics). */
export type FlowRefusal = 'flow_limit' | 'flow_limit_per_ip' | 'new_flow_rate';

/** Limits on opening flows. */
export interface FlowLimits {
  /** Most flows in the table. */
  maxFlows: number;
  /** Most flows from one source IP. */
  maxFlowsPerIp: number;
  /** New flows one IP may open per second (token bucket), sustained. */
  newFlowsPerIpPerSecond: number;
  /** New flows one IP may open at once (token bucket burst). */
  newFlowsPerIpBurst: number;
  /** Most IPs whose new-flow bucket is remembered (oldest forgotten beyond); default {@link MAX_TRACKED_SOURCES}. */
  maxTrackedIps?: number;
}

/** What the table needs of a flow: the source address whose IP ({@link sourceIp}) it counts against. */
export interface Counted {
  readonly source: Source;
}

/**
 * Flows by key (`ip:port`), and how many each IP has. The count per IP stays exact because every flow enters
 * through {@link FlowTable.add} and leaves through {@link FlowTable.delete} or {@link FlowTable.clear}.
 */
export class FlowTable<F extends Counted> {
  private readonly flows = new Map<string, F>();
  /** IP → number of its flows in the table; an IP without flows has no entry (so at most `maxFlows` entries). */
  private readonly perIp = new Map<string, number>();
  private readonly newFlows: RateLimiter;

  constructor(
    private readonly limits: FlowLimits,
    now: () => number,
  ) {
    this.newFlows = new RateLimiter(limits.newFlowsPerIpPerSecond, limits.newFlowsPerIpBurst, now, limits.maxTrackedIps ?? MAX_TRACKED_SOURCES);
  }

  /** The flow of `key`, if any. */
  get(key: string): F | undefined {
    return this.flows.get(key);
  }

  /** Number of flows. */
  get size(): number {
    return this.flows.size;
  }

  /** Number of IPs with at least one flow. */
  get ips(): number {
    return this.perIp.size;
  }

  /** Number of flows from `ip`. */
  flowsOf(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }

  /**
   * May `ip` open one more flow at `now`? null when it may (and then one of its new-flow tokens is taken:
   * call {@link FlowTable.add} next), else why not. The checks run cheapest and most global first, so a
   * refused datagram takes no token.
   */
  admit(ip: string, now: number): FlowRefusal | null {
    if (this.flows.size >= this.limits.maxFlows) return 'flow_limit';
    if (this.flowsOf(ip) >= this.limits.maxFlowsPerIp) return 'flow_limit_per_ip';
    if (!this.newFlows.allow(ip, now)) return 'new_flow_rate';
    return null;
  }

  /** Put `flow` in the table under `key` (replacing, and uncounting, any flow there). */
  add(key: string, flow: F): void {
    this.delete(key);
    this.flows.set(key, flow);
    const ip = sourceIp(flow.source);
    this.perIp.set(ip, this.flowsOf(ip) + 1);
  }

  /** Take the flow of `key` out of the table; returns it, or undefined when there was none. */
  delete(key: string): F | undefined {
    const flow = this.flows.get(key);
    if (flow === undefined) return undefined;
    this.flows.delete(key);
    const ip = sourceIp(flow.source);
    const n = this.flowsOf(ip) - 1;
    if (n > 0) this.perIp.set(ip, n);
    else this.perIp.delete(ip);
    return flow;
  }

  /** Empty the table; returns the flows it held. */
  clear(): F[] {
    const all = [...this.flows.values()];
    this.flows.clear();
    this.perIp.clear();
    return all;
  }

  /** Every `[key, flow]`; deleting the current one while iterating is safe (a Map iterator). */
  entries(): IterableIterator<[string, F]> {
    return this.flows.entries();
  }

  /** Every flow. */
  values(): IterableIterator<F> {
    return this.flows.values();
  }

  /** Forget new-flow buckets that have refilled (they behave like new ones). */
  sweep(): void {
    this.newFlows.sweep();
  }

  /** Number of IPs whose new-flow bucket is remembered (at most `maxTrackedIps`). */
  get trackedIps(): number {
    return this.newFlows.size;
  }
}
