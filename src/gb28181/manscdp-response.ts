/**
 * Typed views of the MANSCDP messages a platform receives: Keepalive and the Catalog,
 * DeviceInfo, DeviceStatus and RecordInfo responses. Missing optional fields are tolerated.
 * @module
 */

import { fail, ok } from '../sip/message.js';
import type { Result } from '../sip/message.js';
import type { ManscdpMessage, ManscdpRoot } from './manscdp.js';
import { attr, child, int, isFields, items, num, parseIntText, str, text } from './manscdp-fields.js';
import type { XmlFields } from './manscdp-fields.js';

/** Channel status; devices also send ONLINE/OFFLINE/OK, normalised to ON/OFF. */
export type CatalogStatus = 'ON' | 'OFF' | (string & {});

/** One `<Item>` of a Catalog `<DeviceList>`: a channel, a region (≤ 8-digit ID) or a group. */
export interface CatalogItem {
  deviceId: string;
  name: string;
  manufacturer: string;
  model: string;
  owner: string;
  civilCode: string;
  address: string;
  /** `Parental`: has children. Non-zero counts as true (Hikvision NVRs send 65535). */
  parental: boolean;
  parentId: string;
  status: CatalogStatus;
  longitude?: number;
  latitude?: number;
  /** `Info/PTZType`: 1 dome, 2 half-dome, 3 fixed, 4 remote-controlled fixed. */
  ptzType?: number;
}

/** One `<Item>` of a RecordInfo `<RecordList>`. */
export interface RecordItem {
  deviceId: string;
  name: string;
  filePath: string;
  address: string;
  /** Local time without zone, as sent (`2024-05-20T10:00:00`); see `parseGbDate`. */
  startTime: string;
  endTime: string;
  secrecy: number;
  /** time | alarm | manual | all … */
  type: string;
  recorderId: string;
  fileSize?: number;
}

/** Device or channel alarm state from a DeviceStatus response. */
export interface AlarmStatusItem {
  deviceId: string;
  /** ONDUTY | OFFDUTY | ALARM */
  status: string;
}

/** Fail unless `m` has the expected root and CmdType. */
function expect(m: ManscdpMessage, root: ManscdpRoot, cmdType: string): Result<XmlFields> {
  if (m.root !== root || m.cmdType.toLowerCase() !== cmdType.toLowerCase()) {
    return fail(`Expected ${root}/${cmdType}, got ${m.root}/${m.cmdType}`);
  }
  return ok(m.fields);
}

/** Upper-case `s` and map the ONLINE/OK/OFFLINE variants onto ON/OFF. */
function normaliseStatus(s: string): CatalogStatus {
  const u = s.toUpperCase();
  if (u === 'ON' || u === 'ONLINE' || u === 'OK') return 'ON';
  if (u === 'OFF' || u === 'OFFLINE') return 'OFF';
  return u;
}

/** `Notify/Keepalive` → its `Status` (normally `OK`). */
export function keepalive(m: ManscdpMessage): Result<{ status: string }> {
  const f = expect(m, 'Notify', 'Keepalive');
  return f.ok ? ok({ status: str(f.value, 'Status') }) : f;
}

/** One DeviceList item, or `undefined` when it has no DeviceID to key it by. */
export function catalogItem(f: XmlFields): CatalogItem | undefined {
  const deviceId = str(f, 'DeviceID');
  if (deviceId === '') return undefined;
  const item: CatalogItem = {
    deviceId,
    name: str(f, 'Name'),
    manufacturer: str(f, 'Manufacturer'),
    model: str(f, 'Model'),
    owner: str(f, 'Owner'),
    civilCode: str(f, 'CivilCode'),
    address: str(f, 'Address'),
    parental: (int(f, 'Parental') ?? 0) !== 0,
    parentId: str(f, 'ParentID'),
    status: normaliseStatus(str(f, 'Status')),
  };
  const longitude = num(f, 'Longitude');
  const latitude = num(f, 'Latitude');
  const info = child(f, 'Info');
  const ptzType = isFields(info) ? int(info, 'PTZType') : undefined;
  if (longitude !== undefined) item.longitude = longitude;
  if (latitude !== undefined) item.latitude = latitude;
  if (ptzType !== undefined) item.ptzType = ptzType;
  return item;
}

/** `SumNum` of a multi-part response; fails when absent or negative. */
function sumNumOf(f: XmlFields, what: string): Result<number> {
  const n = int(f, 'SumNum');
  return n === undefined || n < 0 ? fail(`${what} response has no valid SumNum`) : ok(n);
}

