/**
 * Trace marks: what an armed AOR hands the flows that carry it, so they copy its messages to the trace's
 * object. A flow without marks does nothing for traces; one with marks drops them past `until` by itself,
 * so expiry needs no message to reach it.
 * @module
 */

/** One trace armed on one AOR. */
export interface TraceMark {
  /** The trace's id (its TraceObject is `trace:<id>`). */
  trace: string;
  /** The traced AOR the messages are shown under. */
  aor: string;
  /** Unix ms the trace ends. */
  until: number;
}

/** A mark a flow holds for one Call-ID only: a caller's leg of a request to a traced AOR, or its dialog. */
export interface CallMark extends TraceMark {
  callId: string;
}

/** What a flow keeps in its socket attachment while traced (null otherwise: the untraced fast path). */
export interface FlowTraceState {
  /** Every message on the flow is copied. */
  marks: TraceMark[];
  /** Messages with one of these Call-IDs are copied. */
  calls: CallMark[];
}

/** Most traces one AOR or flow carries at once. */
export const MAX_MARKS = 8;
/** Most Call-IDs one flow traces for others (the oldest is forgotten beyond). */
export const MAX_CALL_MARKS = 32;

/** The marks still live at `now`. */
export function liveMarks<M extends TraceMark>(marks: readonly M[], now: number): M[] {
  return marks.filter((m) => m.until > now);
}

/** `marks` with `mark` in place of the same trace's (live ones only, at most `max`, newest kept). */
export function withMark<M extends TraceMark>(marks: readonly M[], mark: M, now: number, max: number, same = (a: M, b: M) => a.trace === b.trace && a.aor === b.aor): M[] {
  const rest = liveMarks(marks, now).filter((m) => !same(m, mark));
  return [...rest, mark].slice(-max);
}

/** `marks` without trace `trace`'s. */
export function withoutTrace<M extends TraceMark>(marks: readonly M[], trace: string): M[] {
  return marks.filter((m) => m.trace !== trace);
}

/**
 * The flow state after `now`, with `change` applied: expired marks gone, null when nothing is left (so the
 * flow is back on its untraced path).
 */
export function pruneState(state: FlowTraceState | null, now: number, change: (s: FlowTraceState) => FlowTraceState = (s) => s): FlowTraceState | null {
  const s = change(state ?? { marks: [], calls: [] });
  const next = { marks: liveMarks(s.marks, now), calls: liveMarks(s.calls, now) };
  return next.marks.length === 0 && next.calls.length === 0 ? null : next;
}

/** The marks (one per trace) a message with `callId` is copied for. */
export function marksFor(state: FlowTraceState, callId: string | null, now: number): TraceMark[] {
  const out = new Map<string, TraceMark>();
  for (const m of state.marks) if (m.until > now && !out.has(m.trace)) out.set(m.trace, m);
  if (callId !== null) for (const m of state.calls) if (m.callId === callId && m.until > now && !out.has(m.trace)) out.set(m.trace, { trace: m.trace, aor: m.aor, until: m.until });
  return [...out.values()];
}

/** A call mark for each trace mark, on `callId`. */
export function callMarks(marks: readonly TraceMark[], callId: string): CallMark[] {
  return marks.map((m) => ({ trace: m.trace, aor: m.aor, until: m.until, callId }));
}
