/**
 * One Durable Object per live SIP trace (`trace:<id>`): the flows carrying a traced AOR send it what they saw,
 * in batches; it numbers the messages, holds them to the rate cap (the excess counted as `dropped`), keeps the
 * last N in SQLite, forwards them as HEPv3 over TCP when `HEP_COLLECTOR` is set, and ends at `until`. The same
 * class named `traces` is the list of traces (written when one starts or stops, never per message).
 * Nothing here is on a SIP path: flows send without waiting, and only while a trace is on.
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import { connect } from 'cloudflare:sockets';
import type { Env } from '../env.js';
import { readConfig } from '../config.js';
import { log } from '../log.js';
import { hepCollector, hepOfTrace, type HepCollector } from '../hep/collector.js';
import { ringStart, TraceRate, type TraceLimits } from '../trace/limits.js';
import type { TraceMessage, TraceRecord } from '../trace/record.js';
import { billRpcCalls, countedSql, type Ledger, LEDGER, shardLedger } from './ledger.js';
import { shardOf } from './metrics-object.js';
import { metricsShard } from './stubs.js';

/** A trace as it is listed. */
export interface TraceSummary {
  id: string;
  /** Unix ms it ends (or ended, when stopped early). */
  until: number;
  /** The traced AORs. */
  targets: string[];
}

/** What the API starts a trace with. */
export interface TraceInit extends TraceSummary {
  limits: TraceLimits;
}

/** What a flow sends: its records, and how many it could not send (its batch was full). */
export interface TraceBatch {
  records: TraceRecord[];
  dropped: number;
}

/** A trace's messages after a sequence number, as the API answers. */
export interface TraceView extends TraceSummary {
  active: boolean;
  dropped: number;
  messages: TraceMessage[];
}

interface Meta extends TraceInit {
  stopped: boolean;
  dropped: number;
  /** The last sequence number given. */
  seq: number;
}

/** How long an ended trace stays readable before its object deletes everything. */
export const TRACE_RETAIN_MS = 3_600_000;

