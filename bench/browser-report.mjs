#!/usr/bin/env node
// Markdown tables from a browser bench result (bench/browser-bench.mjs).
//
//   node bench/browser-report.mjs bench/results/browser-<time>.json
//
// Each run is one round's median (per-call or per-batch time); the headline is the median of the
// runs. Ratios say how many times faster ours is (> 1: ours faster).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const LABELS = {
  'ours-st': 'digit-cnn wasm SIMD, 1 thread',
  'ours-mt': 'digit-cnn wasm SIMD+pthreads, {t} threads',
  'tfjs-wasm': 'TF.js wasm SIMD, 1 thread',
  'tfjs-wasm-mt': 'TF.js wasm threaded SIMD, {t} threads',
  'tfjs-cpu': 'TF.js cpu (pure JS)',
  'ort-wasm': 'ORT-web wasm, 1 thread',
  'ort-wasm-mt': 'ORT-web wasm, {t} threads',
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmt = (x, digits) => (x >= 100 ? x.toFixed(0) : x.toFixed(digits));
const mb = (bytes) => (bytes / 1e6).toFixed(2);

function label(results, name) {
  return LABELS[name].replace('{t}', results.contenders[name]?.threads ?? '?');
}

// {ms: median of run medians, runs: [run medians]} or null.
function timing(section, name) {
  const runs = section[name]?.runs?.map((r) => r.medianMs);
  return runs?.length ? { ms: median(runs), runs } : null;
}

function inferenceTable(results) {
  const f = results.flops.forwardPerImage;
  const row = (ours, peer, section = results.inference, note = '') => {
    const a = timing(section, ours);
    const b = timing(results.inference, peer);
    if (!a || !b) return null;
    const cell = (t, d) => `**${t.ms.toFixed(d)}** (${t.runs.map((x) => x.toFixed(d)).join(', ')})`;
    const gf = (t) => (f / (t.ms / 1e3) / 1e9).toFixed(2);
    const d = peer === 'tfjs-cpu' ? 2 : 3;
    return `| ${label(results, ours)}${note} | ${cell(a, 3)} | ${gf(a)} | ${label(results, peer)} | ${cell(b, d)} | ${gf(b)} | ${(b.ms / a.ms).toFixed(2)}x |`;
  };
  const p = results.plan;
  return [
    `### Inference, batch 1: ms per digit (median of ${p.infer.calls} calls after ${p.infer.warmup} warm-up; TF.js cpu ${p.inferCpu.calls}), ${results.options.rounds} interleaved rounds`,
    '',
    '| ours | ms (runs) | GFLOP/s | peer | ms (runs) | GFLOP/s | ours faster by |',
    '|---|---|---|---|---|---|---|',
    row('ours-st', 'tfjs-wasm'),
    row('ours-mt', 'tfjs-wasm-mt'),
    row('ours-st', 'tfjs-cpu'),
    row('ours-st', 'ort-wasm'),
    row('ours-mt', 'ort-wasm-mt'),
    row('ours-st', 'tfjs-wasm', results.inferenceNoise ?? {}, ', on random pixels'),
    row('ours-mt', 'tfjs-wasm-mt', results.inferenceNoise ?? {}, ', on random pixels'),
    '',
    `One call = copy a 28x28 image in, forward, copy 10 probabilities out (our \`Session.predict\`; TF.js \`model.predict(tensor4d).dataSync()\` in \`tf.tidy\`). ` +
    `Calls cycle through the first ${results.plan.samples.test} MNIST test digits; ours runs ${results.contenders['ours-st']?.weights ?? 'initial weights'}, TF.js initial weights. ` +
    (results.contenders['ort-wasm'] ? `ORT-web (onnxruntime-web ${results.contenders['ort-wasm'].version}, wasm execution provider) runs the same weights exported by our CLI ` +
      `(\`${results.onnxExport?.command}\`); one call = \`await session.run({image}, ['probabilities'])\` and reading the data; ` +
      `its probabilities on the ${results.contenders['ort-wasm'].digitsCompared} test digits were within ${results.contenders['ort-wasm'].maxAbsDiffVsOurs.toExponential(1)} of ours. ` : '') +
    'Our inference computes each run of identical conv windows once (a digit\'s blank background), so its time depends on the image: ' +
    'the "random pixels" rows time ours on an image of uniform noise, where nothing repeats (the peer\'s figure there is its digit time; its time does not depend on the pixels). ' +
    `GFLOP/s count the full ${(f / 1e6).toFixed(2)} MFLOP per digit. ` +
    'A median of per-call times drops the calls that other processes preempted; calls longer than a time slice ' +
    '(batch 64, training) cannot, so those numbers move with the machine load. ' +
    `TF.js caps its wasm threads at navigator.hardwareConcurrency / 2; its threaded worker is shown ${results.contenders['tfjs-wasm-mt']?.hardwareConcurrencySeen ?? '2 x threads'} cores so that it gets the same threads as ours.`,
    '',
  ].filter((l) => l !== null).join('\n');
}

