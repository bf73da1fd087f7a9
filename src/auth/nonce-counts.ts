/**
 * The nonce-count replay window of one flow, in memory only (RFC 2617 §3.2.2: each (nonce, nc) is accepted
 * once). Nonces are bound to the flow that issued them, so the flow that sees every use of a nonce keeps
 * its counts, and an authenticated request costs no storage write for replay protection.
 *
 * What memory cannot vouch for is refused: a nonce issued before the window's floor that the window does
 * not hold. The floor starts when the object woke up (counts from before a hibernation are gone) and rises
 * past every live nonce the window had to forget to stay bounded. The client answers the resulting
 * `401 … stale=true` with the fresh nonce it carries. Kamailio's one-time nonces behave alike: they live
 * in shared memory, and a restart invalidates the old ones.
 * @module
 */
import { acceptNonceCount } from './nonce.js';
import { detached } from '../sip/memo.js';

/** Nonces one flow remembers before it forgets the least recently used one. */
export const NONCE_WINDOW_SIZE = 1024;

/** Accepted nonce counts since `startedAt`. */
export class NonceCounts {
  /**
   * The slot of each remembered nonce, least recently used first. A slot's count and issue time are numbers
   * in typed arrays, so a remembered nonce is one string and one map entry: under load a full window is a
   * thousand entries per flow, and every object in it is marked again by each major GC.
   */
  private readonly slots = new Map<string, number>();
  private counts = new Float64Array(4);
  private issued = new Float64Array(4);
  private readonly free: number[] = [];
  private used = 0;
  private floor: number;

  /**
   * @param startedAt Unix ms when the owner woke up: nonces issued earlier are refused unless seen since.
   * @param lifetimeMs how long after issue a nonce is refused as stale anyway (its ttl), so its count can go.
   * @param size most nonces remembered.
   */
  constructor(startedAt: number, private readonly lifetimeMs: number, private readonly size = NONCE_WINDOW_SIZE) {
    this.floor = startedAt;
  }

  /**
   * Accept `nc` for a genuine nonce issued at `issuedAt` (Unix ms) and remember it; false for a replay or a
   * nonce the window cannot vouch for (answer with a fresh challenge, `stale=true`).
   */
  accept(nonce: string, issuedAt: number, nc: number, now: number): boolean {
    const slot = this.slots.get(nonce);
    if (slot === undefined && issuedAt < this.floor) return false;
    if (!acceptNonceCount(slot === undefined ? undefined : this.counts[slot], nc)) return false;
    // A nonce read from a request is a slice of its text: as a key it would keep the message alive for minutes.
    if (slot === undefined) {
      const s = this.take();
      this.counts[s] = nc;
      this.issued[s] = issuedAt;
      this.slots.set(detached(nonce), s);
    } else {
      this.slots.delete(nonce); // re-inserted last: the map's order is least recently used first
      this.counts[slot] = nc;
      this.slots.set(detached(nonce), slot);
    }
    this.evict(now);
    return true;
  }

  /** A free slot, the arrays grown (doubled) when every one is taken. */
  private take(): number {
    const s = this.free.pop();
    if (s !== undefined) return s;
    if (this.used === this.counts.length) {
      const counts = new Float64Array(this.used * 2);
      const issued = new Float64Array(this.used * 2);
      counts.set(this.counts);
      issued.set(this.issued);
      this.counts = counts;
      this.issued = issued;
    }
    return this.used++;
  }

  /** Amortised: one expired count goes per use; over the size, the least recently used go and the floor rises. */
  private evict(now: number): void {
    for (const [nonce, s] of this.slots) {
      const issuedAt = this.issued[s]!;
      const expired = issuedAt + this.lifetimeMs < now;
      if (!expired && this.slots.size <= this.size) return;
      this.slots.delete(nonce);
      this.free.push(s);
      if (!expired) this.floor = Math.max(this.floor, issuedAt + 1);
      else if (this.slots.size <= this.size) return;
    }
  }

  /** Nonces currently remembered. */
  get count(): number {
    return this.slots.size;
  }
}
