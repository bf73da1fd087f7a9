/**
 * The state of a GB/T 28181 device as the platform sees it, and the rules
 * that move it between online and offline (GB/T 28181-2016 §9.6: a device is
 * offline after the configured number of missed keepalives, or when its
 * registration ends). Pure: the clock comes in as a parameter.
 * @module
 */
import type { CatalogItem } from './manscdp.js';

/** What DeviceInfo answered (GB/T 28181 A.2.6). */
export interface DeviceInfo {
  deviceName: string | null;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  channel: number | null;
}

/** A device's state, kept in its AOR object. */
export interface DeviceState {
  deviceId: string;
  online: boolean;
  /** Why the device went offline last, e.g. `keepalive timeout`, `unregistered`, `registration expired`. */
  offlineReason: string | null;
  registeredAt: number | null;
  registrationExpiresAt: number | null;
  lastKeepaliveAt: number | null;
  /** Observed address (ip:port) and transport of the last REGISTER. */
  source: string | null;
  transport: string | null;
  userAgent: string | null;
  /** X-GB-Ver of the device (remembered and echoed). */
  gbVersion: string | null;
  info: DeviceInfo | null;
  /** Last DeviceStatus answer, as received. */
  status: Record<string, unknown> | null;
  channels: CatalogItem[];
  catalogUpdatedAt: number | null;
  /** Whether the last catalog refresh received all `SumNum` items. */
  catalogComplete: boolean;
}

/** Keepalive policy. */
export interface KeepalivePolicy {
  intervalSeconds: number;
  misses: number;
}

/** A device seen for the first time. */
export function newDevice(deviceId: string): DeviceState {
  return {
    deviceId, online: false, offlineReason: null, registeredAt: null, registrationExpiresAt: null, lastKeepaliveAt: null,
    source: null, transport: null, userAgent: null, gbVersion: null, info: null, status: null, channels: [],
    catalogUpdatedAt: null, catalogComplete: false,
  };
}

/** A successful REGISTER: online until the registration ends or keepalives stop. */
export function registered(
  s: DeviceState,
  r: { now: number; expiresAt: number; source: string; transport: string; userAgent: string | null; gbVersion: string | null },
): DeviceState {
  return {
    ...s, online: true, offlineReason: null, registeredAt: s.online ? (s.registeredAt ?? r.now) : r.now, registrationExpiresAt: r.expiresAt,
    source: r.source, transport: r.transport, userAgent: r.userAgent, gbVersion: r.gbVersion ?? s.gbVersion,
    lastKeepaliveAt: s.online ? s.lastKeepaliveAt : null,
  };
}

/** An unregistration (Expires: 0): offline at once. */
export function unregistered(s: DeviceState): DeviceState {
  return { ...s, online: false, offlineReason: 'unregistered', registrationExpiresAt: null };
}

/**
 * A keepalive from a registered device moves its deadline, and brings back
 * online a device that was offline only for missed keepalives.
 */
export function keepalive(s: DeviceState, now: number): DeviceState {
  const registered = s.registrationExpiresAt !== null && s.registrationExpiresAt > now;
  return registered && !s.online ? { ...s, lastKeepaliveAt: now, online: true, offlineReason: null } : { ...s, lastKeepaliveAt: now };
}

/** When the device goes offline unless something arrives first; null when it is offline already. */
export function offlineDeadline(s: DeviceState, p: KeepalivePolicy): number | null {
  if (!s.online) return null;
  const base = s.lastKeepaliveAt ?? s.registeredAt;
  const keepaliveDeadline = base === null ? Number.POSITIVE_INFINITY : base + p.intervalSeconds * p.misses * 1000;
  const regDeadline = s.registrationExpiresAt ?? Number.POSITIVE_INFINITY;
  const d = Math.min(keepaliveDeadline, regDeadline);
  return Number.isFinite(d) ? d : null;
}

/** Apply a passed deadline: offline with the reason. */
export function expire(s: DeviceState, now: number, p: KeepalivePolicy): DeviceState {
  const deadline = offlineDeadline(s, p);
  if (deadline === null || now < deadline) return s;
  const byRegistration = s.registrationExpiresAt !== null && s.registrationExpiresAt <= now;
  return { ...s, online: false, offlineReason: byRegistration ? 'registration expired' : 'keepalive timeout' };
}
