// The web UI: built into dist/web, which `reprise server` serves at /.
// `npm run dev:web` serves it with hot reload, its API calls sent to a server on :7878.
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
  // '^/api/' (a pattern): a plain '/api' prefix would also catch the UI's own module /api.ts.
  server: { proxy: { '^/api/': process.env.REPRISE_SERVER ?? 'http://127.0.0.1:7878' } },
});
