/**
 * WebSocket REGISTER load generator (issue #6, part 2; also used by part 4 to hold idle devices).
 *
 * K connections (subprotocol `sip`, RFC 7118), connection i registering user `b<i>` (password
 * {@link benchPassword}). Each registration is one full digest exchange: REGISTER → 401 → REGISTER with
 * `Authorization` (MD5, qop=auth, nc=00000001, fresh cnonce) → 200; its latency is taken from the first
 * REGISTER to the 200. The same generator drives the Worker and Kamailio. Each connection registers once
 * before the clock starts (objects woken, first binding written); the measured ones are refreshes.
 *
 * Bounded: each connection stops after `perConnection` registrations or when `durationMs` has elapsed,
 * whichever comes first; every transaction times out after `timeoutMs`.
 * @module
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { computeDigestResponse, computeHA1 } from '../src/auth/digest.js';
import { formatCredentials, parseChallenge } from '../src/sip/auth-header.js';
import { parseMessage } from '../src/sip/parse.js';
import type { SipResponse } from '../src/sip/message.js';
import { loadResult, type LoadResult } from './stats.js';
import { registerText } from './register-text.js';

/** SIP domain and digest realm used by every benchmark target. */
export const BENCH_DOMAIN = 'edge-sip.test';
/** User name of device i. */
export const benchUser = (i: number): string => `b${i}`;
/** Password of a user; Kamailio's config derives it the same way, so it needs no database. */
export const benchPassword = (user: string): string => `pw-${user}`;

/** Knobs of one load run. */
export interface WsRegisterOptions {
  /** `ws://host:port/path` of the SIP WebSocket endpoint. */
  url: string;
  connections: number;
  /** Registrations per connection (upper bound). */
  perConnection: number;
  /** Wall-clock bound of the measured phase, ms. */
  durationMs: number;
  /** Per-transaction timeout, ms. */
  timeoutMs?: number;
  /** Connections opened at once while connecting. */
  connectConcurrency?: number;
  /** Index of the first user (connection i registers user `b<first+i>`). */
  firstUser?: number;
  /** Extra headers for the WebSocket upgrade (the UDP bridge's token, for instance). */
  headers?: Record<string, string>;
}

/** What one load run measured. */
export type WsRegisterResult = LoadResult;

/**
 * The `Authorization` value answering a REGISTER challenge for `user` (password {@link benchPassword}):
 * MD5 or SHA-256 digest, qop=auth with nc=00000001 and a fresh cnonce, or the no-qop form. Shared by the
 * WebSocket and the UDP generators (bench/udp-load.ts).
 */
export function digestAuthorization(user: string, wwwAuthenticate: string): string {
  const ch = parseChallenge(wwwAuthenticate);
  if (!ch.ok) throw new Error(`bad challenge: ${ch.error}`);
  const c = ch.value;
  const uri = `sip:${BENCH_DOMAIN}`;
  const ha1 = computeHA1(c.algorithm, user, c.realm, benchPassword(user));
  const cnonce = randomBytes(8).toString('hex');
  const nc = '00000001';
  const response = c.qop === 'auth'
    ? computeDigestResponse({ algorithm: c.algorithm, ha1, method: 'REGISTER', uri, nonce: c.nonce, qop: 'auth', nc, cnonce })
    : computeDigestResponse({ algorithm: c.algorithm, ha1, method: 'REGISTER', uri, nonce: c.nonce, qop: null });
  return formatCredentials({
    username: user, realm: c.realm, nonce: c.nonce, uri, response, algorithm: c.algorithm,
    qop: c.qop, nc: c.qop ? nc : null, cnonce: c.qop ? cnonce : null, opaque: c.opaque ?? null,
  });
}

/** One client connection with at most one outstanding transaction. */
export class SipWsClient {
  readonly user: string;
  private readonly host = `${randomBytes(6).toString('hex')}.invalid`;
  private readonly callId = randomBytes(10).toString('hex');
  private cseq = 0;
  private waiter: ((r: SipResponse) => void) | null = null;

