/**
 * UDP REGISTER load generator (issue #10): N user agents, each its own UDP socket (`node:dgram`), each looping
 * REGISTER → 401 → REGISTER with `Authorization` (MD5, qop=auth; {@link digestAuthorization}) → 200, closed
 * loop (one transaction outstanding per agent), as bench/ws-register.ts does over WebSocket. Agent i registers
 * user `b<first+i>` with one Call-ID and a rising CSeq, so after the first registration each one is a refresh.
 *
 * SIPp cannot do this (`-t un` aborts in SIPp 3.6.1, see bench/udp-register.ts), hence this generator. The
 * source ports are chosen by the caller and kept across runs, as a device keeps its address: through the
 * udp-bridge each port is one bridge flow (one WebSocket, one FlowObject) for the whole benchmark.
 *
 * {@link runUdpLoadProcess} runs it in a child Node process, so that it does not share an event loop with a
 * udp-bridge started in the benchmark's own process. `npx tsx bench/udp-load.ts '<options as JSON>'` runs one
 * load and prints its result as JSON.
 *
 * Bounded: every agent stops when `durationMs` has elapsed; every transaction times out after `timeoutMs`
 * (no retransmission: a lost or late datagram counts as a failed registration, and the agent goes on).
 * @module
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { parseMessage } from '../src/sip/parse.js';
import type { SipResponse } from '../src/sip/message.js';
import { loadResult, type LoadResult } from './stats.js';
import { BENCH_DOMAIN, benchUser, digestAuthorization, pool } from './ws-register.js';
import { registerText } from './register-text.js';

/** Knobs of one UDP load run. */
export interface UdpLoadOptions {
  /** `host:port` to send to (a udp-bridge or Kamailio's UDP listener). */
  target: string;
  /** Source ports of the agents, one each, on 127.0.0.1 (0: any free port). Their number is the agent count. */
  ports: number[];
  /** Wall-clock bound of the measured phase, ms. */
  durationMs: number;
  /** Index of the first user (agent i registers user `b<first+i>`). */
  firstUser?: number;
  /** Per-transaction timeout, ms. */
  timeoutMs?: number;
}

/** What one run measured; `connections` is the number of agents (the same shape as the WebSocket rows). */
export type UdpLoadResult = LoadResult;

/** One user agent on its own socket with at most one outstanding transaction. */
class UdpAgent {
  private readonly callId = randomBytes(10).toString('hex');
  private cseq = 0;
  private waiter: { cseq: number; done: (r: SipResponse) => void } | null = null;

  private constructor(private readonly socket: Socket, readonly user: string, readonly port: number,
    private readonly host: string, private readonly targetPort: number) {
    socket.on('message', (data) => {
      const parsed = parseMessage(new Uint8Array(data.buffer, data.byteOffset, data.length));
      if (!parsed.ok || parsed.value.type !== 'response' || parsed.value.status < 200) return;
      // A response to an earlier, timed-out transaction is ignored by its CSeq number.
      const w = this.waiter;
      if (w === null || Number.parseInt(parsed.value.headers.get('cseq') ?? '', 10) !== w.cseq) return;
      this.waiter = null;
      w.done(parsed.value);
    });
  }

  /** Bind a socket on 127.0.0.1:`port` (any free port when that one is taken). */
  static async open(user: string, port: number, target: string): Promise<UdpAgent> {
    const [host, tp] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    const bind = (p: number) => new Promise<Socket>((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(p, '127.0.0.1', () => {
        s.off('error', reject);
        resolve(s);
      });
    });
    const socket = await bind(port).catch((e: Error) => (console.error(`udp-load: port ${port}: ${e.message}; using another`), bind(0)));
    socket.on('error', () => {}); // ICMP unreachable while a target restarts: the transaction times out
    return new UdpAgent(socket, user, socket.address().port, host, tp);
  }

