/**
 * The billed units of Durable Objects, counted by the runtime where they are billed (Cloudflare's DO pricing:
 * each RPC method call, HTTP request and alarm invocation is a request; incoming WebSocket messages bill 20:1;
 * every SQLite row written, including each `setAlarm`, is a row written). Off by default: with `LEDGER=on`
 * (the ledger benchmark) every object counts its units as `ledger_*_total{class="…"}` counters and sends them
 * to the metrics shards after each event, so `/metrics` shows what a scenario cost.
 * @module
 */

import { MetricsBuffer } from './metrics-buffer.js';

/** The instance's ledger, found by the RPC wrapper (a symbol: never an RPC name). */
export const LEDGER = Symbol('ledger');

/** Units of one object instance. */
export class Ledger {
  /**
   * @param enabled count at all (LEDGER=on)
   * @param cls the object's class name, the `class` label
   * @param inc adds to a counter
   * @param settle called after each counted event (sends the counts)
   */
  constructor(
    readonly enabled: boolean,
    private readonly cls: string,
    private readonly inc: (name: string, by: number) => void,
    private readonly settle: () => void,
  ) {}

  #count(unit: string, by = 1, extra = ''): void {
    if (!this.enabled || by === 0) return;
    this.inc(`ledger_${unit}_total{class="${this.cls}"${extra}}`, by);
  }

  /** An incoming WebSocket message that reached the object (auto-responses never do). */
  wsMessage(): void {
    this.#count('ws_messages');
  }

  /** An HTTP request to the object (a WebSocket upgrade). */
  fetch(): void {
    this.#count('requests', 1, ',kind="fetch"');
  }

  /** An RPC method call. */
  rpc(method: string): void {
    this.#count('requests', 1, `,kind="rpc",method="${method}"`);
  }

  /** An alarm invocation (a request), and the alarm itself. */
  alarmFired(): void {
    this.#count('requests', 1, ',kind="alarm"');
  }

  /** `setAlarm` (billed as a row written). */
  alarmSet(): void {
    this.#count('alarms_set');
  }

  /** Rows written, as the SQL cursor reports them. */
  rowsWritten(n: number): void {
    this.#count('rows_written', n);
  }

  /** The end of an event: send the counts (ledger mode only). */
  done(): void {
    if (this.enabled) this.settle();
  }
}

/** `sql.exec` that adds each cursor's `rowsWritten` to the ledger (writes run when `exec` is called). */
export function countedSql(sql: SqlStorage, ledger: Ledger | null): SqlStorage['exec'] {
  if (ledger === null || !ledger.enabled) return sql.exec.bind(sql);
  return ((query: string, ...bindings: unknown[]) => {
    const cursor = sql.exec(query, ...bindings);
    ledger.rowsWritten(cursor.rowsWritten);
    return cursor;
  }) as SqlStorage['exec'];
}

const HANDLERS = new Set(['constructor', 'fetch', 'alarm', 'webSocketMessage', 'webSocketClose', 'webSocketError']);

/**
 * Count every RPC method of a Durable Object class (its public prototype methods; internals live in `#`
 * fields and are not RPC). The instance sets `this[LEDGER]` in its constructor.
 */
export function billRpcCalls(cls: { prototype: object }): void {
  const proto = cls.prototype as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const desc = Object.getOwnPropertyDescriptor(proto, name);
    if (HANDLERS.has(name) || !desc || typeof desc.value !== 'function') continue;
    const method = desc.value as (...args: unknown[]) => unknown;
    Object.defineProperty(proto, name, {
      ...desc,
      value: function billed(this: { [LEDGER]?: Ledger }, ...args: unknown[]) {
        const ledger = this[LEDGER];
        ledger?.rpc(name);
        const out = method.apply(this, args);
        if (ledger?.enabled) void Promise.resolve(out).finally(() => ledger.done());
        return out;
      },
    });
  }
}

/** The ledger of an object that sends its counts to its metrics shard (`send`) after each event. */
export function shardLedger(ctx: DurableObjectState, enabled: boolean, cls: string, send: (counts: Record<string, number>) => Promise<void>): Ledger {
  const metrics = new MetricsBuffer({ events: 1, ageMs: 0 }, send);
  return new Ledger(enabled, cls, (n, by) => metrics.inc(n, Date.now(), by), () => {
    const sent = metrics.flush(Date.now(), true);
    if (sent) ctx.waitUntil(sent);
  });
}
