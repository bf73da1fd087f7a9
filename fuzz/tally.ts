/**
 * What one transport's fuzzing saw: mutated messages sent (by operator and framing), answers by status, closes
 * by code, fences and valid exchanges, and the liveness check at the end.
 * @module
 */
import type { Mutant } from './mutate.js';

const inc = (r: Record<string, number>, k: string | number, by = 1) => {
  r[k] = (r[k] ?? 0) + by;
};

/** A suspicious moment, with the mutated messages that led to it. */
export interface Finding {
  kind: string;
  detail: string;
  flow: string;
  messages: Mutant[];
}

/** Counters of one transport. */
export class Tally {
  sent = 0;
  bytes = 0;
  readonly ops: Record<string, number> = {};
  readonly seeds: Record<string, number> = {};
  readonly framing: Record<string, number> = {};
  /** Final responses to mutated messages, by status. */
  readonly finals: Record<string, number> = {};
  /** 5xx answers to mutated messages by status and reason phrase (a 500 may be a handler's exception). */
  readonly serverErrors: Record<string, number> = {};
  /** Provisional responses to mutated messages, by status. */
  readonly provisional: Record<string, number> = {};
  /** CRLF keep-alive pongs (a mutation that left only CR and LF). */
  pongs = 0;
  /** Something from the server that is not SIP and not a pong (there should be none). */
  unparsed = 0;
  /** Requests routed to this transport's flows (answered as a device would). */
  incoming = 0;
  /** Closes of our connections we did not ask for, by code. */
  readonly closes: Record<string, number> = {};
  /** Connections opened (first ones and replacements). */
  connections = 0;
  fences = 0;
  fenceTimeouts = 0;
  /** Valid exchanges (REGISTER, OPTIONS, keepalives) by outcome: `ok` or the status that came instead. */
  readonly valid: Record<string, number> = {};
  /** The liveness check after fuzzing. */
  readonly liveness = { checked: 0, ok: 0, fresh: 0, failed: [] as string[] };
  sendErrors = 0;
  readonly findings: Finding[] = [];
  /** Findings by kind (all of them; only the first few are kept with their messages). */
  readonly findingCounts: Record<string, number> = {};

  sentMutant(m: Mutant): void {
    this.sent++;
    this.bytes += m.bytes.length;
    for (const op of m.ops) inc(this.ops, op);
    inc(this.seeds, m.seed.replace(/-crlf$/, ''));
    inc(this.framing, m.framing);
  }

  answer(status: number, reason = ''): void {
    if (status >= 500) inc(this.serverErrors, `${status} ${reason}`.slice(0, 120));
    if (status >= 200) inc(this.finals, status);
    else inc(this.provisional, status);
  }

  close(code: number): void {
    inc(this.closes, code);
  }

  validOutcome(what: string, status: number | 'timeout' | 'closed'): void {
    inc(this.valid, status === 200 ? `${what} ok` : `${what} ${status}`);
  }

  finding(f: Finding): void {
    inc(this.findingCounts, f.kind);
    if (this.findings.filter((x) => x.kind === f.kind).length < 5) this.findings.push(f);
  }

  /** Finals in classes: 2xx, 401/407, other 4xx, 5xx, 6xx. */
  classes(): Record<string, number> {
    const out: Record<string, number> = { '2xx': 0, '401/407': 0, '4xx (other)': 0, '5xx': 0, '6xx': 0, '3xx': 0 };
    for (const [s, n] of Object.entries(this.finals)) {
      const st = Number(s);
      if (st === 401 || st === 407) out['401/407']! += n;
      else if (st >= 600) out['6xx']! += n;
      else if (st >= 500) out['5xx']! += n;
      else if (st >= 400) out['4xx (other)']! += n;
      else if (st >= 300) out['3xx']! += n;
      else out['2xx']! += n;
    }
    return out;
  }

  /** Mutated messages that got no final answer (and no pong). */
  unanswered(): number {
    let finals = 0;
    for (const n of Object.values(this.finals)) finals += n;
    return Math.max(0, this.sent - finals - this.pongs);
  }
}
