/**
 * SQLite persistence of an AOR object: account, bindings, GB28181 device state
 * and live and broadcast sessions. Bound parameters only; rows written only when they change,
 * binding refreshes behind (`needsWrite`).
 * @module
 */
import type { Account } from '../auth/authenticate.js';
import { needsWrite, type Binding } from '../registrar/bindings.js';
import type { DeviceState } from '../gb28181/device.js';
import type { LiveSession } from './gb-device.js';
import type { BroadcastSession } from './aor-broadcast.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bindings (key TEXT PRIMARY KEY, data TEXT NOT NULL);
DROP TABLE IF EXISTS nonce_counts;
CREATE TABLE IF NOT EXISTS gb_device (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gb_sessions (call_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gb_broadcasts (call_id TEXT PRIMARY KEY, data TEXT NOT NULL);
`;

/** Typed access to one AOR object's tables. */
export class AorStore {
  /** The binding rows as stored, by key. */
  private readonly stored = new Map<string, Binding>();

  /** @param exec the object's `sql.exec` (counted by the ledger when it is on). */
  constructor(private readonly exec: SqlStorage['exec']) {
    exec(SCHEMA);
  }

  account(): Account | null {
    const row = this.exec<{ data: string }>('SELECT data FROM account WHERE id = 1').toArray()[0];
    return row ? (JSON.parse(row.data) as Account) : null;
  }

  putAccount(a: Account | null): void {
    if (a === null) this.exec('DELETE FROM account');
    else this.exec('INSERT INTO account (id, data) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data', JSON.stringify(a));
  }

  /** Load the stored bindings (call once, when the object wakes). */
  bindings(): Binding[] {
    const all = this.exec<{ data: string }>('SELECT data FROM bindings').toArray().map((r) => JSON.parse(r.data) as Binding);
    this.stored.clear();
    for (const b of all) this.stored.set(b.key, b);
    return all;
  }

  /** Make the stored set `next`: delete what went, write what {@link needsWrite} says changed. */
  saveBindings(next: readonly Binding[]): void {
    const keep = new Set(next.map((b) => b.key));
    for (const key of [...this.stored.keys()]) {
      if (keep.has(key)) continue;
      this.exec('DELETE FROM bindings WHERE key = ?', key);
      this.stored.delete(key);
    }
    for (const b of next) {
      if (!needsWrite(this.stored.get(b.key), b)) continue;
      this.exec('INSERT INTO bindings (key, data) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET data = excluded.data', b.key, JSON.stringify(b));
      this.stored.set(b.key, b);
    }
  }

  device(): DeviceState | null {
    const row = this.exec<{ data: string }>('SELECT data FROM gb_device WHERE id = 1').toArray()[0];
    return row ? (JSON.parse(row.data) as DeviceState) : null;
  }

  putDevice(s: DeviceState): void {
    this.exec('INSERT INTO gb_device (id, data) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data', JSON.stringify(s));
  }

  session(callId: string): LiveSession | null {
    const row = this.exec<{ data: string }>('SELECT data FROM gb_sessions WHERE call_id = ?', callId).toArray()[0];
    return row ? (JSON.parse(row.data) as LiveSession) : null;
  }

  putSession(s: LiveSession | null, callId: string): void {
    if (s === null) this.exec('DELETE FROM gb_sessions WHERE call_id = ?', callId);
    else this.exec('INSERT INTO gb_sessions (call_id, data) VALUES (?, ?) ON CONFLICT(call_id) DO UPDATE SET data = excluded.data', callId, JSON.stringify(s));
  }

  sessions(): LiveSession[] {
    return this.exec<{ data: string }>('SELECT data FROM gb_sessions').toArray().map((r) => JSON.parse(r.data) as LiveSession);
  }

  /** A voice-broadcast session (GB/T 28181 §9.12) by the device's INVITE Call-ID, or null. */
  broadcast(callId: string): BroadcastSession | null {
    const row = this.exec<{ data: string }>('SELECT data FROM gb_broadcasts WHERE call_id = ?', callId).toArray()[0];
    return row ? (JSON.parse(row.data) as BroadcastSession) : null;
  }

  putBroadcast(s: BroadcastSession | null, callId: string): void {
    if (s === null) this.exec('DELETE FROM gb_broadcasts WHERE call_id = ?', callId);
    else this.exec('INSERT INTO gb_broadcasts (call_id, data) VALUES (?, ?) ON CONFLICT(call_id) DO UPDATE SET data = excluded.data', callId, JSON.stringify(s));
  }

  broadcasts(): BroadcastSession[] {
    return this.exec<{ data: string }>('SELECT data FROM gb_broadcasts').toArray().map((r) => JSON.parse(r.data) as BroadcastSession);
  }
}
