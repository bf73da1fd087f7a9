/**
 * The live traces armed on one AOR (`trace/marks.ts`), kept in the AOR object's storage while they last: the
 * AOR tells the flows of its bindings when one starts or ends, and hands the marks to a flow that registers
 * or routes a request to it meanwhile. With no trace on, replies carry nothing more.
 * @module
 */
import type { Env } from '../env.js';
import { liveMarks, MAX_MARKS, withMark, withoutTrace, type TraceMark } from '../trace/marks.js';
import { flowStub } from './stubs.js';

export type { TraceMark };

const KEY = 'traces';

/** One AOR's traces. */
export class AorTraces {
  #marks: TraceMark[];

  constructor(private readonly kv: SyncKvStorage, private readonly env: Env) {
    this.#marks = kv.get<TraceMark[]>(KEY) ?? [];
  }

  /** What a register or lookup answer carries: `{ trace }` while one is on, else nothing. */
  reply(now: number): { trace?: TraceMark[] } {
    if (this.#marks.length === 0) return {};
    const live = liveMarks(this.#marks, now);
    return live.length > 0 ? { trace: live } : {};
  }

  /** Arm (`on`) or end a trace, and tell the flows of the live bindings; returns how many flows were told. */
  async arm(mark: TraceMark, on: boolean, flows: readonly string[], now: number): Promise<number> {
    this.#marks = on ? withMark(this.#marks, mark, now, MAX_MARKS) : liveMarks(withoutTrace(this.#marks, mark.trace), now);
    if (this.#marks.length > 0) this.kv.put(KEY, this.#marks);
    else this.kv.delete(KEY);
    const told = await Promise.all([...new Set(flows)].map((f) => flowStub(this.env, f).traceMark(mark, on).then(() => true, () => false)));
    return told.filter(Boolean).length;
  }
}
