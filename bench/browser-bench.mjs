#!/usr/bin/env node
// Browser benchmark driver: digit-cnn's wasm modules vs TF.js 4.22 (wasm and cpu backends) and
// ONNX Runtime Web 1.30 (wasm, inference only) on the seed model, in headless Chromium, one browser
// session, rounds that interleave ours and the peers.
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
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../scripts/chromium.mjs';
import { DEFAULT_WASM_DIRS, startBenchServer } from './web/serve-bench.mjs';
import { markdown } from './browser-report.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = process.env.DIGIT_CNN_CLI ?? path.join(ROOT, 'build/native/tools/digit-cnn');
const SEED_ONNX = path.join(ROOT, 'build/bench/seed.onnx');  // served as /onnx/seed.onnx
// ORT-web's probabilities for the seed weights must match ours (the test suite checks 1e-5 in
// onnxruntime-node; this only guards against benchmarking a different model).
const ORT_TOLERANCE = 1e-4;

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

// The ORT-web peer runs weights/seed.dcnn exported by our CLI (bench/run-browser.sh builds it):
// returns a description, or null (no CLI or no weights: the peer is left out, with a message).
function exportSeedOnnx() {
  const weights = path.join(ROOT, 'weights/seed.dcnn');
  if (!fs.existsSync(CLI) || !fs.existsSync(weights)) {
    log(`no ${fs.existsSync(CLI) ? 'weights/seed.dcnn' : path.relative(ROOT, CLI)}: ONNX Runtime Web left out ` +
      '(build the CLI: cmake --preset native && cmake --build --preset native --target digit-cnn)');
    return null;
  }
  fs.mkdirSync(path.dirname(SEED_ONNX), { recursive: true });
  const args = ['export', '--format', 'onnx', '--weights', 'weights/seed.dcnn', '--output', path.relative(ROOT, SEED_ONNX)];
  execFileSync(CLI, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  return { command: `${path.relative(ROOT, CLI)} ${args.join(' ')}`, bytes: fs.statSync(SEED_ONNX).size };
}

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

function pageWeight(weightsBytes, weightsSource, wasmDirs, withOrt) {
  // The first directory that has the file, as the server picks it.
  const ours = (f) => wasmDirs.map((d) => path.join(d, f)).find((p) => fs.existsSync(p)) ?? path.join(wasmDirs[0], f);
  const tfjs = (f) => path.join(ROOT, 'node_modules/@tensorflow/tfjs/dist', f);
  const tfwasm = (f) => path.join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', f);
  const ort = (f) => path.join(ROOT, 'node_modules/onnxruntime-web/dist', f);
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
    // What ort-worker.js loads: the wasm-only entry point, its Emscripten glue and the one binary
    // (SIMD + pthreads, used for 1 thread too). The driver also lists what the page really fetched.
    ...(withOrt ? {
      ortCode: weigh(ORT_FILES.map((f) => ({ name: f, file: ort(f) }))),
      ortModel: weigh([{ name: 'seed.onnx', file: SEED_ONNX }]),
    } : {}),
  };
}

const ORT_FILES = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

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

  const onnx = exportSeedOnnx();
  if (onnx) log(`exported ${path.relative(ROOT, SEED_ONNX)} (${onnx.bytes} bytes): ${onnx.command}`);
  results.onnxExport = onnx;
  const { server, url, served } = await startBenchServer(opts.wasmDirs.length ? { wasmDirs: opts.wasmDirs } : {});
  log(`serving ${url}`);
  const b = await openBench(url);
  try {
    const env = await b.page.evaluate(() => ({ crossOriginIsolated: window.bench.crossOriginIsolated,
      hardwareConcurrency: window.bench.hardwareConcurrency, userAgent: window.bench.userAgent }));
    results.browser = { version: b.browser.version(), ...env };
    const isolated = env.crossOriginIsolated;
    const names = ['ours-st', ...(isolated ? ['ours-mt'] : []), 'tfjs-wasm',
      ...(isolated ? ['tfjs-wasm-mt'] : []), 'tfjs-cpu',
      ...(onnx ? ['ort-wasm', ...(isolated ? ['ort-wasm-mt'] : [])] : [])];
    const peers = names.filter((n) => n.startsWith('tfjs') || n.startsWith('ort'));
    if (!isolated) log('page is not cross-origin isolated: no threaded contenders');

    for (const name of names) {
      const info = await b.start(name, opts.threads);
      const { layers, ...rest } = info;
      results.contenders[name] = rest;
      if (name === 'ours-st') results.flops = flops(layers);
      log(`${name}: ${JSON.stringify(rest).slice(0, 160)}`);
      // ORT-web does not count parameters: its model is checked by its outputs below.
      if (!name.startsWith('ort') && info.params !== 411626) throw new Error(`${name} has ${info.params} parameters, expected 411626`);
    }
    for (const name of names.filter((n) => n.startsWith('ours'))) await b.call(name, 'loadData');
    const samples = await b.call('ours-st', 'samples', p.samples);
    for (const name of peers)
      await b.call(name, 'setSamples', { ...samples, batchSize: TRAIN_OPTIONS.batchSize });
    log('MNIST loaded; the peers got the same first training images and test digits');
    // ORT-web runs our seed weights: its probabilities on the test digits must be ours.
    const oursProbs = await b.call('ours-st', 'probabilities');
    for (const name of names.filter((n) => n.startsWith('ort'))) {
      const theirs = await b.call(name, 'probabilities');
      if (!oursProbs.length || theirs.length !== oursProbs.length) throw new Error(`${name}: ${theirs.length} probabilities, ours ${oursProbs.length}`);
      let worst = 0;
      for (let i = 0; i < oursProbs.length; ++i) worst = Math.max(worst, Math.abs(oursProbs[i] - theirs[i]));
      results.contenders[name].maxAbsDiffVsOurs = worst;
      results.contenders[name].digitsCompared = oursProbs.length / 10;
      log(`${name}: probabilities of ${oursProbs.length / 10} test digits within ${worst.toExponential(2)} of ours`);
      if (!(worst <= ORT_TOLERANCE)) throw new Error(`${name} differs from ours by ${worst} (> ${ORT_TOLERANCE}): not the same model`);
    }

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

    // ONNX Runtime Web has no training API: recorded, and its workers stopped before training.
    for (const name of names.filter((n) => n.startsWith('ort'))) {
      results.training[name] = { error: 'onnxruntime-web has no training API (inference only)' };
      await b.stop(name);
    }

    // Training on TF.js's wasm backend fails (no Conv2DBackpropFilter kernel): record the message.
    for (const name of names.filter((n) => n.startsWith('tfjs-wasm'))) {
      results.memory[name] = { inference: await b.call(name, 'memory') };
      const r = await b.call(name, 'train', { warmup: 0, batches: 1 });
      results.training[name] = r.error ? { error: r.error } : { runs: [r] };
      log(`train ${name}: ${r.error ?? 'trained (unexpected)'}`);
      await b.stop(name);  // free its threads and memory before the timed training
    }
    const trainers = names.filter((n) => !n.startsWith('tfjs-wasm') && !n.startsWith('ort'));
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
      opts.wasmDirs.length ? opts.wasmDirs : DEFAULT_WASM_DIRS, !!onnx);
    if (onnx) {
      results.pageWeight.ortServed = [...served].filter((u) => u.startsWith('/ort/')).sort();
      const missing = results.pageWeight.ortServed.map((u) => u.slice(5)).filter((f) => !ORT_FILES.includes(f));
      if (missing.length) log(`warning: ORT-web also fetched ${missing.join(', ')} (not in its page weight)`);
    }

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
