/**
 * Mobile position (GB/T 28181 §9.12, A.2.5.6): `Notify/MobilePosition`, sent in a position subscription's
 * NOTIFY (or, by some devices, as a MESSAGE). Pure.
 * @module
 */
import { fail, ok, type Result } from '../sip/message.js';
import type { ManscdpMessage } from './manscdp.js';
import { num, str } from './manscdp-fields.js';

/** The last position a device reported. */
export interface MobilePosition {
  deviceId: string;
  /** `Time` as sent (local time without zone). */
  time: string;
  /** Degrees, WGS-84 as GB/T 28181 specifies. */
  longitude: number;
  latitude: number;
  /** km/h, degrees from north, metres — when sent. */
  speed?: number;
  direction?: number;
  altitude?: number;
  /** When the platform received it (ms). */
  receivedAt: number;
}

/** `Notify/MobilePosition` → the position; fails without a Longitude and Latitude in range. */
export function mobilePositionNotify(m: ManscdpMessage, now: number): Result<MobilePosition> {
  if (m.root !== 'Notify' || m.cmdType.toLowerCase() !== 'mobileposition') return fail(`Expected Notify/MobilePosition, got ${m.root}/${m.cmdType}`);
  const f = m.fields;
  const longitude = num(f, 'Longitude');
  const latitude = num(f, 'Latitude');
  if (longitude === undefined || longitude < -180 || longitude > 180) return fail('MobilePosition has no Longitude in -180..180');
  if (latitude === undefined || latitude < -90 || latitude > 90) return fail('MobilePosition has no Latitude in -90..90');
  const p: MobilePosition = { deviceId: m.deviceId, time: str(f, 'Time'), longitude, latitude, receivedAt: now };
  for (const [k, tag] of [['speed', 'Speed'], ['direction', 'Direction'], ['altitude', 'Altitude']] as const) {
    const v = num(f, tag);
    if (v !== undefined) p[k] = v;
  }
  return ok(p);
}

/** Whether `b` reports something `a` did not (the time or any field; the receive time does not count). */
export function positionChanged(a: MobilePosition | null, b: MobilePosition): boolean {
  if (!a) return true;
  const { receivedAt: _a, ...x } = a;
  const { receivedAt: _b, ...y } = b;
  return JSON.stringify(x) !== JSON.stringify(y);
}
