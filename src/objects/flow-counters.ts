/**
 * A flow's counters for `/metrics`: batched (`metrics-buffer.ts`), kept in the newest socket's attachment so a
 * hibernation loses none, and restored from it when the object wakes.
 * @module
 */
import type { Env } from '../env.js';
import type { MetricsFlushPolicy } from './metrics-buffer.js';
import { MetricsBuffer } from './metrics-buffer.js';
import { shardOf } from './metrics-object.js';
import type { AttachmentCache } from './attachments.js';
import { metricsShard } from './stubs.js';

/** Counters of one flow object. */
export class FlowCounters {
  #buffer: MetricsBuffer | null = null;

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

  /** Send what is due (or everything, with `force`), then keep what is left in `ws`'s attachment. */
  settle(ws: WebSocket | null, force: boolean): void {
    const sent = this.buffer.flush(Date.now(), force);
    if (sent) this.ctx.waitUntil(sent);
    const att = ws ? this.attachments.get(ws) : null;
    if (ws && att) this.attachments.set(ws, { ...att, metrics: this.buffer.pending });
  }
}
