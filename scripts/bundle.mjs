// Bundles the CLI into one file (dist/cli.js, plus chunks loaded on demand): loading one file instead of a few hundred
// ES modules cuts the start of every `reprise` command by about two thirds.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunks are named by their hash: those of an earlier build would pile up.
rmSync('dist/chunks', { recursive: true, force: true });

await build({
  entryPoints: { cli: 'src/interfaces/cli/main.ts' },
  outdir: 'dist',
  // What a few commands load on demand (PostgreSQL, S3, Ray, Kubernetes) goes into chunks
  // of its own, so the others do not parse it.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Native addons (and pg, whose optional native half is one): loaded from node_modules as they are.
  external: ['better-sqlite3', '@duckdb/node-api', '@duckdb/node-bindings', 'pg', 'onnxruntime-node'],
  // Bundled CommonJS dependencies call require(); ES modules have none of their own.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // Smaller source parses faster: every command pays for it at start.
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
