/**
 * One Durable Object per address-of-record: the account (HA1 only), the
 * bindings, and for GB/T 28181 devices their state and
 * sessions. A thin shell: load, call the pure registrar, persist.
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.js';
import { readConfig, type Config } from '../config.js';
import { verifyAccount, type Account } from '../auth/authenticate.js';
import { computeHA1, type DigestAlgorithm } from '../auth/digest.js';
import type { DigestCredentials } from '../sip/auth-header.js';
import { parseMessage } from '../sip/parse.js';
import { byPreference, contactValues, isLive, nextDeadline, remainingSeconds, type Binding } from '../registrar/bindings.js';
import { applyRegister, dropFlow, type RegisterRequest } from '../registrar/register.js';
import type { FlowAddress } from '../transport/flow.js';
import { newDevice, type DeviceState } from '../gb28181/device.js';
import type { DeviceSummary } from './gb-directory-object.js';
import { AorStore } from './aor-store.js';
import { GbDevice } from './gb-device.js';
import { PlatformRequests, type PlatformRequest, type PlatformResult } from './platform-requests.js';
import * as gbOps from './aor-gb.js';
import type { ControlCommand, QueryCmdType, QueryExtra } from '../gb28181/manscdp-build.js';

/** Digest credentials that passed the stateless checks. */
export interface VerifiedCredentials {
  credentials: DigestCredentials;
  algorithm: DigestAlgorithm;
  method: string;
}

/** What the flow asks of the AOR for a REGISTER. */
export interface AorRegisterInput extends VerifiedCredentials {
  request: RegisterRequest;
  /** X-GB-Ver of a GB28181 device. */
  gbVersion?: string | null;
  transport?: string;
}

/** The AOR's answer to a REGISTER; the flow turns it into a SIP response. */
export type AorRegisterReply =
  | { kind: 'challenge' }
  | { kind: 'error'; status: number; reason: string; headers: Array<[string, string]> }
  | {
      kind: 'ok';
      contacts: string[];
      /** The flow still has a binding here. */
      flowBound: boolean;
      /** Seconds granted to the REGISTER's own flow (0 once unregistered), echoed to GB devices. */
      expires: number;
    };

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

/** The device directory of a GB realm. */
function directory(env: Env, realm: string) {
  return env.GB_DIRECTORY.get(env.GB_DIRECTORY.idFromName(`gb:${realm}`));
}

function summaryOf(s: DeviceState, now: number): DeviceSummary {
  return {
    deviceId: s.deviceId, online: s.online, offlineReason: s.offlineReason, source: s.source, transport: s.transport,
    userAgent: s.userAgent, registeredAt: s.registeredAt, updatedAt: now,
  };
}

/** The directory is written on registration and online/offline changes only, never on keepalives. */
function summaryChanged(a: DeviceState, b: DeviceState): boolean {
  return a.online !== b.online || a.registeredAt !== b.registeredAt || a.source !== b.source || a.userAgent !== b.userAgent;
}

/** Most bindings one AOR keeps (the least recently refreshed one makes room). */
const MAX_BINDINGS = 16;

