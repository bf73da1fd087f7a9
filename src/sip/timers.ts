/**
 * The one timer table: RFC 3261's T1, T2 and T4 (§17.1.1.1, Table 4) and every timer derived from them, used
 * by the proxy's transactions in the Worker and by the udp-bridge's retransmissions. Milliseconds.
 * @module
 */

/** RTT estimate. */
const T1 = 500;
/** Longest retransmit interval for non-INVITE requests and INVITE responses. */
const T2 = 4_000;
/** Longest time a message stays in the network. */
const T4 = 5_000;

/** RFC 3261 Table 4, and the proxy's Timer C (§16.6 step 11). */
export const Timers = {
  T1,
  T2,
  T4,
  /** INVITE transaction timeout, client side. */
  TIMER_B: 64 * T1,
  /** Non-INVITE transaction timeout, client side. */
  TIMER_F: 64 * T1,
  /** Wait time for ACK receipt at an INVITE server. */
  TIMER_H: 64 * T1,
  /** A proxy's INVITE timer, "greater than 3 minutes" (§16.6 step 11). */
  TIMER_C: 181_000,
  /**
   * How long a finished transaction is kept to absorb retransmissions (64·T1, as Timer J for non-INVITE over
   * UDP, and as the 2xx retransmission window of an INVITE, §13.3.1.4).
   */
  LINGER: 64 * T1,
} as const;
