/**
 * A traced SIP message as `GET /traces/{id}/messages` lists it: the server's own type (`src/trace/record.ts`,
 * imported as a type only, so nothing of the server is bundled), and its label.
 * @module
 */
import type { TraceMessage } from '../../src/trace/record.js';

/** One message to or from a traced AOR; `direction` is relative to the service. */
export type { TraceMessage };

/** The label of a message: its method, or its status and reason. */
export function summary(m: Pick<TraceMessage, 'method' | 'status' | 'reason'>): string {
  if (m.method) return m.method;
  return `${m.status ?? '?'}${m.reason ? ` ${m.reason}` : ''}`;
}
