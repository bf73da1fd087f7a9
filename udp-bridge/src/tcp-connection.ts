/**
 * One device on one TCP connection: its byte stream framed into SIP messages (stream-framer.ts), carried by a
 * {@link Flow} on its own WebSocket to the Worker, and everything the Worker sends for the device (responses,
 * and the platform's own MESSAGEs and INVITEs) written back on the same connection (GB/T 28181-2022 §9.1.1).
 * The connection's end closes the WebSocket with {@link CONNECTION_CLOSED_CLOSE_CODE} (the device is offline);
 * a deliberate close by the Worker ends the connection.
 * @module
 */

import type { Socket } from 'node:net';
import { parseMessage } from '../../src/sip/parse.js';
import { createResponse } from '../../src/sip/response.js';
import { serialize } from '../../src/sip/serialize.js';
import { CONNECTION_CLOSED_CLOSE_CODE, CONNECTION_CLOSED_REASON } from '../../src/transport/liveness.js';
import { CLOSE_KEEPALIVE_TIMEOUT, KEEPALIVE_TIMEOUT_REASON } from './control.js';
import { Flow, type FlowDeps } from './flow.js';
import type { HepLeg, HepSender } from './hep.js';
import type { RateLimiter } from './rate-limit.js';
import { inspectMessage } from './sip-scan.js';
import type { Source } from './source.js';
import { StreamFramer, type FrameError } from './stream-framer.js';

/** What a {@link Flow} on a stream asks of its connection. */
export interface StreamFlow {
  /** The Worker closed the device's WebSocket with `code`: true when that ends the flow (and the connection). */
  workerClosed(code: number): boolean;
}

/** Largest header section accepted on a TCP connection (every camera's fits in a few hundred bytes). */
export const MAX_TCP_HEADER_BYTES = 16 * 1024;

/** How long an ended connection may take to flush what was written before it is destroyed. */
const END_GRACE_MS = 2_000;

/** The RFC 5626 §4.4.1 pong to a CRLFCRLF ping. */
const CRLF = Buffer.from('\r\n');

/**
 * Whether the Worker closing a TCP device's WebSocket with `code` means to end the device's connection:
 * a normal or policy close (a ban) or a private code (RFC 6455 §7.4). A close by a restarting or unreachable
 * Worker (1001, 1006, 1011–1014) is not the device's end: the flow reconnects and the connection stays.
 */
export function closesConnection(code: number): boolean {
  return code === 1000 || code === 1003 || code === 1007 || code === 1008 || code === 1009 || code === 1010 || (code >= 4000 && code <= 4999);
}

/**
 * The answer to a request whose framing failed, from its header section (RFC 3261 §18.3: no Content-Length
 * on a stream → 400; §21.4.11: too large → 413); null for a response or a head that does not parse.
 */
export function framingAnswer(head: Uint8Array, reason: FrameError): Uint8Array | null {
  // The parser would hold the announced length against the missing body: the head alone, as if bodiless.
  const text = new TextDecoder('latin1').decode(head).replace(/^(content-length|l)[ \t]*:.*(\r?\n[ \t].*)*\r?\n/gim, '');
  const parsed = parseMessage(new TextEncoder().encode(text));
  if (!parsed.ok || parsed.value.type !== 'request' || parsed.value.method === 'ACK') return null;
  const status = reason === 'body_too_large' ? 413 : 400;
  const why = reason === 'no_content_length' ? 'Content-Length required on a stream' : reason === 'body_too_large' ? 'Request Entity Too Large' : 'Bad Content-Length';
  return serialize(createResponse(parsed.value, status, { reason: why }));
}

/** What a connection needs from its listener. */
export interface ConnectionDeps extends Omit<FlowDeps, 'sendToDevice' | 'stream'> {
  /** Per-connection message rate (the bridge's per-source token buckets). */
  limiter: RateLimiter;
  /** HEP copies of the messages received and written (`--hep`), or null; `hepLeg` the listener's side. */
  hep: HepSender | null;
  hepLeg: HepLeg;
  /** Called once, when the connection has closed: take it out of the table. */
  gone: (c: TcpConnection) => void;
}

/** One TCP connection from a device, and its flow once it has sent SIP. */
export class TcpConnection implements StreamFlow {
  /** The flow to the Worker, opened by the first SIP message (a port scan opens no WebSocket). */
  flow: Flow | null = null;
  /** Last byte in or out (ms), while there is no flow. */
  private lastActivity: number;
  private readonly framer: StreamFramer;
  /** Set once the connection is ending: nothing more is read from it or written to it. */
  private ending = false;
  private gone = false;

