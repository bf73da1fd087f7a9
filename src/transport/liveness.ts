/**
 * Offline from silence (GB/T 28181 §9.6: a device is offline after the configured number of missed
 * keepalives), the contract between the Worker and the udp-bridge. The bridge sees every datagram, so the
 * Worker tells it a flow's liveness limit with a **control frame** on that device's WebSocket, and the bridge
 * closes a silent device's WebSocket with {@link LIVENESS_CLOSE_CODE}, which the flow turns into "offline
 * (keepalive timeout)". Pure and free of runtime APIs: the Worker and the bridge both import it.
 *
 * A control frame is a text frame whose first character is `{`, holding one JSON object with a `type`.
 * No SIP message starts with `{` (RFC 3261 §7.1/§7.2: a start line begins with a method token or `SIP/`,
 * and `{` is not a token character, §25.1), so the test is unambiguous; CRLF keep-alives (RFC 5626 §4.4.1)
 * start with CR. Control frames are never sent to the device. The one type so far:
 *
 * ```json
 * {"type":"liveness","timeoutMs":180000}
 * ```
 *
 * "Close this device's WebSocket when the device sends nothing for `timeoutMs`": the bridge then closes it
 * with {@link LIVENESS_CLOSE_CODE} and {@link KEEPALIVE_TIMEOUT_REASON}. `null` or `0` removes the limit
 * (the default). A later frame replaces an earlier one.
 * @module
 */

/** WebSocket close code of a flow closed because its device fell silent (4000–4999: private use, RFC 6455 §7.4.2). */
export const LIVENESS_CLOSE_CODE = 4000;

/**
 * WebSocket close code of a bridged TCP flow whose TCP connection ended: its bindings die with it, and a GB
 * device on it is offline (GB/T 28181-2022 §9.1.1 f, RFC 5626 §4.2.3).
 */
export const CONNECTION_CLOSED_CLOSE_CODE = 4001;

/** Close reason sent with {@link CONNECTION_CLOSED_CLOSE_CODE}. */
export const CONNECTION_CLOSED_REASON = 'tcp connection closed';

/** The bridge's name for {@link LIVENESS_CLOSE_CODE}. */
export const CLOSE_KEEPALIVE_TIMEOUT = LIVENESS_CLOSE_CODE;

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

/** The text of a liveness control frame (sent by the Worker): `null` or `0` lifts the limit. */
export function livenessFrame(timeoutMs: number | null): string {
  return JSON.stringify({ type: 'liveness', timeoutMs: timeoutMs === 0 ? null : timeoutMs });
}

/** What closing a flow's socket means for the devices bound on it. */
export type CloseEffect =
  /** A WebSocket flow, or a bridged TCP connection that ended: its bindings die with it (RFC 5626 §4.2.3). */
  | 'unbind'
  /** A bridged flow closed by the bridge for silence: its devices are offline. */
  | 'silent'
  /** A bridged flow lost otherwise (the bridge went away): offline after the liveness limit unless it returns. */
  | 'watch'
  /** Nothing: the bridged devices' bindings outlive the socket, and no liveness limit applies. */
  | 'none';

/** Decide a close. `liveness` is the limit told for the socket, `replaced` whether another socket is open. */
export function closeEffect(transport: string, code: number, liveness: number | null, replaced: boolean): CloseEffect {
  if (transport === 'TCP' && code === CONNECTION_CLOSED_CLOSE_CODE) return 'unbind';
  if (transport !== 'UDP' && transport !== 'TCP') return 'unbind';
  if (code === LIVENESS_CLOSE_CODE) return 'silent';
  return liveness !== null && !replaced ? 'watch' : 'none';
}
