#!/usr/bin/env node
// Runs the web tests with Node's test runner, one file at a time (they share two CPU cores with
// the training run inside the browser test):
//   node tests/web/run.mjs [files...]       default: every tests/web/*.test.mjs
// Needs: the wasm build (scripts/build-wasm.sh), MNIST (scripts/get-mnist.sh), npm packages
// (npm ci) and Chromium (/usr/bin/chromium or $CHROMIUM); the Firefox tests run when
// firefox-esr is installed (or $FIREFOX is set) and are skipped otherwise.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : fs.readdirSync(here).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => path.join(here, f));
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
