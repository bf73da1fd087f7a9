/**
 * One fuzzing flow, whatever carries it (a WebSocket, or a UDP source port through the bridge): it registers as
 * its identity, then sends mutated messages in batches, each batch followed by a fence (an OPTIONS to the service
 * that must be answered), with now and then a valid exchange (REGISTER, OPTIONS, a GB keepalive, an
 * unregistration) so that flows are in varied states. It answers what is routed to it as a device would, now and
 * then after a mutated response. Every answer to a mutated message is counted in the transport's {@link Tally}.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { parseChallenge } from '../src/sip/auth-header.js';
import type { SipRequest, SipResponse } from '../src/sip/message.js';
import { parseMessage } from '../src/sip/parse.js';
import { mutate, rebranch, type Framing, type Mutant } from './mutate.js';
import { Rng, streamSeed } from './prng.js';
import { credentials, keepaliveMessage, liveSeed, optionsMessage, registerMessage, type FlowState, type Identity, type Seed } from './seeds.js';
import type { Tally } from './tally.js';
import { Callee, dialogFrom } from './ua.js';

/** What carries a flow's messages. */
export interface Link {
  send(bytes: Buffer, framing: Framing): void;
  isOpen(): boolean;
  /** Resolves with the close code when the link closes (a UDP link never does). */
  readonly closed: Promise<number>;
}

/** The shared budget of a phase: messages left and the deadline. */
export class Budget {
  constructor(public left: number, readonly deadline: number) {}

  /** Up to `n` messages to send now (0: stop). */
  take(n: number): number {
    if (Date.now() >= this.deadline) this.left = 0;
    const k = Math.min(n, this.left);
    this.left -= k;
    return k;
  }
}

/** Knobs of a flow. */
export interface FlowOptions {
  seed: number;
  /** Static seeds (the corpus), shared. */
  corpus: readonly Seed[];
  batch: number;
  /** Largest mutated message. */
  maxBytes: number;
  /** How long a fence or a valid exchange may wait for its answer. */
  answerTimeoutMs: number;
  /** Resend a request unanswered for this long (UDP; 0: never). */
  retransmitMs: number;
}

type Answer = SipResponse | 'timeout' | 'closed';

const VALID = 'z9hG4bKfzv';
/** The account anonymous flows guess the password of (provisioned, never registered). */
export const VICTIM = 'fz-victim';
const FENCE = 'z9hG4bKfzf';
const branchOf = (res: SipResponse) => /;\s*branch\s*=\s*([^;,\s]+)/i.exec(res.headers.get('via') ?? '')?.[1] ?? '';

/** One flow's fuzzing loop and its answers. */
export class FuzzFlow {
  readonly st: FlowState;
  private link: Link | null = null;
  private readonly waiters = new Map<string, (r: SipResponse) => void>();
  private index = 0;
  private serial = 0;
  private batchNo = 0;
  private lastBatches: Mutant[][] = [];
  private readonly rng: Rng;
  private readonly callee: Callee;

  constructor(readonly name: string, readonly id: Identity, private readonly tally: Tally, private readonly o: FlowOptions) {
    this.st = { callId: `${randomBytes(8).toString('hex')}@fuzz`, cseq: 0, nonce: null, nc: 0, serial: 0 };
    this.rng = new Rng(streamSeed(o.seed, id.transport, name, 'valid'));
    this.callee = new Callee(id, (b) => this.link?.isOpen() && this.link.send(b, 'text'));
  }

  /** Carry on over `link` (a new WebSocket after a close). */
  attach(link: Link): void {
    this.link = link;
    void link.closed.then(() => {
      if (this.link !== link) return;
      for (const w of [...this.waiters.values()]) w(null as unknown as SipResponse);
    });
  }

