/**
 * A byte budget shared by every flow's response cache, so their total stays bounded: the charges of all
 * caches in one list, oldest first, and the oldest evicted when the total goes over. Pure.
 * @module
 */

/** Why a cached transaction was dropped before its time. */
export type CacheEviction = 'entries' | 'flow_bytes' | 'total_bytes';

/** Every eviction reason, so each series exists (at 0) from the start. */
export const CACHE_EVICTIONS: readonly CacheEviction[] = ['entries', 'flow_bytes', 'total_bytes'];

/** What a view may leave of its buffer unseen before {@link ownBytes} copies it (a WebSocket frame header fits). */
const VIEW_SLACK_BYTES = 64;

/**
 * `bytes` as something to keep: its own copy when it is a view into a larger buffer (a WebSocket read holding
 * several frames), so that about its length is what it keeps alive; as it is otherwise (no copy for a frame
 * that came alone, whose buffer holds only its header more).
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.buffer.byteLength - bytes.byteLength <= VIEW_SLACK_BYTES ? bytes : new Uint8Array(bytes);
}

/** Whoever holds a charge, and drops it (and what it stands for) when the budget asks. */
export interface ChargeHolder {
  /** Drop `charge`'s entry; must end with {@link CacheBudget.remove} of it. */
  evictCharge(charge: Charge): void;
}

/** Something held against a budget: its size, its place in the age list, its holder. */
export interface Charge {
  /** Bytes charged. */
  bytes: number;
  /** The next older charge (towards eviction), in the budget's list. */
  older: Charge | null;
  /** The next newer charge. */
  newer: Charge | null;
  readonly holder: ChargeHolder;
}

/** A byte budget shared by several caches; `limit` Infinity tracks without bounding. */
export class CacheBudget {
  /** Bytes currently charged, over every cache. */
  used = 0;
  /** Evictions by reason: the caches count theirs here too, so one object holds them all. */
  readonly evictions: Record<CacheEviction, number> = { entries: 0, flow_bytes: 0, total_bytes: 0 };
  private oldest: Charge | null = null;
  private newest: Charge | null = null;

  /** @param limit most bytes charged at once (after {@link CacheBudget.enforce}). */
  constructor(readonly limit = Number.POSITIVE_INFINITY) {}

  /** Charge `c` (its `bytes`) as the newest. */
  add(c: Charge): void {
    c.older = this.newest;
    c.newer = null;
    if (this.newest === null) this.oldest = c;
    else this.newest.newer = c;
    this.newest = c;
    this.used += c.bytes;
  }

  /** `c` now costs `bytes`; it keeps its age. */
  resize(c: Charge, bytes: number): void {
    this.used += bytes - c.bytes;
    c.bytes = bytes;
  }

  /** Release `c`. */
  remove(c: Charge): void {
    if (c.older === null) {
      if (this.oldest !== c) return; // not charged here
      this.oldest = c.newer;
    } else c.older.newer = c.newer;
    if (c.newer === null) this.newest = c.older;
    else c.newer.older = c.older;
    c.older = null;
    c.newer = null;
    this.used -= c.bytes;
  }

  /**
   * Evict the oldest charges until the total is within the limit, sparing `keep` (the charge that just grew)
   * unless it alone is over the limit.
   */
  enforce(keep: Charge | null = null): void {
    let c = this.oldest;
    while (this.used > this.limit && c !== null) {
      const newer = c.newer;
      if (c !== keep) this.evict(c);
      c = newer;
    }
    if (this.used > this.limit && keep !== null) this.evict(keep);
  }

  private evict(c: Charge): void {
    const before = this.used;
    c.holder.evictCharge(c);
    if (this.used !== before) this.evictions.total_bytes++;
  }
}
