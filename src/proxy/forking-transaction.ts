/**
 * A request forked to one or more flows, and the answer chosen from their responses: the client side of the
 * stateful proxy (RFC 3261 §16.7) and of the platform's own requests (its UAC, RFC 3261 §17.1). The first 2xx
 * is passed on at once (and for INVITE the other branches are CANCELled), otherwise the best final response
 * when every branch has finished or timed out. Runtime-free: delivery, the upstream answer and timers come
 * in as hooks.
 * @module
 */
import type { SipRequest, SipResponse } from '../sip/message.js';
import { ackFor, cancelFor } from './requests.js';
import { Timers } from '../sip/timers.js';


/** What the transaction needs from its host object. */
export interface TransactionHooks {
  /** Deliver a request to a flow; false when the flow is gone. */
  deliver(flowId: string, msg: SipRequest): Promise<boolean>;
  /** Send a response upstream (to the caller, or to whoever started the request). */
  respond(res: SipResponse): void;
  /** Build a local final response to the original request (408, 480 …). */
  localResponse(status: number, reason?: string): SipResponse;
  /** The answer of a branch whose flow is gone; 480 when absent (in a dialog the host answers 430). */
  flowGone?(): SipResponse;
  setTimer(ms: number, fn: () => void): unknown;
  clearTimer(handle: unknown): void;
  /** The transaction is over and may be forgotten. */
  done(): void;
}

/** One forwarded copy. */
export interface Branch {
  /** Our Via branch of this copy. */
  id: string;
  flowId: string;
  request: SipRequest;
  /** Highest status seen (0 = none yet). */
  status: number;
  final: SipResponse | null;
}

/** Preference among non-2xx finals (RFC 3261 §16.7 step 6): 6xx first, then the lowest class. */
function rank(status: number): number {
  return status >= 600 ? 0 : status;
}

/** One forked request: its branches, their responses, and the final answer upstream. */
export class ForkingTransaction {
  readonly branches = new Map<string, Branch>();
  private best: SipResponse | null = null;
  private answered = false;
  private timer: unknown = null;

  constructor(
    readonly method: string,
    private readonly hooks: TransactionHooks,
    private readonly timeoutMs: number = method === 'INVITE' ? Timers.TIMER_C : Timers.TIMER_F,
  ) {}

  /** True once a final response went upstream. */
  get finished(): boolean {
    return this.answered;
  }

  /** Forward every branch in parallel. */
  async start(branches: ReadonlyArray<Omit<Branch, 'status' | 'final'>>): Promise<void> {
    for (const b of branches) this.branches.set(b.id, { ...b, status: 0, final: null });
    this.timer = this.hooks.setTimer(this.timeoutMs, () => this.timeout());
    await Promise.all(
      [...this.branches.values()].map(async (b) => {
        if (await this.hooks.deliver(b.flowId, b.request)) return;
        this.finalize(b, this.hooks.flowGone?.() ?? this.hooks.localResponse(480, 'Temporarily Unavailable (connection gone)'));
      }),
    );
  }

  /** A response came back on one of our branches. */
  onResponse(branchId: string, res: SipResponse): void {
    const b = this.branches.get(branchId);
    if (!b) return;
    if (res.status < 200) {
      b.status = Math.max(b.status, res.status);
      // RFC 3261 §16.7 step 5: provisionals other than 100 are forwarded while no final was sent.
      if (res.status > 100 && !this.answered) this.hooks.respond(res);
      return;
    }
    if (res.status < 300) {
      b.status = res.status;
      b.final = res;
      // Every 2xx goes upstream at once, retransmissions included (§16.7 step 5).
      this.hooks.respond(res);
      if (!this.answered) {
        this.answered = true;
        if (this.method === 'INVITE') this.cancelPending();
        this.linger();
      }
      return;
    }
    if (b.final) return; // retransmitted non-2xx final
    if (this.method === 'INVITE') void this.hooks.deliver(b.flowId, ackFor(b.request, res));
    this.finalize(b, res);
    if (res.status >= 600 && this.method === 'INVITE') this.cancelPending();
  }

  /** CANCEL from upstream: cancel every branch that has no final answer yet (RFC 3261 §16.10). */
  cancel(): void {
    if (!this.answered) this.cancelPending();
  }

  private cancelPending(): void {
    for (const b of this.branches.values()) {
      // §9.1: a CANCEL is only sent once a provisional response arrived; before, the branch simply ends.
      if (b.final || b.status >= 200) continue;
      if (b.status > 0) void this.hooks.deliver(b.flowId, cancelFor(b.request));
    }
    if (this.method !== 'INVITE') return;
    for (const b of this.branches.values()) if (!b.final && b.status === 0) this.finalize(b, this.hooks.localResponse(487, 'Request Terminated'));
  }

  private finalize(b: Branch, res: SipResponse): void {
    b.final = res;
    b.status = res.status;
    const status = res.status === 503 ? 500 : res.status; // §16.7 step 6: 503 becomes 500.
    if (!this.best || rank(status) < rank(this.best.status)) this.best = status === res.status ? res : { ...res, status: 500, reason: 'Server Internal Error' };
    if (this.answered) return;
    for (const x of this.branches.values()) if (!x.final) return;
    this.answered = true;
    this.hooks.respond(this.best);
    this.linger();
  }

  private timeout(): void {
    this.timer = null;
    if (this.answered) return;
    if (this.method === 'INVITE') this.cancelPending();
    for (const b of this.branches.values()) if (!b.final) this.finalize(b, this.hooks.localResponse(408, 'Request Timeout'));
  }

  private linger(): void {
    if (this.timer !== null) this.hooks.clearTimer(this.timer);
    this.timer = this.hooks.setTimer(Timers.LINGER, () => this.hooks.done());
  }
}
