#!/usr/bin/env node
// A/B of our single-threaded module's batch-1 latency across builds, in one headless Chromium:
// for each round and each build directory, a fresh bench page (bench/web/) served with that
// build's digit_cnn.{js,wasm} times predict() on MNIST digits, on random pixels and for the
// improved model (the `infer`, `inferNoise` and `inferImproved` calls of bench/web/ours-worker.js).
// Rounds alternate the order of the builds. For judging a change to the kernels before and after,
// and (--model NAME, repeatable) for comparing shipped models: weights/NAME.dcnn is timed the same
// way (the `inferShipped` call), in the same pages as the rest; --pair READER,GATE times a reader
// with a "not a digit" gate (both networks and the gated decision per digit, `inferGated`).
//
//   node bench/ab-browser.mjs [--rounds 3] [--calls 1000] [--model NAME]... [--pair R,G]... DIR...
//
// e.g. DIR = a worktree's build/wasm/wasm and this tree's. Prints the median of the round medians.
import path from 'node:path';
import { launchChromium } from '../scripts/chromium.mjs';
import { startBenchServer } from './web/serve-bench.mjs';

const MEASURES = [['infer', 'digits'], ['inferNoise', 'random pixels'], ['inferImproved', 'improved model']];

function parseArgs(argv) {
  const o = { rounds: 3, calls: 1000, dirs: [], models: [], pairs: [] };
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === '--rounds') o.rounds = Number(argv[++i]);
    else if (argv[i] === '--calls') o.calls = Number(argv[++i]);
    else if (argv[i] === '--model') o.models.push(argv[++i]);
    else if (argv[i] === '--pair') o.pairs.push(argv[++i].split(','));
    else if (argv[i].startsWith('--')) throw new Error(`unknown option ${argv[i]}`);
    else o.dirs.push(path.resolve(argv[i]));
  }
  if (!o.dirs.length || !(o.rounds >= 1) || !(o.calls >= 1) || o.pairs.some((p) => p.length !== 2)) {
    throw new Error('usage: node bench/ab-browser.mjs [--rounds N] [--calls N] [--model NAME]... [--pair READER,GATE]... DIR...');
  }
  return o;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// One fresh page for one build: the median of each measure (ms per digit).
async function measure(browser, url, calls, measures) {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.bench);
    await page.evaluate(() => window.bench.start('ours-st', { threads: 1 }));
    await page.evaluate(() => window.bench.call('ours-st', 'loadData'));
    const out = {};
    for (const [key, op, args] of measures) {
      const r = await page.evaluate(([o, a]) => window.bench.call('ours-st', o, a), [op, { ...args, warmup: 200, calls }]);
      out[key] = r.medianMs;
    }
    return out;
  } finally {
    await page.close();
  }
}

const opts = parseArgs(process.argv.slice(2));
// [key, worker call, its arguments, label]
const measures = [...MEASURES.map(([op, label]) => [op, op, {}, label]),
  ...opts.models.map((m) => [`model:${m}`, 'inferShipped', { file: `${m}.dcnn` }, `weights/${m}.dcnn`]),
  ...opts.pairs.map(([r, g]) => [`pair:${r}+${g}`, 'inferGated', { file: `${r}.dcnn`, gate: `${g}.dcnn` }, `${r} gated by ${g}`])];
const builds = [];
for (const dir of opts.dirs) builds.push({ dir, ...(await startBenchServer({ wasmDirs: [dir] })), runs: [] });
const browser = await launchChromium();
const version = browser.version();
try {
  for (let r = 0; r < opts.rounds; ++r) {
    for (const b of r % 2 ? [...builds].reverse() : builds) b.runs.push(await measure(browser, b.url, opts.calls, measures));
  }
} finally {
  await browser.close();
  for (const b of builds) b.server.close();
}
console.log(`batch-1 ms per digit, Chromium ${version}, ${opts.rounds} rounds of ${opts.calls} calls (median of round medians; rounds)`);
for (const b of builds) {
  const cells = measures.map(([key, , , label]) => {
    const xs = b.runs.map((x) => x[key]);
    return `${label} ${median(xs).toFixed(3)} (${xs.map((x) => x.toFixed(3)).join(', ')})`;
  });
  console.log(`${b.dir}: ${cells.join(' | ')}`);
}
