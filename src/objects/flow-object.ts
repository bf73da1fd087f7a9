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
import { CAPABILITIES } from '../sip/methods.js';
import { parseMessage } from '../sip/parse.js';
import { createResponse, errorResponse } from '../sip/response.js';
import { validateRequest } from '../sip/validate.js';
import { checkExtensions } from '../proxy/request-checks.js';
import type { LeaseUpdate } from '../registrar/lease.js';
import { flowFromUpgrade, isBridged } from '../transport/flow.js';
import { decideFrame } from '../transport/frame-decision.js';
import { closeEffect } from '../transport/liveness.js';
import { stampReceived } from '../transport/received.js';
import { encodeFrame } from '../transport/ws-frames.js';
import { FlowLimits } from '../transport/flow-limits.js';
import { NonceCounts } from '../auth/nonce-counts.js';
import { echoGbVersion } from '../gb28181/version.js';
import { FlowAors, UdpFlowAors } from './udp-flow-aors.js';
import { FlowRouter } from './flow-routing.js';
import { handleRegister } from './flow-register.js';
import { deviceMessage } from './flow-device.js';
import { deviceHost, registerHost, routerHost, type FlowParts } from './flow-hosts.js';
import type { FlowView } from './aor-leases.js';
import { AttachmentCache, type FlowAttachment } from './attachments.js';
import { FlowCounters, requestCounter, responseCounter } from './flow-counters.js';
import { FlowLeases } from './flow-leases.js';
import { aorStub } from './stubs.js';
import { billRpcCalls, countedSql, Ledger, LEDGER } from './ledger.js';

/** A WebSocket connection's object. Named by a unique id per connection, or `udp:ip:port` when bridged. */
export class FlowObject extends DurableObject<Env> {
  readonly #config: Config;
  /** Proxy transactions of requests this flow's peer sent (in memory: they live seconds to minutes). */
  readonly #router = new FlowRouter();
  #limits: FlowLimits;
  /** Set when the peer failed authentication too often: the connection closes after the answer. */
  #banned = false;
  /** Nonce counts of this flow's nonces since the object woke (memory only: older nonces get stale=true). */
  readonly #nonces: NonceCounts;
  readonly #attachments = new AttachmentCache();
  readonly #leases = new FlowLeases(this.#attachments);
  readonly #counters: FlowCounters;
  readonly #aors: FlowAors;
  readonly #parts: FlowParts;
  readonly #ledger: Ledger;
  readonly [LEDGER]: Ledger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#config = readConfig(env);
    this.#limits = new FlowLimits(this.#config.flowLimits, Date.now());
    this.#nonces = new NonceCounts(Date.now(), this.#config.nonceTtlMs);
    this.#counters = new FlowCounters(ctx, env, this.#attachments, this.#config.ledger ? { events: 1, ageMs: 0 } : this.#config.metricsFlush);
    this.#ledger = this[LEDGER] = new Ledger(this.#config.ledger, 'FlowObject', (n, by) => this.#counters.inc(n, by), () => this.#settle(this.#socket(), true));
    const udp = new UdpFlowAors(countedSql(ctx.storage.sql, this.#ledger), () => ctx.getWebSockets().flatMap((ws) => this.#attachments.get(ws)?.aors ?? []));
    this.#aors = new FlowAors(this.#attachments, udp);
    this.#parts = {
      env, config: this.#config, nonces: this.#nonces, leases: this.#leases, aors: this.#aors, attachments: this.#attachments,
      authResult: (ok) => this.#authResult(ok), send: (ws, msg) => this.#send(this.#socket() ?? ws, msg),
    };
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
    const flow = flowFromUpgrade((name) => request.headers.get(name), this.ctx.id.toString(), Date.now());
    // A bridged UDP device reconnects to the same object: the newest socket replaces the old ones, and the
    // AORs registered on the flow, whose bindings outlived the old socket, are in storage.
    if (isBridged(flow.transport)) this.#aors.udp.load();
    const metrics = this.#counters.buffer.pending;
    for (const old of this.ctx.getWebSockets()) old.close(1000, 'replaced by a new connection');
    // A connection's bounds are its own: a bridged device's new socket does not inherit the old one's ban.
    this.#limits = new FlowLimits(this.#config.flowLimits, Date.now());
    this.#banned = false;
    this.ctx.acceptWebSocket(server);
    this.#attachments.set(server, { flow, aors: [], leases: {}, metrics, liveness: null });
    this.#counters.inc(`sip_connections_opened_total{transport="${flow.transport}"}`);
    // Sent at once (one shard RPC a connection), as the close is: opened minus closed is the open connections.
    this.#settle(server, true);
    return new Response(null, { status: 101, webSocket: client, headers: { 'Sec-WebSocket-Protocol': 'sip' } });
  }

