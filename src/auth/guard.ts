/**
 * Bounds on password guessing by source address, across connections and bridge flows (the model of
 * Kamailio's pike and secfilter): failures are counted per (AOR, source IP) and per source IP in fixed
 * windows; past a threshold the key is blocked for a while, each repeat doubling it up to a cap, and a block
 * holds even against the right password. A success resets nothing: an attacker who finds the password from a
 * blocked address still does not get in until the block ends. Pure: the clock comes in as a parameter; the
 * table is bounded, the least recently touched key goes first.
 * @module
 */

/** How many failures a key may have, and how long a block lasts. */
export interface GuardPolicy {
  /** Failures within {@link windowMs} that start a block. */
  threshold: number;
  windowMs: number;
  /** First block; each further one in a row doubles it, up to {@link maxBlockMs}. */
  baseBlockMs: number;
  maxBlockMs: number;
  /** Quiet time after which a key's history is forgotten (its blocks start from the base again). */
  forgetMs: number;
}

/** Per (AOR, IP): a device that mistyped its password a few times is back within a minute. */
export const PER_ACCOUNT: GuardPolicy = { threshold: 5, windowMs: 300_000, baseBlockMs: 60_000, maxBlockMs: 3_600_000, forgetMs: 86_400_000 };
/** Per IP, whatever the account (credential stuffing over many accounts from one host). */
export const PER_ADDRESS: GuardPolicy = { threshold: 30, windowMs: 300_000, baseBlockMs: 60_000, maxBlockMs: 3_600_000, forgetMs: 86_400_000 };

interface Entry {
  /** Attempts begun and not yet settled (Unix ms each), counted like failures until they settle. */
  pending: number[];
  failures: number;
  windowStart: number;
  /** Blocks in a row (the next one lasts base × 2^strikes). */
  strikes: number;
  blockedUntil: number;
  touched: number;
}

/** How long an attempt that was begun and never settled keeps counting (a flow that died meanwhile). */
export const PENDING_MS = 15_000;

/** Failure counts and blocks of some keys under one policy. */
export class FailureGuard {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly policy: GuardPolicy, private readonly maxKeys = 10_000) {}

  /** Until when `key` is blocked (Unix ms), or null. */
  blockedUntil(key: string, now: number): number | null {
    const e = this.#entries.get(key);
    return e !== undefined && e.blockedUntil > now ? e.blockedUntil : null;
  }

  /** Count a failure; returns until when the key is now blocked, or null. */
  fail(key: string, now: number): number | null {
    const p = this.policy;
    let e = this.#entries.get(key);
    if (e === undefined || now - e.touched > p.forgetMs) e = { pending: [], failures: 0, windowStart: now, strikes: 0, blockedUntil: 0, touched: now };
    this.#entries.delete(key); // re-inserted last: the map's order is least recently touched first
    if (now - e.windowStart > p.windowMs) {
      e.failures = 0;
      e.windowStart = now;
    }
    e.failures++;
    e.touched = now;
    if (e.failures >= p.threshold && e.blockedUntil <= now) {
      e.blockedUntil = now + Math.min(p.maxBlockMs, p.baseBlockMs * 2 ** e.strikes);
      e.strikes++;
      e.failures = 0;
      e.windowStart = now;
    }
    this.#entries.set(key, e);
    this.#evict(now);
    return e.blockedUntil > now ? e.blockedUntil : null;
  }

  /**
   * Begin an attempt before its password is checked: refused (the block's end, or a short wait) when the key
   * is blocked or when its failures and the attempts still in flight reach the threshold, so requests sent
   * without waiting for answers cannot all be checked before any failure counts. Settle it with
   * {@link settle}; an attempt never settled stops counting after {@link PENDING_MS}.
   */
  begin(key: string, now: number): number | null {
    const blocked = this.blockedUntil(key, now);
    if (blocked !== null) return blocked;
    let e = this.#entries.get(key);
    if (e === undefined || now - e.touched > this.policy.forgetMs) {
      e = { pending: [], failures: 0, windowStart: now, strikes: 0, blockedUntil: 0, touched: now };
      this.#entries.set(key, e);
    }
    e.pending = e.pending.filter((t) => now - t < PENDING_MS);
    const failures = now - e.windowStart > this.policy.windowMs ? 0 : e.failures;
    if (failures + e.pending.length >= this.policy.threshold) return now + PENDING_MS;
    e.pending.push(now);
    e.touched = now;
    this.#evict(now);
    return null;
  }

  /** Settle an attempt begun with {@link begin}: a failure counts (and may block), a success only ends it. */
  settle(key: string, ok: boolean, now: number): number | null {
    const e = this.#entries.get(key);
    if (e !== undefined) e.pending.shift();
    return ok ? null : this.fail(key, now);
  }

  /** A block that was kept elsewhere (storage), put back when the owner wakes. */
  restore(key: string, blockedUntil: number, now: number): void {
    if (blockedUntil > now) this.#entries.set(key, { pending: [], failures: 0, windowStart: now, strikes: 1, blockedUntil, touched: now });
  }

  /** Keys held. */
  get size(): number {
    return this.#entries.size;
  }

  #evict(now: number): void {
    for (const [key, e] of this.#entries) {
      if (this.#entries.size <= this.maxKeys) return;
      // Oldest first; a live block is kept unless every key is blocked.
      if (e.blockedUntil > now && this.#entries.size <= this.maxKeys * 2) continue;
      this.#entries.delete(key);
    }
  }
}
