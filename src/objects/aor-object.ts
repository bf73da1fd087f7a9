/**
 * One Durable Object per address-of-record: the account (HA1 only), the
 * bindings, nonce counts. A thin shell: load, call the pure registrar, persist.
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.js';
import { readConfig, type Config } from '../config.js';
import type { Account } from '../auth/authenticate.js';
import { verifyAccount } from '../auth/authenticate.js';
import type { DigestAlgorithm } from '../auth/digest.js';
import { acceptNonceCount, nonceCountOf } from '../auth/nonce.js';
import type { DigestCredentials } from '../sip/auth-header.js';
import { contactValues, isLive, nextDeadline, type Binding } from '../registrar/bindings.js';
import { applyRegister, dropFlow, type RegisterRequest } from '../registrar/register.js';
import { byPreference } from '../registrar/bindings.js';
import type { FlowAddress } from '../proxy/record-route.js';
import { parseMessage } from '../sip/parse.js';
import { PlatformRequests, type PlatformRequest, type PlatformResult } from './platform-requests.js';

/** Digest credentials that passed the stateless checks. */
export interface VerifiedCredentials {
  credentials: DigestCredentials;
  algorithm: DigestAlgorithm;
  method: string;
}

/** What the flow asks of the AOR for a REGISTER. */
export interface AorRegisterInput extends VerifiedCredentials {
  request: RegisterRequest;
}

/** The AOR's answer to a REGISTER; the flow turns it into a SIP response. */
export type AorRegisterReply =
  | { kind: 'challenge'; stale: boolean }
  | { kind: 'error'; status: number; reason: string; headers: Array<[string, string]> }
  | { kind: 'ok'; contacts: string[]; /** the flow still has a binding here */ flowBound: boolean };

