/**
 * The one place each Durable Object's naming scheme is written: typed stubs by AOR, by object id or by
 * name, and what objects send each other through them.
 * @module
 */
import type { Env } from '../env.js';
import { toHex } from '../auth/hash.js';
import type { SipMessage } from '../sip/message.js';
import { encodeFrame } from '../transport/ws-frames.js';

/** The object of an address-of-record, named by the AOR (`sip:user@domain`). */
export function aorStub(env: Env, aor: string) {
  return env.AOR.get(env.AOR.idFromName(aor));
}

/** An AOR object by its id (hex), as named in Via branches of platform-originated requests. */
export function aorStubById(env: Env, id: string) {
  return env.AOR.get(env.AOR.idFromString(id));
}

/** A flow object by its id (hex), as stored in bindings and Via branches. */
export function flowStub(env: Env, flowId: string) {
  return env.FLOW.get(env.FLOW.idFromString(flowId));
}

/** The flow object of a bridged device address, `udp:<ip>:<port>`: a bridge reconnect reaches the same one. */
export function udpFlowStub(env: Env, ip: string, port: number) {
  return env.FLOW.get(env.FLOW.idFromName(`udp:${ip}:${port}`));
}

/**
 * The flow object of a bridged device: `udp:<ip>:<port>` ({@link udpFlowStub}), or for a device on a TCP
 * connection `tcp:<ip>:<port>` (the connection's source address), so the bridge's reconnects reach it.
 */
export function bridgedFlowStub(env: Env, transport: 'UDP' | 'TCP', ip: string, port: number) {
  return transport === 'UDP' ? udpFlowStub(env, ip, port) : env.FLOW.get(env.FLOW.idFromName(`tcp:${ip}:${port}`));
}

/** A fresh flow object for a new WebSocket connection. */
export function newFlowStub(env: Env) {
  return env.FLOW.get(env.FLOW.newUniqueId());
}

/** The device directory of a GB realm, `gb:<realm>`. */
export function gbDirectoryStub(env: Env, realm: string) {
  return env.GB_DIRECTORY.get(env.GB_DIRECTORY.idFromName(`gb:${realm}`));
}

/** The user directory of a SIP domain, `users:<domain>`. */
export function userDirectoryStub(env: Env, domain: string) {
  return env.USER_DIRECTORY.get(env.USER_DIRECTORY.idFromName(`users:${domain}`));
}

/** The failed-authentication guard of a source address, `guard:<ip>`. */
export function guardStub(env: Env, ip: string) {
  return env.GUARD.get(env.GUARD.idFromName(`guard:${ip}`));
}

/** Metrics shard `n`, `metrics:<n>`. */
export function metricsShard(env: Env, n: number) {
  return env.METRICS.get(env.METRICS.idFromName(`metrics:${n}`));
}

/** `bytes` random bytes as hex (transaction keys, tags, Call-IDs). */
export function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

/**
 * Send a message to a flow's peer; false when the flow (or its object) is gone, or when `forAor` names an
 * AOR whose lease on that flow no longer holds a live binding.
 */
export async function deliverTo(env: Env, flowId: string, msg: SipMessage, forAor?: string): Promise<boolean> {
  try {
    return await flowStub(env, flowId).deliver(encodeFrame(msg), forAor);
  } catch {
    return false;
  }
}
