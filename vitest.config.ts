import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real sockets and TLS handshakes on a 2-core machine: give each test room, never rely on it.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: more workers than that only makes TLS-heavy tests fight for CPU.
    maxWorkers: 2,
  },
});
