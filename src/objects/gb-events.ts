/**
 * The shapes a GB device's subscriptions are kept, shown and asked for in (`gb-subscriptions.ts` holds
 * them): the stored record, the API's view, a device's NOTIFY as its flow hands it over, the one RPC's
 * operations, and what the AOR object lends.
 * @module
 */
import type { GbConfig } from '../config.js';
import type { SubscriptionKind, SubscriptionParams } from '../gb28181/subscription.js';
import type { Binding } from '../registrar/bindings.js';
import type { GbDevice } from './gb-device.js';
import type { PlatformDialog, PlatformRequests } from './platform-requests.js';

/** One subscription, as stored. */
export interface SubscriptionRecord {
  kind: SubscriptionKind;
  params: SubscriptionParams;
  /**
   * active; retrying (a refresh failed: again at `refreshAt`); lost (it ended while the device was away: a
   * new SUBSCRIBE when it is back); terminated (the device ended it).
   */
  state: 'active' | 'retrying' | 'lost' | 'terminated';
  callId: string;
  /** Our tag (From of the SUBSCRIBE, To of the NOTIFYs). */
  localTag: string;
  dialog: PlatformDialog | null;
  sn: number;
  createdAt: number;
  refreshedAt: number;
  expiresAt: number;
  refreshAt: number | null;
  failures: number;
  lastError: string | null;
}

/** A subscription as the API shows it. */
export type SubscriptionView = Omit<SubscriptionRecord, 'dialog' | 'localTag'> & { event: string; expires: number };

/** A NOTIFY from the device, as its flow hands it over. */
export interface DeviceNotify {
  callId: string;
  /** Our tag (the NOTIFY's To tag) and the device's (its From tag). */
  localTag: string | null;
  remoteTag: string | null;
  event: string | null;
  subscriptionState: string | null;
  contentType: string | null;
  body: Uint8Array;
}

/** What the API and the flows ask of a device's subscriptions (one RPC, `AorObject.gbEvents`). */
export type GbEventOp =
  | { op: 'subscribe'; kind: SubscriptionKind; params: SubscriptionParams; waitMs: number }
  | { op: 'unsubscribe'; kind: SubscriptionKind; waitMs: number }
  | { op: 'list' }
  | { op: 'alarms'; limit: number }
  | { op: 'position' }
  | { op: 'notify'; notify: DeviceNotify };

/** What the AOR object lends (never public). */
export interface GbEventsHost {
  gb: GbDevice;
  config: GbConfig;
  platform: PlatformRequests;
  /** The object's counted `sql.exec`. */
  sql: SqlStorage['exec'];
  /** Live bindings, most preferred first. */
  live(): Binding[];
  /** Re-arm the object's alarm (deadlines moved). */
  schedule(): void;
  waitUntil(p: Promise<unknown>): void;
  now(): number;
}
