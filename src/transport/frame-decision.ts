/**
 * What a flow does with one received WebSocket message, before any state but its rate bucket is consulted:
 * the pure first step of `FlowObject.webSocketMessage` (frame in → decision → effects by the shell).
 * @module
 */
import { SipError } from '../sip/errors.js';
import type { SipMessage, SipRequest, SipResponse } from '../sip/message.js';
import { parseMessage } from '../sip/parse.js';
import { errorResponse } from '../sip/response.js';
import { classifyFrame } from './ws-frames.js';

/** The decision for one frame. */
export type FrameDecision =
  /** A CRLF keep-alive: send the pong, if any (RFC 5626 §4.4.1). */
  | { kind: 'keepalive'; reply: string | null }
  /** Answer at once, with nothing else done (a malformed request, an over-size one, the rate limit). */
  | { kind: 'answer'; response: SipResponse; counter: string | null }
  /** Nothing can be answered: count and drop. */
  | { kind: 'drop'; reason: string }
  /** Over the rate, and nothing to answer (an ACK, a response, garbage). */
  | { kind: 'shed' }
  | { kind: 'message'; message: SipMessage };

function requestOf(parsed: ReturnType<typeof parseMessage>): SipRequest | undefined {
  return parsed.ok ? (parsed.value.type === 'request' ? parsed.value : undefined) : parsed.error.request;
}

/**
 * Decide a frame. `admitted` is the connection's rate bucket's verdict: over the rate, a request still gets
 * 503 with `Retry-After`, so a well-behaved client backs off. Frames over 64 KiB get 400 when a request can be
 * read from their head (RFC 7118 has no limit; ours bounds memory), unparsable ones 400 with the parser's
 * reason when they are requests, else they are dropped.
 */
export function decideFrame(data: string | ArrayBuffer, admitted: () => boolean): FrameDecision {
  const frame = classifyFrame(data);
  if (frame.kind === 'keepalive') return { kind: 'keepalive', reply: frame.reply };
  if (frame.kind === 'too-large') {
    const req = requestOf(parseMessage(frame.head));
    if (!req) return { kind: 'drop', reason: `frame of ${frame.bytes} bytes over the limit` };
    return { kind: 'answer', response: errorResponse(req, new SipError(400, 'Bad Request (message over the 65536-byte frame limit)')), counter: null };
  }
  const ok = admitted();
  const parsed = parseMessage(frame.data);
  if (!ok) {
    const req = requestOf(parsed);
    if (!req || req.method === 'ACK') return { kind: 'shed' };
    return { kind: 'answer', response: errorResponse(req, new SipError(503, 'Service Unavailable (rate limit)', [['Retry-After', '5']])), counter: 'sip_rate_limited_total' };
  }
  if (!parsed.ok) {
    const { request, reason, status } = parsed.error;
    return request ? { kind: 'answer', response: errorResponse(request, new SipError(status, reason)), counter: null } : { kind: 'drop', reason };
  }
  return { kind: 'message', message: parsed.value };
}
