/**
 * A traced SIP message as `GET /traces/{id}/messages` lists it (CONTRACT.md).
 * @module
 */

/** One message to or from a traced AOR; `direction` is relative to the service. */
export interface TraceMessage {
  seq: number;
  time: number;
  direction: 'in' | 'out';
  flowId: string;
  transport: string;
  peer: string;
  aor: string;
  method?: string;
  status?: number;
  reason?: string;
  callId: string;
  cseq: string | number;
  text: string;
}

/** The label of a message: its method, or its status and reason. */
export function summary(m: Pick<TraceMessage, 'method' | 'status' | 'reason'>): string {
  if (m.method) return m.method;
  return `${m.status ?? '?'}${m.reason ? ` ${m.reason}` : ''}`;
}
