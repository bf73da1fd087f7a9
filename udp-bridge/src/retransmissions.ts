/**
 * Absorbing UDP retransmissions (RFC 3261 §17.2): per flow, the last response to each server transaction,
 * replayed when the device repeats its request. Pure, with an injected clock.
 * @module
 */

import { parseCSeq } from '../../src/sip/cseq.js';
import type { SipSummary } from './sip-scan.js';
import { viaIdentity } from './via-identity.js';

/** What to do with a request from the device. */
export type RequestDecision =
  | { action: 'forward'; key: string | null }
  /** A retransmission: send `replay` (when any) back to the device and nothing upstream. */
  | { action: 'absorb'; replay: Uint8Array | null };

interface Entry {
  /** Latest provisional response while no final one has been seen. */
  provisional: Uint8Array | null;
  final: Uint8Array | null;
  finalStatus: number;
  expiresAt: number;
}

/** Most transactions one device can have in the cache at once; the oldest is evicted beyond this. */
export const MAX_TRANSACTIONS_PER_FLOW = 256;

/**
 * Server transaction key: "the branch parameter in the top Via … the sent-by value in the top Via … and the
 * method of the request matches the one that created the transaction, except for ACK, where the method of
 * the request that created the transaction is INVITE" (RFC 3261 §17.2.3). Null without an RFC 3261 branch.
 */
export function transactionKey(topVia: string | undefined, method: string): string | null {
  if (topVia === undefined) return null;
  const via = viaIdentity(topVia);
  if (via === null || via.branch === null || via.branch === '') return null;
  return `${via.branch}\n${via.sentBy}\n${method === 'ACK' ? 'INVITE' : method}`;
}

/** Key of the transaction a request belongs to. */
export function requestKey(req: SipSummary): string | null {
  return transactionKey(req.topVia, req.method);
}

/** Key of the transaction a response answers (method from CSeq, RFC 3261 §17.1.3). */
export function responseKey(res: SipSummary): string | null {
  if (res.cseq === undefined) return null;
  const parsed = parseCSeq(res.cseq);
  return parsed.ok ? transactionKey(res.topVia, parsed.value.method) : null;
}

/** Per-flow cache of responses to the device's requests, keyed by {@link transactionKey}. */
export class ResponseCache {
  private readonly entries = new Map<string, Entry>();

  /** @param ttlMs lifetime of a transaction entry, 64·T1 by default (RFC 3261 Timer J). */
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = MAX_TRANSACTIONS_PER_FLOW,
  ) {}

  /** Classify a request from the device; a first transmission is recorded as pending. */
  onRequest(req: SipSummary): RequestDecision {
    const key = requestKey(req);
    if (key === null) return { action: 'forward', key: null };
    const entry = this.live(key);
    if (req.method === 'ACK') {
      // "The ACK for a non-2xx response is … hop-by-hop" (RFC 3261 §17.1.1.3): it ends our transaction, goes no further.
      if (entry?.final != null && entry.finalStatus >= 300) return { action: 'absorb', replay: null };
      return { action: 'forward', key: null };
    }
    if (entry === undefined) {
      if (this.entries.size >= this.maxEntries) {
        const oldest = this.entries.keys().next();
        if (oldest.done !== true) this.entries.delete(oldest.value);
      }
      this.entries.set(key, { provisional: null, final: null, finalStatus: 0, expiresAt: this.now() + this.ttlMs });
      return { action: 'forward', key };
    }
    return { action: 'absorb', replay: entry.final ?? entry.provisional };
  }

  /** Remember a response the Worker sent to the device, if it answers a known transaction. */
  onResponse(res: SipSummary, bytes: Uint8Array): void {
    const key = responseKey(res);
    const entry = key === null ? undefined : this.live(key);
    if (entry === undefined) return;
    if (res.status < 200) {
      if (entry.final === null) entry.provisional = bytes;
      return;
    }
    entry.final = bytes;
    entry.finalStatus = res.status;
    entry.expiresAt = this.now() + this.ttlMs;
  }

  /** Forget a transaction whose request could not be forwarded, so a retransmission is tried again. */
  cancel(key: string): void {
    this.entries.delete(key);
  }

  /** Forget every transaction without a final response: their requests died with the WebSocket they were sent on. */
  forgetPending(): void {
    for (const [key, entry] of this.entries) if (entry.final === null) this.entries.delete(key);
  }

  /** Drop expired entries. */
  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  /** Number of transactions held. */
  get size(): number {
    return this.entries.size;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
