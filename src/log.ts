/**
 * The one structured logger. Values under keys that can carry credentials are
 * redacted, so `Authorization` and passwords never reach the logs.
 * @module
 */

const SECRET_KEYS = /authorization|password|secret|token|ha1|nonce/i;

/** Log level. */
export type Level = 'debug' | 'info' | 'warn' | 'error';

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_KEYS.test(k) ? '[redacted]' : v;
  return out;
}

/** Write one JSON log line. */
export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, msg, ...redact(fields) });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}
