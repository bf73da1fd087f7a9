/**
 * One-shot events and queues for tests: every wait has a timeout, so a broken service fails a
 * test (with a description of what was awaited and, where given, the wire log) instead of hanging.
 */

/** Default time to wait for anything the service should do promptly. */
export const WAIT_MS = 10_000;

/** Something to print when a wait times out (typically a user agent's wire log). */
export type Context = () => string;

/** A value that is set at most once; waiting starts the timeout only when someone waits. */
export class Signal<T> {
  private value: { v: T } | undefined;
  private waiters: ((v: T) => void)[] = [];

  constructor(
    readonly label: string,
    private readonly context?: Context,
  ) {}

  /** Whether the event happened. */
  get fired(): boolean {
    return this.value !== undefined;
  }

  /** The value, if the event happened. */
  get current(): T | undefined {
    return this.value?.v;
  }

  /** Record the event (later calls are ignored: the first one wins). */
  fire(v: T): void {
    if (this.value) return;
    this.value = { v };
    for (const w of this.waiters.splice(0)) w(v);
  }

  /** Wait for the event, rejecting after `ms` with the label and context. */
  wait(ms = WAIT_MS): Promise<T> {
    if (this.value) return Promise.resolve(this.value.v);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new Error(`timed out after ${ms} ms waiting for: ${this.label}${this.context ? `\n${this.context()}` : ''}`));
      }, ms);
      const done = (v: T) => {
        clearTimeout(timer);
        resolve(v);
      };
      this.waiters.push(done);
    });
  }
}

/** An unbounded queue of events; `next()` takes the next one, waiting with a timeout. */
export class Queue<T> {
  /** Everything that ever arrived, in order. */
  readonly all: T[] = [];
  private taken = 0;
  private waiters: ((v: T) => void)[] = [];

  constructor(
    readonly label: string,
    private readonly context?: Context,
  ) {}

  push(v: T): void {
    this.all.push(v);
    const w = this.waiters.shift();
    if (w) {
      this.taken++;
      w(v);
    }
  }

  next(ms = WAIT_MS): Promise<T> {
    if (this.taken < this.all.length) return Promise.resolve(this.all[this.taken++]!);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new Error(`timed out after ${ms} ms waiting for: ${this.label}${this.context ? `\n${this.context()}` : ''}`));
      }, ms);
      const done = (v: T) => {
        clearTimeout(timer);
        resolve(v);
      };
      this.waiters.push(done);
    });
  }
}

/** Sleep. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Race a promise against a timeout. */
export function withTimeout<T>(p: Promise<T>, label: string, ms = WAIT_MS, context?: Context): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${label}${context ? `\n${context()}` : ''}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