/** A live trace, or the list of them. */
export class TraceObject extends DurableObject<Env> {
  readonly #exec: SqlStorage['exec'];
  #meta: Meta | null;
  #rate: TraceRate | null = null;
  readonly #hep: HepCollector | null;
  /** HEP batches go out one after another, in order. */
  #hepQueue: Promise<void> = Promise.resolve();
  #hepWarned = false;
  readonly [LEDGER]: Ledger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this[LEDGER] = shardLedger(ctx, readConfig(env).ledger, 'TraceObject', (c) => metricsShard(env, shardOf(ctx.id.toString())).add(c));
    this.#exec = countedSql(ctx.storage.sql, this[LEDGER]);
    this.#exec('CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    this.#exec('CREATE TABLE IF NOT EXISTS traces (id TEXT PRIMARY KEY, until INTEGER NOT NULL, targets TEXT NOT NULL)');
    this.#meta = ctx.storage.kv.get<Meta>('meta') ?? null;
    this.#hep = hepCollector(env);
  }

  /** Start this trace (once; a second start answers the first one's summary). */
  async start(init: TraceInit): Promise<TraceSummary> {
    if (!this.#meta) {
      this.#meta = { ...init, stopped: false, dropped: 0, seq: 0 };
      this.ctx.storage.kv.put('meta', this.#meta);
      await this.ctx.storage.setAlarm(init.until);
    }
    return summary(this.#meta);
  }

  /** A flow's batch: numbered, held to the rate cap and the ring. `active: false` tells the flow to drop its marks. */
  async append(batch: TraceBatch): Promise<{ accepted: number; active: boolean }> {
    const now = Date.now();
    const m = this.#meta;
    if (!m || !isActive(m, now)) return { accepted: 0, active: false };
    this.#rate ??= new TraceRate(m.limits, now);
    const passed = this.#rate.admit(batch.records.length, now);
    m.dropped += batch.dropped + batch.records.length - passed;
    const accepted: TraceMessage[] = [];
    for (const r of batch.records.slice(0, passed)) {
      const msg: TraceMessage = { ...r, seq: ++m.seq };
      accepted.push(msg);
      this.#exec('INSERT INTO messages (seq, body) VALUES (?, ?)', msg.seq, JSON.stringify(msg));
    }
    if (passed > 0) this.#exec('DELETE FROM messages WHERE seq < ?', ringStart(m.seq, m.limits.ring));
    this.ctx.storage.kv.put('meta', m);
    if (this.#hep && accepted.length > 0) this.ctx.waitUntil(this.#sendHep(this.#hep, accepted));
    return { accepted: passed, active: true };
  }

  /** Messages with a sequence number above `after`, oldest first; null for a trace that never started. */
  async read(after: number): Promise<TraceView | null> {
    const m = this.#meta;
    if (!m) return null;
    const rows = this.#exec<{ body: string }>('SELECT body FROM messages WHERE seq > ? ORDER BY seq', after).toArray();
    return { ...summary(m), active: isActive(m, Date.now()), dropped: m.dropped, messages: rows.map((r) => JSON.parse(r.body) as TraceMessage) };
  }

  /** End it now (its messages stay readable for a while); null when there is no such trace. */
  async stop(): Promise<TraceSummary | null> {
    const m = this.#meta;
    if (!m) return null;
    m.stopped = true;
    m.until = Math.min(m.until, Date.now());
    this.ctx.storage.kv.put('meta', m);
    await this.ctx.storage.setAlarm(m.until + TRACE_RETAIN_MS);
    return summary(m);
  }

  /** At the end: kept readable for {@link TRACE_RETAIN_MS}, then everything is deleted. */
  override async alarm(): Promise<void> {
    this[LEDGER].alarmFired();
    const m = this.#meta;
    if (m && Date.now() < m.until + TRACE_RETAIN_MS) {
      await this.ctx.storage.setAlarm(m.until + TRACE_RETAIN_MS);
    } else {
      this.#meta = null;
      await this.ctx.storage.deleteAll();
    }
    this[LEDGER].done();
  }

  /** The list (`traces`): the live traces; ended ones are removed on the way. */
  async listed(): Promise<TraceSummary[]> {
    const now = Date.now();
    this.#exec('DELETE FROM traces WHERE until <= ?', now);
    return this.#exec<{ id: string; until: number; targets: string }>('SELECT id, until, targets FROM traces ORDER BY until').toArray()
      .map((r) => ({ id: r.id, until: r.until, targets: JSON.parse(r.targets) as string[] }));
  }

  /** The list: a trace started. */
  async list(s: TraceSummary): Promise<void> {
    this.#exec('INSERT OR REPLACE INTO traces (id, until, targets) VALUES (?, ?, ?)', s.id, s.until, JSON.stringify(s.targets));
  }

  /** The list: a trace stopped. */
  async unlist(id: string): Promise<void> {
    this.#exec('DELETE FROM traces WHERE id = ?', id);
  }

  /** HEPv3 over TCP (Workers cannot send UDP): one connection per batch, packets back to back. */
  #sendHep(c: HepCollector, messages: TraceMessage[]): Promise<void> {
    const packets = messages.map((m) => hepOfTrace(m, c)).filter((p): p is Uint8Array => p !== null);
    this.#hepQueue = this.#hepQueue.then(async () => {
      const socket = connect({ hostname: c.hostname, port: c.port });
      try {
        const writer = socket.writable.getWriter();
        for (const p of packets) await writer.write(p);
        await writer.close();
      } catch (err) {
        if (!this.#hepWarned) log('warn', 'hep collector unreachable', { collector: `${c.hostname}:${c.port}`, error: String(err) });
        this.#hepWarned = true;
      } finally {
        await socket.close().catch(() => undefined);
      }
    });
    return this.#hepQueue;
  }
}

function isActive(m: Meta, now: number): boolean {
  return !m.stopped && now < m.until;
}

function summary(m: Meta): TraceSummary {
  return { id: m.id, until: m.until, targets: m.targets };
}

billRpcCalls(TraceObject);
