/**
 * Billed units → dollars, at the list prices of ../shared/reference/workers-durable-objects.md §3.1 (which cites
 * Cloudflare's Durable Objects and Workers pricing pages): DO requests $0.15 per million, each RPC call, fetch
 * and alarm one request, incoming WebSocket messages 20:1; SQLite rows written $1.00 per million, each
 * `setAlarm` one row. A 30-day month is 720 hours. Free tiers and the plan's $5 minimum are left out.
 * @module
 */
import type { Units } from './ledger-scenarios.js';

/** List prices and billing ratios (§3.1). */
export const PRICES = { requestPerMillion: 0.15, rowPerMillion: 1.0, wsMessagesPerRequest: 20, hoursPerMonth: 720, daysPerMonth: 30 } as const;
/** The fleet the dollars are given for. */
export const FLEET = 100_000;
/** The production metrics policy (src/config.ts, src/objects/metrics-buffer.ts): a flush after this many increments … */
export const FLUSH_EVENTS = 5000;
/** … or once the oldest pending increment is this many hours old. */
export const FLUSH_HOURS = 24;
/** The default lease term (src/config.ts `LEASE_SECONDS`), in days: a leased device's refresh reaches its AOR once per term. */
export const LEASE_DAYS = 7;
/** Metrics shards and how often a busy one writes its changed rows (src/objects/metrics-object.ts). */
export const SHARDS = { count: 4, persistSeconds: 30 } as const;

/** Billed requests and rows of some units. */
export interface Billed {
  requests: number;
  rows: number;
}

/** Requests and rows billed for `u`; `crlfBilled`: count the auto-answered CRLF keep-alives as messages too. */
export function billed(u: Units, crlfBilled = false): Billed {
  const messages = u.wsMessages + (crlfBilled ? u.sentCrlf : 0);
  return { requests: u.fetches + u.rpcs + u.alarms + messages / PRICES.wsMessagesPerRequest, rows: u.rowsWritten + u.alarmsSet };
}

/** Dollars of `b`, `times` over (e.g. hours per month × devices). */
export function dollars(b: Billed, times = 1): number {
  return (b.requests * PRICES.requestPerMillion + b.rows * PRICES.rowPerMillion) * times / 1e6;
}

/** `a` + `k` × `b`. */
export function plus(a: Billed, b: Billed, k = 1): Billed {
  return { requests: a.requests + k * b.requests, rows: a.rows + k * b.rows };
}

/** Flushes a month of one flow under the production policy, from the increments it makes an hour. */
export function flushesPerMonth(eventsPerHour: number): number {
  if (eventsPerHour <= 0) return 0;
  return PRICES.hoursPerMonth / Math.min(FLUSH_HOURS, FLUSH_EVENTS / eventsPerHour);
}

/**
 * The shards' own cost a month, whatever the fleet size, once they are busy (an `add` within every 30 s): each
 * persists by alarm every 30 s (one alarm run, one `setAlarm`) and writes each changed counter (at most `names`).
 */
export function shardCostPerMonth(names: number): Billed {
  const persists = SHARDS.count * (PRICES.hoursPerMonth * 3600) / SHARDS.persistSeconds;
  return { requests: persists, rows: persists * (1 + names) };
}

/**
 * What the code before the leases did in real time that a compressed run cannot show (read from that code,
 * `git show <before>:src/objects/aor-object.ts`, `…/gb28181/device.ts`, `…/registrar/bindings.ts`):
 * - a camera's offline deadline was its last keepalive + 3 × 60 s, pushed later by every keepalive without a
 *   `setAlarm`, so the alarm fired at the old deadline and re-armed: every 120–180 s, at least 20 runs and 20
 *   `setAlarm` an hour;
 * - a softphone refresh 10 minutes after the last moved the expiry by ≥ 15 s, so its binding row was written,
 *   and the binding's expiry alarm fired after each refresh and re-armed: one row, one run and one `setAlarm`
 *   per refresh.
 */
export function beforeRealTime(u: Units, kind: 'camera' | 'phone', sizes: { keepalives: number; refreshes: number }): Units {
  if (kind === 'camera') {
    // At most 180 s between runs: one per three keepalives a minute apart (a lower bound).
    const runs = Math.floor(sizes.keepalives / 3);
    return { ...u, alarms: u.alarms + runs, alarmsSet: u.alarmsSet + runs };
  }
  const n = sizes.refreshes;
  return { ...u, rowsWritten: u.rowsWritten + n, alarms: u.alarms + n, alarmsSet: u.alarmsSet + n };
}

/**
 * Metrics flushes of the code before the leases, from that code: a flow flushed after any message ≥ 10 s after
 * its last flush, one RPC, and the shard wrote one row per counter in the batch. A camera's messages are a
 * minute apart (each flushes, two counters: the request and the local response); a softphone's REGISTER pairs
 * flush once per refresh (three counters: REGISTER, 401, 200).
 */
export function beforeFlushPerHour(kind: 'camera' | 'phone', sizes: { keepalives: number; refreshes: number }): Billed {
  return kind === 'camera'
    ? { requests: sizes.keepalives + 1, rows: 2 * sizes.keepalives + 3 }
    : { requests: sizes.refreshes, rows: 3 * sizes.refreshes };
}

/** `$1,234.56` (cents below $100). */
export function usd(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return `$${x.toLocaleString('en-US', { minimumFractionDigits: x < 100 ? 2 : 0, maximumFractionDigits: x < 100 ? 2 : 0 })}`;
}

/** Units of a scenario in one table row's cells (counts, then billed requests and rows). */
export function unitCells(u: Units | null): string[] {
  if (!u) return Array(10).fill('n/a') as string[];
  const methods = Object.entries(u.methods).sort(([a], [b]) => a.localeCompare(b)).map(([m, n]) => `${m} ${n}`).join(', ') || '—';
  const b0 = billed(u);
  const b1 = billed(u, true);
  const req = b0.requests === b1.requests ? fmtN(b0.requests) : `${fmtN(b0.requests)} / ${fmtN(b1.requests)}`;
  return [`${u.sentSip} / ${u.sentCrlf}`, String(u.wsMessages), String(u.fetches), String(u.rpcs), methods, String(u.alarms), String(u.rowsWritten), String(u.alarmsSet), req, fmtN(b0.rows)];
}

/** A count with up to two decimals. */
export function fmtN(x: number): string {
  return Number.isInteger(x) ? x.toLocaleString('en-US') : x.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** The header of {@link unitCells}. */
export const UNIT_HEAD = ['sent: SIP / CRLF', 'WS messages in', 'fetch', 'RPC', 'RPC methods', 'alarm runs', 'rows written', 'setAlarm', 'billed requests (CRLF free / billed)', 'billed rows'];
