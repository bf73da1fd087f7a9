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
