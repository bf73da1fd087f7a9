/**
 * SQLite persistence of an AOR object: account, bindings, nonce counts, GB28181
 * device state and live sessions. Bound parameters only; rows written only
 * when they change.
 * @module
 */
import type { Account } from '../auth/authenticate.js';
import type { Binding } from '../registrar/bindings.js';
import type { DeviceState } from '../gb28181/device.js';
import type { LiveSession } from './gb-device.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bindings (key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nonce_counts (nonce TEXT PRIMARY KEY, nc INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS gb_device (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gb_sessions (call_id TEXT PRIMARY KEY, data TEXT NOT NULL);
`;

/** Typed access to one AOR object's tables. */
export class AorStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  account(): Account | null {
    const row = this.sql.exec<{ data: string }>('SELECT data FROM account WHERE id = 1').toArray()[0];
    return row ? (JSON.parse(row.data) as Account) : null;
  }

  putAccount(a: Account | null): void {
    if (a === null) this.sql.exec('DELETE FROM account');
    else this.sql.exec('INSERT INTO account (id, data) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data', JSON.stringify(a));
  }

  bindings(): Binding[] {
    return this.sql.exec<{ data: string }>('SELECT data FROM bindings').toArray().map((r) => JSON.parse(r.data) as Binding);
  }

  /** Write the difference between two binding sets (unchanged objects are skipped). */
  saveBindings(before: readonly Binding[], next: readonly Binding[]): void {
    const keep = new Set(next.map((b) => b.key));
    for (const b of before) if (!keep.has(b.key)) this.sql.exec('DELETE FROM bindings WHERE key = ?', b.key);
    const old = new Map(before.map((b) => [b.key, b]));
    for (const b of next) {
      if (old.get(b.key) === b) continue;
      this.sql.exec('INSERT INTO bindings (key, data) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET data = excluded.data', b.key, JSON.stringify(b));
    }
  }

  /** Last accepted nonce count of a nonce, if any. */
  nonceCount(nonce: string): number | undefined {
    return this.sql.exec<{ nc: number }>('SELECT nc FROM nonce_counts WHERE nonce = ?', nonce).toArray()[0]?.nc;
  }

  recordNonceCount(nonce: string, nc: number, expiresAt: number): void {
    this.sql.exec(
      'INSERT INTO nonce_counts (nonce, nc, expires_at) VALUES (?, ?, ?) ON CONFLICT(nonce) DO UPDATE SET nc = excluded.nc',
      nonce, nc, expiresAt,
    );
  }

  pruneNonces(now: number): void {
    this.sql.exec('DELETE FROM nonce_counts WHERE expires_at < ?', now);
  }

  device(): DeviceState | null {
    const row = this.sql.exec<{ data: string }>('SELECT data FROM gb_device WHERE id = 1').toArray()[0];
    return row ? (JSON.parse(row.data) as DeviceState) : null;
  }

  putDevice(s: DeviceState): void {
    this.sql.exec('INSERT INTO gb_device (id, data) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data', JSON.stringify(s));
  }

  session(callId: string): LiveSession | null {
    const row = this.sql.exec<{ data: string }>('SELECT data FROM gb_sessions WHERE call_id = ?', callId).toArray()[0];
    return row ? (JSON.parse(row.data) as LiveSession) : null;
  }

  putSession(s: LiveSession | null, callId: string): void {
    if (s === null) this.sql.exec('DELETE FROM gb_sessions WHERE call_id = ?', callId);
    else this.sql.exec('INSERT INTO gb_sessions (call_id, data) VALUES (?, ?) ON CONFLICT(call_id) DO UPDATE SET data = excluded.data', callId, JSON.stringify(s));
  }

  sessions(): LiveSession[] {
    return this.sql.exec<{ data: string }>('SELECT data FROM gb_sessions').toArray().map((r) => JSON.parse(r.data) as LiveSession);
  }
}