  /** A message from the server. */
  onData(bytes: Buffer): void {
    if (bytes.length > 0 && bytes.every((b) => b === 13 || b === 10)) {
      this.tally.pongs++;
      return;
    }
    const parsed = parseMessage(bytes);
    if (!parsed.ok) {
      this.tally.unparsed++;
      return;
    }
    const msg = parsed.value;
    if (msg.type === 'request') return this.onRequest(msg);
    const branch = branchOf(msg);
    if (branch.startsWith(VALID) || branch.startsWith(FENCE)) {
      if (msg.status < 200) return;
      const w = this.waiters.get(branch);
      this.waiters.delete(branch);
      w?.(msg);
      return;
    }
    this.tally.answer(msg.status, msg.reason);
    const dialog = dialogFrom(msg);
    if (dialog) this.st.dialogs = [...(this.st.dialogs ?? []).slice(-7), dialog];
    if (msg.status === 500 && /internal/i.test(msg.reason)) {
      this.tally.finding({ kind: '500 Server Internal Error', detail: `${msg.status} ${msg.reason}`, flow: this.name, messages: this.lastBatches.flat() });
    }
  }

  /** A request routed to this flow: answered as a user agent would (ua.ts), now and then after a mutated response. */
  private onRequest(req: SipRequest): void {
    this.tally.incoming++;
    const link = this.link;
    if (!link?.isOpen()) return;
    const r = new Rng(streamSeed(this.o.seed, this.id.transport, this.name, 'response', this.serial++));
    const answers = this.callee.onRequest(req, r);
    const last = answers.at(-1);
    if (last && r.chance(0.25)) {
      const m = mutate({ name: 'live-response', bytes: last }, r.pick(this.o.corpus), r, this.o.maxBytes);
      this.tally.sentMutant(m);
      link.send(m.bytes, m.framing);
    }
    for (const a of answers) link.send(a, 'text');
  }

  /** Refuse the INVITEs still ringing here. */
  stop(): void {
    this.callee.stop();
  }

