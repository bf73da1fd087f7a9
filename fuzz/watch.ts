/**
 * What the fuzzer watches while it runs: the workerd processes (the same pids from start to end; Miniflare
 * replaces a crashed workerd with a new process), the bridge's pid, both RSS once a second, the runtime's log
 * lines, and this process's own output for a restart or crash line.
 * @module
 */
import { existsSync } from 'node:fs';
import { memoryOf, type Proc } from '../bench/procs.js';
import type { RuntimeLog } from './worker.js';

/** One memory sample, KiB. */
export interface Sample {
  t: number;
  phase: string;
  workerdKb: number;
  bridgeKb: number;
}

/** Lines of output that speak of a crash or a restart. */
const ALARMING = /crash|restart|Received signal|segmentation fault|out of memory|fatal error/i;

/** Watches processes, memory and output; `check()` once a second. */
export class Watch {
  readonly samples: Sample[] = [];
  readonly workerdPids: number[];
  /** workerd pids that disappeared, and new ones that appeared. */
  readonly gone = new Set<number>();
  readonly appeared = new Set<number>();
  /** Output lines of this process that mention a crash or restart. */
  readonly alarming: string[] = [];
  /** Runtime log lines by level, and error/warn messages by text (numbers blanked). */
  readonly runtimeLevels: Record<string, number> = {};
  readonly runtimeMessages = new Map<string, number>();
  readonly runtimeExamples = new Map<string, string>();
  phase = 'start';
  private timer: NodeJS.Timeout | null = null;
  private readonly restore: (() => void)[] = [];

  constructor(private readonly workerd: () => Proc[], private readonly bridgePid: () => number | null, private readonly logs: () => RuntimeLog[]) {
    this.workerdPids = workerd().map((p) => p.pid);
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        for (const line of text.split('\n')) if (ALARMING.test(line) && !line.startsWith('fuzz ')) this.alarming.push(line.slice(0, 500));
        return (write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      this.restore.push(() => (stream.write = write));
    }
  }

  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), 1_000);
  }

  /** Sample memory, compare pids, drain the runtime log. */
  check(): Sample {
    const now = this.workerd().map((p) => p.pid);
    for (const pid of this.workerdPids) if (!existsSync(`/proc/${pid}`)) this.gone.add(pid);
    for (const pid of now) if (!this.workerdPids.includes(pid)) this.appeared.add(pid);
    const b = this.bridgePid();
    const s: Sample = { t: Date.now(), phase: this.phase, workerdKb: memoryOf(this.workerdPids).rssKb, bridgeKb: b === null ? 0 : memoryOf([b]).rssKb };
    this.samples.push(s);
    for (const l of this.logs()) {
      this.runtimeLevels[l.level] = (this.runtimeLevels[l.level] ?? 0) + 1;
      if (l.level !== 'error' && l.level !== 'warn') continue;
      const key = `${l.level}: ${l.message.replace(/"flow":"[^"]*"/g, '"flow":…').replace(/\d+/g, 'N').slice(0, 200)}`;
      this.runtimeMessages.set(key, (this.runtimeMessages.get(key) ?? 0) + 1);
      if (!this.runtimeExamples.has(key)) this.runtimeExamples.set(key, l.message.slice(0, 2000));
    }
    return s;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.check();
    for (const r of this.restore) r();
  }

  /** True when the workerd processes are the very ones seen at start. */
  sameWorkerd(): boolean {
    return this.gone.size === 0 && this.appeared.size === 0 && this.workerdPids.length > 0;
  }
}

/** Peak and end of one process's RSS, and whether it stayed bounded. */
export interface MemoryVerdict {
  beforeMb: number;
  peakMb: number;
  endMb: number;
  /** RSS at a quarter, half and three quarters of the fuzzing samples. */
  duringMb: number[];
  /** Largest RSS in the second half of a phase minus the largest in its first half (the worst phase). */
  growthMb: number;
  bounded: boolean;
}

/**
 * A leak grows with the messages sent, so it shows in the second half of a phase as much as in the first. The
 * RSS is bounded when no phase's second half rises more than `slackMb` (or 20 %) above its first half's peak.
 */
export function memoryVerdict(samples: readonly Sample[], field: 'workerdKb' | 'bridgeKb', phases: string[], slackMb: number): MemoryVerdict {
  const mb = (kb: number) => Math.round(kb / 102.4) / 10;
  const fuzzing = samples.filter((s) => phases.includes(s.phase));
  const before = samples.filter((s) => s.phase === 'before').at(-1) ?? samples[0]!;
  let growth = 0;
  for (const p of phases) {
    const xs = samples.filter((s) => s.phase === p && s[field] > 0);
    if (xs.length < 4) continue;
    const half = Math.floor(xs.length / 2);
    const first = Math.max(...xs.slice(0, half).map((s) => s[field]));
    const second = Math.max(...xs.slice(half).map((s) => s[field]));
    growth = Math.max(growth, (second - first) / 1024);
  }
  const firstPeaks = phases.map((p) => samples.filter((s) => s.phase === p)).filter((xs) => xs.length >= 4)
    .map((xs) => Math.max(...xs.slice(0, Math.floor(xs.length / 2)).map((s) => s[field])) / 1024);
  const limit = Math.max(slackMb, 0.2 * Math.max(0, ...firstPeaks));
  return {
    beforeMb: mb(before[field]),
    peakMb: mb(Math.max(0, ...fuzzing.map((s) => s[field]))),
    duringMb: [0.25, 0.5, 0.75].map((q) => mb(fuzzing.filter((s) => s[field] > 0)[Math.floor(q * fuzzing.filter((s) => s[field] > 0).length)]?.[field] ?? 0)),
    endMb: mb(samples.filter((s) => s[field] > 0).at(-1)?.[field] ?? 0),
    growthMb: Math.round(growth * 10) / 10,
    bounded: growth <= limit,
  };
}
