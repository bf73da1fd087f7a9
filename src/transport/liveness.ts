/**
 * Offline from silence (GB/T 28181 §9.6: a device is offline after the configured number of missed
 * keepalives). The bridge sees every datagram, so the Worker tells it a flow's liveness limit with a control
 * frame (JSON, never SIP: it starts with `{`), and the bridge closes a silent device's WebSocket with
 * {@link LIVENESS_CLOSE_CODE}, which the flow turns into "offline (keepalive timeout)". Pure.
 * @module
 */

/** WebSocket close code of a flow closed by the bridge for silence (4000–4999: private use, RFC 6455 §7.4.2). */
export const LIVENESS_CLOSE_CODE = 4000;

/** The control frame that sets (or, with null, clears) a flow's liveness limit at the bridge. */
export function livenessFrame(timeoutMs: number | null): string {
  return JSON.stringify({ type: 'liveness', timeoutMs });
}

/** What closing a flow's socket means for the devices bound on it. */
export type CloseEffect =
  /** A WebSocket flow: its bindings die with it (RFC 5626 §4.2.3). */
  | 'unbind'
  /** A bridged flow closed by the bridge for silence: its devices are offline. */
  | 'silent'
  /** A bridged flow lost otherwise (the bridge went away): offline after the liveness limit unless it returns. */
  | 'watch'
  /** Nothing: the bridged devices' bindings outlive the socket, and no liveness limit applies. */
  | 'none';

/** Decide a close. `liveness` is the limit told for the socket, `replaced` whether another socket is open. */
export function closeEffect(transport: string, code: number, liveness: number | null, replaced: boolean): CloseEffect {
  if (transport !== 'UDP') return 'unbind';
  if (code === LIVENESS_CLOSE_CODE) return 'silent';
  return liveness !== null && !replaced ? 'watch' : 'none';
}