// The page's default model (ours only: the peer bench builds the seed architecture).
function improvedTable(results) {
  const t = timing(results.inferenceImproved ?? {}, 'ours-st');
  if (!t) return '';
  const run = results.inferenceImproved['ours-st'].runs[0];
  const f = results.flopsImproved?.forwardPerImage;
  const seed = timing(results.inference, 'ours-st');
  return [
    `### Inference of the improved model (the page's default, ${run.params.toLocaleString('en-US')} parameters${f ? `, ${(f / 1e6).toFixed(2)} MFLOP per digit` : ''}; ${run.weights ?? 'initial weights'}), batch 1, same rounds`,
    '',
    '| module | ms per digit (runs) | GFLOP/s | vs the seed model in the same rounds |',
    '|---|---|---|---|',
    `| ${label(results, 'ours-st')} | **${t.ms.toFixed(3)}** (${t.runs.map((x) => x.toFixed(3)).join(', ')}) | ${f ? (f / (t.ms / 1e3) / 1e9).toFixed(2) : '-'} | ${seed ? `${(t.ms / seed.ms).toFixed(2)}x the seed's ${seed.ms.toFixed(3)} ms` : '-'} |`,
    '',
  ].join('\n');
}

function inferenceBatchTable(results) {
  const f = results.flops.forwardPerImage;
  const per = (section, name) => {
    const runs = section[name]?.runs?.map((r) => r.medianMs / r.batch);
    return runs?.length ? { ms: median(runs), runs } : null;
  };
  const p = results.plan;
  const n = results.inferenceBatch['ours-st']?.runs?.[0]?.batch;
  const lines = [
    `### Inference, batch ${n}: ms per digit (median of ${p.inferBatch.calls} calls after ${p.inferBatch.warmup} warm-up; TF.js cpu ${p.inferBatchCpu.calls}), same rounds`,
    '',
    '| ours | ms per digit (runs) | GFLOP/s | peer | ms per digit (runs) | GFLOP/s | ours faster by |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const [ours, peer] of [['ours-st', 'tfjs-wasm'], ['ours-mt', 'tfjs-wasm-mt'], ['ours-st', 'tfjs-cpu'],
    ['ours-st', 'ort-wasm'], ['ours-mt', 'ort-wasm-mt']]) {
    const a = per(results.inferenceBatch, ours);
    const b = per(results.inferenceBatch, peer);
    if (!a || !b) continue;
    const cell = (t) => `**${t.ms.toFixed(3)}** (${t.runs.map((x) => x.toFixed(3)).join(', ')})`;
    const gf = (t) => (f / (t.ms / 1e3) / 1e9).toFixed(2);
    lines.push(`| ${label(results, ours)} | ${cell(a)} | ${gf(a)} | ${label(results, peer)} | ${cell(b)} | ${gf(b)} | ${(b.ms / a.ms).toFixed(2)}x |`);
  }
  lines.push('', 'Not a target; shown because training runs at this batch size (our `predictBatch`; TF.js `model.predict`, ORT-web `session.run` on the same images).', '');
  return lines.join('\n');
}

function trainingTable(results) {
  const f = results.flops.trainPerImage;
  const batch = results.trainOptions.batchSize;
  const ips = (ms) => batch / (ms / 1e3);
  const cell = (t) => `**${fmt(ips(t.ms), 1)}** (${t.runs.map((x) => fmt(ips(x), 1)).join(', ')})`;
  const gf = (t) => (ips(t.ms) * f / 1e9).toFixed(2);
  const peer = timing(results.training, 'tfjs-cpu');
  const lines = [
    `### Training, batch ${batch}, Adam, real MNIST: images/s (= ${batch} / median batch time; runs in parentheses)`,
    '',
    '| ours | images/s (runs) | GFLOP/s | peer | images/s (runs) | GFLOP/s | ours faster by |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const ours of ['ours-st', 'ours-mt']) {
    const a = timing(results.training, ours);
    if (!a || !peer) continue;
    lines.push(`| ${label(results, ours)} | ${cell(a)} | ${gf(a)} | ${label(results, 'tfjs-cpu')} | ${cell(peer)} | ${gf(peer)} | ${(peer.ms / a.ms).toFixed(0)}x |`);
  }
  for (const name of ['tfjs-wasm', 'tfjs-wasm-mt', 'ort-wasm', 'ort-wasm-mt']) {
    const e = results.training[name]?.error;
    if (e) lines.push(`| | | | ${label(results, name)} | cannot train: \`${e}\` | | |`);
  }
  const p = results.plan;
  lines.push('', `Ours: \`startTraining\` (the page's default run: ${results.trainOptions.trainSize} images, ` +
    `${results.trainOptions.validationSplit * 100}% held out) then \`trainStep(1)\` per batch as web/worker.js does; ` +
    `${p.train.batches} timed batches per round after ${p.train.warmup} warm-up. TF.js: \`model.trainOnBatch\`, ` +
    `${p.trainCpu.batches} timed batch per round after ${p.trainCpu.warmup} warm-up. ${(f / 1e6).toFixed(1)} MFLOP per training image (3x forward).`, '');
  return lines.join('\n');
}

