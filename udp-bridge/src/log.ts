/**
 * Structured JSON-lines logging with credential redaction.
 * @module
 */

import type { LogLevel } from './config.js';

/** Extra fields of a log line. */
export type LogFields = Record<string, unknown>;

/** The bridge's only logger: one JSON object per line. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A header line `Authorization:` / `Proxy-Authorization:` and its folded continuation lines. */
const CREDENTIAL_HEADER = /^((?:proxy-)?authorization[ \t]*:)[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*/gim;

/** Replace the values of Authorization and Proxy-Authorization headers in SIP text with `[redacted]`. */
export function redact(sipText: string): string {
  return sipText.replace(CREDENTIAL_HEADER, '$1 [redacted]');
}

/** A URL safe to log: no user info, no query string (either may carry a token). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    if (u.search !== '') u.search = '?[redacted]';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}

/** A logger writing JSON lines at `level` and above through `write` (stdout by default). */
export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[lvl] < min) return;
    let line: string;
    try {
      line = JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields });
    } catch {
      line = JSON.stringify({ time: new Date().toISOString(), level: lvl, msg });
    }
    write(`${line}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** A logger that writes nothing (tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
