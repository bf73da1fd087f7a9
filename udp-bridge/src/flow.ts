/**
 * One device flow: the WebSocket to the Worker for one UDP source address (or one TCP connection), its
 * reconnects, buffer and retransmission cache. @module
 */
import WebSocket, { type RawData } from 'ws';
import { backoffDelay } from './backoff.js';
import type { CacheBudget } from './cache-budget.js';
import type { BridgeConfig } from './config.js';
import { isControlFrame, parseControlFrame } from './control.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { ResponseCache } from './retransmissions.js';
import { RequestRetransmitter } from './request-retransmitter.js';
import { GrantedExpiresMemo } from './registration.js';
import { inspectMessage } from './sip-scan.js';
import type { SipSummary } from './sip-scan.js';
import type { Source } from './source.js';
import { Timers } from '../../src/sip/timers.js';
import { BRIDGE_TRANSPORT_HEADER } from '../../src/transport/flow.js';
import type { StreamFlow } from './tcp-connection.js';

/** What a flow needs from the bridge. */
export interface FlowDeps {
  config: BridgeConfig;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  /** Uniform in [0, 1), for reconnect jitter. */
  random: () => number;
  /** The bridge's address as devices reach it (`host:port`), sent to the Worker in `x-bridge-advertise`. */
  advertise: string | null;
  /** Send one datagram to this flow's device, from the bridge's listening socket. */
  sendToDevice: (bytes: Uint8Array) => void;
  /** The byte budget every flow's response cache shares. */
  cacheBudget: CacheBudget;
  /** Set for a device on a TCP connection (tcp-connection.ts): reliable, so nothing is retransmitted or absorbed. */
  stream?: StreamFlow;
}

/** WebSocket close code for a flow that is shut down on purpose ("going away", RFC 6455 §7.4.1). */
const CLOSE_GOING_AWAY = 1001;
/** How long {@link Flow.close} waits for the Worker's close frame before dropping the TCP connection. */
const CLOSE_GRACE_MS = 2_000;
/** Largest message accepted from the Worker; anything bigger could not be sent as one datagram anyway. */
const MAX_FRAME_BYTES = 256 * 1024;
/** Options of every datagram sent upstream (one object, not one per send). */
const BINARY = { binary: true } as const;
function toBytes(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? Buffer.from(data) : data;
}

/** One device, known by its source address, and its WebSocket to the Worker. */
export class Flow {
  /** `ip:port` as sent in `x-bridge-source`. */
  readonly id: string;
  /** Last datagram in or out (ms). */
  lastActivity: number;
  /** Last datagram of any kind received from the device (ms): keep-alives and retransmissions count too. */
  lastHeard: number;
  /** Close the flow when the device is silent for longer than this (ms), as the Worker asked; null: no limit. */
  livenessTimeoutMs: number | null = null;
  /** The device's registration is valid until then (ms); 0 when not registered through this flow. */
  registeredUntil = 0;
  private readonly granted = new GrantedExpiresMemo();
  readonly cache: ResponseCache;
  /** Retransmits requests the Worker sends to the device until it answers (UDP is lossy). */
  readonly retransmitter: RequestRetransmitter;

  private ws: WebSocket | null = null;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private failures = 0;
  /** When the current WebSocket opened; null while not open. */
  private openedAt: number | null = null;
  private attempts = 0;
  private closed = false;
  private awaitingPong = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;

