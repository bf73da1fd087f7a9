/**
 * A flow's counters for `/metrics`: batched (`metrics-buffer.ts`), kept in the newest socket's attachment so a
 * hibernation loses none, and restored from it when the object wakes.
 * @module
 */
import type { Env } from '../env.js';
import { log } from '../log.js';
import type { Flow } from '../transport/flow.js';
import type { MetricsFlushPolicy } from './metrics-buffer.js';
import { MetricsBuffer } from './metrics-buffer.js';
import { shardOf } from './metrics-object.js';
import type { AttachmentCache } from './attachments.js';
import { metricsShard } from './stubs.js';
import { methodLabel } from '../sip/methods.js';

/** Increments that may wait unkept in memory when nothing else changes the attachment. */
export const KEEP_EVERY = 20;

/** Counter names by method label and by status, built once: a message's counters cost no new strings. */
const requestNames = new Map<string, string>();
const responseNames: string[] = [];

/** `sip_requests_received_total{method=…}` for a request's method (unknown methods count as `other`). */
export function requestCounter(method: string): string {
  const label = methodLabel(method);
  let name = requestNames.get(label);
  if (name === undefined) requestNames.set(label, (name = `sip_requests_received_total{method="${label}"}`));
  return name;
}

/** `sip_local_responses_total{status=…}` for a status code (100–699). */
export function responseCounter(status: number): string {
  return (responseNames[status] ??= `sip_local_responses_total{status="${status}"}`);
}

/** Counters of one flow object. */
export class FlowCounters {
  #buffer: MetricsBuffer | null = null;
  /** Frames dropped since this instance woke (counted; the first ones logged). */
  #dropped = 0;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    private readonly attachments: AttachmentCache,
    private readonly policy: MetricsFlushPolicy,
  ) {}

  /** The buffer, restored on first use from the newest socket's attachment. */
  get buffer(): MetricsBuffer {
    if (this.#buffer === null) {
      const ws = this.ctx.getWebSockets().at(-1);
      const restored = ws ? this.attachments.get(ws)?.metrics ?? undefined : undefined;
      this.#buffer = new MetricsBuffer(this.policy, (c) => metricsShard(this.env, shardOf(this.ctx.id.toString())).add(c), restored);
    }
    return this.#buffer;
  }

  /** Count one event. */
  inc(name: string, by = 1): void {
    this.buffer.inc(name, Date.now(), by);
  }

  /**
   * Send what is due (or everything, with `force`), then keep what is left in `ws`'s attachment: along with
   * any other change to it, or once {@link KEEP_EVERY} increments wait unkept. A hibernation thus loses
   * fewer than that many increments, and an event that changes nothing else writes nothing.
   */
  settle(ws: WebSocket | null, force: boolean): void {
    const sent = this.buffer.flush(Date.now(), force);
    if (sent) this.ctx.waitUntil(sent);
    const att = ws ? this.attachments.get(ws) : null;
    if (!ws || !att) return;
    const pending = this.buffer.pending;
    // After a send the kept counters are stale (restoring them would count twice): always write then.
    const unkept = pending.events - (att.metrics?.events ?? 0);
    if (!force && sent === null && !this.attachments.isDirty(ws) && unkept < KEEP_EVERY) return;
    this.attachments.set(ws, { ...att, metrics: pending.since === null ? null : { ...pending, counts: { ...pending.counts } } });
  }

  /** A frame that could not be answered: counted, and logged for the first few of a connection, then one in a hundred. */
  drop(flow: Flow, reason: string): void {
    this.#dropped++;
    this.inc('sip_frames_dropped_total');
    if (this.#dropped > 10 && this.#dropped % 100 !== 0) return;
    log('warn', 'frame dropped', { flow: flow.id, reason });
  }
}
