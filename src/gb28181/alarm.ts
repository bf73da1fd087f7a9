/**
 * Device alarms (GB/T 28181 §9.4, A.2.5.3): `Notify/Alarm`, sent as a MESSAGE or in an alarm
 * subscription's NOTIFY; the platform's `Response/Alarm` to a MESSAGE; and the bounded newest-first list a
 * device's alarms are kept in. Pure.
 * @module
 */
import { fail, ok, type Result } from '../sip/message.js';
import { buildManscdp, type ManscdpCharset } from './manscdp-build.js';
import type { ManscdpMessage } from './manscdp.js';
import { child, int, isFields, num, str, text } from './manscdp-fields.js';

/** One alarm as the device reported it. */
export interface DeviceAlarm {
  /** The device or alarm channel (`DeviceID`). */
  deviceId: string;
  sn: number;
  /** `AlarmPriority` 1 (highest) – 4, null when absent. */
  priority: number | null;
  /** `AlarmMethod`: 1 phone, 2 device, 3 SMS, 4 GPS, 5 video, 6 device fault, 7 other ('' when absent). */
  method: string;
  /** `AlarmTime` as sent (local time without zone). */
  time: string;
  description: string;
  longitude?: number;
  latitude?: number;
  /** `Info/AlarmType`, with `Info/AlarmTypeParam/EventType` when sent. */
  type?: number;
  eventType?: number;
  /** When the platform received it (ms), and how: a MESSAGE or a subscription's NOTIFY. */
  receivedAt: number;
  via: 'message' | 'notify';
}

/** How many alarms a device keeps (the oldest go first). */
export const MAX_ALARMS = 100;

/** `Notify/Alarm` → the alarm it reports (received at `now` by `via`). */
export function alarmNotify(m: ManscdpMessage, now: number, via: DeviceAlarm['via']): Result<DeviceAlarm> {
  if (m.root !== 'Notify' || m.cmdType.toLowerCase() !== 'alarm') return fail(`Expected Notify/Alarm, got ${m.root}/${m.cmdType}`);
  const f = m.fields;
  const priority = int(f, 'AlarmPriority') ?? null;
  if (priority !== null && (priority < 0 || priority > 4)) return fail(`AlarmPriority ${priority} is not 1-4`);
  const a: DeviceAlarm = {
    deviceId: m.deviceId, sn: m.sn, priority, method: str(f, 'AlarmMethod'), time: str(f, 'AlarmTime'), description: str(f, 'AlarmDescription'),
    receivedAt: now, via,
  };
  const longitude = num(f, 'Longitude');
  const latitude = num(f, 'Latitude');
  if (longitude !== undefined) a.longitude = longitude;
  if (latitude !== undefined) a.latitude = latitude;
  const info = child(f, 'Info');
  if (isFields(info)) {
    const type = int(info, 'AlarmType');
    const param = child(info, 'AlarmTypeParam');
    const eventType = isFields(param) ? int(param, 'EventType') : undefined;
    if (type !== undefined) a.type = type;
    if (eventType !== undefined) a.eventType = eventType;
  } else if (text(f, 'AlarmType') !== undefined) {
    const type = int(f, 'AlarmType');
    if (type !== undefined) a.type = type;
  }
  return ok(a);
}

/** The same report again (a resend as a new transaction): same device, SN, time and method. */
export function sameAlarm(a: DeviceAlarm, b: DeviceAlarm): boolean {
  return a.deviceId === b.deviceId && a.sn === b.sn && a.time === b.time && a.method === b.method;
}

/**
 * `alarm` put in front of the newest-first list `recent`, which stays at most `max` long; unchanged (the
 * same array) when it is a resend of one already there.
 */
export function addAlarm(recent: readonly DeviceAlarm[], alarm: DeviceAlarm, max = MAX_ALARMS): readonly DeviceAlarm[] {
  if (recent.some((r) => sameAlarm(r, alarm))) return recent;
  return [alarm, ...recent].slice(0, max);
}

/** The platform's answer to an alarm MESSAGE, sent after its 200 (GB/T 28181 §9.4.2 step 3): `Response/Alarm`, Result OK. */
export function alarmResponse(sn: number, deviceId: string, charset: ManscdpCharset = 'GB2312'): string {
  return buildManscdp('Response', 'Alarm', sn, deviceId, [['Result', 'OK']], charset);
}
