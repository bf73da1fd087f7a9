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

interface Seen {
  nc: number;
  issuedAt: number;
}

/** Accepted nonce counts since `startedAt`. */
export class NonceCounts {
  private readonly seen = new Map<string, Seen>();
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
    const prev = this.seen.get(nonce);
    if (prev === undefined && issuedAt < this.floor) return false;
    if (!acceptNonceCount(prev?.nc, nc)) return false;
    // A nonce read from a request is a slice of its text: as a key it would keep the message alive for minutes.
    if (prev === undefined) {
      this.seen.set(detached(nonce), { nc, issuedAt });
    } else {
      this.seen.delete(nonce); // re-inserted last: the map's order is least recently used first
      prev.nc = nc;
      this.seen.set(detached(nonce), prev);
    }
    this.evict(now);
    return true;
  }

  /** Amortised: one expired count goes per use; over the size, the least recently used go and the floor rises. */
  private evict(now: number): void {
    for (const [nonce, s] of this.seen) {
      const expired = s.issuedAt + this.lifetimeMs < now;
      if (!expired && this.seen.size <= this.size) return;
      this.seen.delete(nonce);
      if (!expired) this.floor = Math.max(this.floor, s.issuedAt + 1);
      else if (this.seen.size <= this.size) return;
    }
  }

  /** Nonces currently remembered. */
  get count(): number {
    return this.seen.size;
  }
}
