#!/usr/bin/env node
// The `ssw` command: a thin launcher over the compiled CLI (run `npm run build` first).
import { runCli } from '../dist/src/cli/index.js';

process.exitCode = await runCli(process.argv.slice(2));
