/**
 * Catalog reassembly: one Catalog answer may arrive as several `Response/Catalog` MESSAGEs
 * sharing the query's SN, in any order and possibly retransmitted; it is complete when
 * `SumNum` distinct items have arrived, and closed as partial after a silent gap
 * (WVP `CatalogDataManager`: 2 min for the first part, 5 s between parts).
 * @module
 */

import type { CatalogItem } from './manscdp-response.js';

/** One parsed Catalog part, as returned by `catalogResponse`. */
export interface CatalogPart {
  sumNum: number;
  items: readonly CatalogItem[];
}

/** Outcome of a (possibly unfinished) reassembly. */
export interface CatalogResult {
  /** Largest `SumNum` seen; 0 before any part. */
  sumNum: number;
  /** Distinct items in arrival order of their first copy; later copies replace the content. */
  items: CatalogItem[];
  complete: boolean;
}

/** JSON-safe snapshot of a {@link CatalogAssembly}, for Durable Object storage. */
export interface CatalogAssemblyState {
  readonly v: 1;
  readonly deviceId: string;
  readonly sn: number;
  readonly startedAt: number;
  /** When the last part that brought news arrived; `null` before the first part. */
  readonly lastProgressAt: number | null;
  readonly sumNum: number;
  readonly items: readonly CatalogItem[];
}

/** Collects the parts of one Catalog answer, keyed by (deviceId, SN). Time comes in as arguments. */
export class CatalogAssembly {
  /** Device the query went to. */
  readonly deviceId: string;
  /** SN of the query; every part echoes it. */
  readonly sn: number;
  /** When the query was sent (ms). */
  readonly startedAt: number;
  #sumNum = 0;
  #lastProgressAt: number | null = null;
  readonly #items = new Map<string, CatalogItem>();

  /** Start waiting for the answer to Catalog query `sn` sent to `deviceId` at `startedAt` (ms). */
  constructor(deviceId: string, sn: number, startedAt: number) {
    this.deviceId = deviceId;
    this.sn = sn;
    this.startedAt = startedAt;
  }

  /**
   * Take one part received at `now`. Items are keyed by DeviceID, so a retransmitted part
   * counts once. Only the first part and parts with new items reset the gap timer.
   * `SumNum` is the largest value seen, so a part under-reporting it cannot finish early.
   */
  add(part: CatalogPart, now: number): void {
    let progress = this.#lastProgressAt === null;
    if (Number.isSafeInteger(part.sumNum) && part.sumNum > this.#sumNum) this.#sumNum = part.sumNum;
    for (const item of part.items) {
      if (!this.#items.has(item.deviceId)) progress = true;
      this.#items.set(item.deviceId, item);
    }
    if (progress) this.#lastProgressAt = now;
  }

  /** True once a part arrived and at least `SumNum` distinct items are in (`SumNum` 0: no channels). */
  get complete(): boolean {
    return this.#lastProgressAt !== null && this.#items.size >= this.#sumNum;
  }

  /** Number of distinct items received so far. */
  get received(): number {
    return this.#items.size;
  }

  /**
   * True when the sync should be closed as it is: no progress for `gapMs` since the last
   * useful part, or for `firstPartMs` (default `gapMs`) since the start when no part came.
   * A complete assembly is never stale.
   */
  isStale(now: number, gapMs: number, firstPartMs = gapMs): boolean {
    if (this.complete) return false;
    if (this.#lastProgressAt === null) return now - this.startedAt >= firstPartMs;
    return now - this.#lastProgressAt >= gapMs;
  }

  /** The items so far and whether they are all of them. */
  result(): CatalogResult {
    return { sumNum: this.#sumNum, items: [...this.#items.values()], complete: this.complete };
  }

  /** Snapshot for storage; `JSON.stringify` calls it. */
  toJSON(): CatalogAssemblyState {
    return {
      v: 1,
      deviceId: this.deviceId,
      sn: this.sn,
      startedAt: this.startedAt,
      lastProgressAt: this.#lastProgressAt,
      sumNum: this.#sumNum,
      items: [...this.#items.values()],
    };
  }

  /** Rebuild from {@link CatalogAssembly.toJSON} output (after a JSON or structured-clone round trip). */
  static fromJSON(state: CatalogAssemblyState): CatalogAssembly {
    const a = new CatalogAssembly(state.deviceId, state.sn, state.startedAt);
    a.#sumNum = state.sumNum;
    a.#lastProgressAt = state.lastProgressAt;
    for (const item of state.items) a.#items.set(item.deviceId, item);
    return a;
  }
}
