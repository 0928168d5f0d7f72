// Bundles the CLI into one file (dist/cli.js): loading one file instead of a few hundred
// ES modules cuts the start of every `reprise` command by about two thirds.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/interfaces/cli/main.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Native addons (and pg, whose optional native half is one): loaded from node_modules as they are.
  external: ['better-sqlite3', '@duckdb/node-api', '@duckdb/node-bindings', 'pg'],
  // Bundled CommonJS dependencies call require(); ES modules have none of their own.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // Smaller source parses faster: every command pays for it at start.
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
