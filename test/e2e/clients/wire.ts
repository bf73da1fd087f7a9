/**
 * A tap on a user agent's WebSocket: every SIP message sent and received, parsed just enough to
 * assert on the wire (status codes the UA's API hides, challenges, in-dialog requests) and to dump
 * readable evidence when a test fails.
 */
import { WAIT_MS } from './signal.js';

const COMPACT: Record<string, string> = {
  i: 'call-id',
  v: 'via',
  f: 'from',
  t: 'to',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
  e: 'content-encoding',
  s: 'subject',
  o: 'event',
  r: 'refer-to',
  u: 'allow-events',
};

/** One SIP message seen on a UA's connection. */
export interface WireMessage {
  dir: 'in' | 'out';
  at: number;
  raw: string;
  /** Request method, or undefined for a response. */
  method: string | undefined;
  /** Response status, or undefined for a request. */
  status: number | undefined;
  reason: string | undefined;
  /** Method in CSeq. */
  cseqMethod: string;
  callId: string;
  headers: [string, string][];
  body: string;
  /** First value of a header (case-insensitive, compact forms understood). */
  header(name: string): string | undefined;
  /** All values of a header. */
  headerAll(name: string): string[];
}

/** Parse a SIP message (tolerantly: this is a test tap, not the system under test). */
export function parseWire(raw: string, dir: 'in' | 'out'): WireMessage {
  const sep = raw.indexOf('\r\n\r\n');
  const head = sep < 0 ? raw : raw.slice(0, sep);
  const body = sep < 0 ? '' : raw.slice(sep + 4);
  const lines = head.split('\r\n');
  const start = lines.shift() ?? '';
  const headers: [string, string][] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && headers.length) {
      headers[headers.length - 1]![1] += ` ${line.trim()}`;
      continue;
    }
    const i = line.indexOf(':');
    if (i < 0) continue;
    let name = line.slice(0, i).trim().toLowerCase();
    name = COMPACT[name] ?? name;
    headers.push([name, line.slice(i + 1).trim()]);
  }
  const headerAll = (n: string) => {
    const key = COMPACT[n.toLowerCase()] ?? n.toLowerCase();
    return headers.filter(([k]) => k === key).map(([, v]) => v);
  };
  const header = (n: string) => headerAll(n)[0];
  const m = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(start);
  return {
    dir,
    at: Date.now(),
    raw,
    method: m ? undefined : start.split(' ')[0],
    status: m ? Number(m[1]) : undefined,
    reason: m ? m[2] : undefined,
    cseqMethod: (header('cseq') ?? '').split(/\s+/)[1]?.toUpperCase() ?? '',
    callId: header('call-id') ?? '',
    headers,
    body,
    header,
    headerAll,
  };
}

type Pred = (m: WireMessage) => boolean;

/** The log of one connection. */
export class Wire {
  readonly messages: WireMessage[] = [];
  private watchers: { pred: Pred; done: (m: WireMessage) => void }[] = [];
  private listeners: ((m: WireMessage) => void)[] = [];
  private readonly started = Date.now();

  constructor(readonly name: string) {}

  record(data: unknown, dir: 'in' | 'out'): void {
    const raw = typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer);
    if (raw.trim() === '') return; // keep-alive CRLF
    const m = parseWire(raw, dir);
    this.messages.push(m);
    for (const l of this.listeners) l(m);
    for (const w of this.watchers.slice()) {
      if (w.pred(m)) {
        this.watchers = this.watchers.filter((x) => x !== w);
        w.done(m);
      }
    }
  }

  /** Call `fn` for every message from now on. */
  onMessage(fn: (m: WireMessage) => void): void {
    this.listeners.push(fn);
  }

  /** Messages matching a predicate. */
  find(pred: Pred): WireMessage[] {
    return this.messages.filter(pred);
  }

  /** The first message (already seen or still to come) matching a predicate, with a timeout. */
  waitFor(pred: Pred, label: string, ms = WAIT_MS): Promise<WireMessage> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers = this.watchers.filter((w) => w !== watcher);
        reject(new Error(`timed out after ${ms} ms waiting on ${this.name}'s connection for: ${label}\n${this.dump()}`));
      }, ms);
      const watcher = {
        pred,
        done: (m: WireMessage) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      this.watchers.push(watcher);
    });
  }

  /** The n-th (0-based) message matching a predicate, with a timeout. */
  async waitForNth(pred: Pred, n: number, label: string, ms = WAIT_MS): Promise<WireMessage> {
    let seen = 0;
    return this.waitFor((m) => pred(m) && seen++ === n, label, ms);
  }

  /** The final response received to a request we sent (same Call-ID and CSeq). */
  finalResponseTo(req: WireMessage, ms = WAIT_MS): Promise<WireMessage> {
    const cseq = req.header('cseq');
    return this.waitFor(
      (m) => m.dir === 'in' && m.status !== undefined && m.status >= 200 && m.callId === req.callId && m.header('cseq') === cseq,
      `final response to ${req.method} (CSeq ${cseq}, Call-ID ${req.callId})`,
      ms,
    );
  }

  /** Send a request through a library and resolve with its final status, as seen on the wire. */
  async request(method: string, callId: string, send: () => void, ms = WAIT_MS): Promise<number> {
    const mine = (m: WireMessage) => m.dir === 'out' && m.method === method && m.callId === callId;
    const before = this.find(mine).length;
    send();
    const req = await this.waitForNth(mine, before, `${this.name} to send ${method} (Call-ID ${callId})`, ms);
    return (await this.finalResponseTo(req, ms)).status!;
  }

  /** Responses received for a method (optionally of one call). */
  responses(method: string, callId?: string): WireMessage[] {
    return this.find((m) => m.dir === 'in' && m.status !== undefined && m.cseqMethod === method && (!callId || m.callId === callId));
  }

  /** Requests received of a method (optionally of one call). */
  requests(method: string, callId?: string): WireMessage[] {
    return this.find((m) => m.dir === 'in' && m.method === method && (!callId || m.callId === callId));
  }

  /** One line per message: time, direction, start line, CSeq, Call-ID. */
  summary(): string {
    return this.messages
      .map((m) => {
        const first = m.raw.slice(0, m.raw.indexOf('\r\n'));
        return `  +${m.at - this.started}ms ${m.dir === 'in' ? '<-' : '->'} ${first}  [CSeq: ${m.header('cseq')}; Call-ID: ${m.callId}]`;
      })
      .join('\n');
  }

  /** The full log (for failure messages and reports). */
  dump(full = process.env.E2E_WIRE === 'full'): string {
    if (!full) return `wire log of ${this.name}:\n${this.summary()}`;
    return `wire log of ${this.name}:\n${this.messages.map((m) => `--- ${m.dir === 'in' ? 'received' : 'sent'}\n${m.raw}`).join('\n')}`;
  }
}
