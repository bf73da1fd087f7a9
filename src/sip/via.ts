/**
 * Via header values (RFC 3261 §20.42, §18.2.1; IPv6 per RFC 5118 §4.5).
 * @module
 */

import { fail, ok } from './message.js';
import type { Result } from './message.js';
import { formatParams, parseParams } from './params.js';
import type { Params } from './params.js';
import { parseHostPort } from './uri.js';

/** One Via entry (a single value of a possibly comma-joined Via line). */
export interface Via {
  /** Protocol name and version, e.g. `SIP/2.0`. */
  protocol: string;
  /** Upper-cased transport: `UDP`, `TCP`, `TLS`, `SCTP`, `WS`, `WSS`, or an extension token. */
  transport: string;
  /** Lower-cased sent-by host; IPv6 references keep their brackets. */
  host: string;
  port: number | null;
  /** `branch`, `received`, `rport`, … raw as written (`received` may be bracketed or not, RFC 5118 §4.5). */
  params: Params;
}

function isWs(ch: number): boolean {
  return ch === 32 || ch === 9;
}

function isToken(ch: number): boolean {
  return ch > 32 && ch < 127 && ch !== 47 /* / */ && ch !== 59 /* ; */ && ch !== 44 && ch !== 34 && ch !== 58;
}

/** A cursor over one Via value. */
class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  ws(): void {
    while (this.i < this.s.length && isWs(this.s.charCodeAt(this.i))) this.i++;
  }
  token(): string {
    const start = this.i;
    while (this.i < this.s.length && isToken(this.s.charCodeAt(this.i))) this.i++;
    return this.s.slice(start, this.i);
  }
  slash(): boolean {
    this.ws();
    if (this.s.charCodeAt(this.i) !== 47) return false;
    this.i++;
    this.ws();
    return true;
  }
}

/** Parse one Via value: `SIP / 2.0 / UDP host:port;branch=…` (LWS allowed around `/`, RFC 3261 §25.1). */
export function parseVia(value: string): Result<Via> {
  const c = new Cursor(value);
  c.ws();
  const name = c.token();
  if (name === '' || !c.slash()) return fail('Malformed Via sent-protocol');
  const version = c.token();
  if (version === '' || !c.slash()) return fail('Malformed Via sent-protocol');
  const transport = c.token();
  if (transport === '') return fail('Missing Via transport');
  const before = c.i;
  c.ws();
  if (c.i === before) return fail('Missing space before Via sent-by');
  const hostStart = c.i;
  const bracket = c.s.charCodeAt(c.i) === 91;
  if (bracket) {
    const close = c.s.indexOf(']', c.i);
    c.i = close < 0 ? c.s.length : close + 1;
  }
  while (c.i < c.s.length) {
    const ch = c.s.charCodeAt(c.i);
    if (ch === 59 || isWs(ch) || (bracket && ch === 58)) break;
    c.i++;
  }
  let hostPort = c.s.slice(hostStart, c.i);
  c.ws();
  if (c.s.charCodeAt(c.i) === 58 /* : */) {
    c.i++;
    c.ws();
    hostPort += `:${c.token()}`;
    c.ws();
  }
  const hp = parseHostPort(hostPort);
  if (!hp.ok) return fail(`Bad Via sent-by: ${hp.error}`);
  const params = parseParams(c.s.slice(c.i));
  if (!params.ok) return fail(`Bad Via parameters: ${params.error}`);
  return ok({
    protocol: `${name.toUpperCase()}/${version}`,
    transport: transport.toUpperCase(),
    host: hp.value.host,
    port: hp.value.port,
    params: params.value,
  });
}

/** Write a Via value back: `SIP/2.0/WSS host:port;params`. */
export function formatVia(v: Via): string {
  const port = v.port === null ? '' : `:${v.port}`;
  return `${v.protocol}/${v.transport} ${v.host}${port}${formatParams(v.params)}`;
}

/** The `branch` parameter, or null when absent (RFC 2543 peers). */
export function viaBranch(v: Via): string | null {
  return v.params.get('branch') ?? null;
}
