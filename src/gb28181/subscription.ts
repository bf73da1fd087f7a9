/**
 * GB/T 28181 subscriptions (§9.11 catalog, §9.12 alarm and mobile position) with the platform as the
 * subscriber of RFC 6665: the event package and `Query` body each kind is subscribed with, the expiry the
 * device grants, when to refresh it, and the `Subscription-State` of the device's NOTIFYs. Pure: the clock
 * comes in as arguments.
 * @module
 */
import { buildManscdp, type ManscdpCharset, type ManscdpElement } from './manscdp-build.js';

/** What a platform subscribes to on a device. */
export type SubscriptionKind = 'catalog' | 'alarm' | 'position';

/** Every {@link SubscriptionKind}, in the order the API lists them. */
export const SUBSCRIPTION_KINDS: readonly SubscriptionKind[] = ['catalog', 'alarm', 'position'];

/** The filter of an alarm subscription (GB/T 28181 A.2.4.4): priorities 1–4 (0: any), method digits, type, times. */
export interface AlarmFilter {
  startAlarmPriority?: number;
  endAlarmPriority?: number;
  /** `AlarmMethod`: one digit 0–7 or several joined by `/` (0: any). */
  alarmMethod?: string;
  alarmType?: string;
  /** `yyyy-MM-ddTHH:mm:ss`, local time without zone. */
  startAlarmTime?: string;
  endAlarmTime?: string;
}

/** What a subscription asks for. */
export interface SubscriptionParams extends AlarmFilter {
  /** Requested duration, seconds (the SUBSCRIBE's `Expires`). */
  expires: number;
  /** MobilePosition only: seconds between position reports (`Interval`, default {@link DEFAULT_INTERVAL}). */
  interval?: number;
}

/** MobilePosition report interval when none is asked for, seconds (WVP's default). */
export const DEFAULT_INTERVAL = 5;

/** `Event` header of each kind: `Catalog` for the catalog, `presence` for alarms and positions (as WVP sends). */
export function eventPackage(kind: SubscriptionKind): 'Catalog' | 'presence' {
  return kind === 'catalog' ? 'Catalog' : 'presence';
}

/** CmdType of the subscribing `Query` and of the NOTIFYs it brings. */
export function cmdTypeOf(kind: SubscriptionKind): 'Catalog' | 'Alarm' | 'MobilePosition' {
  return kind === 'catalog' ? 'Catalog' : kind === 'alarm' ? 'Alarm' : 'MobilePosition';
}

/** The kind a notified CmdType belongs to (case-insensitive), or null. */
export function kindOfCmdType(cmdType: string): SubscriptionKind | null {
  const c = cmdType.toLowerCase();
  return c === 'catalog' ? 'catalog' : c === 'alarm' ? 'alarm' : c === 'mobileposition' ? 'position' : null;
}

/**
 * The SUBSCRIBE body: `Query/Catalog`; `Query/Alarm` with `StartAlarmPriority`, `EndAlarmPriority` and
 * `AlarmMethod` (0: any) and the optional type and times; `Query/MobilePosition` with `Interval`.
 */
export function subscribeBody(kind: SubscriptionKind, sn: number, deviceId: string, p: SubscriptionParams, charset: ManscdpCharset = 'GB2312'): string {
  const rest: ManscdpElement[] = [];
  if (kind === 'alarm') {
    rest.push(['StartAlarmPriority', p.startAlarmPriority ?? 0], ['EndAlarmPriority', p.endAlarmPriority ?? 0], ['AlarmMethod', p.alarmMethod ?? '0']);
    if (p.alarmType !== undefined) rest.push(['AlarmType', p.alarmType]);
    if (p.startAlarmTime !== undefined) rest.push(['StartAlarmTime', p.startAlarmTime]);
    if (p.endAlarmTime !== undefined) rest.push(['EndAlarmTime', p.endAlarmTime]);
  } else if (kind === 'position') {
    rest.push(['Interval', p.interval ?? DEFAULT_INTERVAL]);
  }
  return buildManscdp('Query', cmdTypeOf(kind), sn, deviceId, rest, charset);
}

/** The duration granted: the 2xx's `Expires` when it is shorter than asked (a notifier may only shorten, RFC 6665 §4.2.1.1). */
export function grantedExpires(requested: number, answered: number | undefined): number {
  return answered !== undefined && answered > 0 && answered < requested ? answered : requested;
}

/**
 * When to refresh a subscription granted at `grantedAt` for `expires` seconds: `marginS` before it ends,
 * or half way when the margin is not shorter than the subscription (RFC 6665 §4.1.2.1: before it expires).
 */
export function refreshAt(grantedAt: number, expires: number, marginS: number): number {
  const lead = marginS < expires ? marginS : expires / 2;
  return grantedAt + Math.round((expires - lead) * 1000);
}

/** Wait before retrying a failed refresh: 30 s, doubling, at most 10 min. */
export function retryDelayMs(failures: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, failures - 1), 600_000);
}

/** A `Subscription-State` header (RFC 6665 §8.2.3). */
export interface SubscriptionState {
  /** active | pending | terminated (other values are kept as sent, lower-cased). */
  state: string;
  expires?: number;
  reason?: string;
}

/** Parse `Subscription-State: active;expires=3599` (or `terminated;reason=timeout`); null when absent or empty. */
export function parseSubscriptionState(value: string | null | undefined): SubscriptionState | null {
  if (!value) return null;
  const [head, ...params] = value.split(';');
  const state = (head ?? '').trim().toLowerCase();
  if (!state) return null;
  const out: SubscriptionState = { state };
  for (const p of params) {
    const [k, v] = p.split('=').map((s) => s.trim());
    if (k?.toLowerCase() === 'expires' && v && /^\d{1,10}$/.test(v)) out.expires = Number(v);
    else if (k?.toLowerCase() === 'reason' && v) out.reason = v.toLowerCase();
  }
  return out;
}

/** The event package of an `Event` header value, lower-cased (`Catalog;id=1` → `catalog`). */
export function eventOf(value: string | null | undefined): string | null {
  const e = value?.split(';')[0]?.trim().toLowerCase();
  return e ? e : null;
}
