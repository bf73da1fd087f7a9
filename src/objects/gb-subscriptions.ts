/**
 * A GB device's subscriptions, as its AOR object holds them (GB/T 28181 §9.11/9.12 over RFC 6665, the
 * platform subscribing): SUBSCRIBE with a `Query` body, refreshes inside the dialog before expiry from the
 * object's one alarm (the AOR folds {@link GbSubscriptions.deadline} into its schedule), unsubscribe with
 * `Expires: 0`, and the device's NOTIFYs matched to their dialog (481 when none) and applied.
 * @module
 */
import type { DeviceAlarm } from '../gb28181/alarm.js';
import { parseManscdpBody } from '../gb28181/manscdp.js';
import { contentTypeCharset } from '../gb28181/charset.js';
import type { MobilePosition } from '../gb28181/position.js';
import {
  eventOf, eventPackage, grantedExpires, parseSubscriptionState, refreshAt, retryDelayMs, subscribeBody, SUBSCRIPTION_KINDS,
  type SubscriptionKind, type SubscriptionParams,
} from '../gb28181/subscription.js';
import { Timers } from '../sip/timers.js';
import type { GbFailure, GbOutcome } from './aor-gb.js';
import { MANSCDP } from './gb-device.js';
import type { DeviceNotify, GbEventOp, GbEventsHost, SubscriptionRecord, SubscriptionView } from './gb-events.js';
import { GbEventStore } from './gb-events-store.js';
import { GbNotifications, type NotifyAnswer } from './gb-notifications.js';
import type { PlatformResult } from './platform-requests.js';
import { randomHex } from './stubs.js';

export type { GbEventOp } from './gb-events.js';

/** Retry of a refresh due while the device is away. */
const OFFLINE_RETRY_MS = 30_000;
/** How long the final NOTIFY of a subscription ended here is still answered 200 (RFC 6665 §4.1.2.3). */
const ENDED_MS = Timers.TIMER_F;

const fail = (failure: GbFailure, error: string, sipStatus?: number): GbOutcome =>
  ({ ok: false, failure, error, ...(sipStatus !== undefined ? { sipStatus } : {}) });

/** The subscriptions of one device. */
export class GbSubscriptions {
  readonly #h: GbEventsHost;
  readonly #store: GbEventStore;
  readonly #notes: GbNotifications;
  #subs: Map<SubscriptionKind, SubscriptionRecord> | null = null;
  /** SUBSCRIBEs in flight by Call-ID: a NOTIFY may come before their 2xx (RFC 6665 §4.1.2.4). */
  readonly #sending = new Map<string, SubscriptionRecord>();
  /** One exchange at a time per kind (a dialog's CSeq must grow), and a kind in one is not due. */
  readonly #locks = new Map<SubscriptionKind, Promise<unknown>>();
  /** Call-IDs of subscriptions ended here, until when their last NOTIFY is still answered 200. */
  readonly #ended = new Map<string, number>();
  #sn: number;

  constructor(h: GbEventsHost) {
    this.#h = h;
    this.#store = new GbEventStore(h.sql);
    this.#notes = new GbNotifications(h, this.#store);
    this.#sn = h.now() % 100_000;
  }

  get #all(): Map<SubscriptionKind, SubscriptionRecord> {
    return (this.#subs ??= new Map(this.#store.subscriptions().map((s) => [s.kind, s])));
  }

