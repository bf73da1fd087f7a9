/**
 * Typed stubs of the Durable Objects, by AOR or by object id.
 * @module
 */
import type { Env } from '../env.js';

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
