/**
 * Test kit for the UDP end-to-end tests: the real udp-bridge in-process in front of a really started Worker,
 * SIPp as a bounded child process, and a tiny UDP SIP user agent on a plain dgram socket (digest REGISTER,
 * answering requests) for the cases where byte-level control matters.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBridge, type Bridge } from '../../../udp-bridge/src/bridge.js';
import { DEFAULT_CONFIG, type BridgeConfig } from '../../../udp-bridge/src/config.js';
import type { Logger } from '../../../udp-bridge/src/log.js';
import { computeDigestResponse, computeHA1 } from '../../../src/auth/digest.js';
import { formatCredentials, parseChallenge } from '../../../src/sip/auth-header.js';
import { BRIDGE_TOKEN, DOMAIN, eventually, type Service } from '../harness.js';

export { DOMAIN };

/** Repository root (SIPp scenarios are resolved from here). */
export const ROOT = resolve(import.meta.dirname, '../../..');
/** Directory of the SIPp scenarios. */
export const SIPP_DIR = join(ROOT, 'test/sipp');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export { eventually };

/** A UDP port that was free a moment ago (bound to port 0, then released). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

// ---------------------------------------------------------------------------------------------------------
// A restartable Worker
// ---------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------
// The real bridge
// ---------------------------------------------------------------------------------------------------------

/** The bridge under test, with its log lines kept for failure messages. */
export interface TestBridge {
  bridge: Bridge;
  /** UDP port devices send to. */
  port: number;
  /** Log lines written by the bridge (JSON). */
  logs: string[];
  /** Parsed `GET /metrics` of the bridge's real metrics endpoint. */
  scrape(): Promise<Map<string, number>>;
  /** The last `n` log lines, as evidence in failure messages. */
  tail(n?: number): string;
  close(): Promise<void>;
}

function memoryLogger(lines: string[]): Logger {
  const write = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    lines.push(JSON.stringify({ t: new Date().toISOString(), level, msg, ...fields }));
    if (lines.length > 2000) lines.splice(0, 500);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** Start the real bridge on 127.0.0.1 (random UDP and metrics ports) in front of `upstream`. */
export async function startTestBridge(upstream: string, over: Partial<BridgeConfig> = {}): Promise<TestBridge> {
  const logs: string[] = [];
  const config: BridgeConfig = {
    ...DEFAULT_CONFIG,
    listen: { host: '127.0.0.1', port: 0 },
    upstream,
    token: BRIDGE_TOKEN,
    metrics: { host: '127.0.0.1', port: 0 },
    // Short reconnect back-off so a restarted Worker is reached again quickly.
    reconnectMinMs: 200,
    reconnectMaxMs: 2_000,
    logLevel: 'debug',
    ...over,
  };
  const bridge = await startBridge(config, { log: memoryLogger(logs) });
  const m = bridge.metricsAddress();
  return {
    bridge,
    port: bridge.address().port,
    logs,
    async scrape() {
      if (m === null) throw new Error('bridge metrics are off');
      const res = await fetch(`http://${m.host}:${m.port}/metrics`);
      if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
      return parsePrometheus(await res.text());
    },
    tail: (n = 40) => `--- bridge log (last ${n}) ---\n${logs.slice(-n).join('\n')}`,
    close: () => bridge.close(),
  };
}

/** `name{labels} value` lines → map keyed by `name{labels}` (exactly as written). */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// SIPp
// ---------------------------------------------------------------------------------------------------------

/** How a SIPp run ended, with its traces for failure messages. */
export interface SippResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when our own deadline killed it. */
  killed: boolean;
  stdout: string;
  stderr: string;
  /** `-trace_msg` file: every message sent and received. */
  messages: string;
  /** `-trace_err` file: unexpected messages and errors. */
  errors: string;
  /** Everything above, ready to be a failure message. */
  report: string;
}

/** Options of {@link runSipp}. */
export interface SippOptions {
  /** Scenario file name under test/sipp/. */
  scenario: string;
  /** Where to send (the bridge). */
  remotePort: number;
  /** SIPp's own UDP port (the device's source address). */
  localPort: number;
  /** `-s`, `-au` and `-ap`: the SIP user and its password ([service], [authentication]). */
  user: string;
  password: string;
  /** `-key name value` pairs for [name] in the scenario ([domain] is always set). */
  keys?: Record<string, string>;
  /** `-m`: calls to process before exiting (default 1). */
  calls?: number;
  /** Our hard deadline; SIPp's own `-timeout` is 5 s shorter (default 30 s). */
  timeoutMs?: number;
  /** Extra SIPp arguments. */
  extra?: string[];
  /** More evidence for the report (e.g. the bridge's log), read when SIPp exits. */
  context?: () => string;
}

