/**
 * One Durable Object per source IP (`guard:<ip>`): its failed authentications, per account and in all,
 * across every connection and bridge flow from that address (`auth/guard.ts`). Counts live in memory (no
 * storage write per attempt); only the start of a block is written, so an eviction does not lift it. Flows
 * call it on a failure and before an authentication reaches an AOR; a leased refresh never does.
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.js';
import { readConfig } from '../config.js';
import { FailureGuard, PER_ACCOUNT, PER_ADDRESS } from '../auth/guard.js';
import { billRpcCalls, countedSql, type Ledger, LEDGER, shardLedger } from './ledger.js';
import { shardOf } from './metrics-object.js';
import { metricsShard } from './stubs.js';

const ANY = '*';

/** The failed authentications of one source address. */
export class GuardObject extends DurableObject<Env> {
  readonly #perAccount = new FailureGuard(PER_ACCOUNT);
  readonly #perAddress = new FailureGuard(PER_ADDRESS, 1);
  readonly #exec: SqlStorage['exec'];
  readonly [LEDGER]: Ledger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this[LEDGER] = shardLedger(ctx, readConfig(env).ledger, 'GuardObject', (c) => metricsShard(env, shardOf(ctx.id.toString())).add(c));
    this.#exec = countedSql(ctx.storage.sql, this[LEDGER]);
    this.#exec('CREATE TABLE IF NOT EXISTS blocks (key TEXT PRIMARY KEY, until INTEGER NOT NULL)');
    const now = Date.now();
    for (const r of this.#exec<{ key: string; until: number }>('SELECT key, until FROM blocks')) {
      (r.key === ANY ? this.#perAddress : this.#perAccount).restore(r.key, r.until, now);
    }
  }

  /**
   * Begin an authentication for `aor` from this address, before its password is checked: until when it is
   * refused (Unix ms), or null to go ahead. Attempts in flight count like failures for the account, so
   * requests pipelined on one connection, or sent over many at once, cannot all be checked first.
   */
  async attempt(aor: string): Promise<number | null> {
    const now = Date.now();
    const address = this.#perAddress.blockedUntil(ANY, now);
    return address ?? this.#perAccount.begin(aor, now);
  }

  /** The outcome of an attempt begun with {@link attempt}; until when the address is now refused, or null. */
  async settle(aor: string, ok: boolean): Promise<number | null> {
    const now = Date.now();
    const account = this.#perAccount.settle(aor, ok, now);
    return ok ? null : this.#counted(aor, account, now);
  }

  /** A failure found without an attempt (the flow checked a leased password itself). */
  async failed(aor: string): Promise<number | null> {
    const now = Date.now();
    return this.#counted(aor, this.#perAccount.fail(aor, now), now);
  }

  /** Count the failure for the address too, and write any block that starts now. */
  #counted(aor: string, account: number | null, now: number): number | null {
    const before = this.#perAddress.blockedUntil(ANY, now);
    const address = this.#perAddress.fail(ANY, now);
    if (address !== null && address !== before) this.#write(ANY, address, now);
    if (account !== null && this.#written.get(aor) !== account) this.#write(aor, account, now);
    return max(address, account);
  }

  /** The block last written for each key, so one block is one row; entries go when their block ends. */
  readonly #written = new Map<string, number>();

  #write(key: string, until: number, now: number): void {
    for (const [k, u] of this.#written) if (u <= now) this.#written.delete(k);
    this.#written.set(key, until);
    this.#exec('INSERT INTO blocks (key, until) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET until = excluded.until', key, until);
  }
}

function max(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

billRpcCalls(GuardObject);