  private constructor(readonly ws: WebSocket, user: string) {
    this.user = user;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const parsed = parseMessage(isBinary ? new Uint8Array(data) : data.toString());
      if (!parsed.ok || parsed.value.type !== 'response' || parsed.value.status < 200) return;
      const w = this.waiter;
      this.waiter = null;
      w?.(parsed.value);
    });
  }

  /** Open a connection (rejects after `timeoutMs`). */
  static open(url: string, user: string, timeoutMs: number, headers?: Record<string, string>): Promise<SipWsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, 'sip', { headers, handshakeTimeout: timeoutMs, perMessageDeflate: false });
      ws.once('open', () => resolve(new SipWsClient(ws, user)));
      // Keep a listener for good: a reset after the handshake must not become an uncaught error.
      ws.on('error', (e) => reject(e));
    });
  }

  private request(authorization: string | null, timeoutMs: number): Promise<SipResponse> {
    const text = registerText({
      domain: BENCH_DOMAIN, via: `WS ${this.host};branch=z9hG4bK${randomBytes(8).toString('hex')}`, user: this.user, callId: this.callId, cseq: ++this.cseq,
      // One Contact per user, whatever the connection: a later run replaces the binding instead of adding one.
      contact: `<sip:${this.user}@${this.user}.bench.invalid;transport=ws>;expires=600`, authorization, userAgent: 'edge-sip-bench',
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`timeout after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.ws.send(text);
    });
  }

  /** One full digest registration; resolves with its latency in ms. */
  async register(timeoutMs = 10_000): Promise<number> {
    const t0 = performance.now();
    const first = await this.request(null, timeoutMs);
    if (first.status !== 401) throw new Error(`expected 401, got ${first.status} ${first.reason}`);
    const auth = digestAuthorization(this.user, first.headers.get('www-authenticate') ?? '');
    const second = await this.request(auth, timeoutMs);
    if (second.status !== 200) throw new Error(`expected 200, got ${second.status} ${second.reason}`);
    return performance.now() - t0;
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Open `n` connections for users `b<first>`…, `connectConcurrency` at a time. */
export function openClients(url: string, n: number, first = 0, concurrency = 100, timeoutMs = 10_000,
  headers?: Record<string, string>): Promise<SipWsClient[]> {
  const idx = Array.from({ length: n }, (_, i) => first + i);
  return pool(idx, concurrency, (i) => SipWsClient.open(url, benchUser(i), timeoutMs, headers));
}

/** Like {@link openClients}, but a connection that fails is left out instead of failing them all. */
export async function openClientsSettled(url: string, n: number, first = 0, concurrency = 100,
  timeoutMs = 10_000): Promise<{ clients: SipWsClient[]; errors: string[] }> {
  const errors: string[] = [];
  let failures = 0;
  const idx = Array.from({ length: n }, (_, i) => first + i);
  // After 20 failures the target is saturated: stop trying, so the run stays bounded.
  const all = await pool(idx, concurrency, (i) => (failures >= 20 ? Promise.resolve(null)
    : SipWsClient.open(url, benchUser(i), timeoutMs).catch((e: Error) => {
      if (++failures <= 5) errors.push(e.message);
      return null;
    })));
  return { clients: all.filter((c): c is SipWsClient => c !== null), errors };
}

/** Run one bounded load: connect everything first, then register in a loop on every connection. */
export async function runWsRegister(o: WsRegisterOptions): Promise<WsRegisterResult> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const opened = await openClients(o.url, o.connections, o.firstUser ?? 0, o.connectConcurrency ?? 100, timeoutMs, o.headers);
  const latencies: number[] = [];
  const errors = new Set<string>();
  let failed = 0;
  // Warm-up, not counted: one registration per connection wakes its objects and writes its first binding.
  const warm = await pool(opened, o.connectConcurrency ?? 100, (c) => c.register(timeoutMs).then(() => c, (e: Error) => {
    failed++;
    if (errors.size < 5) errors.add(`warm-up: ${e.message}`);
    c.close();
    return null;
  }));
  const clients = warm.filter((c): c is SipWsClient => c !== null);
  const t0 = performance.now();
  const deadline = t0 + o.durationMs;
  let last = t0;
  await Promise.all(clients.map(async (c) => {
    for (let k = 0; k < o.perConnection && performance.now() < deadline; k++) {
      try {
        latencies.push(await c.register(timeoutMs));
        last = performance.now();
      } catch (e) {
        failed++;
        if (errors.size < 5) errors.add(e instanceof Error ? e.message : String(e));
        break; // a connection that failed once is not reused
      }
    }
  }));
  for (const c of clients) c.close();
  return loadResult(o.connections, latencies, failed, t0, last, errors);
}
