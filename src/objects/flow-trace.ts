/**
 * A flow's part in live traces. Its socket attachment holds the marks its AORs' traces gave it (`trace`,
 * null when none: then the flow does nothing more than that one check per message); a traced flow copies
 * what it receives and sends to the traces' objects, batched per trace and sent once the current event's
 * work is done, without waiting for them. Marks past `until` are dropped here, and so is a trace whose
 * object says it ended.
 * @module
 */
import type { Env } from '../env.js';
import type { SipMessage } from '../sip/message.js';
import { parseMessage } from '../sip/parse.js';
import { flowSource } from '../transport/flow.js';
import { encodeFrame } from '../transport/ws-frames.js';
import { MAX_BATCH } from '../trace/limits.js';
import { callMarks, MAX_CALL_MARKS, MAX_MARKS, marksFor, pruneState, withMark, withoutTrace, type TraceMark } from '../trace/marks.js';
import { traceRecord, type TracePoint } from '../trace/record.js';
import type { AttachmentCache, FlowAttachment } from './attachments.js';
import type { TraceBatch } from './trace-object.js';
import { traceStub } from './stubs.js';

/** A frame as it came in or went out. */
type Frame = string | ArrayBuffer | Uint8Array;

const decoder = new TextDecoder();

/** The traces of one flow object's sockets. */
export class FlowTrace {
  readonly #pending = new Map<string, TraceBatch>();
  /** One stub per trace: calls on one stub arrive in order, so a flow's batches keep their order. */
  readonly #stubs = new Map<string, ReturnType<typeof traceStub>>();
  #scheduled = false;

  constructor(
    private readonly env: Env,
    private readonly attachments: AttachmentCache,
    private readonly sockets: () => WebSocket[],
    private readonly waitUntil: (p: Promise<unknown>) => void,
  ) {}

  /** RPC from an AOR: arm (`on`) or end a trace on every socket of this flow. */
  mark(mark: TraceMark, on: boolean, now: number): void {
    for (const ws of this.sockets()) {
      this.#change(ws, now, (s) => (on ? { ...s, marks: withMark(s.marks, mark, now, MAX_MARKS) } : { marks: withoutTrace(s.marks, mark.trace), calls: withoutTrace(s.calls, mark.trace) }));
    }
  }

  /**
   * Marks that came with an answer or a delivery: for the whole flow (a REGISTER's AOR is traced), or for
   * `callId` only (a request to or from a traced AOR). The message that brought them is recorded here.
   */
  adopt(ws: WebSocket, marks: readonly TraceMark[], callId: string | null, now: number): void {
    this.#change(ws, now, (s) => callId === null
      ? { ...s, marks: marks.reduce((all, m) => withMark(all, m, now, MAX_MARKS), s.marks) }
      : { ...s, calls: callMarks(marks, callId).reduce((all, m) => withMark(all, m, now, MAX_CALL_MARKS, (a, b) => a.trace === b.trace && a.callId === b.callId), s.calls) });
  }

  /**
   * After a frame went to the peer: marks a traced request brought (its Call-ID is traced here too), then the
   * copy, when this socket is traced. Untraced, this is one attachment lookup.
   */
  sent(ws: WebSocket, msg: SipMessage | null, frame: Frame, marks?: readonly TraceMark[]): void {
    if (marks && marks.length > 0) {
      const p = parseMessage(frame instanceof ArrayBuffer ? new Uint8Array(frame) : frame);
      if (p.ok) this.adopt(ws, marks, p.value.headers.get('call-id') ?? '', Date.now());
      msg ??= p.ok ? p.value : null;
    }
    const att = this.attachments.get(ws);
    if (att?.trace) this.observe(ws, att, 'out', msg, frame, Date.now());
  }

  /** A request that brought marks (a REGISTER's reply, a lookup's answer): adopted, and the request recorded as received. */
  received(ws: WebSocket, marks: readonly TraceMark[], req: SipMessage, wholeFlow: boolean): void {
    const now = Date.now();
    this.adopt(ws, marks, wholeFlow ? null : (req.headers.get('call-id') ?? ''), now);
    const att = this.attachments.get(ws);
    if (att?.trace) this.observe(ws, att, 'in', req, encodeFrame(req), now);
  }

  /** The marks a request this flow forwards carries on (undefined when the flow is not traced for it). */
  marksOf(att: FlowAttachment | null, callId: string, now: number): TraceMark[] | undefined {
    if (!att?.trace) return undefined;
    const marks = marksFor(att.trace, callId, now);
    return marks.length > 0 ? marks : undefined;
  }

  /** The marks a bridged flow's new socket keeps from the old ones. */
  carried(): FlowAttachment['trace'] {
    for (const ws of this.sockets()) {
      const t = this.attachments.get(ws)?.trace;
      if (t) return t;
    }
    return null;
  }

  /** Copy a message seen on a traced socket (call only when `att.trace` is set). `msg`: parsed, when it is at hand. */
  observe(ws: WebSocket, att: FlowAttachment, direction: 'in' | 'out', msg: SipMessage | null, frame: Frame, now: number): void {
    const state = att.trace;
    if (!state) return;
    const text = typeof frame === 'string' ? frame : decoder.decode(frame);
    const parsed = msg ?? (() => {
      const p = parseMessage(text);
      return p.ok ? p.value : null;
    })();
    const marks = marksFor(state, parsed?.headers.get('call-id') ?? null, now);
    if (state.marks.some((m) => m.until <= now) || state.calls.some((m) => m.until <= now)) this.#change(ws, now, (s) => s);
    const at: TracePoint = { flowId: att.flow.id, transport: att.flow.transport.toLowerCase(), peer: att.flow.remoteIp === '0.0.0.0' ? 'ws' : flowSource(att.flow) };
    for (const m of marks) {
      let batch = this.#pending.get(m.trace);
      if (!batch) this.#pending.set(m.trace, (batch = { records: [], dropped: 0 }));
      if (batch.records.length >= MAX_BATCH) batch.dropped++;
      else batch.records.push(traceRecord(parsed, text, direction, at, m.aor, now));
    }
    if (marks.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      // After this event's other work (an answer, a relay): one RPC per trace for what it saw.
      setTimeout(() => this.#flush(), 0);
    }
  }

  #flush(): void {
    this.#scheduled = false;
    // Traces that ended without telling this flow leave stubs behind: bounded here.
    if (this.#stubs.size > 4 * MAX_MARKS) this.#stubs.clear();
    for (const [trace, batch] of this.#pending) {
      let stub = this.#stubs.get(trace);
      if (!stub) this.#stubs.set(trace, (stub = traceStub(this.env, trace)));
      this.waitUntil(stub.append(batch).then((r) => {
        if (!r.active) this.#ended(trace);
      }).catch(() => undefined));
    }
    this.#pending.clear();
  }

  /** The trace's object says it ended (stopped, or expired): forget its marks. */
  #ended(trace: string): void {
    this.#stubs.delete(trace);
    for (const ws of this.sockets()) this.#change(ws, Date.now(), (s) => ({ marks: withoutTrace(s.marks, trace), calls: withoutTrace(s.calls, trace) }));
    this.attachments.flush();
  }

  /** Apply a change to a socket's trace state, expired marks dropped; written when it changed. */
  #change(ws: WebSocket, now: number, change: Parameters<typeof pruneState>[2]): void {
    const att = this.attachments.get(ws);
    if (!att) return;
    const trace = pruneState(att.trace, now, change);
    if (JSON.stringify(trace) !== JSON.stringify(att.trace)) this.attachments.set(ws, { ...att, trace });
  }
}
