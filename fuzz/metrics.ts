/**
 * Prometheus text, as the Worker's `/metrics` and the bridge's serve it, and differences between two reads.
 * @module
 */

import { parsePrometheus } from '../test/e2e/udp/udp-kit.js';

export { parsePrometheus };

/** `after − before` for every series that moved (counters; a gauge's change is its difference too). */
export function delta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) out.set(k, d);
  }
  return out;
}

/** The series of one family in a delta, by their label text (`{reason="not_sip"}` → `not_sip`). */
export function byLabel(m: Map<string, number>, family: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of m) {
    if (k !== family && !k.startsWith(`${family}{`)) continue;
    const label = /="([^"]*)"/.exec(k)?.[1] ?? '';
    out[label] = (out[label] ?? 0) + v;
  }
  return out;
}

/** Read until two reads in a row agree (counters still in flight settle), bounded by `ms`. */
export async function settled(read: () => Promise<Map<string, number>>, ms = 20_000, gapMs = 1_500): Promise<Map<string, number>> {
  const end = Date.now() + ms;
  let last = await read();
  for (;;) {
    await new Promise((r) => setTimeout(r, gapMs));
    const now = await read();
    if (delta(last, now).size === 0 || Date.now() > end) return now;
    last = now;
  }
}
