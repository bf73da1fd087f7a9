/**
 * Helpers for tests that run inside workerd.
 */
import { env, exports } from 'cloudflare:workers';
import { computeHA1 } from '../../src/auth/digest.js';
import { SipTestClient } from '../support/sip-client.js';

export const DOMAIN = 'edge-sip.test';

/** Open a WebSocket to `/sip` through the Worker, as a client offering `sip`. */
export async function connect(): Promise<SipTestClient> {
  const res = await exports.default.fetch('http://edge/sip', {
    headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': 'sip' },
  });
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status}`);
  res.webSocket.accept();
  return new SipTestClient(res.webSocket);
}

/** Provision a user straight into its AOR object. */
export async function createUser(user: string, password: string): Promise<void> {
  const aor = `sip:${user}@${DOMAIN}`;
  await env.AOR.get(env.AOR.idFromName(aor)).putAccount({
    username: user,
    realm: DOMAIN,
    ha1Md5: computeHA1('MD5', user, DOMAIN, password),
    ha1Sha256: computeHA1('SHA-256', user, DOMAIN, password),
  });
}

/** The AOR object of a user. */
export function aorStub(user: string) {
  return env.AOR.get(env.AOR.idFromName(`sip:${user}@${DOMAIN}`));
}

export { eventually } from '../support/eventually.js';
