/**
 * Test kit for classic softphones through the udp-bridge: baresip 1.0 and linphonec (Debian packages
 * `baresip` and `linphone-cli`) as child processes with private configuration directories, driven over
 * stdin, with their own SIP traces parsed for assertions and failure messages. Also a plain RTP/AVP SDP
 * for JsSIP (its fake WebRTC offers UDP/TLS/RTP/SAVPF, which a classic phone refuses) and an RTP sink.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsSipUa } from '../clients/jssip.js';
import { DOMAIN } from '../harness.js';

export const BARESIP = process.env.BARESIP ?? '/usr/bin/baresip';
export const LINPHONEC = process.env.LINPHONEC ?? '/usr/bin/linphonec';
const BARESIP_MODULES = '/usr/lib/baresip/modules';
/** baresip with the modules the configuration below loads (aubridge is its null audio device). */
export const haveBaresip = existsSync(BARESIP) && ['stdio', 'menu', 'g711', 'aubridge', 'account'].every((m) => existsSync(join(BARESIP_MODULES, `${m}.so`)));
export const haveLinphonec = existsSync(LINPHONEC);

/** How long to wait for anything a softphone should do promptly (they retransmit on their own). */
export const PHONE_WAIT_MS = 20_000;

// ---------------------------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------------------------

