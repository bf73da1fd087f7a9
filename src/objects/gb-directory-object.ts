/**
 * The list of GB/T 28181 devices of one realm, for `GET /api/v1/gb28181/devices`.
 * Written only when a device's registration or online state changes (never on
 * keepalives), so it sees a handful of writes per device per hour.
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.js';

/** One row of the device list. */
export interface DeviceSummary {
  deviceId: string;
  online: boolean;
  offlineReason: string | null;
  source: string | null;
  transport: string | null;
  userAgent: string | null;
  registeredAt: number | null;
  updatedAt: number;
}

/** Device directory of one realm. Named `gb:<realm>`. */
export class GbDirectoryObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, data TEXT NOT NULL)');
  }

  /** Record a device's summary. */
  async upsert(s: DeviceSummary): Promise<void> {
    this.ctx.storage.sql.exec('INSERT INTO devices (id, data) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data', s.deviceId, JSON.stringify(s));
  }

  /** Every device, by ID. */
  async list(): Promise<DeviceSummary[]> {
    return this.ctx.storage.sql.exec<{ data: string }>('SELECT data FROM devices ORDER BY id').toArray().map((r) => JSON.parse(r.data) as DeviceSummary);
  }
}
