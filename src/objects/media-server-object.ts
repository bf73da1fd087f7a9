/**
 * One Durable Object per media server (`zlm:<mediaServerId>`): its SSRC allocator and the index of its media
 * sessions, by stream id. One object per server makes allocation collision-free (its calls run one at a time,
 * and a unique index on the active SSRCs backs that up) and stable (the last serial of each prefix is kept).
 * A shell: load, one pure decision (`media/media-session.ts`, `gb28181/ssrc.ts`), persist.
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.js';
import { nextSerial, serialOf, ssrcOf, ssrcPrefix } from '../gb28181/ssrc.js';
import { ended, isActive, opened, patched, streamChanged, type MediaSession, type NewSession, type SessionPatch } from '../media/media-session.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS streams (stream TEXT PRIMARY KEY, ssrc TEXT NOT NULL, active INTEGER NOT NULL, data TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS active_ssrc ON streams (ssrc) WHERE active = 1;
CREATE TABLE IF NOT EXISTS cursors (prefix TEXT PRIMARY KEY, serial INTEGER NOT NULL);
`;

/** Ended sessions kept for the list (the newest). */
export const KEPT_ENDED = 200;

/** The media server's allocator and session index. */
export class MediaServerObject extends DurableObject<Env> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(SCHEMA);
  }

  /** Allocate the next free SSRC of the kind's prefix (GB rule) and record a session in `opening`; null when all 9999 are taken. */
  async allocate(n: NewSession, realm: string): Promise<MediaSession | null> {
    const prefix = ssrcPrefix(realm, n.kind !== 'live');
    const used = new Set(this.#sql.exec<{ ssrc: string }>('SELECT ssrc FROM streams WHERE active = 1 AND ssrc LIKE ?', `${prefix}%`).toArray().map((r) => serialOf(r.ssrc)));
    const cursor = this.#sql.exec<{ serial: number }>('SELECT serial FROM cursors WHERE prefix = ?', prefix).toArray()[0]?.serial ?? 0;
    const serial = nextSerial(used, cursor);
    if (serial === null) return null;
    const s = opened(n, ssrcOf(prefix, serial), Date.now());
    this.#sql.exec('INSERT INTO cursors (prefix, serial) VALUES (?, ?) ON CONFLICT(prefix) DO UPDATE SET serial = excluded.serial', prefix, serial);
    this.#put(s);
    return s;
  }

  /** Move an active session along (port, Call-ID, the device's SSRC, state). */
  async update(stream: string, p: SessionPatch): Promise<MediaSession | null> {
    const s = this.#get(stream);
    if (!s) return null;
    const next = patched(s, p);
    if (next !== s) this.#put(next);
    return next;
  }

  /** `on_stream_changed` for `stream`. */
  async streamChanged(stream: string, regist: boolean): Promise<MediaSession | null> {
    const s = this.#get(stream);
    if (!s) return null;
    const next = streamChanged(s, regist, Date.now());
    if (next !== s) this.#put(next);
    return next;
  }

  /**
   * End a session and free its SSRC. Returns the session as it was when this call ended it, or null when it
   * had already ended: only one caller (API stop, a hook) goes on to send the BYE.
   */
  async end(stream: string, state: 'ended' | 'failed', reason: string): Promise<MediaSession | null> {
    const s = this.#get(stream);
    const next = s && ended(s, state, reason, Date.now());
    if (!s || !next) return null;
    this.#put(next);
    this.#prune();
    return s;
  }

  async get(stream: string): Promise<MediaSession | null> {
    return this.#get(stream);
  }

  /** The session of a dialog. */
  async byCall(callId: string): Promise<MediaSession | null> {
    return this.#list().find((s) => s.callId === callId) ?? null;
  }

  /** Active sessions and the last ended ones, newest first. */
  async list(): Promise<MediaSession[]> {
    return this.#list();
  }

  #list(): MediaSession[] {
    return this.#sql.exec<{ data: string }>('SELECT data FROM streams ORDER BY active DESC, updated_at DESC').toArray().map((r) => JSON.parse(r.data) as MediaSession);
  }

  #get(stream: string): MediaSession | null {
    const row = this.#sql.exec<{ data: string }>('SELECT data FROM streams WHERE stream = ?', stream).toArray()[0];
    return row ? (JSON.parse(row.data) as MediaSession) : null;
  }

  #put(s: MediaSession): void {
    this.#sql.exec(
      'INSERT INTO streams (stream, ssrc, active, data, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(stream) DO UPDATE SET active = excluded.active, data = excluded.data, updated_at = excluded.updated_at',
      s.stream, s.ssrc, isActive(s) ? 1 : 0, JSON.stringify(s), Date.now(),
    );
  }

  #prune(): void {
    this.#sql.exec('DELETE FROM streams WHERE active = 0 AND stream NOT IN (SELECT stream FROM streams WHERE active = 0 ORDER BY updated_at DESC LIMIT ?)', KEPT_ENDED);
  }
}