  /** Send a valid request and wait for its final answer, resending it every `retransmitMs` (UDP). */
  exchange(bytes: Buffer, branch: string): Promise<Answer> {
    const link = this.link;
    if (!link?.isOpen()) return Promise.resolve('closed');
    return new Promise<Answer>((resolve) => {
      let resend: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => finish('timeout'), this.o.answerTimeoutMs);
      const finish = (a: Answer | null) => {
        clearTimeout(timer);
        clearInterval(resend);
        this.waiters.delete(branch);
        resolve(a ?? 'closed');
      };
      this.waiters.set(branch, finish);
      link.send(bytes, 'text');
      if (this.o.retransmitMs > 0) resend = setInterval(() => link.isOpen() && link.send(bytes, 'text'), this.o.retransmitMs);
    });
  }

  private branch(kind: string): string {
    return `${kind}${this.name}x${(this.serial++).toString(36)}`;
  }

  /** REGISTER → 401 → REGISTER with credentials (MD5, qop=auth); the nonce is kept for mutated registrations. */
  async register(expires = 600): Promise<Answer> {
    if (this.id.kind === 'anon') return 'closed';
    return this.digestRegister(this.id, 'register', expires, true);
  }

  /**
   * Password guessing, as an anonymous flow does it: the victim's REGISTER answered with a wrong password. The
   * Worker counts the failure on the connection (closed with 1008 after 10) and for the source address (403
   * while it is blocked); each anonymous flow has an address of its own, so the others are not blocked.
   */
  guess(): Promise<Answer> {
    return this.digestRegister({ ...this.id, kind: 'sip', user: VICTIM, password: 'not-the-password' }, 'guess', 600, false);
  }

  private async digestRegister(id: Identity, what: string, expires: number, keepNonce: boolean): Promise<Answer> {
    const b1 = this.branch(VALID);
    const first = await this.exchange(registerMessage(id, this.st, b1, { expires }), b1);
    if (typeof first === 'string' || first.status !== 401) return this.valid(what, first);
    const ch = parseChallenge(first.headers.get('www-authenticate') ?? '');
    if (!ch.ok) return this.valid(what, first);
    if (keepNonce) {
      this.st.nonce = ch.value.nonce;
      this.st.nc = 1;
    }
    const b2 = this.branch(VALID);
    const auth = credentials(id, ch.value.nonce, 1, randomBytes(4).toString('hex'));
    return this.valid(what, await this.exchange(registerMessage(id, this.st, b2, { expires, authorization: auth }), b2));
  }

  private valid(what: string, a: Answer): Answer {
    this.tally.validOutcome(what, typeof a === 'string' ? a : a.status);
    return a;
  }

  /** An OPTIONS to the service; true when it got its 200. */
  async options(what = 'options'): Promise<boolean> {
    const b = this.branch(what === 'fence' ? FENCE : VALID);
    const a = await this.exchange(optionsMessage(this.id, b, `${b}@fuzz`), b);
    if (what !== 'fence') this.valid(what, a);
    return typeof a !== 'string' && a.status === 200;
  }

  /** One valid exchange, picked at random: what keeps the flows in varied states. */
  private async validAction(): Promise<void> {
    const r = this.rng;
    const anon = this.id.kind === 'anon';
    const pick = r.weighted({ register: anon ? 0 : 4, options: 3, keepalive: this.id.kind === 'gb' ? 3 : 0, unregister: anon ? 0 : 1, guess: anon ? 4 : 0 });
    if (pick === 'options') await this.options();
    else if (pick === 'guess') await this.guess();
    else if (pick === 'keepalive') {
      const b = this.branch(VALID);
      this.valid('keepalive', await this.exchange(keepaliveMessage(this.id, b, ++this.st.serial), b));
    } else if (pick === 'unregister') {
      await this.register(0);
      if (r.chance(0.7)) await this.register();
    } else await this.register();
  }

  /** The next mutated message of this flow: the same one for the same seed, flow and index. */
  nextMutant(): Mutant {
    const index = this.index++;
    const r = new Rng(streamSeed(this.o.seed, this.id.transport, this.name, index));
    const other = r.pick(this.o.corpus);
    // Named by its place only, so a static seed's mutation is the same bytes in every run with this seed.
    const branch = `z9hG4bKfzm${this.name}x${index.toString(36)}`;
    if (r.chance(0.4)) return mutate(liveSeed(this.id, this.st, r, branch), other, r, this.o.maxBytes);
    const seed = r.pick(this.o.corpus);
    // Most get a fresh branch: the same branch again is a retransmission, which the bridge absorbs.
    const bytes = r.chance(0.9) ? rebranch(seed.bytes, branch) : seed.bytes;
    return mutate({ name: seed.name, bytes }, other, r, this.o.maxBytes);
  }

  /**
   * Fuzz until the budget is spent: batches of mutated messages, each followed by its fence. Resolves with
   * `closed` when the link closed (the caller reconnects), `timeout` when a fence went unanswered, `done` otherwise.
   */
  async run(budget: Budget): Promise<'done' | 'closed' | 'timeout'> {
    for (;;) {
      const link = this.link;
      if (!link?.isOpen()) return 'closed';
      if (this.batchNo++ % 25 === 24) await this.validAction();
      const n = budget.take(this.o.batch);
      if (n === 0) return 'done';
      const batch: Mutant[] = [];
      for (let k = 0; k < n; k++) {
        const m = this.nextMutant();
        batch.push(m);
        this.tally.sentMutant(m);
        link.send(m.bytes, m.framing);
      }
      this.lastBatches = [...this.lastBatches.slice(-1), batch];
      this.tally.fences++;
      const b = this.branch(FENCE);
      const a = await this.exchange(optionsMessage(this.id, b, `${b}@fuzz`), b);
      if (a === 'closed' || !link.isOpen()) return 'closed';
      if (a === 'timeout') {
        this.tally.fenceTimeouts++;
        this.tally.finding({ kind: 'fence unanswered', detail: `no answer to the fence within ${this.o.answerTimeoutMs} ms`, flow: this.name, messages: this.lastBatches.flat() });
        return 'timeout';
      }
    }
  }

  /** The last batches sent (evidence for a close). */
  recent(): Mutant[] {
    return this.lastBatches.flat();
  }
}
