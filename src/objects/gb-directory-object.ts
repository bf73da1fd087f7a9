/**
 * The list of GB/T 28181 devices of one realm, for `GET /api/v1/gb28181/devices`.
 * Written only when a device's registration or online state changes (never on
 * keepalives), so it sees a handful of writes per device per hour.
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.js';
import { readConfig } from '../config.js';
import { billRpcCalls, countedSql, type Ledger, LEDGER, shardLedger } from './ledger.js';
import { shardOf } from './metrics-object.js';
import { metricsShard } from './stubs.js';
import type { DeviceSummary } from '../gb28181/device.js';

/** Device directory of one realm. Named `gb:<realm>`. */
export class GbDirectoryObject extends DurableObject<Env> {
  readonly #exec: SqlStorage['exec'];
  readonly [LEDGER]: Ledger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this[LEDGER] = shardLedger(ctx, readConfig(env).ledger, 'GbDirectoryObject', (c) => metricsShard(env, shardOf(ctx.id.toString())).add(c));
    this.#exec = countedSql(ctx.storage.sql, this[LEDGER]);
    this.#exec('CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, data TEXT NOT NULL)');
  }

  /** Record a device's summary. */
  async upsert(s: DeviceSummary): Promise<void> {
    this.#exec('INSERT INTO devices (id, data) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data', s.deviceId, JSON.stringify(s));
  }

  /** Every device, by ID. */
  async list(): Promise<DeviceSummary[]> {
    return this.#exec<{ data: string }>('SELECT data FROM devices ORDER BY id').toArray().map((r) => JSON.parse(r.data) as DeviceSummary);
  }
}

billRpcCalls(GbDirectoryObject);
