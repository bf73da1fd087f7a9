/**
 * Control frames: what the Worker tells the bridge about one device flow on that device's WebSocket, as
 * opposed to SIP, which the bridge relays. Pure and free of Node APIs, so the Worker can import it too.
 *
 * A control frame is a text frame whose first character is `{`, holding one JSON object with a `type`.
 * No SIP message starts with `{` (RFC 3261 §7.1/§7.2: a start line begins with a method token or `SIP/`,
 * and `{` is not a token character, §25.1), so the test is unambiguous; CRLF keep-alives (RFC 5626 §4.4.1)
 * start with CR. Control frames are never sent to the device.
 *
 * The one type so far:
 *
 * ```json
 * {"type":"liveness","timeoutMs":180000}
 * ```
 *
 * "Close this device's WebSocket when the device sends nothing for `timeoutMs`": the bridge then closes it
 * with {@link CLOSE_KEEPALIVE_TIMEOUT} and {@link KEEPALIVE_TIMEOUT_REASON}. `null` or `0` removes the limit
 * (the default). A later frame replaces an earlier one.
 * @module
 */

/** WebSocket close code of a flow closed because its device fell silent (4000–4999: private use, RFC 6455 §7.4.2). */
export const CLOSE_KEEPALIVE_TIMEOUT = 4000;

/** Close reason sent with {@link CLOSE_KEEPALIVE_TIMEOUT}. */
export const KEEPALIVE_TIMEOUT_REASON = 'keepalive timeout';

/** Largest liveness limit accepted: about 24.8 days, the longest delay a Node timer takes. */
export const MAX_LIVENESS_TIMEOUT_MS = 2 ** 31 - 1;

/** The character that starts every control frame. */
const OPEN_BRACE = 0x7b;

/** A control frame the bridge understood. */
export type ControlFrame = { type: 'liveness'; timeoutMs: number | null };

/** What {@link parseControlFrame} made of a control frame. */
export type ControlResult =
  | { ok: true; frame: ControlFrame }
  /** Valid JSON object with a `type` this bridge does not know: ignored (a newer Worker). */
  | { ok: false; error: 'unknown_type'; type: string }
  /** Not JSON, not an object, no string `type`, or a known type with bad fields: ignored. */
  | { ok: false; error: 'malformed'; reason: string };

/** True when a WebSocket message is a control frame: a text frame starting with `{`. */
export function isControlFrame(data: Uint8Array, isBinary: boolean): boolean {
  return !isBinary && data.length > 0 && data[0] === OPEN_BRACE;
}

/** Parse the JSON of a control frame. Never throws. */
export function parseControlFrame(text: string): ControlResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: 'malformed', reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'malformed', reason: 'not an object' };
  const { type } = value as { type?: unknown };
  if (typeof type !== 'string') return { ok: false, error: 'malformed', reason: 'no type' };
  if (type !== 'liveness') return { ok: false, error: 'unknown_type', type: type.slice(0, 64) };
  const { timeoutMs } = value as { timeoutMs?: unknown };
  if (timeoutMs === null || timeoutMs === 0) return { ok: true, frame: { type, timeoutMs: null } };
  if (typeof timeoutMs !== 'number' || !Number.isSafeInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_LIVENESS_TIMEOUT_MS) {
    return { ok: false, error: 'malformed', reason: 'timeoutMs is not null or an integer in 0…2^31−1' };
  }
  return { ok: true, frame: { type, timeoutMs } };
}

/** The text of a liveness control frame (for the Worker): `null` or `0` lifts the limit. */
export function livenessFrame(timeoutMs: number | null): string {
  return JSON.stringify({ type: 'liveness', timeoutMs: timeoutMs === 0 ? null : timeoutMs });
}
