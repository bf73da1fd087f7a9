/**
 * One Durable Object per address-of-record: the account (HA1 only), the bindings, the leases lent to the
 * flows they came on, and for GB/T 28181 devices their state and sessions. A shell: load, call the pure
 * registrar, persist, tell the flows what changed.
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.js';
import { readConfig, type Config } from '../config.js';
import { accountFor, verifyAccount, type Account } from '../auth/authenticate.js';
import { parseMessage } from '../sip/parse.js';
import { byPreference, contactValues, isLive, MAX_BINDINGS, nextDeadline, remainingSeconds, type Binding } from '../registrar/bindings.js';
import type { Lease } from '../registrar/lease.js';
import { applyRegister, dropContact, dropFlow } from '../registrar/register.js';
import type { FlowAddress } from '../transport/flow.js';
import { platformVersionHeaders } from '../gb28181/version.js';
import { AorStore } from './aor-store.js';
import type { GbDevice, InviteOptions } from './gb-device.js';
import { PlatformRequests, type PlatformRequest, type PlatformResult } from './platform-requests.js';
import * as gbOps from './aor-gb.js';
import { GbSubscriptions, type GbEventOp } from './gb-subscriptions.js';
import type { ControlCommand, QueryCmdType, QueryExtra } from '../gb28181/manscdp-build.js';
import { billRpcCalls, countedSql, Ledger, LEDGER, shardLedger } from './ledger.js';
import { registrationDeltas } from './metrics-gauges.js';
import { shardOf } from './metrics-object.js';
import { flowStub, metricsShard } from './stubs.js';
import { bindingView, deviceWithViews, grantLease, leaseUpdates, mergeLeased, withViews, type AorRegisterInput, type AorRegisterReply, type BindingView, type FlowView, type VerifiedCredentials } from './aor-leases.js';
import { AorTraces, type TraceMark } from './aor-trace.js';
import { AlarmSchedule } from './aor-schedule.js';

/** Per-AOR state. Named by the AOR (`sip:user@domain`). */
export class AorObject extends DurableObject<Env> {
  readonly #config: Config;
  readonly #store: AorStore;
  readonly #platform: PlatformRequests;
  #account: Account | null;
  #bindings: Binding[];
  readonly #alarm: AlarmSchedule;
  /** Present when this AOR is a GB/T 28181 device (its domain is the GB realm); with its subscriptions, alarms and position. */
  readonly #gb: GbDevice | null;
  readonly #events: GbSubscriptions | null;
  readonly #traces: AorTraces;
  readonly #ledger: Ledger;
  readonly [LEDGER]: Ledger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#config = readConfig(env);
    this.#ledger = this[LEDGER] = shardLedger(ctx, this.#config.ledger, 'AorObject', (c) => this.#shard().add(c));
    this.#store = new AorStore(countedSql(ctx.storage.sql, this.#ledger));
    this.#platform = new PlatformRequests(env, ctx.id.toString(), () => platformVersionHeaders(this.#gb?.current.gbVersion));
    this.#account = this.#store.account();
    this.#bindings = this.#store.bindings();
    this.#alarm = new AlarmSchedule(ctx, this.#ledger);
    this.#gb = gbOps.deviceOf(ctx, env, this.#config.gb, this.#store, Date.now());
    this.#traces = new AorTraces(ctx.storage.kv, env);
    const gb = this.#config.gb;
    this.#events = this.#gb && gb && new GbSubscriptions({ gb: this.#gb, config: gb, platform: this.#platform, sql: countedSql(ctx.storage.sql, this.#ledger), live: () => this.#live(), schedule: () => this.#schedule(), waitUntil: (p) => ctx.waitUntil(p), now: Date.now });
    this.#gb?.heldUntil(this.#bindings.length > 0 ? Math.max(...this.#bindings.map((b) => b.heldUntil ?? b.expiresAt)) : null);
  }

  /** The AOR this object is named after. */
  get #aor(): string { return this.ctx.id.name ?? `sip:unknown@${this.#config.domain}`; }

  /** Live bindings, most preferred first. */
  #live(now = Date.now()): Binding[] { return byPreference(this.#bindings.filter((b) => isLive(b, now))); }

  /** Authenticate and apply a REGISTER (RFC 3261 §10.3); the flow gets a lease on its bindings. */
  async register(input: AorRegisterInput): Promise<AorRegisterReply> {
    const now = Date.now();
    const account = this.#effectiveAccount();
    if (!verifyAccount(input.credentials, input.algorithm, account, input.method)) return { kind: 'challenge' };
    const { flowId } = input.request;
    const before = this.#bindings;
    const result = applyRegister(mergeLeased(before, input.leased ?? []), input.request, { ...this.#config, maxBindings: MAX_BINDINGS }, now);
    if (!result.ok) {
      const e = result.error;
      return { kind: 'error', status: e.status, reason: e.reason, headers: e.headers.map(([k, v]) => [k, v]) };
    }
    const held = (b: Binding): Binding => (b.flowId === flowId && input.wantsLease ? { ...b, heldUntil: Math.max(b.expiresAt, now + this.#config.leaseTermMs) } : b);
    const next = result.value.bindings.map(held);
    const mine = next.filter((b) => b.flowId === flowId);
    if (this.#gb && input.request.contacts.length > 0) {
      const until = mine.length > 0 ? Math.max(...mine.map((b) => b.heldUntil ?? b.expiresAt)) : null;
      this.#gb.onRegister(until, {
        now, source: input.request.source, transport: input.transport ?? 'UDP', userAgent: input.request.userAgent, gbVersion: input.gbVersion ?? null,
      });
    }
    this.#save(next);
    if (result.value.changed) await this.#tellFlows(before, flowId);
    return {
      kind: 'ok',
      contacts: contactValues(this.#bindings, now),
      flowBound: mine.length > 0,
      expires: mine.length > 0 ? Math.max(...mine.map((b) => remainingSeconds(b, now))) : 0,
      lease: input.wantsLease && account ? grantLease(this.#aor, account, input.algorithm, flowId, this.#bindings, this.#gb?.current ?? null, now) : null,
      ...this.#traces.reply(now),
    };
  }

  /**
   * Check credentials for a request from this AOR's user (a proxied request challenged with 407). Returns
   * the challenge to send, or null when the user is authenticated. The flow has already checked the nonce.
   */
  async authenticate(input: VerifiedCredentials): Promise<AorRegisterReply | null> {
    return verifyAccount(input.credentials, input.algorithm, this.#effectiveAccount(), input.method) ? null : { kind: 'challenge' };
  }

  /** The account, or for a GB device without one the realm's shared password. */
  #effectiveAccount(): Account | null {
    if (this.#account || !this.#gb || !this.#config.gb?.password) return this.#account;
    return accountFor(this.#gb.current.deviceId, this.#config.gb.realm, this.#config.gb.password);
  }

  /**
   * The connection a binding came on has closed, or its bindings lapsed there (`registration expired`): its
   * bindings die with it (RFC 5626 §4.2.3).
   */
  async flowClosed(flowId: string, reason: 'connection closed' | 'registration expired' = 'connection closed'): Promise<void> {
    this.#dropFlows(new Set([flowId]), reason);
  }

  /** A bridged device's connection was closed for silence: the device is offline (keepalive timeout). */
  async flowSilent(flowId: string): Promise<void> {
    if (this.#gb && this.#bindings.some((b) => b.flowId === flowId)) this.#gb.silent('keepalive timeout');
    this.#schedule();
  }

  /** Create or replace the account. Only HA1 values are stored; every flow's lease is revoked first. */
  async putAccount(account: Account): Promise<{ created: boolean }> {
    const created = this.#account === null;
    this.#store.putAccount(account);
    this.#account = account;
    await this.#tellFlows(this.#bindings, null, true);
    return { created };
  }

  /** Delete the account and every binding; every flow's lease is revoked. Returns whether there was one. */
  async deleteAccount(): Promise<boolean> {
    const existed = this.#account !== null;
    const before = this.#bindings;
    this.#store.putAccount(null);
    this.#account = null;
    this.#save([]);
    await this.#tellFlows(before, null, true);
    return existed;
  }

  /** Whether the account exists (GB devices under a shared password always do). */
  async hasAccount(): Promise<boolean> { return this.#effectiveAccount() !== null; }

  /** Where requests for this AOR go: every live binding, most preferred first (RFC 3261 §16.5). */
  async lookup(): Promise<{ exists: boolean; targets: Array<{ flowId: string; uri: string; address: FlowAddress }>; trace?: TraceMark[] }> {
    return { exists: this.#effectiveAccount() !== null, targets: this.#live().map((b) => ({ flowId: b.flowId, uri: b.uri, address: b.address })), ...this.#traces.reply(Date.now()) };
  }

  /** RPC from the traces API: arm (`on`) or end a trace of this AOR; the flows of its bindings are told (how many). (`trace` is a handler name.) */
  async armTrace(mark: TraceMark, on: boolean): Promise<number> {
    return this.#traces.arm(mark, on, this.#live().map((b) => b.flowId), Date.now());
  }

  /** Send a request from the platform to every live binding; resolves with the final status. */
  async sendRequest(p: Omit<PlatformRequest, 'aor'>): Promise<PlatformResult> { return this.#platform.send({ ...p, aor: this.#aor }, this.#live()); }

  /** RPC: a response to a platform request, relayed by the flow it arrived on. */
  async onBranchResponse(branch: string, data: string | Uint8Array): Promise<void> {
    const parsed = parseMessage(data);
    if (parsed.ok && parsed.value.type === 'response') this.#platform.onResponse(branch, parsed.value);
  }

  /** Live bindings for the admin API, with their real expiries asked from the flows that hold leases. */
  async listBindings(): Promise<BindingView[]> {
    const now = Date.now();
    return withViews(this.#live(now), await this.#flowViews(now)).map((b) => bindingView(b, now));
  }

  /** Remove a live binding named by its contact or URI (the admin API); its flow's lease is revoked. Whether there was one. */
  async removeBinding(contact: string): Promise<boolean> {
    const before = this.#bindings;
    const left = dropContact(before, contact, Date.now());
    if (left === null) return false;
    this.#save(left);
    await this.#tellFlows(before, null);
    return true;
  }

  /** GB28181 RPC: a MESSAGE from this device on `flowId` (keepalive, query answers); the status, and a lease. */
  async gbMessage(body: Uint8Array, contentType: string | null, flowId: string, wantsLease = false, callId?: string): Promise<{ status: number; reason: string; lease: Lease | null }> {
    const now = Date.now();
    if (!this.#gb || this.#live(now).length === 0) return { status: 404, reason: 'Not Found (device not registered)', lease: null };
    const res = this.#gb.onMessage(body, contentType, now);
    gbOps.broadcastMessage(this.#gb, body, contentType); // a Response/Broadcast refusing a waiting broadcast
    gbOps.mediaStatus(this.#gbHost(), body, contentType, callId); // MediaStatus 121: a history stream ended
    this.#schedule();
    const account = this.#effectiveAccount();
    const lease = wantsLease && account && this.#gb.current.online ? grantLease(this.#aor, account, 'MD5', flowId, this.#bindings, this.#gb.current, now) : null;
    return { ...res, lease };
  }

  /** GB28181 RPC: the device's state and channels (last keepalive and expiry from its flow), or null. */
  async gbDevice(): Promise<gbOps.DeviceView | null> {
    const view = gbOps.view(this.#gbHost());
    return view && deviceWithViews(view, this.#live(), await this.#flowViews(Date.now()));
  }

  /** GB28181 RPC: send a query and wait (bounded) for the answer. */
  async gbQuery(cmdType: QueryCmdType, waitMs: number, extra?: QueryExtra): Promise<gbOps.GbOutcome> {
    return gbOps.query(this.#gbHost(), cmdType, waitMs, extra);
  }

  /** GB28181 RPC: DeviceControl (PTZ, guard, reboot) to the device or one of its channels. */
  async gbControl(targetId: string, command: ControlCommand, waitMs: number): Promise<gbOps.GbOutcome> {
    return gbOps.control(this.#gbHost(), targetId, command, waitMs);
  }

  /** GB28181 RPC: start live view (or, by `opts`, playback or download) of a channel towards a media server. */
  async gbLiveStart(channelId: string, media: { ip: string; port: number; tcp?: boolean }, waitMs: number, opts?: InviteOptions): Promise<gbOps.GbOutcome> { return gbOps.liveStart(this.#gbHost(), channelId, media, waitMs, opts); }

  /** GB28181 RPC: an in-dialog INFO in a session (MANSRTSP playback control). */
  async gbSessionInfo(callId: string, control: Parameters<typeof gbOps.sessionInfo>[2], waitMs: number): Promise<gbOps.GbOutcome> { return gbOps.sessionInfo(this.#gbHost(), callId, control, waitMs); }

  /** GB28181 RPC: stop a live-view session (BYE). */
  async gbLiveStop(callId: string, waitMs: number): Promise<gbOps.GbOutcome> {
    return gbOps.liveStop(this.#gbHost(), callId, waitMs);
  }

  /** GB28181 RPC: subscribe, unsubscribe, list; alarms and position; a NOTIFY from the device's flow. */
  async gbEvents(op: GbEventOp): Promise<gbOps.GbOutcome> { return this.#events?.run(op) ?? { ok: false, failure: 'not-a-device', error: 'not a GB28181 device' }; }

  /** GB28181 RPC: voice broadcast (GB/T 28181 §9.12): the API's start, list and stop, the device's INVITE, ACK and BYE. */
  async gbBroadcast(op: gbOps.BroadcastOp): Promise<gbOps.GbOutcome> { return gbOps.broadcast(this.#gbHost(), this.#config.gb!, op); }

  /** Expiry: drop bindings past their interval (or lease) and grace; devices go offline; due subscriptions are refreshed. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.#alarm.fired();
    const refreshed = this.#events?.due(now);
    this.#gb?.expire(now);
    const before = this.#bindings;
    this.#save(before.filter((b) => isLive(b, now)));
    if (this.#bindings.length !== before.length) await this.#tellFlows(before, null);
    await refreshed;
    this.#ledger.done();
  }

  /** This object's metrics shard (`sip_bindings`, `sip_registered_aors` and the ledger's counts). */
  #shard() { return metricsShard(this.env, shardOf(this.ctx.id.toString())); }

  #gbHost(): gbOps.GbHost {
    return { gb: this.#gb, platform: this.#platform, store: this.#store, live: () => this.#live(), now: () => Date.now(), env: this.env, waitUntil: (p) => this.ctx.waitUntil(p) };
  }

  /** Ask each flow with a live binding what it holds: real expiries, last keepalive, whether it still exists. */
  async #flowViews(now: number): Promise<Map<string, FlowView>> {
    const flows = [...new Set(this.#live(now).map((b) => b.flowId))];
    const views = await Promise.all(flows.map((f) => flowStub(this.env, f).leaseView(this.#aor).catch(() => null)));
    const out = new Map(flows.flatMap((f, i): Array<[string, FlowView]> => (views[i] ? [[f, views[i]]] : [])));
    const gone = new Set([...out].filter(([, v]) => v.gone).map(([f]) => f));
    if (gone.size > 0) this.#dropFlows(gone, 'connection closed');
    return out;
  }

  #dropFlows(flows: Set<string>, reason: 'connection closed' | 'registration expired'): void {
    const before = this.#bindings;
    let left = before;
    for (const f of flows) left = dropFlow(left, f);
    if (left.length === before.length) return;
    this.#save(left);
    if (this.#gb && left.length === 0) this.#gb.silent(reason);
    // The dropped flows are gone or already know; the others learn the new contact list.
    this.ctx.waitUntil(this.#tellFlows(before.filter((b) => !flows.has(b.flowId)), null));
  }

  /** Tell the flows whose view changed: revoked leases, or the other contacts they list. */
  async #tellFlows(before: readonly Binding[], except: string | null, revokeAll = false): Promise<void> {
    const updates = leaseUpdates(before, this.#bindings, except, revokeAll, Date.now());
    await Promise.all(updates.map(([flowId, u]) => flowStub(this.env, flowId).leaseUpdate(this.#aor, u).catch(() => undefined)));
  }

  /** Persist the binding set, send the gauges its size moved (`metrics-gauges.ts`), schedule the next deadline. */
  #save(next: Binding[]): void {
    const deltas = registrationDeltas(this.#bindings.length, next.length);
    if (deltas) this.ctx.waitUntil(this.#shard().add(deltas).catch(() => undefined));
    this.#store.saveBindings(next);
    this.#bindings = next;
    this.#schedule();
  }

  /** Arm the alarm for the earliest of binding expiry, the device's registration end and its next subscription refresh. */
  #schedule(): void {
    this.#alarm.arm([nextDeadline(this.#bindings), this.#gb?.deadline() ?? null, this.#events?.deadline(Date.now()) ?? null]);
  }
}

billRpcCalls(AorObject);
