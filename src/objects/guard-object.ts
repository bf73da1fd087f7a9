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
import { billRpcCalls, countedSql, Ledger, LEDGER } from './ledger.js';
import { MetricsBuffer } from './metrics-buffer.js';
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
    const metrics = new MetricsBuffer({ events: 1, ageMs: 0 }, (c) => metricsShard(env, shardOf(ctx.id.toString())).add(c));
    this[LEDGER] = new Ledger(readConfig(env).ledger, 'GuardObject', (n, by) => metrics.inc(n, Date.now(), by), () => {
      const sent = metrics.flush(Date.now(), true);
      if (sent) ctx.waitUntil(sent);
    });
    this.#exec = countedSql(ctx.storage.sql, this[LEDGER]);
    this.#exec('CREATE TABLE IF NOT EXISTS blocks (key TEXT PRIMARY KEY, until INTEGER NOT NULL)');
    const now = Date.now();
    for (const r of this.#exec<{ key: string; until: number }>('SELECT key, until FROM blocks')) {
      (r.key === ANY ? this.#perAddress : this.#perAccount).restore(r.key, r.until, now);
    }
  }

  /** Until when authentications for `aor` from this address are refused (Unix ms), or null. */
  async blocked(aor: string): Promise<number | null> {
    const now = Date.now();
    return max(this.#perAddress.blockedUntil(ANY, now), this.#perAccount.blockedUntil(aor, now));
  }

  /** A failed authentication for `aor` from this address; returns until when it is now refused, or null. */
  async failed(aor: string): Promise<number | null> {
    const now = Date.now();
    const before = await this.blocked(aor);
    const address = this.#perAddress.fail(ANY, now);
    const account = this.#perAccount.fail(aor, now);
    const until = max(address, account);
    if (until !== null && until !== before) {
      if (address !== null) this.#exec('INSERT INTO blocks (key, until) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET until = excluded.until', ANY, address);
      if (account !== null) this.#exec('INSERT INTO blocks (key, until) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET until = excluded.until', aor, account);
    }
    return until;
  }
}

function max(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

billRpcCalls(GuardObject);