  get #reachable(): boolean {
    return this.#h.gb.current.online && this.#h.live().length > 0;
  }

  #busy(kind: SubscriptionKind): boolean {
    return this.#locks.has(kind);
  }

  /** Run `fn` after every earlier exchange of `kind` (set at once, so the kind is busy from now on). */
  #locked<T>(kind: SubscriptionKind, fn: () => Promise<T>): Promise<T> {
    const run = (this.#locks.get(kind) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    this.#locks.set(kind, tail);
    void tail.then(() => {
      if (this.#locks.get(kind) === tail) this.#locks.delete(kind);
    });
    return run;
  }

  /** The API and the flows' requests. */
  async run(o: GbEventOp): Promise<GbOutcome> {
    const s = this.#h.gb.current;
    if (o.op === 'notify') return { ok: true, data: this.notify(o.notify) };
    if (s.registeredAt === null && !s.online) return fail('not-a-device', 'no such device');
    if (o.op === 'subscribe') return this.subscribe(o.kind, o.params, o.waitMs);
    if (o.op === 'unsubscribe') return this.unsubscribe(o.kind, o.waitMs);
    if (o.op === 'list') return { ok: true, data: { deviceId: s.deviceId, subscriptions: this.list() } };
    if (o.op === 'alarms') return { ok: true, data: { deviceId: s.deviceId, alarms: this.alarms(o.limit) } };
    const position = this.position();
    return position ? { ok: true, data: position } : fail('no-session', `device ${s.deviceId} has reported no position`);
  }

  /** When the next refresh is due: the earliest `refreshAt`, or now for a lost one whose device is back. */
  deadline(now: number): number | null {
    let next: number | null = null;
    for (const s of this.#all.values()) {
      if (this.#busy(s.kind)) continue;
      const at = s.state === 'lost' ? (this.#reachable ? now : null) : s.refreshAt;
      if (at !== null && (next === null || at < next)) next = at;
    }
    return next;
  }

  /**
   * The alarm fired: refresh what is due (a device away is tried again, until its subscription lapses).
   * Call it first: the refreshes are busy from the start, so a schedule meanwhile does not see them due.
   */
  async due(now: number): Promise<void> {
    const work: Array<Promise<unknown>> = [];
    for (const s of [...this.#all.values()]) {
      if (this.#busy(s.kind) || (s.state === 'lost' ? !this.#reachable : s.refreshAt === null || s.refreshAt > now)) continue;
      if (!this.#reachable) {
        this.#put(now >= s.expiresAt ? { ...s, state: 'lost', refreshAt: null } : { ...s, refreshAt: Math.min(now + OFFLINE_RETRY_MS, s.expiresAt) });
        continue;
      }
      work.push(this.#renew(s.kind, s.params, Timers.TIMER_F));
    }
    if (work.length === 0) return;
    await Promise.all(work);
    this.#h.schedule();
  }

  /** Subscribe (or, with a live dialog, re-subscribe inside it with new parameters); kept once the device accepts. */
  async subscribe(kind: SubscriptionKind, params: SubscriptionParams, waitMs: number): Promise<GbOutcome> {
    if (!this.#reachable) return fail('offline', `device ${this.#h.gb.current.deviceId} is offline`);
    const { result, rec, created } = await this.#renew(kind, params, waitMs);
    if (result.status >= 300) return failed(result, 'SUBSCRIBE');
    this.#h.schedule();
    return { ok: true, data: { created, ...view(rec, this.#h.now()) } };
  }

  /** Forget the subscription and, if its dialog lives, end it with `Expires: 0`; the device's answer is reported. */
  unsubscribe(kind: SubscriptionKind, waitMs: number): Promise<GbOutcome> {
    return this.#locked(kind, () => this.#unsubscribe(kind, waitMs));
  }

  async #unsubscribe(kind: SubscriptionKind, waitMs: number): Promise<GbOutcome> {
    const s = this.#all.get(kind);
    if (!s) return fail('no-session', `no ${kind} subscription on device ${this.#h.gb.current.deviceId}`);
    const now = this.#h.now();
    this.#all.delete(kind);
    this.#store.putSubscription(kind, null);
    this.#ended.set(s.callId, now + ENDED_MS);
    const live = s.dialog !== null && s.expiresAt > now && s.state !== 'lost' && s.state !== 'terminated';
    if (!live || !this.#reachable) return { ok: true, data: { kind, sent: false } };
    const r = await this.#send({ ...s, dialog: { ...s.dialog! }, sn: this.#nextSn() }, 0, waitMs);
    return { ok: true, data: { kind, sent: true, status: r.status, reason: r.reason } };
  }

  /** Every subscription, in kind order. */
  list(): SubscriptionView[] {
    const now = this.#h.now();
    return SUBSCRIPTION_KINDS.map((k) => this.#all.get(k)).filter((s) => s !== undefined).map((s) => view(s, now));
  }

  alarms(limit: number): readonly DeviceAlarm[] {
    return this.#notes.alarms(limit);
  }

  position(): MobilePosition | null {
    return this.#notes.position();
  }

  /**
   * A NOTIFY: matched on Call-ID and our tag (RFC 6665 §4.1.3; both random, so unforgeable), 481 when it
   * matches nothing, 489 for another event package, 400 for a body that does not parse or is not the
   * subscription's CmdType. A body is applied; `Subscription-State: terminated` ends the subscription.
   */
  notify(n: DeviceNotify): NotifyAnswer {
    const now = this.#h.now();
    for (const [id, until] of this.#ended) if (until <= now) this.#ended.delete(id);
    const s = [...this.#sending.values(), ...this.#all.values()].find((r) => r.callId === n.callId && r.localTag === n.localTag);
    if (!s) return this.#ended.has(n.callId) ? { status: 200, reason: 'OK (subscription ended)' } : { status: 481, reason: 'Subscription Does Not Exist' };
    const event = eventOf(n.event);
    if (event !== null && event !== eventPackage(s.kind).toLowerCase()) return { status: 489, reason: 'Bad Event' };
    if (n.body.byteLength > 0) {
      const m = parseManscdpBody(n.body, contentTypeCharset(n.contentType ?? undefined));
      if (!m.ok) return { status: 400, reason: `Bad Request (${m.error})` };
      const answer = this.#notes.notified(s.kind, m.value, now);
      if (answer.status !== 200) return answer;
    }
    const state = parseSubscriptionState(n.subscriptionState);
    const stored = this.#all.get(s.kind);
    if (stored?.callId !== s.callId || !state) return { status: 200, reason: 'OK' };
    if (state.state === 'terminated') this.#put({ ...stored, state: 'terminated', refreshAt: null, lastError: `terminated by the device${state.reason ? ` (${state.reason})` : ''}` });
    else if (state.expires !== undefined && now + state.expires * 1000 < stored.expiresAt - 5_000) {
      // The device shortened it (RFC 6665 §4.1.2.1 lets the notifier): refresh before the new end.
      const expiresAt = now + state.expires * 1000;
      this.#put({ ...stored, expiresAt, refreshAt: Math.min(stored.refreshAt ?? expiresAt, refreshAt(now, state.expires, this.#h.config.subscriptionMargin)) });
      this.#h.schedule();
    }
    return { status: 200, reason: 'OK' };
  }

  /**
   * SUBSCRIBE for `kind`: inside the held subscription's dialog while it lives (a new one if the device
   * forgot it: 481), else a new dialog. The record is stored when the device accepts; a failed refresh of a
   * held one is retried later, a new one the API asked for is dropped (the API hears the failure).
   */
  #renew(kind: SubscriptionKind, params: SubscriptionParams, waitMs: number): Promise<{ result: PlatformResult; rec: SubscriptionRecord; created: boolean }> {
    return this.#locked(kind, () => this.#exchange(this.#all.get(kind) ?? null, kind, params, waitMs));
  }

  async #exchange(prev: SubscriptionRecord | null, kind: SubscriptionKind, params: SubscriptionParams, waitMs: number): Promise<{ result: PlatformResult; rec: SubscriptionRecord; created: boolean }> {
    const start = this.#h.now();
    const inDialog = prev !== null && prev.dialog !== null && prev.expiresAt > start && (prev.state === 'active' || prev.state === 'retrying');
    let rec: SubscriptionRecord = inDialog ? { ...prev, params, dialog: { ...prev.dialog! }, sn: this.#nextSn() } : this.#fresh(kind, params, start);
    let result = await this.#send(rec, params.expires, waitMs);
    if (result.status === 481 && inDialog) {
      rec = this.#fresh(kind, params, start);
      result = await this.#send(rec, params.expires, waitMs);
    }
    const now = this.#h.now();
    if (result.status < 300) {
      const granted = grantedExpires(params.expires, result.expires);
      rec = {
        ...rec, state: 'active', dialog: result.dialog ?? rec.dialog, refreshedAt: now, expiresAt: now + granted * 1000,
        refreshAt: refreshAt(now, granted, this.#h.config.subscriptionMargin), failures: 0, lastError: null,
      };
      this.#put(rec);
    } else if (prev) {
      // Keep the dialog's CSeq moving (RFC 3261 §12.2.1.1), and try again later.
      const failures = prev.failures + 1;
      this.#put({ ...prev, dialog: inDialog ? rec.dialog ?? prev.dialog : prev.dialog, state: 'retrying', failures, lastError: `${result.status} ${result.reason}`, refreshAt: now + retryDelayMs(failures) });
    }
    return { result, rec, created: prev === null };
  }

  #fresh(kind: SubscriptionKind, params: SubscriptionParams, now: number): SubscriptionRecord {
    return {
      kind, params, state: 'active', callId: `${randomHex(12)}@edge-sip`, localTag: randomHex(6), dialog: null, sn: this.#nextSn(),
      createdAt: now, refreshedAt: now, expiresAt: now, refreshAt: null, failures: 0, lastError: null,
    };
  }

  /** One SUBSCRIBE (`Expires: expires`) for `rec`: in its dialog when it has one. */
  async #send(rec: SubscriptionRecord, expires: number, waitMs: number): Promise<PlatformResult> {
    const { config: gb, platform } = this.#h;
    const headers: Array<[string, string]> = [['Event', eventPackage(rec.kind)], ['Expires', String(expires)], ['Contact', `<sip:${gb.platformId}@${gb.realm}>`]];
    const body = subscribeBody(rec.kind, rec.sn, this.#h.gb.current.deviceId, rec.params);
    // The device may have come back on another flow (a new NAT binding): its dialog follows it there.
    const live = this.#h.live();
    if (rec.dialog && live[0] && !live.some((b) => b.flowId === rec.dialog!.flowId)) Object.assign(rec.dialog, { flowId: live[0].flowId, address: live[0].address });
    this.#sending.set(rec.callId, rec);
    try {
      if (rec.dialog) return await platform.sendInDialog(rec.dialog, 'SUBSCRIBE', waitMs, { contentType: MANSCDP, body }, headers);
      return await platform.send({
        method: 'SUBSCRIBE', aor: `sip:${this.#h.gb.current.deviceId}@${gb.realm}`, from: `sip:${gb.platformId}@${gb.realm}`,
        callId: rec.callId, fromTag: rec.localTag, headers, contentType: MANSCDP, body, timeoutMs: waitMs,
      }, this.#h.live());
    } finally {
      this.#sending.delete(rec.callId);
    }
  }

  #put(s: SubscriptionRecord): void {
    this.#all.set(s.kind, s);
    this.#store.putSubscription(s.kind, s);
  }

  #nextSn(): number {
    this.#sn = (this.#sn + 1) % 1_000_000_000;
    return this.#sn;
  }
}

/** The API's view of a record. */
function view(s: SubscriptionRecord, now: number): SubscriptionView {
  const { dialog: _d, localTag: _t, ...rest } = s;
  return { ...rest, event: eventPackage(s.kind), expires: Math.max(0, Math.round((s.expiresAt - now) / 1000)) };
}

/** A device's refusal or silence as an outcome. */
function failed(r: PlatformResult, what: string): GbOutcome {
  if (r.status === 408) return fail('timeout', `the device did not answer the ${what}`, 408);
  if (r.status === 480) return fail('offline', 'the device cannot be reached', 480);
  return fail('refused', `device answered ${r.status} ${r.reason}`, r.status);
}