/** One part of a multi-part answer: the grand total, this part's `Num` (when sent) and its items. */
export interface MultiPart<T> {
  sumNum: number;
  num?: number;
  items: T[];
}

/** The shape Catalog and RecordInfo share: `SumNum`, and a list element with a `Num` attribute and `Item`s. */
function multiPart<T>(m: ManscdpMessage, cmdType: string, listName: string, item: (f: XmlFields) => T | undefined): Result<MultiPart<T>> {
  const f = expect(m, 'Response', cmdType);
  if (!f.ok) return f;
  const sumNum = sumNumOf(f.value, cmdType);
  if (!sumNum.ok) return sumNum;
  const list = child(f.value, listName);
  const parsed = items(list).map(item).filter((i): i is T => i !== undefined);
  const count = parseIntText(attr(list, 'Num'));
  return ok(count === undefined ? { sumNum: sumNum.value, items: parsed } : { sumNum: sumNum.value, num: count, items: parsed });
}

/**
 * `Response/Catalog` → the grand total `SumNum`, this part's `DeviceList Num` (when sent)
 * and its items; `DeviceList` may hold one `Item`, many, or none. Items without a DeviceID
 * are dropped.
 */
export function catalogResponse(m: ManscdpMessage): Result<MultiPart<CatalogItem>> {
  return multiPart(m, 'Catalog', 'DeviceList', catalogItem);
}

/** `Response/DeviceInfo` → name, vendor, model, firmware and channel count (0 when absent). */
export function deviceInfoResponse(
  m: ManscdpMessage,
): Result<{ deviceName: string; manufacturer: string; model: string; firmware: string; channel: number; result: string }> {
  const f = expect(m, 'Response', 'DeviceInfo');
  if (!f.ok) return f;
  const v = f.value;
  return ok({
    deviceName: str(v, 'DeviceName'),
    manufacturer: str(v, 'Manufacturer'),
    model: str(v, 'Model'),
    firmware: str(v, 'Firmware'),
    channel: int(v, 'Channel') ?? 0,
    result: str(v, 'Result'),
  });
}

/** Result of {@link deviceStatusResponse}. */
export interface DeviceStatus {
  /** `Online` is ONLINE (anything else, including absent, is offline). */
  online: boolean;
  /** `Status`: OK | ERROR. */
  status: string;
  result?: string;
  /** `Encode` is ON. */
  encode?: boolean;
  /** `Record` is ON. */
  record?: boolean;
  /** `DeviceTime` as sent (local time without zone). */
  deviceTime?: string;
  alarmStatus?: AlarmStatusItem[];
}

/** `Response/DeviceStatus` → online flag, status and the optional state fields that were sent. */
export function deviceStatusResponse(m: ManscdpMessage): Result<DeviceStatus> {
  const f = expect(m, 'Response', 'DeviceStatus');
  if (!f.ok) return f;
  const v = f.value;
  const out: DeviceStatus = { online: str(v, 'Online').toUpperCase() === 'ONLINE', status: str(v, 'Status') };
  const result = text(v, 'Result');
  const encode = text(v, 'Encode');
  const record = text(v, 'Record');
  const deviceTime = text(v, 'DeviceTime');
  const alarms = child(v, 'Alarmstatus') ?? child(v, 'AlarmStatus');
  if (result !== undefined) out.result = result;
  if (encode !== undefined) out.encode = encode.toUpperCase() === 'ON';
  if (record !== undefined) out.record = record.toUpperCase() === 'ON';
  if (deviceTime !== undefined) out.deviceTime = deviceTime;
  if (alarms !== undefined) {
    out.alarmStatus = items(alarms).map((i) => ({ deviceId: str(i, 'DeviceID'), status: str(i, 'DutyStatus') }));
  }
  return ok(out);
}

/** One RecordList item. */
function recordItem(f: XmlFields): RecordItem {
  const item: RecordItem = {
    deviceId: str(f, 'DeviceID'),
    name: str(f, 'Name'),
    filePath: str(f, 'FilePath'),
    address: str(f, 'Address'),
    startTime: str(f, 'StartTime'),
    endTime: str(f, 'EndTime'),
    secrecy: int(f, 'Secrecy') ?? 0,
    type: str(f, 'Type'),
    recorderId: str(f, 'RecorderID'),
  };
  const size = num(f, 'FileSize');
  if (size !== undefined) item.fileSize = size;
  return item;
}

/** `Response/RecordInfo` → `SumNum`, this part's `RecordList Num` (when sent) and its items. */
export function recordInfoResponse(m: ManscdpMessage): Result<MultiPart<RecordItem>> {
  return multiPart(m, 'RecordInfo', 'RecordList', recordItem);
}
