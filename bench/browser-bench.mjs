#!/usr/bin/env node
// Browser benchmark driver: digit-cnn's wasm modules vs TF.js 4.22 (wasm and cpu backends) on the
// seed model, in headless Chromium, one browser session, rounds that interleave ours and peer.
//
//   node bench/browser-bench.mjs [--rounds 3] [--threads 2] [--quick] [--no-memory] [--out FILE]
//                                [--wasm-dir DIR]...   (our modules from DIR instead of build/wasm*,
//                                                       e.g. to compare a build flag)
//
// Writes the results as JSON (default bench/results/browser-<UTC time>.json) and prints the
// Markdown tables of bench/browser-report.mjs. bench/run-browser.sh builds what is missing first.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../scripts/chromium.mjs';
import { DEFAULT_WASM_DIRS, startBenchServer } from './web/serve-bench.mjs';
import { markdown } from './browser-report.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The page's default training setup (web/index.html, web/training.js): 10,000 images, 10% held
// out, batch 64, Adam 1e-3. Enough epochs that a run never ends inside the bench.
const TRAIN_OPTIONS = { trainSize: 10000, validationSplit: 0.1, batchSize: 64, learningRate: 1e-3,
  epochs: 5, seed: 1 };

function parseArgs(argv) {
  const o = { rounds: 3, threads: 2, quick: false, memory: true, out: null, wasmDirs: [] };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--rounds') o.rounds = Number(argv[++i]);
    else if (a === '--threads') o.threads = Number(argv[++i]);
    else if (a === '--quick') o.quick = true;
    else if (a === '--no-memory') o.memory = false;
    else if (a === '--out') o.out = path.resolve(argv[++i]);
    else if (a === '--wasm-dir') o.wasmDirs.push(path.resolve(argv[++i]));
    else throw new Error(`unknown argument ${a} (see the header of ${path.relative(ROOT, fileURLToPath(import.meta.url))})`);
  }
  if (!(o.rounds >= 1) || !(o.threads >= 1)) throw new Error('--rounds and --threads must be >= 1');
  return o;
}

// Calls per measurement. TF.js cpu is ~15x slower per digit and ~100x per batch: fewer calls.
function plan({ quick }) {
  return {
    infer: { warmup: 100, calls: quick ? 300 : 1000 },
    inferCpu: { warmup: 10, calls: quick ? 30 : 100 },
    inferBatch: { warmup: 3, calls: quick ? 10 : 30 },
    inferBatchCpu: { warmup: 1, calls: quick ? 3 : 5 },
    train: { warmup: 3, batches: quick ? 8 : 20 },
    trainCpu: { warmup: 1, batches: 1 },
    samples: { train: 256, test: 100 },
  };
}

