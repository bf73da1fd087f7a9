/**
 * A traced message as the API shows it (CONTRACT "TraceMessage"), made by the flow that saw it: the text is
 * masked there, so credentials never travel to the trace's object.
 * @module
 */
import type { SipMessage } from '../sip/message.js';
import { maskCredentials } from './mask.js';

/** One message of a trace. */
export interface TraceMessage {
  /** Position in the trace, from 1 (given by the trace's object). */
  seq: number;
  /** Unix ms the flow saw it. */
  time: number;
  /** Relative to the service: `in` from the peer, `out` to it. */
  direction: 'in' | 'out';
  flowId: string;
  /** `ws`, `wss` or `udp` (a bridged device). */
  transport: string;
  /** The peer's address (`ip`, `ip:port`), or `ws` when unknown. */
  peer: string;
  /** The traced AOR this copy is shown under. */
  aor: string;
  method?: string;
  status?: number;
  reason?: string;
  callId: string;
  cseq: string;
  /** The whole message, `Authorization`/`Proxy-Authorization` values masked as `***`. */
  text: string;
}

/** A message before its trace numbered it. */
export type TraceRecord = Omit<TraceMessage, 'seq'>;

/** Where a message was seen. */
export interface TracePoint {
  flowId: string;
  transport: string;
  peer: string;
}

/** Longest text kept of one message (a 64 KiB frame is cut, and says so). */
export const MAX_TRACE_TEXT = 16_384;

/** The record of `msg` (or, when it did not parse, of its raw `text`), shown under `aor`. */
export function traceRecord(msg: SipMessage | null, text: string, direction: 'in' | 'out', at: TracePoint, aor: string, now: number): TraceRecord {
  const masked = maskCredentials(text);
  const kept = masked.length > MAX_TRACE_TEXT ? `${masked.slice(0, MAX_TRACE_TEXT)}\r\n[… ${masked.length - MAX_TRACE_TEXT} more characters not kept]` : masked;
  const base = { time: now, direction, ...at, aor, callId: msg?.headers.get('call-id') ?? '', cseq: msg?.headers.get('cseq') ?? '', text: kept };
  if (msg?.type === 'request') return { ...base, method: msg.method };
  if (msg?.type === 'response') return { ...base, status: msg.status, reason: msg.reason };
  return base;
}

/** Messages one after another as text (the download): a line naming each, then the message. */
export function traceText(messages: readonly TraceMessage[]): string {
  return messages.map((m) => {
    const what = m.method ?? `${m.status ?? ''} ${m.reason ?? ''}`.trim();
    const arrow = m.direction === 'in' ? `${m.peer} -> service` : `service -> ${m.peer}`;
    return `#${m.seq} ${new Date(m.time).toISOString()} ${m.direction.toUpperCase()} ${arrow} ${m.transport} flow ${m.flowId} ${m.aor} ${what} Call-ID: ${m.callId}\r\n${m.text.replace(/(\r\n)*$/, '')}\r\n\r\n`;
  }).join('');
}
