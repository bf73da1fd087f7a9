/**
 * Starts the real Worker (workerd via wrangler's test harness) for end-to-end tests.
 */
import { createTestHarness } from 'wrangler';

export const ADMIN_TOKEN = 'test-admin-token';
export const DOMAIN = 'edge-sip.test';
export const BRIDGE_TOKEN = 'test-bridge-token';

/** A running Worker and helpers to reach it. */
export interface Service {
  http: string;
  ws: string;
  admin(path: string, init?: RequestInit): Promise<Response>;
  createUser(user: string, password: string): Promise<void>;
  close(): Promise<void>;
}

/** Start the Worker on a free port with test secrets. */
export async function startService(): Promise<Service> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
  process.env.WRANGLER_SEND_METRICS = 'false';
  const server = createTestHarness({
    workers: [
      {
        configPath: './wrangler.toml',
        secrets: { ADMIN_TOKEN, NONCE_SECRET: 'test-nonce-secret', BRIDGE_TOKEN },
      },
    ],
  });
  const { url } = await server.listen();
  const http = url.href.replace(/\/$/, '');
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${http}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
  return {
    http,
    ws: `${http.replace(/^http/, 'ws')}/sip`,
    admin,
    async createUser(user, password) {
      const res = await admin(`/users/${user}`, { method: 'PUT', body: JSON.stringify({ password }) });
      if (res.status >= 300) throw new Error(`createUser ${user}: ${res.status} ${await res.text()}`);
    },
    close: () => server.close(),
  };
}