/** A started SIPp child process: wait for its result, or kill it. */
export interface SippRun {
  pid: number | undefined;
  result: Promise<SippResult>;
  kill(): void;
}

/** Every SIPp child still running (killed by {@link killAllSipp} in afterAll). */
const running = new Set<SippRun>();

/**
 * Start SIPp as a child process (client mode: it sends to 127.0.0.1:remotePort from 127.0.0.1:localPort),
 * with message and error traces in a fresh temporary directory. Bounded: SIPp's `-timeout` plus our own kill.
 */
export function startSipp(o: SippOptions): SippRun {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-e2e-'));
  const timeoutMs = o.timeoutMs ?? 30_000;
  const keys = { domain: DOMAIN, ...o.keys };
  const args = [
    `127.0.0.1:${o.remotePort}`,
    '-sf', join(SIPP_DIR, o.scenario),
    '-m', String(o.calls ?? 1),
    '-i', '127.0.0.1',
    '-p', String(o.localPort),
    '-s', o.user,
    '-au', o.user,
    '-ap', o.password,
    ...Object.entries(keys).flatMap(([k, v]) => ['-key', k, v]),
    '-nostdin',
    '-timeout', `${Math.max(5, Math.round(timeoutMs / 1000) - 5)}s`,
    '-timeout_error',
    '-trace_msg', '-message_file', join(dir, 'messages.log'),
    '-trace_err', '-error_file', join(dir, 'errors.log'),
    '-trace_screen', '-screen_file', join(dir, 'screen.log'),
    ...(o.extra ?? []),
  ];
  const child = spawn(process.env.SIPP ?? 'sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let killed = false;
  child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-20_000)));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'latin1') : '');
  const run: SippRun = {
    pid: child.pid,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) {
        killed = true;
        child.kill('SIGKILL');
      }
    },
    result: new Promise<SippResult>((resolveResult) => {
      const deadline = setTimeout(() => run.kill(), timeoutMs);
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(deadline);
        running.delete(run);
        const messages = read('messages.log');
        const errors = read('errors.log');
        const screen = read('screen.log');
        const report = [
          `sipp ${o.scenario} exited with ${code ?? signal}${killed ? ' (killed at our deadline)' : ''}`,
          `command: sipp ${args.join(' ')}`,
          `trace dir: ${dir} (${readdirSync(dir).join(', ')})`,
          stderr && `--- stderr ---\n${stderr}`,
          errors && `--- errors ---\n${errors.slice(-6000)}`,
          `--- messages ---\n${messages.slice(-12000)}`,
          screen && `--- screen ---\n${screen.slice(-3000)}`,
          o.context?.(),
        ].filter(Boolean).join('\n');
        // Traces of a successful run live on in `messages`; keep the files only when asked to (or on failure).
        if (code === 0 && !process.env.E2E_KEEP_SIPP_TRACES) rmSync(dir, { recursive: true, force: true });
        resolveResult({ code, signal, killed, stdout, stderr, messages, errors, report });
      };
      child.on('exit', (code, signal) => {
        // Give the trace files a moment to be flushed and the stdio pipes to drain.
        setTimeout(() => finish(code, signal), 50);
      });
      child.on('error', (err) => {
        stderr += `\nspawn failed: ${err.message}`;
        finish(null, null);
      });
    }),
  };
  running.add(run);
  return run;
}

/** Run SIPp to the end (see {@link startSipp}). */
export function runSipp(o: SippOptions): Promise<SippResult> {
  return startSipp(o).result;
}

/** Kill every SIPp child still running (afterAll / afterEach). */
export async function killAllSipp(): Promise<void> {
  const all = [...running];
  for (const r of all) r.kill();
  await Promise.all(all.map((r) => r.result));
}

// ---------------------------------------------------------------------------------------------------------
// A minimal UDP SIP user agent
// ---------------------------------------------------------------------------------------------------------

/** One SIP datagram received, split just enough for assertions. */
export interface Datagram {
  raw: Buffer;
  text: string;
  from: RemoteInfo;
  /** Request method, or undefined for a response. */
  method: string | undefined;
  status: number | undefined;
  header(name: string): string | undefined;
  headers(name: string): string[];
}

