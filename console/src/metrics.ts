/**
 * Prometheus text (what `/metrics` answers) into samples, and per-second rates between two scrapes. Pure.
 * @module
 */

/** `name{labels}` → value. */
export type Samples = Map<string, number>;

/** Parse the text exposition format (comments skipped). */
export function parseMetrics(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    const v = Number(line.slice(sp + 1));
    if (sp > 0 && Number.isFinite(v)) out.set(line.slice(0, sp), v);
  }
  return out;
}

/** Per-second rate of every counter present in both scrapes, `seconds` apart (a counter reset counts as 0). */
export function rates(before: Samples, after: Samples, seconds: number): Map<string, number> {
  const out = new Map<string, number>();
  if (seconds <= 0) return out;
  for (const [k, v] of after) {
    const b = before.get(k);
    if (b === undefined) continue;
    out.set(k, Math.max(0, v - b) / seconds);
  }
  return out;
}

/** Sum of every sample of a family (`sip_requests_received_total` over all its labels). */
export function family(s: Samples | Map<string, number>, name: string): number {
  let sum = 0;
  for (const [k, v] of s) if (k === name || k.startsWith(`${name}{`)) sum += v;
  return sum;
}
