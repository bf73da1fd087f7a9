/**
 * Absorbing UDP retransmissions (RFC 3261 §17.2): per flow, the last response to each server transaction,
 * replayed when the device repeats its request. Pure, with an injected clock.
 * @module
 */

import { parseCSeq } from '../../src/sip/cseq.js';
import type { SipSummary } from './sip-scan.js';
import { viaIdentity } from './via-identity.js';

/**
 * A server transaction's identity: "the branch parameter in the top Via … the sent-by value in the top Via …
 * and the method of the request matches the one that created the transaction, except for ACK, where the
 * method of the request that created the transaction is INVITE" (RFC 3261 §17.2.3).
 */
export interface TransactionId {
  branch: string;
  host: string;
  port: number | null;
  /** The method that created the transaction (INVITE for an ACK). */
  method: string;
}

/** A transaction the cache holds, as handed out by {@link ResponseCache.onRequest} (for {@link ResponseCache.cancel}). */
export type TransactionHandle = object;

/** What to do with a request from the device. */
export type RequestDecision =
  | { action: 'forward'; key: TransactionHandle | null }
  /** A retransmission: send `replay` (when any) back to the device and nothing upstream. */
  | { action: 'absorb'; replay: Uint8Array | null };

interface Entry extends TransactionId {
  /** Latest provisional response while no final one has been seen. */
  provisional: Uint8Array | null;
  final: Uint8Array | null;
  finalStatus: number;
  expiresAt: number;
  /** The next transaction with the same branch (a CANCEL beside its INVITE, another sent-by). */
  next: Entry | null;
  /** False once removed, so a stale handle cancels nothing. */
  held: boolean;
}

/** Most transactions one device can have in the cache at once; the oldest is evicted beyond this. */
export const MAX_TRANSACTIONS_PER_FLOW = 256;

/** The transaction a request or response belongs to; null without an RFC 3261 branch or a readable Via. */
export function transactionId(topVia: string | undefined, method: string): TransactionId | null {
  if (topVia === undefined) return null;
  const via = viaIdentity(topVia);
  if (via === null || via.branch === null || via.branch === '') return null;
  return { branch: via.branch, host: via.host, port: via.port, method: method === 'ACK' ? 'INVITE' : method };
}

/** {@link TransactionId} as one string (`branch`, `host:port`, method on three lines), for logs and tests. */
export function transactionKey(topVia: string | undefined, method: string): string | null {
  const id = transactionId(topVia, method);
  return id === null ? null : `${id.branch}\n${id.host}:${id.port ?? ''}\n${id.method}`;
}

/** Transaction of a request. */
export function requestId(req: SipSummary): TransactionId | null {
  return transactionId(req.topVia, req.method);
}

/** Transaction a response answers (method from CSeq, RFC 3261 §17.1.3). */
export function responseId(res: SipSummary): TransactionId | null {
  if (res.cseq === undefined) return null;
  const parsed = parseCSeq(res.cseq);
  return parsed.ok ? transactionId(res.topVia, parsed.value.method) : null;
}

/** Key of the transaction a request belongs to (see {@link transactionKey}). */
export function requestKey(req: SipSummary): string | null {
  return transactionKey(req.topVia, req.method);
}

/** Key of the transaction a response answers (see {@link transactionKey}). */
export function responseKey(res: SipSummary): string | null {
  const id = responseId(res);
  return id === null ? null : `${id.branch}\n${id.host}:${id.port ?? ''}\n${id.method}`;
}

const FORWARD_UNKEYED: RequestDecision = Object.freeze({ action: 'forward', key: null });

/**
 * Per-flow cache of responses to the device's requests, by transaction. Looked up by branch first (a string
 * read straight out of the Via, cheap to hash), then sent-by and method along a short chain.
 */
export class ResponseCache {
  /** Branch → the first of its transactions; insertion order is age order, for eviction. */
  private readonly entries = new Map<string, Entry>();
  private count = 0;

