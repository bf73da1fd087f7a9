/**
 * The accounts of the SIP domain, for `GET /api/v1/users`. Written only when the API creates or deletes an
 * account (never on a REGISTER), so it sees a handful of writes a day; the AOR objects stay the authority on
 * whether an account exists.
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.js';
import { readConfig } from '../config.js';
import { billRpcCalls, countedSql, type Ledger, LEDGER, shardLedger } from './ledger.js';
import { shardOf } from './metrics-object.js';
import { metricsShard } from './stubs.js';

/** One row of the user list. */
export interface UserEntry {
  user: string;
  aor: string;
}

/** User directory of one SIP domain. Named `users:<domain>` (`stubs.ts`). */
export class UserDirectoryObject extends DurableObject<Env> {
  readonly #exec: SqlStorage['exec'];
  readonly [LEDGER]: Ledger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this[LEDGER] = shardLedger(ctx, readConfig(env).ledger, 'UserDirectoryObject', (c) => metricsShard(env, shardOf(ctx.id.toString())).add(c));
    this.#exec = countedSql(ctx.storage.sql, this[LEDGER]);
    this.#exec('CREATE TABLE IF NOT EXISTS users (user TEXT PRIMARY KEY, aor TEXT NOT NULL)');
  }

  /** Record an account (idempotent: a replaced password writes nothing). */
  async add(entry: UserEntry): Promise<void> {
    this.#exec('INSERT INTO users (user, aor) VALUES (?, ?) ON CONFLICT(user) DO NOTHING', entry.user, entry.aor);
  }

  /** Forget an account; whether it was listed. */
  async remove(user: string): Promise<boolean> {
    return this.#exec('DELETE FROM users WHERE user = ? RETURNING user', user).toArray().length > 0;
  }

  /** Every account, by user name. */
  async list(): Promise<UserEntry[]> {
    return this.#exec<{ user: string; aor: string }>('SELECT user, aor FROM users ORDER BY user').toArray().map((r) => ({ user: r.user, aor: r.aor }));
  }
}

billRpcCalls(UserDirectoryObject);