const log = (msg) => process.stderr.write(`[browser-bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model?.trim(),
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
    memTotalBytes: os.totalmem(),
    node: process.version,
  };
}

async function openBench(url) {
  const browser = await launchChromium();
  const page = await browser.newPage();
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('favicon')) log(`console: ${m.text()}`);
  });
  await page.goto(url);
  await page.waitForFunction(() => window.bench);
  const call = (name, op, args) => page.evaluate(([n, o, a]) => window.bench.call(n, o, a), [name, op, args]);
  const start = (name, threads) => page.evaluate(([n, t]) => window.bench.start(n, { threads: t }), [name, threads]);
  const stop = (name) => page.evaluate((n) => window.bench.stop(n), name);
  return { browser, page, call, start, stop };
}

// ---- renderer memory (Linux /proc): peak RSS of the process that runs the page and its workers ----

function rendererMemory(pids) {
  const out = {};
  for (const pid of pids) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (key) => Number(status.match(new RegExp(`${key}:\\s+(\\d+) kB`))?.[1] ?? NaN) * 1024;
      out[pid] = { peakRssBytes: kb('VmHWM'), rssBytes: kb('VmRSS') };
    } catch {
      // the process ended, or no /proc: not measured
    }
  }
  return out;
}

async function rendererPids(browser) {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  await cdp.detach();
  return processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
}

// One contender alone in a fresh browser: trains as in the timed runs, then reads the peak RSS
// (VmHWM) of the renderer that grew most, i.e. the page's, and its peak before the contender
// started (an idle bench page).
async function memoryAlone(url, name, { threads, samples, p }) {
  const b = await openBench(url);
  try {
    const before = rendererMemory(await rendererPids(b.browser));
    await b.start(name, threads);
    if (name.startsWith('ours')) {
      await b.call(name, 'loadData');
      await b.call(name, 'train', { ...p.train, options: TRAIN_OPTIONS });
    } else {
      await b.call(name, 'setSamples', { ...samples, batchSize: TRAIN_OPTIONS.batchSize });
      await b.call(name, 'train', { warmup: 0, batches: p.trainCpu.batches });
    }
    const contender = await b.call(name, 'memory');
    const after = rendererMemory(await rendererPids(b.browser));
    const growth = (pid) => after[pid].peakRssBytes - (before[pid]?.peakRssBytes ?? 0);
    const pid = Object.keys(after).reduce((best, id) => (best && growth(best) >= growth(id) ? best : id), null);
    if (!pid) return { error: 'no renderer process found' };
    const idle = before[pid]?.peakRssBytes ?? null;
    return { ...contender, rendererPeakRssBytes: after[pid].peakRssBytes, idlePagePeakRssBytes: idle,
      increaseBytes: idle === null ? null : after[pid].peakRssBytes - idle };
  } finally {
    await b.browser.close();
  }
}

// ---- page weight: what a visitor downloads ---------------------------------------------------------

function weigh(files) {
  const rows = files.filter((f) => f.bytes || fs.existsSync(f.file)).map((f) => {
    const bytes = f.bytes ?? fs.readFileSync(f.file);
    return { name: f.name, rawBytes: bytes.length, gzipBytes: zlib.gzipSync(bytes, { level: 9 }).length };
  });
  const sum = (k) => rows.reduce((a, r) => a + r[k], 0);
  return { files: rows, rawBytes: sum('rawBytes'), gzipBytes: sum('gzipBytes') };
}

function pageWeight(weightsBytes, weightsSource, wasmDirs) {
  // The first directory that has the file, as the server picks it.
  const ours = (f) => wasmDirs.map((d) => path.join(d, f)).find((p) => fs.existsSync(p)) ?? path.join(wasmDirs[0], f);
  const tfjs = (f) => path.join(ROOT, 'node_modules/@tensorflow/tfjs/dist', f);
  const tfwasm = (f) => path.join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', f);
  const web = fs.readdirSync(path.join(ROOT, 'web')).filter((f) => /\.(html|js|css)$/.test(f))
    .map((f) => ({ name: `web/${f}`, file: path.join(ROOT, 'web', f) }));
  return {
    weightsSource,
    ours: weigh([
      { name: 'digit_cnn.js', file: ours('digit_cnn.js') },
      { name: 'digit_cnn.wasm', file: ours('digit_cnn.wasm') },
      { name: 'improved.dcnn', bytes: weightsBytes },
    ]),
    oursThreadedExtra: weigh([
      { name: 'digit_cnn_mt.js', file: ours('digit_cnn_mt.js') },
      { name: 'digit_cnn_mt.wasm', file: ours('digit_cnn_mt.wasm') },
      { name: 'digit_cnn_mt.worker.js', file: ours('digit_cnn_mt.worker.js') },
    ]),
    pageCode: weigh(web),
    peerCode: weigh([
      { name: 'tf.min.js', file: tfjs('tf.min.js') },
      { name: 'tf-backend-wasm.min.js', file: tfwasm('tf-backend-wasm.min.js') },
      { name: 'tfjs-backend-wasm-simd.wasm', file: tfwasm('tfjs-backend-wasm-simd.wasm') },
    ]),
  };
}

// ---- FLOPs of the model, from our layer summary ------------------------------------------------------

// Multiply-adds of conv and dense layers (weights x output positions), x2 for FLOPs. Bias, ReLU
// and pooling are left out (under 1%). Training counts 3x forward (forward, input gradient, weight
// gradient), the usual convention; it slightly overstates (conv1 needs no input gradient).
function flops(layers) {
  let forward = 0;
  const rows = layers.map((l) => {
    const { h, w, c } = l.output;
    const weighted = /^(conv|dense)/.test(l.spec);
    const f = weighted ? 2 * (l.params - c) * h * w : 0;
    forward += f;
    return { name: l.name, spec: l.spec, flops: f };
  });
  return { forwardPerImage: forward, trainPerImage: 3 * forward, layers: rows.filter((r) => r.flops) };
}

// Round r visits the contenders starting at a different one, so that none always goes first.
function rotated(list, r) {
  return list.map((_, i) => list[(i + r) % list.length]);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const p = plan(opts);
  const t0 = Date.now();
  const results = { date: new Date().toISOString(), machineAtStart: machine(), options: opts, plan: p,
    trainOptions: TRAIN_OPTIONS, contenders: {}, inference: {}, inferenceNoise: {}, inferenceBatch: {}, inferenceImproved: {},
    training: {}, memory: {} };

  const { server, url } = await startBenchServer(opts.wasmDirs.length ? { wasmDirs: opts.wasmDirs } : {});
  log(`serving ${url}`);
  const b = await openBench(url);
  try {
    const env = await b.page.evaluate(() => ({ crossOriginIsolated: window.bench.crossOriginIsolated,
      hardwareConcurrency: window.bench.hardwareConcurrency, userAgent: window.bench.userAgent }));
    results.browser = { version: b.browser.version(), ...env };
    const isolated = env.crossOriginIsolated;
    const names = ['ours-st', ...(isolated ? ['ours-mt'] : []), 'tfjs-wasm',
      ...(isolated ? ['tfjs-wasm-mt'] : []), 'tfjs-cpu'];
    if (!isolated) log('page is not cross-origin isolated: no threaded contenders');

    for (const name of names) {
      const info = await b.start(name, opts.threads);
      const { layers, ...rest } = info;
      results.contenders[name] = rest;
      if (name === 'ours-st') results.flops = flops(layers);
      log(`${name}: ${JSON.stringify(rest).slice(0, 160)}`);
      if (info.params !== 411626) throw new Error(`${name} has ${info.params} parameters, expected 411626`);
    }
    for (const name of names.filter((n) => n.startsWith('ours'))) await b.call(name, 'loadData');
    const samples = await b.call('ours-st', 'samples', p.samples);
    for (const name of names.filter((n) => n.startsWith('tfjs')))
      await b.call(name, 'setSamples', { ...samples, batchSize: TRAIN_OPTIONS.batchSize });
    log('MNIST loaded; the peer got the same first training images and test digits');

    // Inference: every contender once per round, batch 1 (latency) then batch 64 (throughput).
    for (let r = 0; r < opts.rounds; ++r) {
      for (const name of rotated(names, r)) {
        const cpu = name === 'tfjs-cpu';
        const run = await b.call(name, 'infer', cpu ? p.inferCpu : p.infer);
        (results.inference[name] ??= { runs: [] }).runs.push(run);
        const batch = await b.call(name, 'inferBatch', cpu ? p.inferBatchCpu : p.inferBatch);
        (results.inferenceBatch[name] ??= { runs: [] }).runs.push(batch);
        log(`infer round ${r + 1}/${opts.rounds} ${name}: median ${run.medianMs.toFixed(3)} ms per digit, ` +
          `${(batch.medianMs / batch.batch).toFixed(3)} ms per digit in batches of ${batch.batch}`);
        if (name.startsWith('ours')) {
          const noise = await b.call(name, 'inferNoise', p.infer);
          (results.inferenceNoise[name] ??= { runs: [] }).runs.push(noise);
          log(`infer round ${r + 1}/${opts.rounds} ${name} on random pixels: median ${noise.medianMs.toFixed(3)} ms`);
        }
        if (name === 'ours-st') {
          const { layers, ...improved } = await b.call(name, 'inferImproved', p.infer);
          results.flopsImproved = flops(layers);
          (results.inferenceImproved[name] ??= { runs: [] }).runs.push(improved);
          log(`infer round ${r + 1}/${opts.rounds} ${name} improved model: median ${improved.medianMs.toFixed(3)} ms per digit`);
        }
      }
    }

    // Training on TF.js's wasm backend fails (no Conv2DBackpropFilter kernel): record the message.
    for (const name of names.filter((n) => n.startsWith('tfjs-wasm'))) {
      results.memory[name] = { inference: await b.call(name, 'memory') };
      const r = await b.call(name, 'train', { warmup: 0, batches: 1 });
      results.training[name] = r.error ? { error: r.error } : { runs: [r] };
      log(`train ${name}: ${r.error ?? 'trained (unexpected)'}`);
      await b.stop(name);  // free its threads and memory before the timed training
    }
    const trainers = names.filter((n) => !n.startsWith('tfjs-wasm'));
    for (let r = 0; r < opts.rounds; ++r) {
      for (const name of rotated(trainers, r)) {
        const args = name === 'tfjs-cpu'
          ? { ...p.trainCpu, warmup: r === 0 ? p.trainCpu.warmup : 0 }
          : { ...p.train, options: TRAIN_OPTIONS };
        const run = await b.call(name, 'train', args);
        if (run.error) throw new Error(`${name} training failed: ${run.error}`);
        (results.training[name] ??= { runs: [] }).runs.push(run);
        log(`train round ${r + 1}/${opts.rounds} ${name}: median ${run.medianMs.toFixed(1)} ms per batch of 64`);
      }
    }
    for (const name of trainers) results.memory[name] = { inSession: await b.call(name, 'memory') };

    // The page opens with the improved model's weights.
    const shipped = path.join(ROOT, 'weights/improved.dcnn');
    const weights = fs.existsSync(shipped)
      ? { bytes: fs.readFileSync(shipped), source: 'weights/improved.dcnn (the page default)' }
      : { bytes: Buffer.from(await b.page.evaluate(() => window.bench.bytesBase64('ours-st', 'saveWeights')), 'base64'),
        source: 'saveWeights() of the trained-for-a-few-batches model (weights/improved.dcnn is absent)' };
    results.pageWeight = pageWeight(weights.bytes, weights.source,
      opts.wasmDirs.length ? opts.wasmDirs : DEFAULT_WASM_DIRS);

    await b.browser.close();

    // Memory: each trainer alone in a fresh browser (its own renderer process).
    if (opts.memory) {
      for (const name of trainers) {
        log(`memory: ${name} alone in a fresh browser`);
        results.memory[name].alone = await memoryAlone(url, name, { threads: opts.threads, samples, p });
      }
    }
  } finally {
    await b.browser.close().catch(() => {});
    server.close();
  }
  results.machineAtEnd = machine();
  results.seconds = (Date.now() - t0) / 1000;

  const out = opts.out ?? path.join(ROOT, 'bench/results',
    `browser-${results.date.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(results, (k, v) => (ArrayBuffer.isView(v) ? undefined : v), 2) + '\n');
  process.stdout.write(markdown(results));
  log(`wrote ${path.relative(ROOT, out)} (${results.seconds.toFixed(0)} s)`);
}

main().catch((e) => {
  log(`failed: ${e.stack ?? e.message}`);
  process.exit(1);
});
