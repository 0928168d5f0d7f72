#!/usr/bin/env node
// The `reprise` command from a checkout or an install: runs the compiled CLI.
import { main } from '../dist/cli.js';

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
