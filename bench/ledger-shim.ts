/**
 * Billed units counted from outside a Worker's code, for trees that have no ledger of their own (the code
 * before the leases) and to cross-check the built-in one (`src/objects/ledger.ts`). A generated entry
 * (bench/ledger-tree.ts) re-exports the tree's Durable Object classes through {@link instrument}: a subclass
 * whose constructor wraps `ctx.storage.sql.exec` (adding each cursor's `rowsWritten`) and
 * `ctx.storage.setAlarm`, and whose prototype wraps every handler and RPC method. The counts carry the built-in
 * ledger's names (`ledger_*_total{class=…}`) and go to metrics shard 0 through its `add` RPC (which both the old
 * and the new `MetricsObject` have), so `/metrics` shows them. The tree's own code is not changed.
 *
 * Runs inside workerd; imports nothing, so that it bundles into any tree.
 * @module
 */

interface Cursor {
  rowsWritten: number;
}
interface Sql {
  exec(query: string, ...bindings: unknown[]): Cursor;
}
interface Storage {
  sql: Sql;
  setAlarm(at: number | Date, options?: unknown): Promise<void>;
}
interface State {
  storage: Storage;
  waitUntil(p: Promise<unknown>): void;
}
interface MetricsEnv {
  METRICS: { idFromName(name: string): unknown; get(id: unknown): { add(deltas: Record<string, number>): Promise<void> } };
}

/** Counts of one instance, sent to the shard shortly after they change. */
class Tally {
  #pending: Record<string, number> = {};
  #scheduled = false;

  constructor(private readonly prefix: string, private readonly cls: string, private readonly ctx: State, private readonly env: MetricsEnv) {}

  count(unit: string, by = 1, labels = ''): void {
    if (by === 0) return;
    const name = `${this.prefix}_${unit}_total{class="${this.cls}"${labels}}`;
    this.#pending[name] = (this.#pending[name] ?? 0) + by;
    if (this.#scheduled) return;
    this.#scheduled = true;
    // A macrotask later: what the event does after its last await (a write behind, a `void setAlarm`) is in.
    this.ctx.waitUntil(new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => this.#flush()));
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const deltas = this.#pending;
    this.#pending = {};
    if (Object.keys(deltas).length === 0) return;
    const m = this.env.METRICS;
    await m.get(m.idFromName('metrics:0')).add(deltas).catch(() => undefined);
  }
}

const TALLY = Symbol('ledger-shim');

function hookStorage(ctx: State, tally: Tally): void {
  const storage = ctx.storage;
  const sql = storage.sql;
  const exec = sql.exec.bind(sql);
  const setAlarm = storage.setAlarm.bind(storage);
  Object.defineProperty(sql, 'exec', {
    configurable: true,
    value: (query: string, ...bindings: unknown[]) => {
      const cursor = exec(query, ...bindings);
      // Local dev only: miniflare records each object's name in its own table through the same API.
      if (!query.includes('__miniflare_')) tally.count('rows_written', cursor.rowsWritten);
      return cursor;
    },
  });
  Object.defineProperty(storage, 'setAlarm', {
    configurable: true,
    value: (at: number | Date, options?: unknown) => {
      tally.count('alarms_set');
      return setAlarm(at, options);
    },
  });
  if (ctx.storage.sql.exec === exec || ctx.storage.setAlarm === setAlarm) throw new Error('ledger shim: storage methods could not be wrapped');
}

/** What a prototype method is as a billed unit: the runtime's handlers, or an RPC method. */
function kindOf(name: string): [unit: string, labels: string] {
  switch (name) {
    case 'fetch': return ['requests', ',kind="fetch"'];
    case 'alarm': return ['requests', ',kind="alarm"'];
    case 'webSocketMessage': return ['ws_messages', ''];
    case 'webSocketClose': case 'webSocketError': return ['ws_closes', ''];
    default: return ['requests', `,kind="rpc",method="${name}"`];
  }
}

/**
 * Whether the method that called this was entered from the runtime (an RPC, a handler) rather than from the
 * object's own code: the old classes' internals are TypeScript `private`, i.e. ordinary prototype methods.
 * A call from the runtime has no JavaScript frame below the counting wrapper.
 */
function calledByRuntime(): boolean {
  return (new Error().stack ?? '').split('\n').filter((l) => l.trimStart().startsWith('at ')).length <= 2;
}

type DoClass = new (ctx: never, env: never) => object;

/**
 * A subclass of the Durable Object class `Base` that counts its billed units under `class="<cls>"`: incoming
 * WebSocket messages, fetches, alarms, RPC calls, rows written and `setAlarm` calls (closes too, not billed).
 * `prefix` names the counters (`ledger`, or another beside a built-in ledger to compare the two).
 */
export function instrument<C extends DoClass>(Base: C, cls: string, prefix = 'ledger'): C {
  const Sub = class extends (Base as unknown as new (ctx: State, env: MetricsEnv) => object) {
    constructor(ctx: State, env: MetricsEnv) {
      const tally = new Tally(prefix, cls, ctx, env);
      hookStorage(ctx, tally);
      super(ctx, env);
      (this as unknown as Record<symbol, Tally>)[TALLY] = tally;
    }
  };
  for (let proto = Base.prototype as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    // Stop at the runtime's DurableObject base: its members are not the class's RPC methods.
    if (proto.constructor?.name === 'DurableObject') break;
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || Object.prototype.hasOwnProperty.call(Sub.prototype, name)) continue;
      const desc = Object.getOwnPropertyDescriptor(proto, name);
      if (!desc || typeof desc.value !== 'function') continue;
      const method = desc.value as (...args: unknown[]) => unknown;
      const [unit, labels] = kindOf(name);
      Object.defineProperty(Sub.prototype, name, {
        ...desc,
        value: function counted(this: Record<symbol, Tally>, ...args: unknown[]) {
          if (calledByRuntime()) this[TALLY]?.count(unit, 1, labels);
          return method.apply(this, args);
        },
      });
    }
  }
  return Sub as unknown as C;
}