  private request(authorization: string | null, timeoutMs: number): Promise<SipResponse> {
    const cseq = ++this.cseq;
    const text = registerText({
      domain: BENCH_DOMAIN, via: `UDP 127.0.0.1:${this.port};branch=z9hG4bK${randomBytes(8).toString('hex')};rport`, user: this.user,
      callId: this.callId, cseq, contact: `<sip:${this.user}@127.0.0.1:${this.port}>`, authorization, userAgent: 'edge-sip-bench-udp',
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`timeout after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = { cseq, done: (r) => {
        clearTimeout(timer);
        resolve(r);
      } };
      this.socket.send(text, this.targetPort, this.host);
    });
  }

  /** One full digest registration; resolves with its latency in ms. */
  async register(timeoutMs: number): Promise<number> {
    const t0 = performance.now();
    const first = await this.request(null, timeoutMs);
    if (first.status !== 401) throw new Error(`expected 401, got ${first.status} ${first.reason}`);
    const second = await this.request(digestAuthorization(this.user, first.headers.get('www-authenticate') ?? ''), timeoutMs);
    if (second.status !== 200) throw new Error(`expected 200, got ${second.status} ${second.reason}`);
    return performance.now() - t0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/**
 * `n` distinct UDP ports free on 127.0.0.1, below Linux's ephemeral range (32768+), so that no other process
 * is handed one of them between runs while the agents are not bound.
 */
export async function agentPorts(n: number): Promise<number[]> {
  const free = (p: number) => new Promise<boolean>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(p, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  const ports: number[] = [];
  for (let p = 20_000 + Math.floor(Math.random() * 10_000); ports.length < n && p < 32_768; p++) if (await free(p)) ports.push(p);
  if (ports.length < n) throw new Error(`only ${ports.length} of ${n} UDP ports free`);
  return ports;
}

/** Run one bounded load in this process: bind every agent, register each once (not counted), then loop. */
export async function runUdpLoad(o: UdpLoadOptions): Promise<UdpLoadResult> {
  const timeoutMs = o.timeoutMs ?? 5_000;
  const agents = await Promise.all(o.ports.map((p, i) => UdpAgent.open(benchUser((o.firstUser ?? 0) + i), p, o.target)));
  const latencies: number[] = [];
  const errors = new Set<string>();
  let failed = 0;
  const fail = (e: unknown, prefix = '') => {
    failed++;
    if (errors.size < 5) errors.add(prefix + (e instanceof Error ? e.message : String(e)));
  };
  try {
    // Warm-up, not counted: opens the bridge flows (first run only) and makes every measured one a refresh.
    await pool(agents, 100, (a) => a.register(timeoutMs).catch((e: unknown) => fail(e, 'warm-up: ')));
    const t0 = performance.now();
    const deadline = t0 + o.durationMs;
    let last = t0;
    await Promise.all(agents.map(async (a) => {
      while (performance.now() < deadline) {
        try {
          latencies.push(await a.register(timeoutMs));
          last = performance.now();
        } catch (e) {
          fail(e); // a device whose registration timed out tries again
        }
      }
    }));
    return loadResult(agents.length, latencies, failed, t0, last, errors);
  } finally {
    await Promise.all(agents.map((a) => a.close()));
  }
}

/** {@link runUdpLoad} in a child Node process (this file run with tsx); rejects if it fails or runs over. */
export function runUdpLoadProcess(o: UdpLoadOptions): Promise<UdpLoadResult> {
  const boundMs = (o.durationMs + 3 * (o.timeoutMs ?? 5_000)) * 2 + 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, JSON.stringify(o)],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const kill = setTimeout(() => child.kill('SIGKILL'), boundMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(kill);
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as UdpLoadResult);
      else reject(new Error(`udp-load exited with ${code}: ${out.slice(-500)}`));
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runUdpLoad(JSON.parse(process.argv[2] ?? '{}') as UdpLoadOptions);
  console.log(JSON.stringify(result));
  process.exit(0);
}
