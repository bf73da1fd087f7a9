/**
 * One Durable Object per WebSocket connection (a flow): it owns the hibernatable socket, frames SIP
 * messages (RFC 7118), answers what needs no other state (keep-alives, challenges, OPTIONS), answers what
 * a device does every minute from the leases its AORs lent it (refreshes, GB keepalives), and hands the
 * rest to AOR objects.
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.js';
import { readConfig, type Config } from '../config.js';
import { log } from '../log.js';
import { SipError } from '../sip/errors.js';
import type { SipMessage, SipRequest, SipResponse } from '../sip/message.js';
import { ALLOW, methodLabel } from '../sip/methods.js';
import { parseMessage } from '../sip/parse.js';
import { createResponse, errorResponse } from '../sip/response.js';
import { validateRequest, validateResponse } from '../sip/validate.js';
import { parseBranch } from '../proxy/branch.js';
import { checkExtensions } from '../proxy/request-checks.js';
import { applyLeaseUpdate, holdsLiveBinding, type Lease, type LeaseUpdate } from '../registrar/lease.js';
import { livenessTimeoutMs } from '../gb28181/device.js';
import type { Flow, FlowTransport } from '../transport/flow.js';
import { LIVENESS_CLOSE_CODE, livenessFrame } from '../transport/liveness.js';
import { stampReceived } from '../transport/received.js';
import { classifyFrame, encodeFrame } from '../transport/ws-frames.js';
import { FlowLimits } from '../transport/flow-limits.js';
import { NonceCounts } from '../auth/nonce-counts.js';
import { UdpFlowAors } from './udp-flow-aors.js';
import { FlowRouter, type FlowHost } from './flow-routing.js';
import { handleRegister, type RegisterHost } from './flow-register.js';
import { deviceMessage, type DeviceHost } from './flow-device.js';
import type { AorRegisterReply, FlowView } from './aor-leases.js';
import { AttachmentCache, type FlowAttachment } from './attachments.js';
import { aorStub, aorStubById, flowStub, metricsShard } from './stubs.js';
import { MetricsBuffer } from './metrics-buffer.js';
import { shardOf } from './metrics-object.js';
import { billRpcCalls, countedSql, Ledger, LEDGER } from './ledger.js';

/** Headers the Worker sets when it hands an upgrade to a flow (never trusted from clients). */
export const FLOW_HEADERS = {
  transport: 'x-edge-flow-transport',
  ip: 'x-edge-flow-ip',
  port: 'x-edge-flow-port',
  advertise: 'x-edge-flow-advertise',
} as const;

