import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        // Pure code (SIP core, registrar, auth, proxy logic, bridge internals) in Node.
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/{sip,registrar,auth,proxy,transport,udp-bridge,gb28181}/**/*.test.ts'],
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
        test: { name: 'workers', include: ['test/{objects,http}/**/*.test.ts'] },
      },
      {
        // A really started Worker (wrangler test harness) with real SIP clients over real sockets.
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
