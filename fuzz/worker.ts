/**
 * The Worker under fuzzing: started locally in workerd with wrangler's `createTestHarness`, as the e2e tests and
 * the benchmarks start it, plus what the fuzzer checks on it: its workerd processes (the same ones from start to
 * end: a crash makes Miniflare start a new one), its runtime log, and `/metrics`.
 * @module
 */
import { createTestHarness } from 'wrangler';
import { descendants, type Proc } from '../bench/procs.js';
import { parsePrometheus } from './metrics.js';

export const FUZZ_ADMIN_TOKEN = 'fuzz-admin-token';
export const FUZZ_BRIDGE_TOKEN = 'fuzz-bridge-token';
/** The shared GB/T 28181 device password (the GB_PASSWORD secret). */
export const FUZZ_GB_PASSWORD = '12345678';

/** One runtime log line, as the harness captured it. */
export interface RuntimeLog {
  level: string;
  message: string;
}

/** A running Worker. */
export interface FuzzWorker {
  http: string;
  ws: string;
  /** The workerd processes serving it now. */
  processes(): Proc[];
  /** Runtime log lines since the last call (the harness keeps them all otherwise). */
  drainLogs(): RuntimeLog[];
  /** `GET /metrics`, parsed. */
  metrics(): Promise<Map<string, number>>;
  createUser(user: string, password: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Start the Worker from ./wrangler.toml. The per-connection message rate is lifted (`rateLimit: false`) so
 * that mutated messages reach the parser and the handlers rather than a 503; counters reach `/metrics` every
 * 1000 events or 5 s and when a connection closes (`METRICS_FLUSH_*`), not after every event.
 */
export async function startFuzzWorker(o: { rateLimit: boolean }): Promise<FuzzWorker> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
  process.env.X_LOCAL_OBSERVABILITY = 'false';
  process.env.WRANGLER_SEND_METRICS = 'false';
  const server = createTestHarness({
    workers: [{
      configPath: './wrangler.toml',
      secrets: { ADMIN_TOKEN: FUZZ_ADMIN_TOKEN, NONCE_SECRET: 'fuzz-nonce-secret', BRIDGE_TOKEN: FUZZ_BRIDGE_TOKEN, GB_PASSWORD: FUZZ_GB_PASSWORD },
      vars: {
        METRICS_FLUSH_EVENTS: '1000', METRICS_FLUSH_SECONDS: '5',
        ...(o.rateLimit ? {} : { FLOW_MESSAGE_RATE: '1000000', FLOW_MESSAGE_BURST: '1000000' }),
      },
    }],
  });
  const { url } = await server.listen();
  const http = url.href.replace(/\/$/, '');
  const auth = { authorization: `Bearer ${FUZZ_ADMIN_TOKEN}` };
  return {
    http,
    ws: `${http.replace(/^http/, 'ws')}/sip`,
    processes: () => descendants(process.pid, /^workerd/),
    drainLogs() {
      const logs = server.getLogs().map((l) => ({ level: String(l.level), message: String(l.message) }));
      server.clearLogs();
      return logs;
    },
    async metrics() {
      const res = await fetch(`${http}/metrics`, { headers: auth });
      if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
      return parsePrometheus(await res.text());
    },
    async createUser(user, password) {
      const res = await fetch(`${http}/api/v1/users/${user}`, {
        method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ password }),
      });
      if (res.status >= 300) throw new Error(`createUser ${user}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    },
    close: () => server.close(),
  };
}
