import { fileURLToPath, URL } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The build lands in the Python package, which serves it (src/strmline/api/web.py).
export default defineConfig({
  plugins: [react()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: {
    outDir: '../src/strmline/web',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npm run dev` against `strmline serve` on :8000
    proxy: Object.fromEntries(
      ['/api', '/output', '/play', '/hdhr', '/logo'].map((p) => [p, 'http://127.0.0.1:8000']),
    ),
  },
  test: {
    // jsdom for components and localStorage; fetch is stubbed per test, so no request leaves the process.
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['./src/testing/setup-tests.ts'],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
