/**
 * What a FlowObject lends the code that handles a request on one of its sockets: REGISTER processing, device
 * MESSAGEs and proxy routing each get the narrow view they need of the flow's parts, built here (once per
 * socket) so the object itself stays a shell.
 * @module
 */
import type { Env } from '../env.js';
import type { Config } from '../config.js';
import type { NonceCounts } from '../auth/nonce-counts.js';
import type { SipMessage } from '../sip/message.js';
import type { AorRegisterReply } from './aor-leases.js';
import type { Lease } from '../registrar/lease.js';
import type { AttachmentCache, FlowAttachment } from './attachments.js';
import type { DeviceHost } from './flow-device.js';
import type { GbOutcome } from './aor-gb.js';
import type { FlowLeases } from './flow-leases.js';
import type { RegisterHost, SourceGuard } from './flow-register.js';
import type { FlowHost } from './flow-routing.js';
import type { FlowAors } from './udp-flow-aors.js';
import type { FlowTrace } from './flow-trace.js';
import { aorStub, guardStub } from './stubs.js';

/** The parts of a flow object the hosts are made of. */
export interface FlowParts {
  env: Env;
  config: Config;
  nonces: NonceCounts;
  leases: FlowLeases;
  aors: FlowAors;
  /** The sockets' attachments (read fresh: requests run concurrently). */
  attachments: AttachmentCache;
  /** Outcome of presented credentials, for the connection's own bound. */
  authResult(ok: boolean): void;
  /** Send to the peer on its newest socket (`ws` when it is the only one). */
  send(ws: WebSocket, msg: SipMessage): void;
  /** The flow's part in live traces. */
  trace: FlowTrace;
}

/** The guard of the peer's address: its failed authentications across every connection and bridge flow. */
function guardOf(p: FlowParts, ip: string): SourceGuard {
  return {
    attempt: (aor) => guardStub(p.env, ip).attempt(aor),
    settle: (aor, ok) => guardStub(p.env, ip).settle(aor, ok),
    failed: (aor) => guardStub(p.env, ip).failed(aor),
  };
}

/**
 * The hosts of one socket, built on its first request and kept while the socket lives: a request costs no
 * closures. Per-socket state is read when used (the attachment changes under concurrent requests), never
 * captured; the flow itself is fixed for the socket's life.
 */
interface SocketHosts {
  register: RegisterHost;
  device: DeviceHost | null;
  router: FlowHost;
}

const hosts = new WeakMap<WebSocket, SocketHosts>();

function hostsOf(p: FlowParts, ws: WebSocket, att: FlowAttachment): SocketHosts {
  let h = hosts.get(ws);
  if (h !== undefined) return h;
  const { flow } = att;
  const current = (): FlowAttachment => p.attachments.get(ws) ?? att;
  const hasAor = (aor: string): boolean => p.aors.has(current(), aor);
  const lease = (aor: string) => p.leases.get(ws, aor);
  const setLease = (aor: string, l: Lease | null): void => p.leases.set(ws, aor, l);
  const canHoldLease = (aor: string): boolean => p.leases.canHold(ws, aor);
  const authResult = (ok: boolean): void => p.authResult(ok);
  const guard = guardOf(p, flow.remoteIp);
  const register: RegisterHost = {
    config: p.config, flow, nonces: p.nonces, lease, setLease, canHoldLease, guard, authResult,
    register: async (aor, input) => (await aorStub(p.env, aor).register(input)) as AorRegisterReply,
    track: (aor, bound) => p.aors.track(ws, aor, bound),
    traced: (marks, req) => p.trace.received(ws, marks, req, true),
  };
  const gb = p.config.gb;
  const device: DeviceHost | null = gb && {
    gb, flowId: flow.id, hasAor, lease, setLease, canHoldLease,
    gbMessage: (aor, body, contentType, wantsLease, callId) => aorStub(p.env, aor).gbMessage(body, contentType, flow.id, wantsLease, callId),
    gbEvents: (aor, op) => aorStub(p.env, aor).gbEvents(op) as Promise<GbOutcome>,
    lapsed: (aor) => aorStub(p.env, aor).flowClosed(flow.id, 'registration expired'),
  };
  const router: FlowHost = {
    env: p.env, config: p.config, flow, hasAor, sendToPeer: (msg) => p.send(ws, msg), authResult, nonces: p.nonces, guard,
    traceMarks: (callId) => p.trace.marksOf(p.attachments.get(ws), callId, Date.now()),
    traced: (marks, req) => p.trace.received(ws, marks, req, false),
  };
  hosts.set(ws, (h = { register, device, router }));
  return h;
}

/** For REGISTER on socket `ws`. */
export function registerHost(p: FlowParts, ws: WebSocket, att: FlowAttachment): RegisterHost {
  return hostsOf(p, ws, att).register;
}

/** For a GB device's MESSAGE to the platform on socket `ws` (only with the GB side configured). */
export function deviceHost(p: FlowParts, ws: WebSocket, att: FlowAttachment): DeviceHost {
  return hostsOf(p, ws, att).device!;
}

/** For proxy routing of a request from socket `ws`. */
export function routerHost(p: FlowParts, ws: WebSocket, att: FlowAttachment): FlowHost {
  return hostsOf(p, ws, att).router;
}
