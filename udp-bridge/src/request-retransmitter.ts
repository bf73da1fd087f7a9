/**
 * Retransmission of requests the Worker sends to a UDP device (RFC 3261
 * §17.1.1.2 Timer A and §17.1.2.2 Timer E): the Worker speaks over a reliable
 * WebSocket and never retransmits, so the bridge, which owns the unreliable
 * leg, does. INVITE: T1 doubling until any response; other requests: T1
 * doubling up to T2 until a final response; both give up after 64·T1.
 * @module
 */
import type { SipSummary } from './sip-scan.js';
import { viaIdentity } from './via-identity.js';

/** Timers, injected so tests can drive them. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

interface Entry {
  bytes: Uint8Array;
  invite: boolean;
  interval: number;
  elapsed: number;
  handle: unknown;
}

/** The transaction key of a message: top Via branch and CSeq method (ACK/CANCEL are their own). */
function keyOf(msg: SipSummary): string | null {
  const via = msg.topVia;
  const branch = via ? viaIdentity(via)?.branch : null;
  const method = (msg.cseq ?? '').trim().split(/\s+/)[1];
  return branch && method ? `${branch} ${method}` : null;
}

/** Retransmits device-bound requests until the device answers. */
export class RequestRetransmitter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly send: (bytes: Uint8Array) => void,
    private readonly timers: Timers,
    private readonly t1 = 500,
    private readonly t2 = 4000,
    /** Counts one retransmission. */
    private readonly counted: () => void = () => undefined,
  ) {}

  /** Requests in flight (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  /** A request just went to the device: arm its retransmission timer (ACK never is). */
  sent(req: SipSummary, bytes: Uint8Array): void {
    if (req.method === 'ACK') return;
    const key = keyOf(req);
    if (key === null || this.entries.has(key)) return;
    const e: Entry = { bytes, invite: req.method === 'INVITE', interval: this.t1, elapsed: 0, handle: null };
    this.entries.set(key, e);
    this.arm(key, e);
  }

  /** A response came from the device: INVITE stops on any, others on a final one (then at most T2 apart). */
  received(res: SipSummary): void {
    const key = keyOf(res);
    const e = key === null ? undefined : this.entries.get(key);
    if (!e || key === null) return;
    if (e.invite || res.status >= 200) {
      this.timers.clear(e.handle);
      this.entries.delete(key);
    } else {
      e.interval = this.t2; // §17.1.2.2: after a provisional, retransmit every T2
    }
  }

  /** Stop everything (flow closing). */
  clear(): void {
    for (const e of this.entries.values()) this.timers.clear(e.handle);
    this.entries.clear();
  }

  private arm(key: string, e: Entry): void {
    e.handle = this.timers.set(() => {
      e.elapsed += e.interval;
      if (e.elapsed >= 64 * this.t1) {
        this.entries.delete(key); // Timer B/F: the Worker's own transaction times out
        return;
      }
      this.send(e.bytes);
      this.counted();
      e.interval = e.invite ? e.interval * 2 : Math.min(e.interval * 2, this.t2);
      this.arm(key, e);
    }, e.interval);
  }
}