  /** @param id the flow's key, `sourceKey(source)` (passed in because the bridge has computed it already). */
  constructor(
    readonly source: Source,
    id: string,
    private readonly deps: FlowDeps,
  ) {
    this.id = id;
    this.lastActivity = deps.now();
    this.lastHeard = this.lastActivity;
    this.cache = new ResponseCache(deps.config.retransmissionTtlMs, deps.now, { maxBytes: deps.config.cacheFlowBytes, budget: deps.cacheBudget });
    this.retransmitter = new RequestRetransmitter(
      (b) => deps.sendToDevice(b),
      { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as NodeJS.Timeout) },
      Timers.T1,
      Timers.T2,
      () => deps.metrics.requestRetransmissions++,
    );
    this.connect();
  }

  /** True while the WebSocket to the Worker is open. */
  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** A SIP datagram from the device (`msg` is its parse, for transaction matching); {@link heard} was called. */
  fromDevice(bytes: Uint8Array, msg: SipSummary | null): void {
    if (this.deps.stream) return void this.forward(bytes); // a reliable transport repeats nothing (RFC 3261 §17.2.1)
    if (msg?.type === 'request') {
      const decision = this.cache.onRequest(msg);
      if (decision.action === 'absorb') {
        this.deps.metrics.retransmissionsAbsorbed++;
        if (decision.replay !== null) this.deps.sendToDevice(decision.replay);
        return;
      }
      if (!this.forward(bytes) && decision.key !== null) this.cache.cancel(decision.key);
      return;
    }
    if (msg?.type === 'response') this.retransmitter.received(msg);
    this.forward(bytes);
  }

  /** Keep the flow from idling out (a datagram to the device). */
  touch(): void {
    this.lastActivity = this.deps.now();
  }

  /** The device sent a datagram at `now` (any datagram, even one that is then dropped, shows it is alive). */
  heard(now: number): void {
    this.lastHeard = now;
    this.lastActivity = now;
  }

  /** The Worker set a liveness limit and the device has been silent for longer than it. */
  isSilent(now: number): boolean {
    return this.livenessTimeoutMs !== null && now - this.lastHeard > this.livenessTimeoutMs;
  }

  /** Idle for longer than the idle timeout and not holding a valid registration. */
  isExpired(now: number): boolean {
    return now - this.lastActivity > this.deps.config.idleTimeoutMs && now > this.registeredUntil;
  }

  /** Close the WebSocket for good with `code` (default 1001); resolves when it is closed (or after a grace period). */
  close(reason: string, code = CLOSE_GOING_AWAY): Promise<void> {
    this.closed = true;
    this.stopTimers();
    this.retransmitter.clear();
    this.cache.clear(); // its bytes go back to the shared budget
    this.pending = [];
    this.pendingBytes = 0;
    const ws = this.ws;
    if (ws === null || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const force = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      ws.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      ws.close(code, reason);
    });
  }

  /** Send upstream now, or hold while (re)connecting. False when the buffer is full and the datagram was dropped. */
  private forward(bytes: Uint8Array): boolean {
    const ws = this.ws;
    if (ws !== null && ws.readyState === WebSocket.OPEN) {
      ws.send(bytes, BINARY);
      return true;
    }
    const { bufferMessages, bufferBytes } = this.deps.config;
    if (this.pending.length >= bufferMessages || this.pendingBytes + bytes.length > bufferBytes) {
      this.deps.metrics.drop('buffer_full');
      return false;
    }
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    return true;
  }

  /** A message from the Worker: one datagram to the device, and a look inside for the response cache. */
  private fromWorker(bytes: Buffer): void {
    this.touch();
    this.deps.sendToDevice(bytes);
    const res = inspectMessage(bytes);
    if (res === null || res === 'not_sip') return;
    if (res.type === 'request') {
      if (!this.deps.stream) this.retransmitter.sent(res, bytes); // over TCP, Timer A is not used (RFC 3261 §17.1.1.2)
      return;
    }
    if (!this.deps.stream) this.cache.onResponse(res, bytes);
    if (res.status >= 200 && res.status < 300 && /\sREGISTER\s*$/i.test(res.cseq ?? '')) {
      const seconds = this.granted.of(res);
      this.registeredUntil = seconds > 0 ? this.deps.now() + seconds * 1000 : 0;
    }
  }

  /** A control frame from the Worker (see control.ts): applied or counted, never sent to the device. */
  private onControl(bytes: Buffer): void {
    const { metrics, log } = this.deps;
    const result = parseControlFrame(bytes.toString('utf8'));
    if (!result.ok) {
      metrics.controlFrames[result.error]++;
      log.warn('ignored a control frame from the Worker', { flow: this.id, error: result.error, detail: result.error === 'malformed' ? result.reason : result.type });
      return;
    }
    metrics.controlFrames.liveness++;
    // The limit belongs to the device, so it outlives a reconnect; the Worker may send it again on the new socket.
    this.livenessTimeoutMs = result.frame.timeoutMs;
    log.debug('liveness limit set', { flow: this.id, timeoutMs: result.frame.timeoutMs });
  }

  private connect(): void {
    if (this.closed) return;
    const { config, log } = this.deps;
    if (this.attempts++ > 0) this.deps.metrics.reconnects++;
    const headers: Record<string, string> = { 'x-bridge-source': this.id };
    if (this.deps.advertise !== null) headers['x-bridge-advertise'] = this.deps.advertise;
    if (this.deps.stream) headers[BRIDGE_TRANSPORT_HEADER] = 'tcp';
    if (config.token !== null) headers.authorization = `Bearer ${config.token}`;
    const ws = new WebSocket(config.upstream, 'sip', {
      headers,
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
      maxPayload: MAX_FRAME_BYTES,
      // Frames from the Worker go to the device as bytes, so their UTF-8 is not our business (a GB2312 body).
      skipUTF8Validation: true,
    });
    ws.binaryType = 'nodebuffer';
    this.ws = ws;
    ws.on('open', () => this.onOpen(ws));
    ws.on('message', (data, isBinary) => {
      try {
        const bytes = toBytes(data);
        if (isControlFrame(bytes, isBinary)) this.onControl(bytes);
        else this.fromWorker(bytes);
      } catch (e) {
        log.error('failed to relay a message from the Worker', { flow: this.id, error: String(e) });
      }
    });
    ws.on('pong', () => {
      this.awaitingPong = false;
    });
    // Error messages from `ws` name the status or the socket error; they never contain our headers.
    ws.on('error', (err) => log.warn('upstream websocket error', { flow: this.id, error: err.message }));
    ws.on('close', (code) => this.onClose(ws, code));
  }

  private onOpen(ws: WebSocket): void {
    if (ws !== this.ws) return;
    this.openedAt = this.deps.now();
    this.deps.log.info('flow connected', { flow: this.id, attempt: this.attempts });
    for (const bytes of this.pending) ws.send(bytes, BINARY);
    this.pending = [];
    this.pendingBytes = 0;
    this.awaitingPong = false;
    this.pingTimer = setInterval(() => this.ping(ws), this.deps.config.pingIntervalMs);
    this.pingTimer.unref();
  }

  /** Ping the Worker; a ping still unanswered one interval later means the connection is dead. */
  private ping(ws: WebSocket): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (this.awaitingPong) {
      this.deps.log.warn('upstream ping timed out', { flow: this.id });
      ws.terminate();
      return;
    }
    this.awaitingPong = true;
    ws.ping();
  }

  private onClose(ws: WebSocket, code: number): void {
    if (ws !== this.ws) return;
    this.ws = null;
    this.stopTimers();
    // A connection that stayed up for a while resets the back-off; one that drops at once keeps growing it.
    if (this.openedAt !== null && this.deps.now() - this.openedAt >= this.deps.config.reconnectMaxMs) this.failures = 0;
    this.openedAt = null;
    // Requests sent on the lost socket will never be answered there: let their retransmissions through again.
    this.cache.forgetPending();
    if (!this.closed && this.deps.stream?.workerClosed(code) === true) this.closed = true;
    if (this.closed) return;
    const delay = backoffDelay(this.failures++, this.deps.config.reconnectMinMs, this.deps.config.reconnectMaxMs, this.deps.random());
    this.deps.log.info('flow disconnected, reconnecting', { flow: this.id, code, delayMs: delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private stopTimers(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.pingTimer = this.reconnectTimer = null;
  }
}