function memoryTable(results) {
  const lines = ['### Memory during training', '',
    '| contender | wasm linear memory (peak) | TF.js tensors | page renderer peak RSS, alone | increase over an idle page |',
    '|---|---|---|---|---|'];
  for (const [name, m] of Object.entries(results.memory)) {
    const s = m.inSession ?? m.inference ?? {};
    const a = m.alone ?? {};
    const note = m.inference ? ' (after inference; cannot train)' : '';
    lines.push(`| ${label(results, name)}${note} | ${s.wasmBytes ? `${mb(s.wasmBytes)} MB` : '-'} | ` +
      `${s.tensorBytes !== undefined ? `${mb(s.tensorBytes)} MB` : '-'} | ` +
      `${a.rendererPeakRssBytes ? `${mb(a.rendererPeakRssBytes)} MB` : '-'} | ` +
      `${a.increaseBytes != null ? `${mb(a.increaseBytes)} MB` : '-'} |`);
  }
  lines.push('', 'Peak RSS: VmHWM of the renderer process (page + its workers) with that contender alone in a fresh browser, ' +
    'after the same training as in the timed runs; "increase" subtracts the idle bench page. Ours holds all of MNIST ' +
    '(setData takes the four IDX files, as the page does); TF.js holds only the batches it trains on.', '');
  return lines.join('\n');
}

function weightTable(results) {
  const w = results.pageWeight;
  const row = (what, x) => `| ${what} | ${x.files.map((f) => `${f.name} ${mb(f.rawBytes)}/${mb(f.gzipBytes)}`).join(', ')} | ${mb(x.rawBytes)} MB | ${mb(x.gzipBytes)} MB |`;
  return ['### Page weight (MB raw / gzip -9)', '',
    '| what | files (raw/gzip MB) | raw | gzip |', '|---|---|---|---|',
    row('ours: module + default weights', w.ours),
    row('ours: threaded module (training, isolated pages)', w.oursThreadedExtra),
    row('page code (web/)', w.pageCode),
    row('peer code: TF.js + wasm backend (SIMD binary)', w.peerCode),
    ...(w.ortCode ? [row('peer code: ORT-web wasm (entry point, glue, SIMD+threads binary)', w.ortCode),
      row('ORT-web model (the seed weights as ONNX)', w.ortModel)] : []),
    '', `Weights: ${w.weightsSource}. Target: module + weights + page under 2 MB transferred ` +
    `(here ${mb(w.ours.gzipBytes + w.pageCode.gzipBytes)} MB gzip without the threaded module).` +
    (w.ortServed ? ` ORT-web files the bench page fetched: ${w.ortServed.map((u) => `\`${u}\``).join(', ')}.` : ''), ''].join('\n');
}

export function markdown(results) {
  const m0 = results.machineAtStart;
  const m1 = results.machineAtEnd ?? m0;
  const c = results.contenders;
  return [
    `## Browser bench ${results.date}`,
    '',
    `${results.browser.userAgent.match(/(HeadlessChrome|Chrome)\/[\d.]+/)?.[0] ?? results.browser.version}, ` +
    `crossOriginIsolated=${results.browser.crossOriginIsolated}, ${m0.cpus} cores (${m0.cpuModel}), ` +
    `load average ${m0.loadavg.join(' ')} at start, ${m1.loadavg.join(' ')} at end; TF.js ${c['tfjs-cpu']?.version}; ` +
    (c['ort-wasm'] ? `onnxruntime-web ${c['ort-wasm'].version}; ` : '') +
    `all models ${c['ours-st']?.params} parameters; run took ${results.seconds?.toFixed(0)} s.` +
    (results.options.wasmDirs?.length ? ` Our modules from ${results.options.wasmDirs.join(', ')}.` : ''),
    '',
    inferenceTable(results),
    improvedTable(results),
    results.inferenceBatch ? inferenceBatchTable(results) : '',
    trainingTable(results),
    memoryTable(results),
    weightTable(results),
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.length !== 3) {
    console.error('usage: node bench/browser-report.mjs bench/results/browser-<time>.json');
    process.exit(2);
  }
  process.stdout.write(markdown(JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))));
}