async function bindable(kind: 'udp' | 'tcp', port: number): Promise<boolean> {
  if (kind === 'tcp') {
    const server = createServer();
    return new Promise((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  }
  const s = createSocket('udp4');
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A SIP port on 127.0.0.1 that was free a moment ago for UDP and TCP, with port + 1 free for TCP too:
 * baresip 1.0 has no way to turn transports off and binds `sip_listen` for UDP and TCP and the next
 * port for TLS. linphonec binds UDP only (its TCP and TLS ports are set to 0).
 */
export async function freeSipPort(): Promise<number> {
  for (let i = 0; ; i++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await bindable('udp', port)) && (await bindable('tcp', port)) && (await bindable('tcp', port + 1))) return port;
    if (i > 50) throw new Error('no free SIP port found');
  }
}

// ---------------------------------------------------------------------------------------------------------
// SIP traces
// ---------------------------------------------------------------------------------------------------------

/** One SIP message from a softphone's own trace. */
export interface TracedMessage {
  /** Received by the softphone, or sent by it. */
  dir: 'in' | 'out';
  /** The other end, `ip:port`. */
  peer: string;
  startLine: string;
  method: string | undefined;
  status: number | undefined;
  cseqMethod: string;
  callId: string;
  text: string;
  header(name: string): string | undefined;
  headers(name: string): string[];
}

const COMPACT: Record<string, string> = { i: 'call-id', v: 'via', f: 'from', t: 'to', m: 'contact', l: 'content-length', c: 'content-type' };

function traced(dir: 'in' | 'out', peer: string, text: string): TracedMessage {
  const lines = text.split(/\r?\n/);
  const startLine = lines.shift() ?? '';
  const hs: [string, string][] = [];
  for (const line of lines) {
    if (line === '') break;
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    hs.push([COMPACT[name] ?? name, line.slice(i + 1).trim()]);
  }
  const headers = (n: string) => hs.filter(([k]) => k === (COMPACT[n.toLowerCase()] ?? n.toLowerCase())).map(([, v]) => v);
  const m = /^SIP\/2\.0 (\d{3})/.exec(startLine);
  return {
    dir,
    peer,
    startLine,
    method: m ? undefined : startLine.split(' ')[0],
    status: m ? Number(m[1]) : undefined,
    cseqMethod: (headers('cseq')[0] ?? '').split(/\s+/)[1]?.toUpperCase() ?? '',
    callId: headers('call-id')[0] ?? '',
    text,
    header: (n) => headers(n)[0],
    headers,
  };
}

/** One line per traced message, for failure messages. */
export function summarize(trace: TracedMessage[]): string {
  return trace.map((m) => `  ${m.dir === 'in' ? '<-' : '->'} ${m.peer} ${m.startLine}  [CSeq: ${m.header('cseq')}; Call-ID: ${m.callId}]`).join('\n') || '  (no SIP messages)';
}

// ---------------------------------------------------------------------------------------------------------
// A softphone child process
// ---------------------------------------------------------------------------------------------------------

/** Every softphone still running (killed by {@link killAllSoftphones}). */
const running = new Set<Softphone>();
/** Every softphone started since the last {@link killAllSoftphones} (their directories are removed there). */
const started = new Set<Softphone>();

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** A softphone process: its console output, commands on stdin, its SIP trace. */
export abstract class Softphone {
  /** Console output so far (ANSI colours removed, {@link filter} applied). */
  output = '';
  private raw = '';
  private waiters: (() => void)[] = [];
  private exited: string | null = null;
  readonly exit: Promise<void>;

  protected constructor(
    readonly name: string,
    readonly dir: string,
    readonly command: string[],
    protected readonly child: ChildProcessWithoutNullStreams,
    /** The UDP port it sends and listens on. */
    readonly port: number,
  ) {
    const onData = (d: Buffer) => {
      this.raw += d.toString('latin1');
      if (this.raw.length > 2_000_000) this.raw = this.raw.slice(-1_000_000);
      this.output = this.filter(this.raw.replace(ANSI, ''));
      for (const w of this.waiters.slice()) w();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.stdin.on('error', () => undefined);
    this.exit = new Promise((resolve) => {
      const done = (why: string) => {
        if (this.exited !== null) return;
        this.exited = why;
        // The console (with baresip's SIP trace) stays beside the configuration for a failed test.
        try {
          writeFileSync(join(dir, 'console.log'), this.output);
        } catch {
          // the directory is gone already
        }
        running.delete(this);
        for (const w of this.waiters.slice()) w();
        resolve();
      };
      child.on('exit', (code, signal) => done(`exited with ${code ?? signal}`));
      child.on('error', (err) => done(`failed to start: ${err.message}`));
    });
    running.add(this);
    started.add(this);
  }

  /** Its SIP messages, in order. */
  abstract trace(): TracedMessage[];

  /** Remove what other threads print into the middle of lines (the whole console is filtered again on each output). */
  protected filter(console: string): string {
    return console;
  }

  /** Write a command line to its stdin. */
  send(line: string): void {
    if (this.exited === null) this.child.stdin.write(`${line}\n`);
  }

  /**
   * The first match of `re` in the console output from offset `from` on (default: anywhere). Rejects with
   * the report on timeout, on process exit, or as soon as `fail` matches (an error the phone printed).
   */
  waitFor(re: RegExp, label: string, o: { ms?: number; from?: number; fail?: RegExp } = {}): Promise<RegExpExecArray> {
    const ms = o.ms ?? PHONE_WAIT_MS;
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const check = () => {
        const tail = this.output.slice(o.from ?? 0);
        const m = re.exec(tail);
        const bad = o.fail?.exec(tail);
        const stop = (err: Error | null) => {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== check);
          if (err) reject(err);
          else resolve(m!);
        };
        if (m) stop(null);
        else if (bad) stop(new Error(`${this.name} printed "${bad[0]}" while waiting for ${label}\n${this.report()}`));
        else if (this.exited !== null) stop(new Error(`${this.name} ${this.exited} while waiting for ${label}\n${this.report()}`));
      };
      timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${ms} ms waiting for ${label} at ${this.name}\n${this.report()}`));
      }, ms);
      this.waiters.push(check);
      check();
    });
  }

  /** The first traced message matching `pred`, waiting for it (the trace is read again on each output). */
  async waitForMessage(pred: (m: TracedMessage) => boolean, label: string, ms = PHONE_WAIT_MS): Promise<TracedMessage> {
    const until = Date.now() + ms;
    for (;;) {
      const m = this.trace().find(pred);
      if (m) return m;
      if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${label} in ${this.name}'s SIP trace\n${this.report()}`);
      if (this.exited !== null) throw new Error(`${this.name} ${this.exited} while waiting for ${label}\n${this.report()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Messages of one call (Call-ID) in its trace. */
  call(callId: string): TracedMessage[] {
    return this.trace().filter((m) => m.callId === callId);
  }

  /** Command, directory (console.log there once it exits), SIP summary and the console's tail: evidence for failure messages. */
  report(): string {
    return [
      `--- ${this.name}: ${this.command.join(' ')}${this.exited ? ` (${this.exited})` : ''}`,
      `directory: ${this.dir}`,
      `SIP trace:\n${summarize(this.trace())}`,
      `console (last 6000 characters):\n${this.output.slice(-6000)}`,
    ].join('\n');
  }

  /** Ask it to quit (`quitCommand`), then SIGKILL after `ms`. */
  async stop(ms = 3000): Promise<void> {
    if (this.exited !== null) return;
    this.send(this.quitCommand);
    const timer = setTimeout(() => this.kill(), ms);
    await this.exit;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.exited === null) this.child.kill('SIGKILL');
  }

  protected abstract readonly quitCommand: string;
}

/**
 * Stop every softphone still running (afterEach / afterAll) and remove the directories (configuration,
 * logs) of those started since the last call, unless `keep` (a failed test: the report names them) or
 * E2E_KEEP_SOFTPHONE_DIRS is set.
 */
export async function killAllSoftphones(keep = false): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
  const done = [...started];
  started.clear();
  if (keep || process.env.E2E_KEEP_SOFTPHONE_DIRS) return;
  for (const p of done) rmSync(p.dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------------
// baresip 1.0
// ---------------------------------------------------------------------------------------------------------

/** Options of {@link Baresip.start}. */
export interface PhoneOptions {
  user: string;
  password: string;
  /** The udp-bridge's UDP port on 127.0.0.1: outbound proxy and registrar. */
  bridgePort: number;
  /** The phone's own SIP port on 127.0.0.1. */
  port: number;
  domain?: string;
}

/**
 * baresip 1.0 with a private config directory (`-f`): SIP on 127.0.0.1:port (UDP and TCP, TLS on port + 1:
 * 1.0 cannot turn transports off; see {@link freeSipPort}), G.711, the aubridge
 * module as null audio source and player, the stdio UI with the menu's commands (`/dial`, `/accept`,
 * `/hangup`, `/quit`), one account whose outbound proxy is the bridge. `-v` and `-s` (SIP trace) on.
 */
export class Baresip extends Softphone {
  protected readonly quitCommand = '/quit';

  static start(o: PhoneOptions): Baresip {
    const dir = mkdtempSync(join(tmpdir(), 'baresip-e2e-'));
    const domain = o.domain ?? DOMAIN;
    writeFileSync(join(dir, 'config'), [
      'poll_method\t\tepoll',
      `sip_listen\t\t127.0.0.1:${o.port}`,
      'call_local_timeout\t60',
      'audio_player\t\taubridge,e2e',
      'audio_source\t\taubridge,e2e',
      'audio_alert\t\taubridge,e2e',
      'rtp_stats\t\tno',
      `module_path\t\t${BARESIP_MODULES}`,
      'module\t\t\tstdio.so',
      'module\t\t\tg711.so',
      'module\t\t\taubridge.so',
      'module_tmp\t\taccount.so',
      'module_app\t\tmenu.so',
      '',
    ].join('\n'));
    // baresip 1.0's accounts syntax: <aor>;param=value;... (outbound= is the outbound proxy).
    writeFileSync(join(dir, 'accounts'), `<sip:${o.user}@${domain};transport=udp>;auth_pass=${o.password};outbound="sip:127.0.0.1:${o.bridgePort}";regint=600\n`);
    writeFileSync(join(dir, 'contacts'), '');
    const args = ['-f', dir, '-v', '-s'];
    const child = spawn(BARESIP, args, { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    return new Baresip(`baresip ${o.user}`, dir, [BARESIP, ...args], child, o.port);
  }

  /**
   * The aubridge thread announces itself when a call's audio starts, and that line may land in the middle
   * of a line the main thread prints ("UDP a -> 127.0.0.1aubridge: thread start: …\n:port").
   */
  protected override filter(console: string): string {
    return console.replace(/aubridge: thread start: [^\n]*\n/g, '');
  }

  /**
   * The `-s` trace: each message is printed as `#`, `UDP <from> -> <to>`, then the message itself
   * (start line and headers end with CRLF, the body follows for Content-Length bytes).
   */
  trace(): TracedMessage[] {
    const out: TracedMessage[] = [];
    const printed = this.output;
    const mark = /(?:^|\n)#\r?\nUDP (\S+) -> (\S+)\r?\n/g;
    const marks = [...printed.matchAll(mark)];
    marks.forEach((m, i) => {
      const start = m.index! + m[0].length;
      const end = marks[i + 1]?.index ?? printed.length;
      let text = printed.slice(start, end);
      const head = text.indexOf('\r\n\r\n');
      if (head >= 0) {
        const length = Number(/\r\nContent-Length:\s*(\d+)/i.exec(text.slice(0, head))?.[1] ?? 0);
        text = text.slice(0, head + 4 + length);
      }
      const local = m[1] === `127.0.0.1:${this.port}`;
      out.push(traced(local ? 'out' : 'in', local ? m[2]! : m[1]!, text));
    });
    return out;
  }

  /** Registration succeeded: baresip prints `<user>@<domain>: {0/UDP/v4} 200 OK ... [1 binding]`. */
  registered(): Promise<RegExpExecArray> {
    return this.waitFor(/\{\d+\/UDP\/v4\} 200 OK/, 'its REGISTER to be answered 200', { fail: /reg: [^\n]*: (?:Register: )?[^\n]*(?:Function not implemented|failed|[3-6]\d\d [^\n]*)/ });
  }
}

// ---------------------------------------------------------------------------------------------------------
// linphonec
// ---------------------------------------------------------------------------------------------------------

/**
 * linphonec (liblinphone 5) with a private rc file and HOME (its database goes under
 * `$HOME/.local/share/linphone`, which must exist): SIP on UDP 127.0.0.1:port only, the bridge as
 * registrar (`reg_proxy`) and as outbound route of every request (`reg_route`: without it linphonec
 * resolves the callee's domain), video off, no sound card (it then runs its audio graph without one).
 * The SIP trace is its log file (`-d 6 -l`). Commands: `call`, `answer`, `terminate`, `quit`.
 */
export class Linphonec extends Softphone {
  protected readonly quitCommand = 'quit';
  readonly logFile: string;

  private constructor(name: string, dir: string, command: string[], child: ChildProcessWithoutNullStreams, port: number) {
    super(name, dir, command, child, port);
    this.logFile = join(dir, 'linphonec.log');
  }

  static start(o: PhoneOptions): Linphonec {
    const dir = mkdtempSync(join(tmpdir(), 'linphonec-e2e-'));
    const domain = o.domain ?? DOMAIN;
    mkdirSync(join(dir, '.local/share/linphone'), { recursive: true });
    const rc = join(dir, 'linphonerc');
    const proxy = `sip:127.0.0.1:${o.bridgePort};transport=udp`;
    writeFileSync(rc, [
      '[sip]',
      `sip_port=${o.port}`,
      'sip_tcp_port=0',
      'sip_tls_port=0',
      'bind_address=127.0.0.1',
      'default_proxy=0',
      '[rtp]',
      'audio_rtp_port=41000-41999',
      'video_rtp_port=42000-42999',
      '[video]',
      'capture=0',
      'display=0',
      'automatically_initiate=0',
      'automatically_accept=0',
      '[proxy_0]',
      `reg_proxy=<${proxy}>`,
      `reg_route=<${proxy};lr>`,
      `reg_identity=sip:${o.user}@${domain}`,
      'reg_expires=600',
      'reg_sendregister=1',
      'publish=0',
      '[auth_info_0]',
      `username=${o.user}`,
      `passwd=${o.password}`,
      `realm=${domain}`,
      `domain=${domain}`,
      '',
    ].join('\n'));
    const log = join(dir, 'linphonec.log');
    const args = ['-c', rc, '-d', '6', '-l', log];
    const child = spawn(LINPHONEC, args, { cwd: dir, env: { ...process.env, HOME: dir }, stdio: ['pipe', 'pipe', 'pipe'] });
    return new Linphonec(`linphonec ${o.user}`, dir, [`HOME=${dir}`, LINPHONEC, ...args], child, o.port);
  }

  /** The log file's `message sent to [UDP://…]` and `received [n] new bytes from [UDP://…]:` entries. */
  trace(): TracedMessage[] {
    if (!existsSync(this.logFile)) return [];
    const log = readFileSync(this.logFile, 'latin1');
    const out: TracedMessage[] = [];
    const entry = /(?:message sent to|new bytes from) \[UDP:\/\/([^\]]+)\][^\n]*\n([\s\S]*?)(?=\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3} |$)/g;
    for (const m of log.matchAll(entry)) {
      const dir = m[0].startsWith('message sent') ? 'out' : 'in';
      out.push(traced(dir, m[1]!, m[2]!.replace(/\s+$/, '')));
    }
    return out;
  }

  /** Registration succeeded, as its log records the account's state. */
  async registered(ms = PHONE_WAIT_MS): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      const log = existsSync(this.logFile) ? readFileSync(this.logFile, 'latin1') : '';
      if (/to \[LinphoneRegistrationOk\]/.test(log)) return;
      const failed = /to \[LinphoneRegistrationFailed\]/.exec(log);
      if (failed || Date.now() > until) throw new Error(`${this.name}: ${failed ? 'registration failed' : `not registered after ${ms} ms`}\n${this.report()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// JsSIP with an SDP a classic phone accepts
// ---------------------------------------------------------------------------------------------------------

/** A plain RTP/AVP G.711 audio description with media at 127.0.0.1:`rtpPort`. */
export function plainAudioSdp(rtpPort: number): string {
  const id = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
  return [
    'v=0',
    `o=- ${id} 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${rtpPort} RTP/AVP 0 8 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

interface SdpEvent {
  originator: 'local' | 'remote';
  type: string;
  sdp: string;
}

/**
 * Make a JsSIP UA offer and answer plain RTP/AVP G.711 towards `rtpPort` (JsSIP's `sdp` event lets the
 * application rewrite a local description before it is sent). Its fake WebRTC offers
 * UDP/TLS/RTP/SAVPF with DTLS, which baresip and linphonec without DTLS-SRTP refuse (488), as a real
 * classic phone would without a media gateway in between. Returns the SDPs it sent, in order.
 */
export function classicMedia(ua: JsSipUa, rtpPort: number): string[] {
  const sent: string[] = [];
  const events = ua.ua as unknown as { on(ev: 'newRTCSession', fn: (e: { session: { on(ev: 'sdp', fn: (s: SdpEvent) => void): void } }) => void): void };
  events.on('newRTCSession', (e) => {
    e.session.on('sdp', (s) => {
      if (s.originator !== 'local') return;
      s.sdp = plainAudioSdp(rtpPort);
      sent.push(s.sdp);
    });
  });
  return sent;
}

/** A UDP socket that swallows the softphones' RTP (so nothing gets ICMP port unreachable). */
export async function rtpSink(): Promise<{ port: number; packets: () => number; close(): Promise<void> }> {
  const s: Socket = createSocket('udp4');
  let n = 0;
  s.on('message', () => n++);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, packets: () => n, close: () => new Promise((r) => s.close(() => r())) };
}
