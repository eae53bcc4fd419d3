import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Dawn (the `webgpu` package) reads these through the C library's getenv(): they must be in the
// real process environment before any test worker starts, since worker threads only get a copy.
// Without the SwiftShader ICD, Dawn sees only lavapipe, refuses it, and requestAdapter() is null.
process.env.VK_ICD_FILENAMES ||= '/usr/lib/chromium/vk_swiftshader_icd.json';
process.env.XDG_RUNTIME_DIR ||= '/tmp';

export default defineConfig({
  plugins: [svelte()],
  server: { host: '127.0.0.1' },
  worker: { format: 'es' },
  build: { target: 'es2022' },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['src/**/*.test.ts', 'workers/**/*.test.ts', 'test/node/**/*.test.ts'],
          environment: 'node',
          // One Dawn instance per process; SwiftShader already uses every core.
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
