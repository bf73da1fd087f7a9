/**
 * One Durable Object per WebSocket connection (a flow): it owns the
 * hibernatable socket, frames SIP messages (RFC 7118), answers what needs no
 * state (keep-alives, challenges, OPTIONS) and hands the rest to AOR objects.
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.js';
import { readConfig, type Config } from '../config.js';
import { log } from '../log.js';
import { SipError } from '../sip/errors.js';
import type { SipMessage, SipRequest, SipResponse } from '../sip/message.js';
import { parseMessage } from '../sip/parse.js';
import { createResponse, errorResponse } from '../sip/response.js';
import { validateRequest, validateResponse, type RequestEssentials } from '../sip/validate.js';
import { parseBranch } from '../proxy/branch.js';
import type { Flow, FlowTransport } from '../transport/flow.js';
import { stampReceived } from '../transport/received.js';
import { classifyFrame, encodeFrame } from '../transport/ws-frames.js';
import { FlowLimits } from '../transport/flow-limits.js';
import { NonceCounts } from '../auth/nonce-counts.js';
import { UdpFlowAors } from './udp-flow-aors.js';
import { FlowRouter, type FlowHost } from './flow-routing.js';
import { handleRegister } from './flow-register.js';
import type { AorRegisterReply } from './aor-object.js';
import { aorStub, aorStubById, flowStub } from './stubs.js';
import { MetricsBuffer, METRIC_SHARDS, methodLabel } from './metrics-object.js';
import { checkExtensions } from '../proxy/request-checks.js';

/** State of the connection that survives hibernation (socket attachment, ≤ 16 KiB). */
interface FlowAttachment {
  flow: Flow;
  /**
   * AORs that hold a binding on this WebSocket flow: told when the flow closes. A bridged UDP flow keeps
   * its AORs in storage instead ({@link UdpFlowAors}).
   */
  aors: string[];
}

/** Headers the Worker sets when it hands an upgrade to a flow (never trusted from clients). */
export const FLOW_HEADERS = {
  transport: 'x-edge-flow-transport',
  ip: 'x-edge-flow-ip',
  port: 'x-edge-flow-port',
  advertise: 'x-edge-flow-advertise',
} as const;

/** Methods this service answers or relays, for `Allow` (RFC 3261 §20.5). */
export const ALLOWED_METHODS = 'REGISTER, OPTIONS, INVITE, ACK, BYE, CANCEL, MESSAGE, INFO, UPDATE, PRACK, REFER, NOTIFY, SUBSCRIBE';