/** A binding as listed by the admin API. */
export interface BindingView {
  contact: string;
  expires: number;
  q: number | null;
  instanceId: string | null;
  regId: number | null;
  source: string;
  userAgent: string | null;
  flowId: string;
  callId: string;
  cseq: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bindings (key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nonce_counts (nonce TEXT PRIMARY KEY, nc INTEGER NOT NULL, expires_at INTEGER NOT NULL);
`;

/** Most bindings one AOR keeps (the least recently refreshed one makes room). */
const MAX_BINDINGS = 16;

/** Per-AOR state. Named by the AOR (`sip:user@domain`). */
export class AorObject extends DurableObject<Env> {
  private readonly config: Config;
  private account: Account | null;
  private bindings: Binding[];
  private readonly platform: PlatformRequests;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = readConfig(env);
    this.platform = new PlatformRequests(env, ctx.id.toString());
    const sql = ctx.storage.sql;
    sql.exec(SCHEMA);
    const acc = sql.exec<{ data: string }>('SELECT data FROM account WHERE id = 1').toArray()[0];
    this.account = acc ? (JSON.parse(acc.data) as Account) : null;
    this.bindings = sql.exec<{ data: string }>('SELECT data FROM bindings').toArray().map((r) => JSON.parse(r.data) as Binding);
  }

  /** The clock (a seam for tests that need time to pass). */
  now(): number {
    return Date.now();
  }

  /** Authenticate and apply a REGISTER (RFC 3261 §10.3). */
  async register(input: AorRegisterInput): Promise<AorRegisterReply> {
    const now = this.now();
    const denied = this.authorize(input, now);
    if (denied) return denied;
    const result = applyRegister(
      this.bindings,
      input.request,
      { ...this.config, maxBindings: MAX_BINDINGS },
      now,
    );
    if (!result.ok) {
      const e = result.error;
      return { kind: 'error', status: e.status, reason: e.reason, headers: e.headers.map(([k, v]) => [k, v]) };
    }
    this.save(result.value.bindings);
    return {
      kind: 'ok',
      contacts: contactValues(this.bindings, now),
      flowBound: this.bindings.some((b) => b.flowId === input.request.flowId),
    };
  }

  /**
   * Check credentials for a request from this AOR's user (REGISTER, or a
   * proxied request challenged with 407). Returns the challenge to send, or
   * null when the user is authenticated. Each (nonce, nc) is accepted once.
   */
  authenticate(input: VerifiedCredentials): AorRegisterReply | null {
    return this.authorize(input, this.now());
  }

  private authorize(input: VerifiedCredentials, now: number): AorRegisterReply | null {
    if (!verifyAccount(input.credentials, input.algorithm, this.account, input.method)) {
      return { kind: 'challenge', stale: false };
    }
    const nc = nonceCountOf(input.credentials);
    const sql = this.ctx.storage.sql;
    const row = sql.exec<{ nc: number }>('SELECT nc FROM nonce_counts WHERE nonce = ?', input.credentials.nonce).toArray()[0];
    // RFC 2617 §3.2.2: a repeated nc is a replay; answer with a fresh nonce.
    if (nc === null || !acceptNonceCount(row?.nc, nc)) return { kind: 'challenge', stale: true };
    sql.exec(
      'INSERT INTO nonce_counts (nonce, nc, expires_at) VALUES (?, ?, ?) ON CONFLICT(nonce) DO UPDATE SET nc = excluded.nc',
      input.credentials.nonce, nc, now + 2 * this.config.nonceTtlMs + 60_000,
    );
    return null;
  }

  /** The connection a binding came on has closed: its bindings die with it (RFC 5626 §4.2.3). */
  async flowClosed(flowId: string): Promise<void> {
    const left = dropFlow(this.bindings, flowId);
    if (left.length !== this.bindings.length) this.save(left);
  }

  /** Create or replace the account. Only HA1 values are stored. */
  async putAccount(account: Account): Promise<{ created: boolean }> {
    const created = this.account === null;
    this.ctx.storage.sql.exec(
      'INSERT INTO account (id, data) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data',
      JSON.stringify(account),
    );
    this.account = account;
    return { created };
  }

  /** Delete the account and every binding. Returns whether there was one. */
  async deleteAccount(): Promise<boolean> {
    const existed = this.account !== null;
    this.ctx.storage.sql.exec('DELETE FROM account');
    this.account = null;
    this.save([]);
    return existed;
  }

  /** Whether the account exists. */
  async hasAccount(): Promise<boolean> {
    return this.account !== null;
  }

  /** Where requests for this AOR go: every live binding, most preferred first (RFC 3261 §16.5). */
  async lookup(): Promise<{ exists: boolean; targets: Array<{ flowId: string; uri: string; address: FlowAddress }> }> {
    const now = this.now();
    return {
      exists: this.account !== null,
      targets: byPreference(this.bindings.filter((b) => isLive(b, now))).map((b) => ({ flowId: b.flowId, uri: b.uri, address: b.address })),
    };
  }

  /** Send a request from the platform to every live binding; resolves with the final status. */
  async sendRequest(p: Omit<PlatformRequest, 'aor'>): Promise<PlatformResult> {
    const now = this.now();
    return this.platform.send({ ...p, aor: this.aorName() }, byPreference(this.bindings.filter((b) => isLive(b, now))));
  }

  /** RPC: a response to a platform request, relayed by the flow it arrived on. */
  async onBranchResponse(branch: string, data: string | Uint8Array): Promise<void> {
    const parsed = parseMessage(data);
    if (parsed.ok && parsed.value.type === 'response') this.platform.onResponse(branch, parsed.value);
  }

  private aorName(): string {
    return this.ctx.id.name ?? `sip:unknown@${this.config.domain}`;
  }

  /** Live bindings, for the admin API and for routing. */
  async listBindings(): Promise<BindingView[]> {
    const now = this.now();
    return this.bindings
      .filter((b) => isLive(b, now))
      .map((b) => ({
        contact: b.contact, expires: Math.max(0, Math.ceil((b.expiresAt - now) / 1000)), q: b.q,
        instanceId: b.instanceId, regId: b.regId, source: b.source, userAgent: b.userAgent, flowId: b.flowId,
        callId: b.callId, cseq: b.cseq,
      }));
  }

  /** Expiry: drop bindings past their interval and grace, and old nonce counts. */
  override async alarm(): Promise<void> {
    const now = this.now();
    this.ctx.storage.sql.exec('DELETE FROM nonce_counts WHERE expires_at < ?', now);
    this.save(this.bindings.filter((b) => isLive(b, now)));
  }

  /** Persist the binding set (rows that changed only) and schedule the next expiry. */
  private save(next: Binding[]): void {
    const sql = this.ctx.storage.sql;
    const keep = new Set(next.map((b) => b.key));
    for (const b of this.bindings) if (!keep.has(b.key)) sql.exec('DELETE FROM bindings WHERE key = ?', b.key);
    const before = new Map(this.bindings.map((b) => [b.key, b]));
    for (const b of next) {
      if (before.get(b.key) === b) continue;
      sql.exec('INSERT INTO bindings (key, data) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET data = excluded.data', b.key, JSON.stringify(b));
    }
    this.bindings = next;
    const deadline = nextDeadline(next);
    if (deadline === null) void this.ctx.storage.deleteAlarm();
    else void this.ctx.storage.setAlarm(deadline);
  }
}
