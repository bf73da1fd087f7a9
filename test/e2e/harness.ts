/**
 * Starts the real Worker (workerd via wrangler's test harness) for end-to-end tests.
 */
import { createTestHarness } from 'wrangler';
import type { BindingView } from '../../src/objects/aor-leases.js';

export const ADMIN_TOKEN = 'test-admin-token';
export const DOMAIN = 'edge-sip.test';
export const BRIDGE_TOKEN = 'test-bridge-token';
/** The NONCE_SECRET the tests run with. */
export const NONCE_SECRET = 'test-nonce-secret';
/** The shared GB/T 28181 device password (the GB_PASSWORD secret). */
export const GB_PASSWORD = '12345678';

/** A running Worker and helpers to reach it. */
export interface Service {
  http: string;
  ws: string;
  admin(path: string, init?: RequestInit): Promise<Response>;
  createUser(user: string, password: string): Promise<void>;
  /** A user's live bindings, as the admin API lists them. */
  bindings(user: string): Promise<BindingView[]>;
  /** Everything the Worker's runtime printed (console output, uncaught errors) since it started, one entry a line. */
  logs(): string[];
  close(): Promise<void>;
}

export { eventually } from '../support/eventually.js';

/** A Worker that can be restarted in place: same URL, same durable storage, every WebSocket dropped. */
export interface RestartableService extends Service {
  /** Reload the Worker (as a redeploy does): workerd restarts, storage survives, all sockets close. */
  restart(): Promise<void>;
}

/** The Worker as the tests run it: wrangler.toml with test secrets, `vars` overriding its variables. */
function testWorker(vars: Record<string, string>) {
  return {
    configPath: './wrangler.toml',
    secrets: { ADMIN_TOKEN, NONCE_SECRET, BRIDGE_TOKEN, GB_PASSWORD },
    // Counters reach /metrics at once (production batches them for hours: a flush is a billed RPC).
    vars: { METRICS_FLUSH_SECONDS: '0', ...vars },
  };
}

/**
 * Start the Worker on a free port with test secrets. `vars` override wrangler.toml (e.g. a short GB
 * keepalive policy). `restart()` reloads it with the same URL and storage (a changed var forces the reload).
 */
export async function startService(vars: Record<string, string> = {}): Promise<RestartableService> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
  // No local trace collection (wrangler's Local Explorer): it stores a trace of every event, and no test reads them.
  process.env.X_LOCAL_OBSERVABILITY = 'false';
  process.env.WRANGLER_SEND_METRICS = 'false';
  const server = createTestHarness({ workers: [testWorker(vars)] });
  const { url } = await server.listen();
  const http = url.href.replace(/\/$/, '');
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${http}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
  let generation = 0;
  return {
    http,
    ws: `${http.replace(/^http/, 'ws')}/sip`,
    admin,
    async createUser(user, password) {
      const res = await admin(`/users/${user}`, { method: 'PUT', body: JSON.stringify({ password }) });
      if (res.status >= 300) throw new Error(`createUser ${user}: ${res.status} ${await res.text()}`);
    },
    async bindings(user) {
      const res = await admin(`/users/${user}/bindings`);
      if (res.status !== 200) throw new Error(`bindings of ${user}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { bindings: BindingView[] }).bindings;
    },
    logs: () => server.getLogs().map((l) => `${l.level} ${l.message}`),
    async restart() {
      generation++;
      await server.update({ workers: [testWorker({ ...vars, E2E_RESTART_GENERATION: String(generation) })] });
      const again = await server.listen();
      if (again.url.href.replace(/\/$/, '') !== http) throw new Error(`the Worker came back at ${again.url.href}, not ${http}`);
    },
    close: () => server.close(),
  };
}
