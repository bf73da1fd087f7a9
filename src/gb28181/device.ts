/**
 * The state of a GB/T 28181 device as the platform sees it, and the rules
 * that move it between online and offline (GB/T 28181-2016 §9.6: a device is
 * offline after the configured number of missed keepalives, or when its
 * registration ends). Missed keepalives are noticed where the datagrams are
 * seen, by silence (the bridge closes the device's connection after
 * {@link livenessTimeoutMs}); the registration's end by the AOR's alarm. Pure:
 * the clock comes in as a parameter.
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

/** A device as the realm's device list shows it (`GbDirectoryObject`, `GET /gb28181/devices`). */
export type DeviceSummary = Pick<DeviceState, 'deviceId' | 'online' | 'offlineReason' | 'source' | 'transport' | 'userAgent' | 'registeredAt'> & {
  updatedAt: number;
};

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

/** Silence after which a device is offline: the missed keepalives' worth of intervals. */
export function livenessTimeoutMs(p: KeepalivePolicy): number {
  return p.intervalSeconds * p.misses * 1000;
}

/** When the device's registration ends unless it is refreshed; null when it is offline already. */
export function offlineDeadline(s: DeviceState): number | null {
  return s.online ? s.registrationExpiresAt : null;
}

/** Apply a passed registration end: offline. */
export function expire(s: DeviceState, now: number): DeviceState {
  const deadline = offlineDeadline(s);
  if (deadline === null || now < deadline) return s;
  return { ...s, online: false, offlineReason: 'registration expired' };
}

/** Why a device went offline without saying so. */
export type SilenceReason = 'keepalive timeout' | 'connection closed' | 'registration expired';

/** The device was silent for {@link livenessTimeoutMs}, its connection ended, or its registration lapsed: offline. */
export function silent(s: DeviceState, reason: SilenceReason): DeviceState {
  return s.online ? { ...s, online: false, offlineReason: reason } : s;
}
