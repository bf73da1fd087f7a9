/**
 * MANSCDP+xml builders for what a platform sends: queries and DeviceControl. Output text has
 * CRLF line ends and an XML prolog naming the charset the caller will encode it with
 * (`encodeBody`); element text is XML-escaped.
 * @module
 */

/** Prolog charsets; GB2312 is what most cameras expect, and our queries are ASCII anyway. */
export type ManscdpCharset = 'GB2312' | 'GB18030' | 'UTF-8';

/** Query command types the platform sends. */
export type QueryCmdType = 'Catalog' | 'DeviceInfo' | 'DeviceStatus' | 'RecordInfo';

/** Extra elements of a RecordInfo query. */
export interface QueryExtra {
  /** `yyyy-MM-ddTHH:mm:ss`, local time without zone (see `gbDateTime`). */
  startTime?: string;
  endTime?: string;
  /** all | time | alarm | manual. RecordInfo always carries it (Dahua requires it): default `all`. */
  type?: string;
}

/** DeviceControl commands; several may be combined in one body. */
export interface ControlCommand {
  /** 16 hex digits from `buildPtzCmd`. */
  ptzCmd?: string;
  guard?: 'SetGuard' | 'ResetGuard';
  teleBoot?: boolean;
  /** `Info/ControlPriority` sent with a PTZCmd; default 5 (WVP). */
  controlPriority?: number;
}

/** One child element: `[tag, text]`, or `[tag, children]` for a nested element. */
export type ManscdpElement = readonly [string, string | number | readonly ManscdpElement[]];

const CRLF = '\r\n';

/** Escape the five XML special characters in element text or attribute values. */
export function escapeXml(s: string): string {
  let out = '';
  for (const ch of s) {
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    else out += ch;
  }
  return out;
}

/** Serialise elements one per line. */
function elements(list: readonly ManscdpElement[]): string {
  let out = '';
  for (const [tag, value] of list) {
    if (typeof value === 'object') out += `<${tag}>${CRLF}${elements(value)}</${tag}>${CRLF}`;
    else out += `<${tag}>${escapeXml(String(value))}</${tag}>${CRLF}`;
  }
  return out;
}

/**
 * Any MANSCDP body: prolog, `<root>`, `CmdType`, `SN`, `DeviceID`, then `rest` in order.
 * Tag names are trusted (caller-supplied constants); text is escaped.
 */
export function buildManscdp(
  root: 'Query' | 'Control' | 'Notify' | 'Response',
  cmdType: string,
  sn: number,
  deviceId: string,
  rest: readonly ManscdpElement[] = [],
  charset: ManscdpCharset = 'GB2312',
): string {
  const head: ManscdpElement[] = [['CmdType', cmdType], ['SN', sn], ['DeviceID', deviceId]];
  return `<?xml version="1.0" encoding="${charset}"?>${CRLF}${elements([[root, [...head, ...rest]]])}`;
}

/**
 * A `<Query>` body. RecordInfo targets a channel ID and gets `StartTime`, `EndTime`,
 * `Secrecy` 0 and `Type` (default `all`) in WVP's order; other queries ignore `extra`.
 */
export function buildQuery(
  cmdType: QueryCmdType,
  sn: number,
  deviceId: string,
  extra: QueryExtra = {},
  charset: ManscdpCharset = 'GB2312',
): string {
  const rest: ManscdpElement[] = [];
  if (cmdType === 'RecordInfo') {
    if (extra.startTime !== undefined) rest.push(['StartTime', extra.startTime]);
    if (extra.endTime !== undefined) rest.push(['EndTime', extra.endTime]);
    rest.push(['Secrecy', 0], ['Type', extra.type ?? 'all']);
  }
  return buildManscdp('Query', cmdType, sn, deviceId, rest, charset);
}

/**
 * A `<Control><CmdType>DeviceControl</CmdType>` body with `PTZCmd` (plus
 * `Info/ControlPriority`), `TeleBoot` (`Boot`) and/or `GuardCmd`. PTZ goes to the channel ID;
 * PTZ commands get no MANSCDP answer.
 */
export function buildControl(sn: number, deviceId: string, control: ControlCommand, charset: ManscdpCharset = 'GB2312'): string {
  const rest: ManscdpElement[] = [];
  if (control.ptzCmd !== undefined) {
    rest.push(['PTZCmd', control.ptzCmd], ['Info', [['ControlPriority', control.controlPriority ?? 5]]]);
  }
  if (control.teleBoot === true) rest.push(['TeleBoot', 'Boot']);
  if (control.guard !== undefined) rest.push(['GuardCmd', control.guard]);
  return buildManscdp('Control', 'DeviceControl', sn, deviceId, rest, charset);
}