/** A WebSocket connection's object. Named by a unique id per connection. */
export class FlowObject extends DurableObject<Env> {
  private readonly config: Config;
  /** Frames that could not be answered, since this instance woke (counted; the first ones logged). */
  private dropped = 0;
  /** Proxy transactions of requests this flow's peer sent (in memory: they live seconds to minutes). */
  private readonly router = new FlowRouter();
  private readonly metrics: MetricsBuffer;
  /** Flood and password-guessing bounds of this connection. */
  private readonly limits: FlowLimits;
  /** Set when the peer failed authentication too often: the connection closes after the answer. */
  private banned = false;
  /** Nonce counts of this flow's nonces since the object woke (memory only: older nonces get stale=true). */
  private readonly nonces: NonceCounts;
  /** Socket attachments read since the object woke: deserialized once, not on every message. */
  private readonly attachments = new WeakMap<WebSocket, FlowAttachment>();
  /** A bridged UDP flow's AORs (unused by WebSocket flows, which then never touch storage). */
  private readonly udpAors: UdpFlowAors;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = readConfig(env);
    this.limits = new FlowLimits(this.config.flowLimits, Date.now());
    this.nonces = new NonceCounts(Date.now(), this.config.nonceTtlMs);
    this.udpAors = new UdpFlowAors(ctx.storage.sql, () => ctx.getWebSockets().flatMap((ws) => this.attachment(ws)?.aors ?? []));
    this.metrics = new MetricsBuffer(env, Number.parseInt(ctx.id.toString().slice(-2), 16) % METRIC_SHARDS);
    // RFC 5626 §4.4.1 CRLF keep-alive answered by the runtime, without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('\r\n\r\n', '\r\n'));
  }

  /** Accept the WebSocket upgrade the Worker routed here (subprotocol already checked). */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('Expected a WebSocket upgrade', { status: 426 });
    }
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const port = Number.parseInt(request.headers.get(FLOW_HEADERS.port) ?? '', 10);
    const flow: Flow = {
      id: this.ctx.id.toString(),
      transport: (request.headers.get(FLOW_HEADERS.transport) ?? 'WS') as FlowTransport,
      remoteIp: request.headers.get(FLOW_HEADERS.ip) ?? '0.0.0.0',
      remotePort: Number.isInteger(port) && port > 0 && port < 65536 ? port : null,
      advertise: request.headers.get(FLOW_HEADERS.advertise),
      connectedAt: Date.now(),
    };
    // A bridged UDP device reconnects to the same object: the newest socket replaces the old ones, and the
    // AORs registered on the flow, whose bindings outlived the old socket, are in storage.
    if (flow.transport === 'UDP') this.udpAors.load();
    for (const old of this.ctx.getWebSockets()) old.close(1000, 'replaced by a new connection');
    this.ctx.acceptWebSocket(server);
    this.attach(server, { flow, aors: [] });
    this.metrics.inc(`sip_connections_opened_total{transport="${flow.transport}"}`);
    this.flushMetrics(true);
    return new Response(null, { status: 101, webSocket: client, headers: { 'Sec-WebSocket-Protocol': 'sip' } });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    try {
      await this.onFrame(ws, data);
    } finally {
      this.flushMetrics(false);
    }
  }

  private flushMetrics(force: boolean): void {
    const pending = this.metrics.flush(Date.now(), force);
    if (pending) this.ctx.waitUntil(pending);
  }

  private async onFrame(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const att = this.attachment(ws)!;
    const frame = classifyFrame(data);
    if (frame.kind === 'keepalive') {
      if (frame.reply !== null) ws.send(frame.reply);
      return;
    }
    if (frame.kind === 'too-large') {
      const head = parseMessage(frame.head);
      const req = head.ok ? (head.value.type === 'request' ? head.value : undefined) : head.error.request;
      if (req) this.send(ws, errorResponse(req, new SipError(400, `Bad Request (message over the 65536-byte frame limit)`)));
      else this.drop(att.flow, `frame of ${frame.bytes} bytes over the limit`);
      return;
    }
    const admitted = this.limits.admit(Date.now());
    const parsed = parseMessage(frame.data);
    if (!admitted) {
      // Over the connection's rate: a request still gets an answer, so a well-behaved client backs off.
      this.metrics.inc('sip_rate_limited_total');
      const req = parsed.ok ? (parsed.value.type === 'request' ? parsed.value : undefined) : parsed.error.request;
      if (req && req.method !== 'ACK') this.send(ws, errorResponse(req, new SipError(503, 'Service Unavailable (rate limit)', [['Retry-After', '5']])));
      return;
    }
    if (!parsed.ok) {
      const { request, reason, status } = parsed.error;
      if (request) this.send(ws, errorResponse(request, new SipError(status, reason)));
      else this.drop(att.flow, reason);
      return;
    }
    const msg: SipMessage = parsed.value;
    this.metrics.inc(msg.type === 'request' ? `sip_requests_received_total{method="${methodLabel(msg.method)}"}` : 'sip_responses_received_total');
    if (msg.type === 'response') {
      await this.onResponse(att, msg);
      return;
    }
    const res = await this.onRequest(ws, att, msg);
    if (res) {
      this.metrics.inc(`sip_local_responses_total{status="${res.status}"}`);
      this.send(ws, res);
    }
    if (this.banned) {
      this.metrics.inc('sip_connections_banned_total');
      log('warn', 'too many failed authentications, closing', { flow: att.flow.id });
      ws.close(1008, 'too many failed authentications');
    }
  }

  /**
   * A response from this flow's peer to a request we forwarded to it: our Via
   * names the object holding the transaction (RFC 3261 §16.7 step 3: remove
   * our Via, then hand the response to that transaction).
   */
  private async onResponse(att: FlowAttachment, res: SipResponse): Promise<void> {
    const checked = validateResponse(res);
    const branch = checked.ok ? checked.value.vias[0]?.params.get('branch') : null;
    const info = parseBranch(branch);
    // A proxied request's response still carries the caller's Via under ours; the platform's own requests have only ours.
    if (!checked.ok || !info || (info.origin === 'flow' && checked.value.vias.length < 2)) {
      this.drop(att.flow, checked.ok ? 'response not for us' : checked.error);
      return;
    }
    res.headers.shift('via');
    try {
      if (info.origin === 'flow' && info.objectId === att.flow.id) this.router.onBranchResponse(branch!, res);
      else if (info.origin === 'flow') await flowStub(this.env, info.objectId).onBranchResponse(branch!, encodeFrame(res));
      else await aorStubById(this.env, info.objectId).onBranchResponse(branch!, encodeFrame(res));
    } catch (err) {
      this.drop(att.flow, `response could not be relayed: ${String(err)}`);
    }
  }

  /** RPC: send a message (already framed) to this flow's peer. False when the peer is gone. */
  async deliver(data: string | Uint8Array): Promise<boolean> {
    const ws = this.socket();
    if (!ws) return false;
    ws.send(data);
    return true;
  }

  /** RPC: a response to a request this flow forwarded, relayed by the flow it arrived on. */
  async onBranchResponse(branch: string, data: string | Uint8Array): Promise<void> {
    const parsed = parseMessage(data);
    if (parsed.ok && parsed.value.type === 'response') this.router.onBranchResponse(branch, parsed.value);
  }

  /** The newest open socket (a bridged device may have reconnected). */
  private socket(): WebSocket | null {
    const all = this.ctx.getWebSockets();
    for (let i = all.length - 1; i >= 0; i--) if (all[i]!.readyState === WebSocket.READY_STATE_OPEN) return all[i]!;
    return null;
  }

  private host(ws: WebSocket, att: FlowAttachment): FlowHost {
    return {
      env: this.env, config: this.config, flow: att.flow, hasAor: (aor) => this.hasAor(att, aor),
      sendToPeer: (msg) => this.send(this.socket() ?? ws, msg),
      authResult: (ok) => this.authResult(ok), nonces: this.nonces,
    };
  }

  private authResult(ok: boolean): void {
    if (!ok) this.metrics.inc('sip_auth_failures_total');
    if (this.limits.authenticated(ok)) this.banned = true;
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // Reciprocate the close handshake, or clients wait for it until they time out.
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, 'bye');
    } catch {
      // already closing
    }
    await this.closed(ws, code);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.closed(ws, 1006);
  }

  private async closed(ws: WebSocket, code: number): Promise<void> {
    const att = this.attachment(ws);
    if (!att) return;
    // A bridged UDP device outlives the bridge's WebSocket: its bindings expire on their own.
    if (att.flow.transport !== 'UDP') await Promise.all(att.aors.map((aor) => this.aor(aor).flowClosed(att.flow.id)));
    log('info', 'flow closed', { flow: att.flow.id, code, aors: att.flow.transport === 'UDP' ? this.udpAors.size : att.aors.length });
    this.metrics.inc(`sip_connections_closed_total{transport="${att.flow.transport}"}`);
    this.flushMetrics(true);
  }

  /** Handle one request; returns the response to send, if any. Errors map to responses here only. */
  private async onRequest(ws: WebSocket, att: FlowAttachment, req: SipRequest): Promise<SipResponse | null> {
    try {
      const checked = validateRequest(req);
      if (!checked.ok) throw checked.error;
      const ess = checked.value;
      stampReceived(req, ess.vias[0]!, att.flow);
      checkExtensions(req, ess);
      switch (req.method) {
        case 'REGISTER':
          return await handleRegister({
            config: this.config,
            flow: att.flow,
            nonces: this.nonces,
            register: async (aor, input) => (await this.aor(aor).register(input)) as AorRegisterReply,
            track: (aor, bound) => this.trackAor(ws, aor, bound),
            authResult: (ok) => this.authResult(ok),
          }, req, ess);
        case 'MESSAGE':
          if (this.isForPlatform(ess)) return await this.deviceMessage(att, req, ess);
          return await this.router.route(req, ess, this.host(ws, att));
        case 'OPTIONS':
          if (ess.requestUri.user === null && !req.headers.has('route') && this.router.isLocal(ess.requestUri, this.host(ws, att))) {
            return createResponse(req, 200, {
              headers: [['Allow', ALLOWED_METHODS], ['Accept', 'application/sdp, text/plain, application/MANSCDP+xml'], ['Supported', 'path, outbound']],
            });
          }
          return await this.router.route(req, ess, this.host(ws, att));
        default:
          return await this.router.route(req, ess, this.host(ws, att));
      }
    } catch (err) {
      if (err instanceof SipError) return errorResponse(req, err);
      log('error', 'request failed', { flow: att.flow.id, method: req.method, callId: req.headers.get('call-id'), error: String(err) });
      return errorResponse(req, new SipError(500, 'Server Internal Error'));
    }
  }

  /** A request addressed to the GB/T 28181 platform itself (its ID in the Request-URI). */
  private isForPlatform(ess: RequestEssentials): boolean {
    const gb = this.config.gb;
    return gb !== null && ess.requestUri.user === gb.platformId;
  }

  /**
   * A MESSAGE from a device to the platform (keepalive, query answers): only
   * from a device registered on this flow, else 404 (GB/T 28181 §9.6).
   */
  private async deviceMessage(att: FlowAttachment, req: SipRequest, ess: RequestEssentials): Promise<SipResponse> {
    const gb = this.config.gb!;
    const device = ess.from.uri.user;
    const aor = device ? `sip:${device}@${gb.realm}` : '';
    if (!this.hasAor(att, aor)) throw new SipError(404, 'Not Found (device not registered)');
    // slice(): a parsed body may be a view into a shared slab, and RPC would copy the whole slab.
    const r = await this.aor(aor).gbMessage(req.body.slice(), req.headers.get('content-type') ?? null);
    return createResponse(req, r.status, { reason: r.reason });
  }

  /** Whether `aor` has a binding on this flow. */
  private hasAor(att: FlowAttachment, aor: string): boolean {
    return att.flow.transport === 'UDP' ? this.udpAors.has(aor) : att.aors.includes(aor);
  }

  /** Record whether `aor` has a binding on this flow. Reads the latest attachment: REGISTERs run concurrently. */
  private trackAor(ws: WebSocket, aor: string, bound: boolean): void {
    const att = this.attachment(ws)!;
    if (this.hasAor(att, aor) === bound) return;
    if (att.flow.transport === 'UDP') {
      this.udpAors.set(aor, bound);
      return;
    }
    this.attach(ws, { ...att, aors: bound ? [...att.aors, aor] : att.aors.filter((a) => a !== aor) });
  }

  /** The socket's attachment (hibernation-proof state), from memory once read. */
  private attachment(ws: WebSocket): FlowAttachment | null {
    let att = this.attachments.get(ws);
    if (att === undefined) {
      att = (ws.deserializeAttachment() as FlowAttachment | null) ?? undefined;
      if (att !== undefined) this.attachments.set(ws, att);
    }
    return att ?? null;
  }

  /** Replace the socket's attachment, in memory and in the runtime (it must survive hibernation). */
  private attach(ws: WebSocket, att: FlowAttachment): void {
    ws.serializeAttachment(att);
    this.attachments.set(ws, att);
  }

  private aor(aor: string) {
    return aorStub(this.env, aor);
  }

  /** Send a message on the socket: text frame when it is UTF-8, binary otherwise (RFC 7118 §5.1). */
  private send(ws: WebSocket, msg: SipMessage): void {
    try {
      ws.send(encodeFrame(msg));
    } catch (err) {
      this.drop(this.attachment(ws)!.flow, `send failed: ${String(err)}`);
    }
  }

  private drop(flow: Flow, reason: string): void {
    this.dropped++;
    this.metrics.inc('sip_frames_dropped_total');
    // Log the first few drops of a connection, then one in a hundred: a garbage flood must not flood the logs.
    if (this.dropped > 10 && this.dropped % 100 !== 0) return;
    log('warn', 'frame dropped', { flow: flow.id, reason });
  }
}
