/**
 * Per-connection bounds: a token bucket on SIP messages (a flood gets 503
 * with Retry-After instead of occupying the object) and a cap on failed
 * authentications (password guessing ends the connection). Pure, clocked by
 * the caller; state lives in memory, so it resets when the object hibernates.
 * @module
 */

/** Limits of one connection. */
export interface FlowLimitPolicy {
  /** Sustained messages per second. */
  rate: number;
  /** Burst size. */
  burst: number;
  /** Failed authentications tolerated before the connection is closed. */
  maxAuthFailures: number;
}

/** Defaults: generous for a phone or a bridged camera, tight for a flood. */
export const DEFAULT_FLOW_LIMITS: FlowLimitPolicy = { rate: 50, burst: 200, maxAuthFailures: 10 };

/** The bounds of one connection. */
export class FlowLimits {
  private tokens: number;
  private last: number;
  private authFailures = 0;

  constructor(private readonly policy: FlowLimitPolicy = DEFAULT_FLOW_LIMITS, now = 0) {
    this.tokens = policy.burst;
    this.last = now;
  }

  /** Take one message's token; false when the connection is over its rate. */
  admit(now: number): boolean {
    // A clock that steps back refills nothing (it must not drain the bucket); refill resumes from the new time.
    const elapsed = Math.max(0, now - this.last);
    this.tokens = Math.min(this.policy.burst, this.tokens + (elapsed / 1000) * this.policy.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Record an authentication outcome; true when the connection has failed too often and must be closed. */
  authenticated(ok: boolean): boolean {
    this.authFailures = ok ? 0 : this.authFailures + 1;
    return this.authFailures >= this.policy.maxAuthFailures;
  }
}