/** Per-AOR state. Named by the AOR (`sip:user@domain`). */
export class AorObject extends DurableObject<Env> {
  readonly config: Config;
  readonly store: AorStore;
  readonly platform: PlatformRequests;
  private account: Account | null;
  private bindings: Binding[];
  /** When the alarm is set for (null: none). An earlier alarm than needed is kept: it finds nothing and re-arms. */
  private alarmAt: number | null = null;
  /** Present when this AOR is a GB/T 28181 device (its domain is the GB realm). */
  readonly gb: GbDevice | null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = readConfig(env);
    this.store = new AorStore(ctx.storage.sql);
    this.platform = new PlatformRequests(env, ctx.id.toString());
    this.account = this.store.account();
    this.bindings = this.store.bindings();
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
    const [user, host] = (ctx.id.name ?? '').replace(/^sips?:/, '').split('@');
    const gb = this.config.gb;
    this.gb = gb && host === gb.realm && user
      ? new GbDevice(gb, this.store.device() ?? newDevice(user), (s, before) => {
          this.store.putDevice(s);
          if (summaryChanged(before, s)) ctx.waitUntil(directory(env, gb.realm).upsert(summaryOf(s, Date.now())).catch(() => undefined));
        }, Date.now())
      : null;
  }

  /** The clock (a seam for tests that need time to pass). */
  now(): number {
    return Date.now();
  }

  /** The AOR this object is named after. */
  get aor(): string {
    return this.ctx.id.name ?? `sip:unknown@${this.config.domain}`;
  }

  /** Live bindings, most preferred first. */
  live(now = this.now()): Binding[] {
    return byPreference(this.bindings.filter((b) => isLive(b, now)));
  }

  /** Authenticate and apply a REGISTER (RFC 3261 §10.3). */
  async register(input: AorRegisterInput): Promise<AorRegisterReply> {
    const now = this.now();
    const denied = this.authorize(input);
    if (denied) return denied;
    const result = applyRegister(this.bindings, input.request, { ...this.config, maxBindings: MAX_BINDINGS }, now);
    if (!result.ok) {
      const e = result.error;
      return { kind: 'error', status: e.status, reason: e.reason, headers: e.headers.map(([k, v]) => [k, v]) };
    }
    const mine = result.value.bindings.filter((b) => b.flowId === input.request.flowId);
    if (this.gb && input.request.contacts.length > 0) {
      const until = mine.length > 0 ? Math.max(...mine.map((b) => b.expiresAt)) : null;
      this.gb.onRegister(until, {
        now, source: input.request.source, transport: input.transport ?? 'UDP', userAgent: input.request.userAgent, gbVersion: input.gbVersion ?? null,
      });
    }
    this.save(result.value.bindings);
    return {
      kind: 'ok',
      contacts: contactValues(this.bindings, now),
      flowBound: mine.length > 0,
      expires: mine.length > 0 ? Math.max(...mine.map((b) => remainingSeconds(b, now))) : 0,
    };
  }

  /**
   * Check credentials for a request from this AOR's user (REGISTER, or a
   * proxied request challenged with 407). Returns the challenge to send, or
   * null when the user is authenticated. The flow has already checked the nonce and its count.
   */
  authenticate(input: VerifiedCredentials): AorRegisterReply | null {
    return this.authorize(input);
  }

  /** The account, or for a GB device without one the realm's shared password. */
  private effectiveAccount(): Account | null {
    if (this.account || !this.gb || !this.config.gb?.password) return this.account;
    const { realm, password } = this.config.gb;
    const id = this.gb.current.deviceId;
    return { username: id, realm, ha1Md5: computeHA1('MD5', id, realm, password), ha1Sha256: computeHA1('SHA-256', id, realm, password) };
  }

  private authorize(input: VerifiedCredentials): AorRegisterReply | null {
    return verifyAccount(input.credentials, input.algorithm, this.effectiveAccount(), input.method) ? null : { kind: 'challenge' };
  }

  /** The connection a binding came on has closed: its bindings die with it (RFC 5626 §4.2.3). */
  async flowClosed(flowId: string): Promise<void> {
    const left = dropFlow(this.bindings, flowId);
    if (left.length !== this.bindings.length) this.save(left);
  }

  /** Create or replace the account. Only HA1 values are stored. */
  async putAccount(account: Account): Promise<{ created: boolean }> {
    const created = this.account === null;
    this.store.putAccount(account);
    this.account = account;
    return { created };
  }

  /** Delete the account and every binding. Returns whether there was one. */
  async deleteAccount(): Promise<boolean> {
    const existed = this.account !== null;
    this.store.putAccount(null);
    this.account = null;
    this.save([]);
    return existed;
  }

  /** Whether the account exists (GB devices under a shared password always do). */
  async hasAccount(): Promise<boolean> {
    return this.effectiveAccount() !== null;
  }

  /** Where requests for this AOR go: every live binding, most preferred first (RFC 3261 §16.5). */
  async lookup(): Promise<{ exists: boolean; targets: Array<{ flowId: string; uri: string; address: FlowAddress }> }> {
    return { exists: this.effectiveAccount() !== null, targets: this.live().map((b) => ({ flowId: b.flowId, uri: b.uri, address: b.address })) };
  }

  /** Send a request from the platform to every live binding; resolves with the final status. */
  async sendRequest(p: Omit<PlatformRequest, 'aor'>): Promise<PlatformResult> {
    return this.platform.send({ ...p, aor: this.aor }, this.live());
  }

  /** RPC: a response to a platform request, relayed by the flow it arrived on. */
  async onBranchResponse(branch: string, data: string | Uint8Array): Promise<void> {
    const parsed = parseMessage(data);
    if (parsed.ok && parsed.value.type === 'response') this.platform.onResponse(branch, parsed.value);
  }

  /** Live bindings, for the admin API. */
  async listBindings(): Promise<BindingView[]> {
    const now = this.now();
    return this.live(now).map((b) => ({
      contact: b.contact, expires: remainingSeconds(b, now), q: b.q, instanceId: b.instanceId, regId: b.regId,
      source: b.source, userAgent: b.userAgent, flowId: b.flowId, callId: b.callId, cseq: b.cseq,
    }));
  }

  /** GB28181 RPC: a MESSAGE from this device (keepalive, query answers); the status to answer. */
  async gbMessage(body: Uint8Array, contentType: string | null): Promise<{ status: number; reason: string }> {
    return gbOps.onMessage(this, body, contentType);
  }

  /** GB28181 RPC: the device's state and channels, or null when this AOR is not a GB device. */
  async gbDevice(): Promise<gbOps.DeviceView | null> {
    return gbOps.view(this);
  }

  /** GB28181 RPC: send a query and wait (bounded) for the answer. */
  async gbQuery(cmdType: QueryCmdType, waitMs: number, extra?: QueryExtra): Promise<gbOps.GbOutcome> {
    return gbOps.query(this, cmdType, waitMs, extra);
  }

  /** GB28181 RPC: DeviceControl (PTZ, guard, reboot) to the device or one of its channels. */
  async gbControl(targetId: string, command: ControlCommand, waitMs: number): Promise<gbOps.GbOutcome> {
    return gbOps.control(this, targetId, command, waitMs);
  }

  /** GB28181 RPC: start live view of a channel towards a media server. */
  async gbLiveStart(channelId: string, media: { ip: string; port: number; tcp?: boolean }, waitMs: number): Promise<gbOps.GbOutcome> {
    return gbOps.liveStart(this, channelId, media, waitMs);
  }

  /** GB28181 RPC: stop a live-view session (BYE). */
  async gbLiveStop(callId: string, waitMs: number): Promise<gbOps.GbOutcome> {
    return gbOps.liveStop(this, callId, waitMs);
  }

  /** Expiry: drop bindings past their interval and grace; devices go offline. */
  override async alarm(): Promise<void> {
    const now = this.now();
    this.alarmAt = null;
    this.gb?.expire(now);
    this.save(this.bindings.filter((b) => isLive(b, now)));
  }

  /** Persist the binding set and schedule the next deadline (the one alarm, RFC-less but DO-bound). */
  save(next: Binding[]): void {
    this.store.saveBindings(next);
    this.bindings = next;
    this.schedule();
  }

  /**
   * Make sure the alarm fires by the earliest of binding expiry and device
   * offline deadline. A refresh only pushes deadlines later, so it writes no
   * alarm: the earlier one fires, finds nothing due and re-arms.
   */
  schedule(): void {
    const deadlines = [nextDeadline(this.bindings), this.gb?.deadline() ?? null].filter((d): d is number => d !== null);
    if (deadlines.length === 0) {
      if (this.alarmAt !== null) void this.ctx.storage.deleteAlarm();
      this.alarmAt = null;
      return;
    }
    const next = Math.min(...deadlines);
    if (this.alarmAt !== null && this.alarmAt <= next) return;
    this.alarmAt = next;
    void this.ctx.storage.setAlarm(next);
  }
}
