/**
 * Absorbing UDP retransmissions (RFC 3261 §17.2): per flow, the last response to each server transaction,
 * replayed when the device repeats its request. Bounded by count and bytes per flow, and by a byte budget
 * shared by every flow. Pure, with an injected clock.
 * @module
 */

import { parseCSeq } from '../../src/sip/cseq.js';
import { CacheBudget, ownBytes } from './cache-budget.js';
import type { Charge, ChargeHolder } from './cache-budget.js';
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

interface Entry extends TransactionId, Charge {
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

/** Default byte bound of one flow's cache: four of the largest UDP responses, many times a GB28181 session's. */
export const DEFAULT_FLOW_CACHE_BYTES = 256 * 1024;

/**
 * What a transaction costs besides its responses: the entry object, its map slot, numbers (an estimate, on
 * the high side). The top Via is charged too: the branch and host strings are cut from it and keep it alive.
 */
export const ENTRY_OVERHEAD_BYTES = 256;

/** Bounds of one {@link ResponseCache}. */
export interface CacheLimits {
  /** Most transactions held (default {@link MAX_TRANSACTIONS_PER_FLOW}). */
  maxEntries?: number;
  /** Most bytes held by this cache (default {@link DEFAULT_FLOW_CACHE_BYTES}). */
  maxBytes?: number;
  /** The budget shared with the other flows' caches (default: one of its own, unbounded). */
  budget?: CacheBudget;
}

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
export class ResponseCache implements ChargeHolder {
  /** Branch → the first of its transactions; insertion order is age order, for eviction. */
  private readonly entries = new Map<string, Entry>();
  private count = 0;
  private held = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly budget: CacheBudget;

  /** @param ttlMs lifetime of a transaction entry, 64·T1 by default (RFC 3261 Timer J). */
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    limits: CacheLimits = {},
  ) {
    this.maxEntries = limits.maxEntries ?? MAX_TRANSACTIONS_PER_FLOW;
    this.maxBytes = limits.maxBytes ?? DEFAULT_FLOW_CACHE_BYTES;
    this.budget = limits.budget ?? new CacheBudget();
  }

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
        if (oldest.done !== true) this.evict(oldest.value, 'entries');
      }
      const added: Entry = {
        branch: id.branch, host: id.host, port: id.port, method: id.method, provisional: null, final: null, finalStatus: 0,
        expiresAt: now + this.ttlMs, next: null, held: true,
        bytes: ENTRY_OVERHEAD_BYTES + (req.topVia?.length ?? 0), older: null, newer: null, holder: this,
      };
      const head = this.entries.get(id.branch);
      if (head === undefined) this.entries.set(id.branch, added);
      else {
        added.next = head.next;
        head.next = added;
      }
      this.count++;
      this.held += added.bytes;
      this.budget.add(added);
      this.fit(added);
      return added.held ? { action: 'forward', key: added } : FORWARD_UNKEYED;
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
      if (entry.final === null) this.store(entry, ownBytes(bytes), null);
      return;
    }
    // The final response replaces the provisional one for good: only it is replayed from now on.
    this.store(entry, null, ownBytes(bytes));
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

  /** Drop everything, giving its bytes back to the shared budget (the flow is closing). */
  clear(): void {
    this.removeWhere(() => true);
  }

  /** Number of transactions held. */
  get size(): number {
    return this.count;
  }

  /** Bytes held (responses and per-transaction overhead), as charged to the budget. */
  get bytes(): number {
    return this.held;
  }

  /** The shared budget asks for `charge` back (see {@link CacheBudget.enforce}). */
  evictCharge(charge: Charge): void {
    this.remove(charge as Entry);
  }

  /** Set the responses `entry` holds, re-charge it, and bring the cache and the budget back within bounds. */
  private store(entry: Entry, provisional: Uint8Array | null, final: Uint8Array | null): void {
    const base = entry.bytes - (entry.provisional?.byteLength ?? 0) - (entry.final?.byteLength ?? 0);
    entry.provisional = provisional;
    entry.final = final;
    const cost = base + (provisional?.byteLength ?? 0) + (final?.byteLength ?? 0);
    this.held += cost - entry.bytes;
    this.budget.resize(entry, cost);
    this.fit(entry);
  }

  /**
   * Evict the oldest transactions until this cache is within its byte bound, then let the budget do the same
   * over every cache; `keep` (the one that just grew) goes last, only when it alone is too big.
   */
  private fit(keep: Entry): void {
    if (this.held > this.maxBytes) {
      for (const head of this.entries.values()) {
        for (let e: Entry | null = head; e !== null && this.held > this.maxBytes; ) {
          const next: Entry | null = e.next;
          if (e !== keep) this.evict(e, 'flow_bytes');
          e = next;
        }
        if (this.held <= this.maxBytes) break;
      }
      if (this.held > this.maxBytes) this.evict(keep, 'flow_bytes');
    }
    if (keep.held) this.budget.enforce(keep);
  }

  private evict(entry: Entry, reason: 'entries' | 'flow_bytes'): void {
    if (!entry.held) return;
    this.remove(entry);
    this.budget.evictions[reason]++;
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
    this.held -= entry.bytes;
    this.budget.remove(entry);
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