  /** @param ttlMs lifetime of a transaction entry, 64·T1 by default (RFC 3261 Timer J). */
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = MAX_TRANSACTIONS_PER_FLOW,
  ) {}

  /** Classify a request from the device; a first transmission is recorded as pending. */
  onRequest(req: SipSummary): RequestDecision {
    const id = requestId(req);
    if (id === null) return FORWARD_UNKEYED;
    const now = this.now();
    const entry = this.live(id, now);
    if (req.method === 'ACK') {
      // "The ACK for a non-2xx response is … hop-by-hop" (RFC 3261 §17.1.1.3): it ends our transaction, goes no further.
      if (entry?.final != null && entry.finalStatus >= 300) return { action: 'absorb', replay: null };
      return FORWARD_UNKEYED;
    }
    if (entry === undefined) {
      if (this.count >= this.maxEntries) {
        const oldest = this.entries.values().next();
        if (oldest.done !== true) this.remove(oldest.value);
      }
      const added: Entry = { branch: id.branch, host: id.host, port: id.port, method: id.method, provisional: null, final: null, finalStatus: 0, expiresAt: now + this.ttlMs, next: null, held: true };
      const head = this.entries.get(id.branch);
      if (head === undefined) this.entries.set(id.branch, added);
      else {
        added.next = head.next;
        head.next = added;
      }
      this.count++;
      return { action: 'forward', key: added };
    }
    return { action: 'absorb', replay: entry.final ?? entry.provisional };
  }

  /** Remember a response the Worker sent to the device, if it answers a known transaction. */
  onResponse(res: SipSummary, bytes: Uint8Array): void {
    const id = responseId(res);
    if (id === null) return;
    const now = this.now();
    const entry = this.live(id, now);
    if (entry === undefined) return;
    if (res.status < 200) {
      if (entry.final === null) entry.provisional = bytes;
      return;
    }
    entry.final = bytes;
    entry.finalStatus = res.status;
    entry.expiresAt = now + this.ttlMs;
  }

  /** Forget a transaction whose request could not be forwarded, so a retransmission is tried again. */
  cancel(key: TransactionHandle): void {
    const entry = key as Entry;
    if (entry.held === true) this.remove(entry);
  }

  /** Forget every transaction without a final response: their requests died with the WebSocket they were sent on. */
  forgetPending(): void {
    this.removeWhere((e) => e.final === null);
  }

  /** Drop expired entries. */
  sweep(): void {
    const now = this.now();
    this.removeWhere((e) => e.expiresAt <= now);
  }

  /** Number of transactions held. */
  get size(): number {
    return this.count;
  }

  private live(id: TransactionId, now: number): Entry | undefined {
    let e = this.entries.get(id.branch);
    while (e !== undefined && (e.host !== id.host || e.port !== id.port || e.method !== id.method)) e = e.next ?? undefined;
    if (e !== undefined && e.expiresAt <= now) {
      this.remove(e);
      return undefined;
    }
    return e;
  }

  private remove(entry: Entry): void {
    const head = this.entries.get(entry.branch);
    if (head === entry) {
      // The next one of the branch keeps the branch's place in the age order.
      if (entry.next === null) this.entries.delete(entry.branch);
      else this.entries.set(entry.branch, entry.next);
    } else {
      let prev = head;
      while (prev !== undefined && prev.next !== entry) prev = prev.next ?? undefined;
      if (prev === undefined) return;
      prev.next = entry.next;
    }
    entry.held = false;
    entry.next = null;
    this.count--;
  }

  private removeWhere(drop: (e: Entry) => boolean): void {
    for (const head of [...this.entries.values()]) {
      for (let e: Entry | null = head; e !== null; ) {
        const next: Entry | null = e.next;
        if (drop(e)) this.remove(e);
        e = next;
      }
    }
  }
}