/** A WebSocket connection's object. Named by a unique id per connection, or `udp:ip:port` when bridged. */
export class FlowObject extends DurableObject<Env> {
  readonly #config: Config;
  /** Frames that could not be answered, since this instance woke (counted; the first ones logged). */
  #dropped = 0;
  /** Proxy transactions of requests this flow's peer sent (in memory: they live seconds to minutes). */
  readonly #router = new FlowRouter();
  #metrics: MetricsBuffer | null = null;
  readonly #limits: FlowLimits;
  /** Set when the peer failed authentication too often: the connection closes after the answer. */
  #banned = false;
  /** Nonce counts of this flow's nonces since the object woke (memory only: older nonces get stale=true). */
  readonly #nonces: NonceCounts;
  readonly #attachments = new AttachmentCache();
  /** A bridged UDP flow's AORs (unused by WebSocket flows, which then never touch storage). */
  readonly #udpAors: UdpFlowAors;
  readonly #ledger: Ledger;
  readonly [LEDGER]: Ledger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#config = readConfig(env);
    this.#limits = new FlowLimits(this.#config.flowLimits, Date.now());
    this.#nonces = new NonceCounts(Date.now(), this.#config.nonceTtlMs);
    this.#ledger = this[LEDGER] = new Ledger(this.#config.ledger, 'FlowObject', (n, by) => this.#counters().inc(n, Date.now(), by), () => this.#flushMetrics(true));
    this.#udpAors = new UdpFlowAors(countedSql(ctx.storage.sql, this.#ledger), () => ctx.getWebSockets().flatMap((ws) => this.#attachments.get(ws)?.aors ?? []));
    // RFC 5626 §4.4.1 CRLF keep-alive answered by the runtime, without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('\r\n\r\n', '\r\n'));
  }

  /** Accept the WebSocket upgrade the Worker routed here (subprotocol already checked). */
  override async fetch(request: Request): Promise<Response> {
    this.#ledger.fetch();
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
    if (flow.transport === 'UDP') this.#udpAors.load();
    const metrics = this.#counters().pending;
    for (const old of this.ctx.getWebSockets()) old.close(1000, 'replaced by a new connection');
    this.ctx.acceptWebSocket(server);
    this.#attachments.set(server, { flow, aors: [], leases: {}, metrics, liveness: null });
    this.#count(`sip_connections_opened_total{transport="${flow.transport}"}`);
    this.#flushMetrics(true);
    return new Response(null, { status: 101, webSocket: client, headers: { 'Sec-WebSocket-Protocol': 'sip' } });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    this.#ledger.wsMessage();
    try {
      await this.#onFrame(ws, data);
    } finally {
      this.#flushMetrics(this.#ledger.enabled);
      this.#keepMetrics(ws);
    }
  }

  /** RPC: send a message (already framed) to this flow's peer. False when the peer is gone, or `forAor`'s lease here has no live binding. */
  async deliver(data: string | Uint8Array, forAor?: string): Promise<boolean> {
    const ws = this.#socket();
    if (!ws) return false;
    const lease = forAor ? this.#attachments.get(ws)?.leases[forAor] : undefined;
    if (lease && !holdsLiveBinding(lease, Date.now())) {
      // The binding lapsed here while the AOR still holds it to the lease's horizon: tell the AOR.
      this.ctx.waitUntil(aorStub(this.env, forAor!).flowClosed(this.ctx.id.toString()).catch(() => undefined));
      this.#setLease(ws, forAor!, null);
      return false;
    }
    ws.send(data);
    return true;
  }

  /** RPC: a response to a request this flow forwarded, relayed by the flow it arrived on. */
  async onBranchResponse(branch: string, data: string | Uint8Array): Promise<void> {
    const parsed = parseMessage(data);
    if (parsed.ok && parsed.value.type === 'response') this.#router.onBranchResponse(branch, parsed.value);
  }

  /** RPC from an AOR: its lease here is revoked (null) or sees other contacts now. */
  async leaseUpdate(aor: string, update: LeaseUpdate): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) {
      const lease = this.#attachments.get(ws)?.leases[aor];
      if (lease) this.#setLease(ws, aor, applyLeaseUpdate(lease, update));
    }
  }

  /** RPC from an AOR: what this flow holds for it (real expiries, last keepalive), or that it is gone. */
  async leaseView(aor: string): Promise<FlowView> {
    const ws = this.#socket();
    // A bridged flow (named after the device address) outlives its sockets; a WebSocket flow dies with its one.
    if (!ws) return { gone: this.ctx.id.name === undefined, lease: null };
    const lease = this.#attachments.get(ws)?.leases[aor];
    return { gone: false, lease: lease ? { bindings: lease.bindings, device: lease.device } : null };
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // Reciprocate the close handshake, or clients wait for it until they time out.
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, 'bye');
    } catch {
      // already closing
    }
    await this.#closed(ws, code);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.#closed(ws, 1006);
  }

  /** A bridge connection that went away without a silence close: devices it carried are offline unless it came back. */
  override async alarm(): Promise<void> {
    this.#ledger.alarmFired();
    if (this.#socket() === null) await this.#silent();
    this.#ledger.done();
  }

  async #closed(ws: WebSocket, code: number): Promise<void> {
    const att = this.#attachments.get(ws);
    if (!att) return;
    const { flow } = att;
    if (flow.transport !== 'UDP') {
      await Promise.all(att.aors.map((aor) => aorStub(this.env, aor).flowClosed(flow.id).catch(() => undefined)));
    } else if (code === LIVENESS_CLOSE_CODE) {
      // A bridged device's bindings outlive the socket; silence makes it offline (GB/T 28181 §9.6).
      await this.#silent();
    } else if (att.liveness !== null && this.#socket() === null) {
      this.#ledger.alarmSet();
      await this.ctx.storage.setAlarm(Date.now() + att.liveness);
    }
    log('info', 'flow closed', { flow: flow.id, code, aors: flow.transport === 'UDP' ? this.#udpAors.size : att.aors.length });
    this.#count(`sip_connections_closed_total{transport="${flow.transport}"}`);
    this.#flushMetrics(true);
  }

  /** Tell the GB devices' AORs on this bridged flow that the device fell silent. */
  async #silent(): Promise<void> {
    const realm = this.#config.gb?.realm;
    const devices = realm ? [...this.#udpAors.load()].filter((aor) => aor.endsWith(`@${realm}`)) : [];
    await Promise.all(devices.map((aor) => aorStub(this.env, aor).flowSilent(this.ctx.id.toString()).catch(() => undefined)));
  }

  async #onFrame(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const att = this.#attachments.get(ws)!;
    const frame = classifyFrame(data);
    if (frame.kind === 'keepalive') {
      if (frame.reply !== null) ws.send(frame.reply);
      return;
    }
    if (frame.kind === 'too-large') {
      const head = parseMessage(frame.head);
      const req = head.ok ? (head.value.type === 'request' ? head.value : undefined) : head.error.request;
      if (req) this.#send(ws, errorResponse(req, new SipError(400, `Bad Request (message over the 65536-byte frame limit)`)));
      else this.#drop(att.flow, `frame of ${frame.bytes} bytes over the limit`);
      return;
    }
    const admitted = this.#limits.admit(Date.now());
    const parsed = parseMessage(frame.data);
    if (!admitted) {
      // Over the connection's rate: a request still gets an answer, so a well-behaved client backs off.
      this.#count('sip_rate_limited_total');
      const req = parsed.ok ? (parsed.value.type === 'request' ? parsed.value : undefined) : parsed.error.request;
      if (req && req.method !== 'ACK') this.#send(ws, errorResponse(req, new SipError(503, 'Service Unavailable (rate limit)', [['Retry-After', '5']])));
      return;
    }
    if (!parsed.ok) {
      const { request, reason, status } = parsed.error;
      if (request) this.#send(ws, errorResponse(request, new SipError(status, reason)));
      else this.#drop(att.flow, reason);
      return;
    }
    const msg: SipMessage = parsed.value;
    this.#count(msg.type === 'request' ? `sip_requests_received_total{method="${methodLabel(msg.method)}"}` : 'sip_responses_received_total');
    if (msg.type === 'response') {
      await this.#onResponse(att, msg);
      return;
    }
    const res = await this.#onRequest(ws, att, msg);
    if (res) {
      this.#count(`sip_local_responses_total{status="${res.status}"}`);
      this.#send(ws, res);
    }
    this.#tellLiveness(ws);
    if (this.#banned) {
      this.#count('sip_connections_banned_total');
      log('warn', 'too many failed authentications, closing', { flow: att.flow.id });
      ws.close(1008, 'too many failed authentications');
    }
  }

  /**
   * A response from this flow's peer to a request we forwarded to it: our Via names the object holding the
   * transaction (RFC 3261 §16.7 step 3: remove our Via, then hand the response to that transaction).
   */
  async #onResponse(att: FlowAttachment, res: SipResponse): Promise<void> {
    const checked = validateResponse(res);
    const branch = checked.ok ? checked.value.vias[0]?.params.get('branch') : null;
    const info = parseBranch(branch);
    // A proxied request's response still carries the caller's Via under ours; the platform's own requests have only ours.
    if (!checked.ok || !info || (info.origin === 'flow' && checked.value.vias.length < 2)) {
      this.#drop(att.flow, checked.ok ? 'response not for us' : checked.error);
      return;
    }
    res.headers.shift('via');
    try {
      if (info.origin === 'flow' && info.objectId === att.flow.id) this.#router.onBranchResponse(branch!, res);
      else if (info.origin === 'flow') await flowStub(this.env, info.objectId).onBranchResponse(branch!, encodeFrame(res));
      else await aorStubById(this.env, info.objectId).onBranchResponse(branch!, encodeFrame(res));
    } catch (err) {
      this.#drop(att.flow, `response could not be relayed: ${String(err)}`);
    }
  }

  /** Handle one request; returns the response to send, if any. Errors map to responses here only. */
  async #onRequest(ws: WebSocket, att: FlowAttachment, req: SipRequest): Promise<SipResponse | null> {
    try {
      const checked = validateRequest(req);
      if (!checked.ok) throw checked.error;
      const ess = checked.value;
      stampReceived(req, ess.vias[0]!, att.flow);
      checkExtensions(req, ess);
      switch (req.method) {
        case 'REGISTER':
          return await handleRegister(this.#registerHost(ws, att), req, ess);
        case 'MESSAGE':
          if (this.#config.gb && ess.requestUri.user === this.#config.gb.platformId) return await deviceMessage(this.#deviceHost(ws, att), req, ess, Date.now());
          return await this.#router.route(req, ess, this.#host(ws, att));
        case 'OPTIONS':
          if (ess.requestUri.user === null && !req.headers.has('route') && this.#router.isLocal(ess.requestUri, this.#host(ws, att))) {
            return createResponse(req, 200, {
              headers: [['Allow', ALLOW], ['Accept', 'application/sdp, text/plain, application/MANSCDP+xml'], ['Supported', 'path, outbound']],
            });
          }
          return await this.#router.route(req, ess, this.#host(ws, att));
        default:
          return await this.#router.route(req, ess, this.#host(ws, att));
      }
    } catch (err) {
      if (err instanceof SipError) return errorResponse(req, err);
      log('error', 'request failed', { flow: att.flow.id, method: req.method, callId: req.headers.get('call-id'), error: String(err) });
      return errorResponse(req, new SipError(500, 'Server Internal Error'));
    }
  }

  #leaseHost(ws: WebSocket) {
    return {
      lease: (aor: string): Lease | null => this.#attachments.get(ws)?.leases[aor] ?? null,
      setLease: (aor: string, lease: Lease | null) => this.#setLease(ws, aor, lease),
      canHoldLease: (aor: string) => AttachmentCache.hasRoom(this.#attachments.get(ws)!, aor),
    };
  }

  #registerHost(ws: WebSocket, att: FlowAttachment): RegisterHost {
    return {
      config: this.#config, flow: att.flow, nonces: this.#nonces, ...this.#leaseHost(ws),
      register: async (aor, input) => (await aorStub(this.env, aor).register(input)) as AorRegisterReply,
      track: (aor, bound) => this.#trackAor(ws, aor, bound),
      authResult: (ok) => this.#authResult(ok),
    };
  }

  #deviceHost(ws: WebSocket, att: FlowAttachment): DeviceHost {
    return {
      gb: this.#config.gb!, flowId: att.flow.id, hasAor: (aor) => this.#hasAor(att, aor), ...this.#leaseHost(ws),
      gbMessage: (aor, body, contentType, wantsLease) => aorStub(this.env, aor).gbMessage(body, contentType, att.flow.id, wantsLease),
    };
  }

  #host(ws: WebSocket, att: FlowAttachment): FlowHost {
    return {
      env: this.env, config: this.#config, flow: att.flow, hasAor: (aor) => this.#hasAor(att, aor),
      sendToPeer: (msg) => this.#send(this.#socket() ?? ws, msg),
      authResult: (ok) => this.#authResult(ok), nonces: this.#nonces,
    };
  }

  #authResult(ok: boolean): void {
    if (!ok) this.#count('sip_auth_failures_total');
    if (this.#limits.authenticated(ok)) this.#banned = true;
  }

  /** Keep or drop a lease in the socket's attachment (read fresh: requests run concurrently). */
  #setLease(ws: WebSocket, aor: string, lease: Lease | null): void {
    const att = this.#attachments.get(ws);
    if (!att || (lease === null && !(aor in att.leases))) return;
    const leases = { ...att.leases };
    if (lease && AttachmentCache.fits(att, lease)) leases[aor] = lease;
    else delete leases[aor];
    this.#attachments.set(ws, { ...att, leases });
  }

  /** A bridged flow carrying a GB device tells the bridge its liveness limit, once per socket. */
  #tellLiveness(ws: WebSocket): void {
    const att = this.#attachments.get(ws);
    const gb = this.#config.gb;
    if (!att || !gb || att.flow.transport !== 'UDP' || att.liveness !== null) return;
    if (![...this.#udpAors.load()].some((aor) => aor.endsWith(`@${gb.realm}`))) return;
    const timeoutMs = livenessTimeoutMs({ intervalSeconds: gb.keepaliveInterval, misses: gb.keepaliveMisses });
    ws.send(livenessFrame(timeoutMs));
    this.#attachments.set(ws, { ...att, liveness: timeoutMs });
  }

  /** Whether `aor` has a binding on this flow. */
  #hasAor(att: FlowAttachment, aor: string): boolean {
    return att.flow.transport === 'UDP' ? this.#udpAors.has(aor) : att.aors.includes(aor);
  }

  /** Record whether `aor` has a binding on this flow. Reads the latest attachment: REGISTERs run concurrently. */
  #trackAor(ws: WebSocket, aor: string, bound: boolean): void {
    const att = this.#attachments.get(ws)!;
    if (this.#hasAor(att, aor) === bound) return;
    if (att.flow.transport === 'UDP') {
      this.#udpAors.set(aor, bound);
      return;
    }
    this.#attachments.set(ws, { ...att, aors: bound ? [...att.aors, aor] : att.aors.filter((a) => a !== aor) });
  }

  /** The newest open socket (a bridged device may have reconnected). */
  #socket(): WebSocket | null {
    const all = this.ctx.getWebSockets();
    for (let i = all.length - 1; i >= 0; i--) if (all[i]!.readyState === WebSocket.READY_STATE_OPEN) return all[i]!;
    return null;
  }

  /** The counters, restored on wake from the newest socket's attachment. */
  #counters(): MetricsBuffer {
    if (this.#metrics === null) {
      const ws = this.ctx.getWebSockets().at(-1);
      const restored = ws ? this.#attachments.get(ws)?.metrics ?? undefined : undefined;
      const policy = this.#config.ledger ? { events: 1, ageMs: 0 } : this.#config.metricsFlush;
      this.#metrics = new MetricsBuffer(policy, (c) => metricsShard(this.env, shardOf(this.ctx.id.toString())).add(c), restored);
    }
    return this.#metrics;
  }

  #count(name: string): void {
    this.#counters().inc(name, Date.now());
  }

  /** Put the pending counters in the socket's attachment, so a hibernation loses none. */
  #keepMetrics(ws: WebSocket): void {
    const att = this.#attachments.get(ws);
    if (att) this.#attachments.set(ws, { ...att, metrics: this.#counters().pending });
  }

  #flushMetrics(force: boolean): void {
    const pending = this.#counters().flush(Date.now(), force);
    if (pending) this.ctx.waitUntil(pending);
  }

  /** Send a message on the socket: text frame when it is UTF-8, binary otherwise (RFC 7118 §5.1). */
  #send(ws: WebSocket, msg: SipMessage): void {
    try {
      ws.send(encodeFrame(msg));
    } catch (err) {
      this.#drop(this.#attachments.get(ws)!.flow, `send failed: ${String(err)}`);
    }
  }

  #drop(flow: Flow, reason: string): void {
    this.#dropped++;
    this.#count('sip_frames_dropped_total');
    // Log the first few drops of a connection, then one in a hundred: a garbage flood must not flood the logs.
    if (this.#dropped > 10 && this.#dropped % 100 !== 0) return;
    log('warn', 'frame dropped', { flow: flow.id, reason });
  }
}

billRpcCalls(FlowObject);
