/**
 * Gauges kept in the metrics shards as deltas (the sum over the shards is the value now), and the cheap
 * summary `GET /api/v1/overview` reads from the shards' totals. An AOR object sends a delta only when the size
 * of its binding set changes (a new binding, a removal, an expiry; never a refresh), and every flow sends its
 * `sip_connections_opened_total` when it opens and its `…closed_total` when it closes. Pure.
 * @module
 */

/** Bindings held by every AOR object (leased ones included: they live until their flow lets them go). */
export const BINDINGS_GAUGE = 'sip_bindings';
/** AORs with at least one binding (users and GB devices). */
export const AORS_GAUGE = 'sip_registered_aors';
/** The metric families rendered as gauges in `/metrics`. */
export const GAUGES: ReadonlySet<string> = new Set([BINDINGS_GAUGE, AORS_GAUGE]);

/** The deltas an AOR object sends when its binding set goes from `before` to `after` bindings; null: none. */
export function registrationDeltas(before: number, after: number): Record<string, number> | null {
  if (before === after) return null;
  const aors = (after > 0 ? 1 : 0) - (before > 0 ? 1 : 0);
  return { [BINDINGS_GAUGE]: after - before, ...(aors !== 0 ? { [AORS_GAUGE]: aors } : {}) };
}

/** Registered AORs, bindings and open connections from the shards' summed counters (never below zero). */
export function overviewOf(totals: Readonly<Record<string, number>>): { registeredAors: number; bindings: number; connections: number } {
  let connections = 0;
  for (const [name, v] of Object.entries(totals)) {
    if (name.startsWith('sip_connections_opened_total')) connections += v;
    if (name.startsWith('sip_connections_closed_total')) connections -= v;
  }
  const at = (name: string) => Math.max(0, totals[name] ?? 0);
  return { registeredAors: at(AORS_GAUGE), bindings: at(BINDINGS_GAUGE), connections: Math.max(0, connections) };
}