function parseDatagram(raw: Buffer, from: RemoteInfo): Datagram {
  const text = raw.toString('latin1');
  const head = text.split('\r\n\r\n')[0] ?? '';
  const lines = head.split('\r\n');
  const start = lines.shift() ?? '';
  const hs: [string, string][] = [];
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) hs.push([line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()]);
  }
  const headers = (n: string) => hs.filter(([k]) => k === n.toLowerCase()).map(([, v]) => v);
  const m = /^SIP\/2\.0 (\d{3})/.exec(start);
  return {
    raw,
    text,
    from,
    method: m ? undefined : start.split(' ')[0],
    status: m ? Number(m[1]) : undefined,
    header: (n) => headers(n)[0],
    headers,
  };
}

const token = () => randomBytes(6).toString('hex');

/** The result of {@link UdpUa.register}. */
export interface RegisterExchange {
  challenge: Datagram;
  /** The authenticated REGISTER exactly as sent. */
  request: Buffer;
  response: Datagram;
}

/**
 * A UDP SIP user agent on a dgram socket bound to 127.0.0.1: builds requests, keeps every datagram it
 * received, and (optionally) answers incoming requests with 200.
 */
export class UdpUa {
  readonly received: Datagram[] = [];
  private waiters: { pred: (d: Datagram) => boolean; resolve: (d: Datagram) => void }[] = [];
  private cseq = 1;
  readonly callId = `${token()}@127.0.0.1`;
  readonly fromTag = token();
  /** Answer incoming requests (not ACK) with this status; null: do not answer. */
  answerRequests: number | null = 200;
  /** Extra evidence for timeout messages (e.g. the bridge's log). */
  context: (() => string) | null = null;

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
    readonly user: string,
    readonly password: string,
    readonly bridgePort: number,
  ) {
    socket.on('message', (raw, from) => {
      const d = parseDatagram(raw, from);
      this.received.push(d);
      if (d.method !== undefined && d.method !== 'ACK' && this.answerRequests !== null) this.send(this.responseTo(d, this.answerRequests)).catch(() => undefined);
      for (const w of this.waiters.slice()) {
        if (w.pred(d)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(d);
        }
      }
    });
  }

  static async open(user: string, password: string, bridgePort: number, context?: () => string): Promise<UdpUa> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const ua = new UdpUa(socket, socket.address().port, user, password, bridgePort);
    ua.context = context ?? null;
    return ua;
  }

  /** Send a datagram to the bridge. */
  send(bytes: Buffer | string): Promise<void> {
    const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    return new Promise((resolveSend, reject) => this.socket.send(b, this.bridgePort, '127.0.0.1', (err) => (err ? reject(err) : resolveSend())));
  }

  /** The next datagram (received from now on, or already received at index ≥ `since`) matching `pred`. */
  waitFor(pred: (d: Datagram) => boolean, label: string, ms = 10_000, since = this.received.length): Promise<Datagram> {
    const already = this.received.slice(since).find(pred);
    if (already) return Promise.resolve(already);
    return new Promise((resolveWait, reject) => {
      const w = { pred, resolve: (d: Datagram) => (clearTimeout(timer), resolveWait(d)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timed out after ${ms} ms waiting for ${label} at UDP UA ${this.user} (:${this.port}); received:\n${this.dump()}${this.context ? `\n${this.context()}` : ''}`));
      }, ms);
      this.waiters.push(w);
    });
  }

  /** A response to the request with this branch. */
  responseFor(branch: string, label: string, ms = 10_000, since = 0): Promise<Datagram> {
    return this.waitFor((d) => d.status !== undefined && (d.header('via') ?? '').includes(`branch=${branch}`) && d.status >= 200, label, ms, since);
  }

  /** Everything received, for failure messages. */
  dump(): string {
    return this.received.map((d, i) => `#${i} from ${d.from.address}:${d.from.port}\n${d.text}`).join('\n----\n') || '(nothing)';
  }

  /** A REGISTER (CSeq incremented each call). */
  registerRequest(o: { expires?: number; authorization?: string; branch?: string } = {}): { bytes: Buffer; branch: string } {
    const branch = o.branch ?? `z9hG4bK${token()}`;
    const lines = [
      `REGISTER sip:${DOMAIN} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};rport;branch=${branch}`,
      'Max-Forwards: 70',
      `From: <sip:${this.user}@${DOMAIN}>;tag=${this.fromTag}`,
      `To: <sip:${this.user}@${DOMAIN}>`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${this.cseq++} REGISTER`,
      `Contact: <sip:${this.user}@127.0.0.1:${this.port}>`,
      `Expires: ${o.expires ?? 600}`,
      ...(o.authorization ? [`Authorization: ${o.authorization}`] : []),
      'User-Agent: e2e-udp-ua',
      'Content-Length: 0',
      '',
      '',
    ];
    return { bytes: Buffer.from(lines.join('\r\n'), 'latin1'), branch };
  }

  /** Authorization for a 401: digest over `uri` = the Request-URI, from the first WWW-Authenticate value. */
  authorizationFor(challenge: Datagram, method = 'REGISTER', uri = `sip:${DOMAIN}`): string {
    const first = challenge.headers('www-authenticate')[0];
    if (!first) throw new Error(`no WWW-Authenticate in:\n${challenge.text}`);
    const parsed = parseChallenge(first);
    if (!parsed.ok) throw new Error(`unparseable challenge ${first}: ${String(parsed.error)}`);
    const c = parsed.value;
    const ha1 = computeHA1(c.algorithm, this.user, c.realm, this.password);
    const cnonce = token();
    const nc = '00000001';
    const response = c.qop === 'auth'
      ? computeDigestResponse({ algorithm: c.algorithm, ha1, method, uri, nonce: c.nonce, qop: 'auth', nc, cnonce })
      : computeDigestResponse({ algorithm: c.algorithm, ha1, method, uri, nonce: c.nonce, qop: null });
    return formatCredentials({
      username: this.user, realm: c.realm, nonce: c.nonce, uri, response, algorithm: c.algorithm,
      qop: c.qop, nc: c.qop ? nc : null, cnonce: c.qop ? cnonce : null, opaque: c.opaque ?? null,
    });
  }

  /** REGISTER → 401 → REGISTER with Authorization → final response. */
  async register(expires = 600): Promise<RegisterExchange> {
    const first = this.registerRequest({ expires });
    const since = this.received.length;
    await this.send(first.bytes);
    const challenge = await this.responseFor(first.branch, 'the 401 to REGISTER', 10_000, since);
    if (challenge.status !== 401) throw new Error(`expected 401, got:\n${challenge.text}`);
    const second = this.registerRequest({ expires, authorization: this.authorizationFor(challenge) });
    const since2 = this.received.length;
    await this.send(second.bytes);
    const response = await this.responseFor(second.branch, 'the final response to the authenticated REGISTER', 10_000, since2);
    return { challenge, request: second.bytes, response };
  }

  /** An out-of-dialog OPTIONS to the service itself; resolves with the final response. */
  async options(): Promise<Datagram> {
    const branch = `z9hG4bK${token()}`;
    const lines = [
      `OPTIONS sip:${DOMAIN} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};rport;branch=${branch}`,
      'Max-Forwards: 70',
      `From: <sip:${this.user}@${DOMAIN}>;tag=${token()}`,
      `To: <sip:${DOMAIN}>`,
      `Call-ID: ${token()}@127.0.0.1`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ];
    const since = this.received.length;
    await this.send(lines.join('\r\n'));
    return this.responseFor(branch, 'the response to OPTIONS', 10_000, since);
  }

  /** A response to a received request (headers copied per RFC 3261 §8.2.6.2, To tag added). */
  responseTo(req: Datagram, status: number, reason = status === 200 ? 'OK' : 'Response'): string {
    const to = req.header('to') ?? '';
    const lines = [
      `SIP/2.0 ${status} ${reason}`,
      ...req.headers('via').map((v) => `Via: ${v}`),
      `From: ${req.header('from') ?? ''}`,
      `To: ${/;\s*tag=/.test(to) ? to : `${to};tag=${token()}`}`,
      `Call-ID: ${req.header('call-id') ?? ''}`,
      `CSeq: ${req.header('cseq') ?? ''}`,
      'Content-Length: 0',
      '',
      '',
    ];
    return lines.join('\r\n');
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

/**
 * Resolve once something (SIPp) has bound UDP 127.0.0.1:`port`. Reads /proc/net/udp rather than probing
 * with our own bind, which could steal the port from SIPp for an instant.
 */
export async function waitUntilBound(port: number, ms = 5_000): Promise<void> {
  const needle = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const end = Date.now() + ms;
  for (;;) {
    const table = readFileSync('/proc/net/udp', 'latin1');
    if (table.split('\n').some((line) => line.trim().split(/\s+/)[1] === needle)) return;
    if (Date.now() > end) throw new Error(`nothing bound UDP 127.0.0.1:${port} within ${ms} ms`);
    await sleep(50);
  }
}
