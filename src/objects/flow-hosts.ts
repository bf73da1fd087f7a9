/**
 * What a FlowObject lends the code that handles a request on one of its sockets: REGISTER processing, device
 * MESSAGEs and proxy routing each get the narrow view they need of the flow's parts, built here so the object
 * itself stays a shell.
 * @module
 */
import type { Env } from '../env.js';
import type { Config } from '../config.js';
import type { NonceCounts } from '../auth/nonce-counts.js';
import type { SipMessage } from '../sip/message.js';
import type { AorRegisterReply } from './aor-leases.js';
import type { FlowAttachment } from './attachments.js';
import type { DeviceHost } from './flow-device.js';
import type { FlowLeases } from './flow-leases.js';
import type { RegisterHost, SourceGuard } from './flow-register.js';
import type { FlowHost } from './flow-routing.js';
import type { FlowAors } from './udp-flow-aors.js';
import { aorStub, guardStub } from './stubs.js';

/** The parts of a flow object the hosts are made of. */
export interface FlowParts {
  env: Env;
  config: Config;
  nonces: NonceCounts;
  leases: FlowLeases;
  aors: FlowAors;
  /** Outcome of presented credentials, for the connection's own bound. */
  authResult(ok: boolean): void;
  /** Send to the peer on its newest socket (`ws` when it is the only one). */
  send(ws: WebSocket, msg: SipMessage): void;
}

/** The guard of the peer's address: its failed authentications across every connection and bridge flow. */
function guardOf(p: FlowParts, att: FlowAttachment): SourceGuard {
  return {
    blocked: (aor) => guardStub(p.env, att.flow.remoteIp).blocked(aor),
    failed: (aor) => guardStub(p.env, att.flow.remoteIp).failed(aor),
  };
}

function leaseHost(p: FlowParts, ws: WebSocket): Pick<RegisterHost, 'lease' | 'setLease' | 'canHoldLease'> {
  return {
    lease: (aor) => p.leases.get(ws, aor),
    setLease: (aor, lease) => p.leases.set(ws, aor, lease),
    canHoldLease: (aor) => p.leases.canHold(ws, aor),
  };
}

/** For REGISTER on socket `ws`. */
export function registerHost(p: FlowParts, ws: WebSocket, att: FlowAttachment): RegisterHost {
  return {
    config: p.config, flow: att.flow, nonces: p.nonces, ...leaseHost(p, ws), guard: guardOf(p, att),
    register: async (aor, input) => (await aorStub(p.env, aor).register(input)) as AorRegisterReply,
    track: (aor, bound) => p.aors.track(ws, aor, bound),
    authResult: (ok) => p.authResult(ok),
  };
}

/** For a GB device's MESSAGE to the platform on socket `ws`. */
export function deviceHost(p: FlowParts, ws: WebSocket, att: FlowAttachment): DeviceHost {
  return {
    gb: p.config.gb!, flowId: att.flow.id, hasAor: (aor) => p.aors.has(att, aor), ...leaseHost(p, ws),
    gbMessage: (aor, body, contentType, wantsLease) => aorStub(p.env, aor).gbMessage(body, contentType, att.flow.id, wantsLease),
    lapsed: (aor) => aorStub(p.env, aor).flowClosed(att.flow.id, 'registration expired'),
  };
}

/** For proxy routing of a request from socket `ws`. */
export function routerHost(p: FlowParts, ws: WebSocket, att: FlowAttachment): FlowHost {
  return {
    env: p.env, config: p.config, flow: att.flow, hasAor: (aor) => p.aors.has(att, aor),
    sendToPeer: (msg) => p.send(ws, msg),
    authResult: (ok) => p.authResult(ok), nonces: p.nonces, guard: guardOf(p, att),
  };
}