  /** @param id `sourceKey(source)`, the device address the Worker names the flow after. */
  constructor(
    private readonly socket: Socket,
    readonly source: Source,
    readonly id: string,
    private readonly deps: ConnectionDeps,
  ) {
    this.lastActivity = deps.now();
    this.framer = new StreamFramer({ maxHeaderBytes: Math.min(MAX_TCP_HEADER_BYTES, deps.config.tcpMaxMessageBytes), maxMessageBytes: deps.config.tcpMaxMessageBytes });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.onData(chunk);
      } catch (e) {
        deps.metrics.drop('internal_error');
        deps.log.error('failed to handle TCP data', { from: id, error: String(e) });
        this.end('internal error');
      }
    });
    socket.on('error', (err) => deps.log.debug('tcp connection error', { from: id, error: err.message }));
    socket.on('close', () => this.onClosed());
  }

  /** The Worker set a liveness limit and the device has been silent past it. */
  isSilent(now: number): boolean {
    return this.flow?.isSilent(now) ?? false;
  }

  /** Idle past the idle timeout and holding no valid registration. */
  isExpired(now: number): boolean {
    return this.flow?.isExpired(now) ?? now - this.lastActivity > this.deps.config.idleTimeoutMs;
  }

  /** End the connection: the WebSocket closes with `code` (default: the connection closed, 4001), then TCP. */
  close(reason: string, code = CONNECTION_CLOSED_CLOSE_CODE, wsReason = CONNECTION_CLOSED_REASON): Promise<void> {
    const closing = this.flow?.close(wsReason, code) ?? Promise.resolve();
    this.end(reason);
    return closing;
  }

  /** The device was silent past its liveness limit: 4000 to the Worker, and the connection ends. */
  closeSilent(): Promise<void> {
    return this.close('silent past its liveness limit', CLOSE_KEEPALIVE_TIMEOUT, KEEPALIVE_TIMEOUT_REASON);
  }

  workerClosed(code: number): boolean {
    if (!closesConnection(code)) return false;
    this.deps.log.info('tcp connection closed by the Worker', { from: this.id, code });
    this.end(`worker closed ${code}`);
    return true;
  }

  private onData(chunk: Buffer): void {
    if (this.ending) return;
    const { metrics, now } = this.deps;
    const t = now();
    this.lastActivity = t;
    this.flow?.heard(t);
    metrics.tcp.bytes.in += chunk.length;
    for (const e of this.framer.push(chunk)) {
      if (this.ending) return;
      if (e.kind === 'ping') {
        metrics.keepalives++;
        this.write(CRLF);
      } else if (e.kind === 'error') {
        this.onFramingError(e.reason, e.head);
      } else {
        this.onMessage(Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength), t);
      }
    }
  }

  private onMessage(bytes: Buffer, t: number): void {
    const { metrics, log, limiter } = this.deps;
    metrics.tcp.messages.in++;
    if (!limiter.allow(this.id, t)) return metrics.drop('rate_limited');
    const msg = inspectMessage(bytes);
    if (msg === 'not_sip') {
      metrics.drop('not_sip');
      log.debug('closing a TCP connection that sent something framed but not SIP', { from: this.id, size: bytes.length });
      return this.end('not SIP');
    }
    this.deps.hep?.capture('in', this.source, bytes, this.deps.hepLeg);
    this.flow ??= new Flow(this.source, this.id, { ...this.deps, sendToDevice: (b) => this.write(b), stream: this });
    this.flow.fromDevice(bytes, msg);
  }

  private onFramingError(reason: FrameError, head: Uint8Array | null): void {
    this.deps.metrics.tcp.framingErrors[reason]++;
    this.deps.log.info('tcp stream lost its framing, closing', { from: this.id, reason });
    const answer = head === null ? null : framingAnswer(head, reason);
    if (answer !== null) this.write(answer);
    this.end(reason);
  }

  /** Write to the device; a device that does not read (more than `bufferBytes` queued) is disconnected. */
  private write(bytes: Uint8Array): void {
    if (this.ending || this.socket.destroyed) return;
    const { metrics, config } = this.deps;
    if (this.socket.writableLength + bytes.length > config.bufferBytes) {
      metrics.drop('buffer_full');
      this.deps.log.warn('tcp device does not read its messages, closing', { from: this.id, queued: this.socket.writableLength });
      this.socket.destroy();
      return;
    }
    metrics.tcp.messages.out++;
    metrics.tcp.bytes.out += bytes.length;
    this.lastActivity = this.deps.now();
    if (this.deps.hep !== null && bytes !== CRLF) this.deps.hep.capture('out', this.source, bytes, this.deps.hepLeg);
    this.socket.write(bytes);
  }

  /** Stop reading, flush what was written, then close (destroyed after a grace period). */
  private end(reason: string): void {
    if (this.ending) return;
    this.ending = true;
    this.deps.log.debug('ending tcp connection', { from: this.id, reason });
    this.socket.end();
    setTimeout(() => this.socket.destroy(), END_GRACE_MS).unref();
  }

  private onClosed(): void {
    if (this.gone) return;
    this.gone = true;
    this.ending = true;
    this.deps.gone(this);
    // Already closing with another code (silence, shutdown) keeps that code: a WebSocket closes once.
    void this.flow?.close(CONNECTION_CLOSED_REASON, CONNECTION_CLOSED_CLOSE_CODE);
  }
}
