/**
 * Typed stubs of the Durable Objects, by AOR or by object id, and the ids objects mint.
 * @module
 */
import type { Env } from '../env.js';
import type { SipMessage } from '../sip/message.js';
import { encodeFrame } from '../transport/ws-frames.js';

/** The object of an address-of-record (`sip:user@domain`). */
export function aorStub(env: Env, aor: string) {
  return env.AOR.get(env.AOR.idFromName(aor));
}

/** A flow object by its id (hex), as stored in bindings and Via branches. */
export function flowStub(env: Env, flowId: string) {
  return env.FLOW.get(env.FLOW.idFromString(flowId));
}

/** An AOR object by its id (hex), as named in Via branches of platform-originated requests. */
export function aorStubById(env: Env, id: string) {
  return env.AOR.get(env.AOR.idFromString(id));
}

/** `bytes` random bytes as hex (transaction keys, tags, Call-IDs). */
export function randomHex(bytes: number): string {
  let s = '';
  for (const b of crypto.getRandomValues(new Uint8Array(bytes))) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Send a message to a flow's peer; false when the flow (or its object) is gone. */
export async function deliverTo(env: Env, flowId: string, msg: SipMessage): Promise<boolean> {
  try {
    return await flowStub(env, flowId).deliver(encodeFrame(msg));
  } catch {
    return false;
  }
}
