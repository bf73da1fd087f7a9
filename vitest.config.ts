import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

/** Where each kind of test lives; any other folder under test/ is pure code and runs in `unit`. */
const IN_WORKERD = ['test/objects/**/*.test.ts', 'test/http/**/*.test.ts'];
const END_TO_END = ['test/e2e/**/*.test.ts'];

export default defineConfig({
  test: {
    // `npm test` prints a coverage summary of the code the Node and workerd projects load (istanbul: the
    // provider @cloudflare/vitest-plugin supports). The e2e tests run a separate workerd, not instrumented.
    coverage: {
      provider: 'istanbul',
      include: ['src/**/*.ts', 'udp-bridge/src/**/*.ts'],
      reporter: ['text-summary'],
    },
    projects: [
      {
        // Pure code (SIP core, registrar, auth, proxy logic, bridge internals) in Node.
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: [...IN_WORKERD, ...END_TO_END],
        },
      },
      {
        // Durable Objects, WebSockets, alarms and hibernation inside workerd.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            // LEDGER on: every object counts the units it is billed for into /metrics, which the lease specs read.
            miniflare: { bindings: { ADMIN_TOKEN: 'test-admin-token', NONCE_SECRET: 'test-nonce-secret', BRIDGE_TOKEN: 'test-bridge-token', GB_PASSWORD: 'test-gb-password', LEDGER: 'on', METRICS_FLUSH_SECONDS: '0' } },
          }),
        ],
        // A generous bound, not a timing: a loaded 2-core CI machine runs workerd, Node and the other files at once.
        test: { name: 'workers', include: IN_WORKERD, testTimeout: 30_000 },
      },
      {
        // A really started Worker (wrangler test harness) with real SIP clients over real sockets.
        test: {
          name: 'e2e',
          environment: 'node',
          include: END_TO_END,
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
