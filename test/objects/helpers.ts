/**
 * Helpers for tests that run inside workerd.
 */
import { env, exports } from 'cloudflare:workers';
import { computeHA1 } from '../../src/auth/digest.js';
import type { SipRequest } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parse.js';
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

/** The admin token of the workers project (`vitest.config.ts`). */
export const ADMIN_TOKEN = 'test-admin-token';

/** Call `/api/v1{path}` with the admin token (another `token`, or none with `null`); `json` is sent as the body. */
export function api(path: string, init: RequestInit & { token?: string | null; json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set('authorization', `Bearer ${init.token ?? ADMIN_TOKEN}`);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  return exports.default.fetch(`http://edge/api/v1${path}`, { ...init, headers, body: init.json === undefined ? init.body : JSON.stringify(init.json) });
}

/** Call the GB routes, `/api/v1/gb28181{path}`, with the admin token and a JSON content type. */
export function gbApi(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`http://edge/api/v1/gb28181${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' } });
}

/** The next message on `c`, which must be a request (within `ms`). */
export async function nextRequest(c: SipTestClient, ms?: number): Promise<SipRequest> {
  const p = parseMessage(await c.next(ms));
  if (!p.ok || p.value.type !== 'request') throw new Error('expected a request');
  return p.value;
}

/** The ledger's counters now (LEDGER=on in the workers project: every object counts what it is billed), MetricsObject's left out. */
export async function ledger(): Promise<Map<string, number>> {
  const text = await (await exports.default.fetch('http://edge/metrics', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  return new Map([...text.matchAll(/^(ledger_\w+\{[^}]*\}) (\d+)$/gm)].filter((m) => !m[1]!.includes('MetricsObject')).map((m) => [m[1]!, Number(m[2])]));
}

/** What `fn` cost in billed units: the ledger's counters after minus before, once they settle. */
export async function cost(fn: () => Promise<void>): Promise<Record<string, number>> {
  const settled = async () => {
    let prev = JSON.stringify([...(await ledger())]);
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const now = JSON.stringify([...(await ledger())]);
      if (now === prev) break;
      prev = now;
    }
    return new Map(JSON.parse(prev) as Array<[string, number]>);
  };
  const before = await settled();
  await fn();
  const after = await settled();
  return Object.fromEntries([...after].filter(([k, v]) => v !== (before.get(k) ?? 0)).map(([k, v]) => [k, v - (before.get(k) ?? 0)]));
}
