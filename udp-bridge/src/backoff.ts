/**
 * The reconnect back-off of a flow's WebSocket (pure).
 * @module
 */

/** Reconnect delay for the `attempt`-th consecutive failure: exponential, capped, ±50 % jitter. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + random));
}
