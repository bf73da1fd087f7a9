import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/sip/**/*.test.ts', 'test/registrar/**/*.test.ts', 'test/auth/**/*.test.ts', 'test/proxy/**/*.test.ts', 'test/udp-bridge/**/*.test.ts'],
        },
      },
    ],
  },
});
