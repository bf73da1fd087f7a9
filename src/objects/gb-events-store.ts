/**
 * SQLite persistence of a GB device's subscriptions, alarms and last position, in its AOR object. The
 * tables are made on first use (a device that never subscribes or alarms costs nothing); bound parameters
 * only; rows are written when they change.
 * @module
 */
import type { DeviceAlarm } from '../gb28181/alarm.js';
import type { MobilePosition } from '../gb28181/position.js';
import type { SubscriptionKind } from '../gb28181/subscription.js';
import type { SubscriptionRecord } from './gb-events.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS gb_subscriptions (kind TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gb_alarms (seq INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gb_position (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
`;

/** Typed access to the subscription, alarm and position tables of one AOR object. */
export class GbEventStore {
  #ready = false;

  /** @param exec the object's `sql.exec` (counted by the ledger when it is on). */
  constructor(private readonly exec: SqlStorage['exec']) {}

  #sql: SqlStorage['exec'] = (query, ...bindings) => {
    if (!this.#ready) {
      this.exec(SCHEMA);
      this.#ready = true;
    }
    return this.exec(query, ...bindings);
  };

  subscriptions(): SubscriptionRecord[] {
    return this.#sql<{ data: string }>('SELECT data FROM gb_subscriptions').toArray().map((r) => JSON.parse(r.data) as SubscriptionRecord);
  }

  putSubscription(kind: SubscriptionKind, s: SubscriptionRecord | null): void {
    if (s === null) this.#sql('DELETE FROM gb_subscriptions WHERE kind = ?', kind);
    else this.#sql('INSERT INTO gb_subscriptions (kind, data) VALUES (?, ?) ON CONFLICT(kind) DO UPDATE SET data = excluded.data', kind, JSON.stringify(s));
  }

  /** The newest `limit` alarms, newest first. */
  alarms(limit: number): DeviceAlarm[] {
    return this.#sql<{ data: string }>('SELECT data FROM gb_alarms ORDER BY seq DESC LIMIT ?', limit).toArray().map((r) => JSON.parse(r.data) as DeviceAlarm);
  }

  /** Append an alarm and drop all but the newest `keep`. */
  addAlarm(a: DeviceAlarm, keep: number): void {
    this.#sql('INSERT INTO gb_alarms (data) VALUES (?)', JSON.stringify(a));
    this.#sql('DELETE FROM gb_alarms WHERE seq <= (SELECT MAX(seq) FROM gb_alarms) - ?', keep);
  }

  position(): MobilePosition | null {
    const row = this.#sql<{ data: string }>('SELECT data FROM gb_position WHERE id = 1').toArray()[0];
    return row ? (JSON.parse(row.data) as MobilePosition) : null;
  }

  putPosition(p: MobilePosition): void {
    this.#sql('INSERT INTO gb_position (id, data) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data', JSON.stringify(p));
  }
}