  /** A frame; settled (counters, attachment) when its handling ends, synchronously when nothing awaited. */
  override webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): void | Promise<void> {
    this.#ledger.wsMessage();
    let pending: Promise<void> | void = undefined;
    try {
      pending = this.#onFrame(ws, data);
    } finally {
      if (!pending) this.#settle(ws, this.#ledger.enabled);
    }
    return pending?.finally(() => this.#settle(ws, this.#ledger.enabled));
  }

  /** RPC: send a message (already framed) to this flow's peer. False when the peer is gone, or `forAor`'s lease here has no live binding. */
  async deliver(data: string | Uint8Array, forAor?: string): Promise<boolean> {
    const ws = this.#socket();
    if (forAor && this.#leases.lapsed(ws, forAor, this.ctx.id.name !== undefined, Date.now())) {
      // Tell the AOR, so it stops offering a binding it holds to the lease's horizon.
      this.ctx.waitUntil(aorStub(this.env, forAor).flowClosed(this.ctx.id.toString(), 'registration expired').catch(() => undefined));
      this.#attachments.flush();
      return false;
    }
    if (!ws) return false;
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
    this.#leases.update(this.ctx.getWebSockets(), aor, update);
    this.#attachments.flush();
  }

  /** RPC from an AOR: what this flow holds for it (real expiries, last keepalive), or that it is gone. */
  async leaseView(aor: string): Promise<FlowView> {
    // A bridged flow (named after the device address) outlives its sockets; a WebSocket flow dies with its one.
    return this.#leases.view(this.#socket(), aor, this.ctx.id.name !== undefined);
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
    const effect = closeEffect(flow.transport, code, att.liveness, this.#socket() !== null);
    if (effect === 'unbind') await Promise.all(this.#aors.unbindAll(att).map((aor) => aorStub(this.env, aor).flowClosed(flow.id).catch(() => undefined)));
    if (effect === 'silent') await this.#silent();
    if (effect === 'watch') {
      this.#ledger.alarmSet();
      await this.ctx.storage.setAlarm(Date.now() + att.liveness!);
    }
    log('info', 'flow closed', { flow: flow.id, code, aors: isBridged(flow.transport) ? this.#aors.udp.size : att.aors.length });
    this.#counters.inc(`sip_connections_closed_total{transport="${flow.transport}"}`);
    this.#counters.settle(null, true);
  }

  /** Tell the GB devices' AORs on this bridged flow that the device fell silent. */
  async #silent(): Promise<void> {
    const devices = this.#aors.devices(this.#config.gb?.realm);
    await Promise.all(devices.map((aor) => aorStub(this.env, aor).flowSilent(this.ctx.id.toString()).catch(() => undefined)));
  }

  /**
   * Frame in → one pure decision (`decideFrame`) → effects; requests and responses go on to their handlers.
   * What needs no other object is answered synchronously; a promise only when something is awaited.
   */
  #onFrame(ws: WebSocket, data: string | ArrayBuffer): Promise<void> | void {
    // Frames that arrived after we closed this socket (a ban, a replacement) are not handled, nor counted again.
    if (ws.readyState !== WebSocket.READY_STATE_OPEN) return;
    const att = this.#attachments.get(ws)!;
    const d = decideFrame(data, () => this.#limits.admit(Date.now()));
    if (d.kind === 'keepalive') {
      if (d.reply !== null) ws.send(d.reply);
      return;
    }
    if (d.kind === 'shed') return this.#counters.inc('sip_rate_limited_total');
    if (d.kind === 'drop') return this.#counters.drop(att.flow, d.reason);
    if (d.kind === 'answer') {
      if (d.counter) this.#counters.inc(d.counter);
      return this.#send(ws, d.response);
    }
    const msg = d.message;
    this.#counters.inc(msg.type === 'request' ? requestCounter(msg.method) : 'sip_responses_received_total');
    if (msg.type === 'response') {
      return this.#router.relay(msg, { env: this.env, flow: att.flow }).then((dropped) => {
        if (dropped) this.#counters.drop(att.flow, dropped);
      });
    }
    const res = this.#onRequest(ws, att, msg);
    if (res instanceof Promise) return res.then((r) => this.#answered(ws, att, r));
    this.#answered(ws, att, res);
  }

  /** After a request: its answer sent, the bridge told its liveness limit, a banned peer's connection closed. */
  #answered(ws: WebSocket, att: FlowAttachment, res: SipResponse | null): void {
    if (res) {
      this.#counters.inc(responseCounter(res.status));
      this.#send(ws, res);
    }
    this.#leases.tellLiveness(ws, this.#config.gb, () => this.#aors.udp.load());
    if (this.#banned) {
      this.#counters.inc('sip_connections_banned_total');
      log('warn', 'too many failed authentications, closing', { flow: att.flow.id });
      ws.close(1008, 'too many failed authentications');
    }
  }

  /** Handle one request; returns the response to send, if any (a promise when it awaits another object). */
  #onRequest(ws: WebSocket, att: FlowAttachment, req: SipRequest): SipResponse | null | Promise<SipResponse | null> {
    const echo = (res: SipResponse | null) => (res ? echoGbVersion(req, res) : res); // GB/T 28181-2022 Annex I
    try {
      const res = this.#dispatch(ws, att, req);
      return res instanceof Promise ? res.catch((err: unknown) => this.#failed(att, req, err)).then(echo) : echo(res);
    } catch (err) {
      return echo(this.#failed(att, req, err));
    }
  }

  #dispatch(ws: WebSocket, att: FlowAttachment, req: SipRequest): SipResponse | null | Promise<SipResponse | null> {
    const checked = validateRequest(req);
    if (!checked.ok) throw checked.error;
    const ess = checked.value;
    stampReceived(req, ess.vias[0]!, att.flow);
    checkExtensions(req, ess);
    switch (req.method) {
      case 'REGISTER':
        return handleRegister(registerHost(this.#parts, ws, att), req, ess);
      case 'MESSAGE':
        if (this.#config.gb && ess.requestUri.user === this.#config.gb.platformId) return deviceMessage(deviceHost(this.#parts, ws, att), req, ess, Date.now());
        return this.#router.route(req, ess, routerHost(this.#parts, ws, att));
      case 'OPTIONS':
        // To the service itself (no user): its capabilities (RFC 3261 §11.2); else relayed like any request.
        if (ess.requestUri.user === null && !req.headers.has('route') && this.#router.isLocal(ess.requestUri, routerHost(this.#parts, ws, att))) return createResponse(req, 200, { headers: CAPABILITIES });
        return this.#router.route(req, ess, routerHost(this.#parts, ws, att));
      default:
        return this.#router.route(req, ess, routerHost(this.#parts, ws, att));
    }
  }

  /** Errors map to responses here only: a SipError to its response, anything else to a logged 500. */
  #failed(att: FlowAttachment, req: SipRequest, err: unknown): SipResponse {
    if (err instanceof SipError) return errorResponse(req, err);
    log('error', 'request failed', { flow: att.flow.id, method: req.method, callId: req.headers.get('call-id'), error: String(err) });
    return errorResponse(req, new SipError(500, 'Server Internal Error'));
  }

  #authResult(ok: boolean): void {
    if (!ok) this.#counters.inc('sip_auth_failures_total');
    if (this.#limits.authenticated(ok)) this.#banned = true;
  }

  /** The end of an event: counters sent if due, and the attachment written once if anything changed. */
  #settle(ws: WebSocket | null, force: boolean): void {
    this.#counters.settle(ws, force);
    this.#attachments.flush();
  }

  /** The newest open socket (a bridged device may have reconnected). */
  #socket(): WebSocket | null {
    const all = this.ctx.getWebSockets();
    for (let i = all.length - 1; i >= 0; i--) if (all[i]!.readyState === WebSocket.READY_STATE_OPEN) return all[i]!;
    return null;
  }

  /** Send a message on the socket: text frame when it is UTF-8, binary otherwise (RFC 7118 §5.1). */
  #send(ws: WebSocket, msg: SipMessage): void {
    try {
      ws.send(encodeFrame(msg));
    } catch (err) {
      this.#counters.drop(this.#attachments.get(ws)!.flow, `send failed: ${String(err)}`);
    }
  }
}

billRpcCalls(FlowObject);
