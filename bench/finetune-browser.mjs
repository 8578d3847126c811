#!/usr/bin/env node
// How long "Adapt the model to your digits" takes in the page, in headless Chromium on 2 threads
// (the training worker's threaded module), against the same fine-tuning run natively
// (`digit-cnn finetune --threads 2`) in the same invocation, rounds interleaved. K corrections
// (MNIST test digits: the content does not change the work) on the default model, the page's
// default settings (core's FineTuneOptions). Medians, ratios and every run. With --gate G (e.g.
// robust-nd: "Robust, honest"), the gate is adapted too, as the page does, with its negatives
// (weights/gate-negatives-*) and core's gate settings (natively: finetune --as-gate); the times
// are both adaptations'.
//
//   node bench/finetune-browser.mjs [--rounds 3] [--k 5,100] [--model robust] [--gate G] [--out FILE]
//
// Needs the wasm builds (scripts/build-wasm.sh), the native CLI and MNIST (scripts/get-mnist.sh).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../scripts/chromium.mjs';
import { startServer } from '../scripts/serve.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = process.env.DIGIT_CNN_CLI ?? path.join(ROOT, 'build/native/tools/digit-cnn');
const WORK = path.join(ROOT, 'build/bench/finetune');

function parseArgs(argv) {
  const o = { rounds: 3, ks: [5, 100], model: 'robust', gate: null, out: null };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--rounds') o.rounds = Number(argv[++i]);
    else if (a === '--k') o.ks = argv[++i].split(',').map(Number);
    else if (a === '--model') o.model = argv[++i];
    else if (a === '--gate') o.gate = argv[++i];
    else if (a === '--out') o.out = path.resolve(argv[++i]);
    else throw new Error(`unknown argument ${a} (see the header of bench/finetune-browser.mjs)`);
  }
  if (!(o.rounds >= 1) || !o.ks.every((k) => k >= 1 && k <= 10000)) throw new Error('--rounds >= 1, --k in 1..10000');
  return o;
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// The first k MNIST test digits as an IDX pair for the CLI, and as bytes for the page.
function examples(k) {
  const read = (name) => {
    const plain = path.join(ROOT, 'data/mnist', name);
    return fs.existsSync(plain) ? fs.readFileSync(plain) : zlib.gunzipSync(fs.readFileSync(`${plain}.gz`));
  };
  const images = read('t10k-images-idx3-ubyte'), labels = read('t10k-labels-idx1-ubyte');
  const pixels = images.subarray(16, 16 + k * 784), labs = labels.subarray(8, 8 + k);
  const header = (magic, dims) => {
    const b = Buffer.alloc(4 + 4 * dims.length);
    b.writeUInt32BE(magic, 0);
    dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
    return b;
  };
  fs.mkdirSync(WORK, { recursive: true });
  const files = { images: path.join(WORK, `mine-${k}-images`), labels: path.join(WORK, `mine-${k}-labels`) };
  fs.writeFileSync(files.images, Buffer.concat([header(0x803, [k, 28, 28]), pixels]));
  fs.writeFileSync(files.labels, Buffer.concat([header(0x801, [k]), labs]));
  return { pixels: Array.from(pixels), labels: Array.from(labs), files };
}


// Seconds of the native adaptation (of the model, and of the gate when there is one).
function native(model, gate, ex) {
  const run = (name, extra) => JSON.parse(execFileSync(CLI, ['finetune', '--weights', path.join(ROOT, `weights/${name}.dcnn`),
    '--images', ex.files.images, '--labels', ex.files.labels, '--output', path.join(WORK, 'adapted.dcnn'), '--threads', '2',
    '--json', ...extra], { cwd: ROOT })).seconds;
  let seconds = run(model, []);
  if (gate) {
    const negatives = (part) => path.join(ROOT, `weights/gate-negatives-${part}-ubyte.gz`);
    seconds += run(gate, ['--negative-images', negatives('images-idx3'), '--negative-labels', negatives('labels-idx1'), '--as-gate']);
  }
  return seconds;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  for (const f of [CLI, path.join(ROOT, 'build/wasm-mt/wasm/digit_cnn_mt.wasm'), path.join(ROOT, 'data/mnist')])
    if (!fs.existsSync(f)) throw new Error(`${f} is missing (build-wasm.sh, cmake --build --preset native, get-mnist.sh)`);
  const { server, url } = await startServer({ port: 0 });
  const browser = await launchChromium();
  const results = { date: new Date().toISOString(), host: `${os.cpus().length} cores, ${os.cpus()[0]?.model}`,
    load: os.loadavg(), model: o.model, gate: o.gate, runs: [] };
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${url}?model=${o.model}&threads=2`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60000 });
    const threads = await page.evaluate(async (dataUrl) => {
      const t = await window.digitCnn.getTrainer();
      await t.call('loadData', { baseUrl: dataUrl });
      return t.threads;
    }, new URL('data/mnist/', url).href);
    results.threads = threads;
    for (let round = 1; round <= o.rounds; ++round)
      for (const k of o.ks) {
        const ex = examples(k);
        const page_ = await page.evaluate(async ({ pixels, labels, model, gate }) => {
          const t = await window.digitCnn.getTrainer();
          const weights = await window.digitCnn.infer.call('saveWeights');
          const gateWeights = gate ? new Uint8Array(await (await fetch(`weights/${gate}.dcnn`)).arrayBuffer()) : null;
          const negatives = gate ? { images: new URL('weights/gate-negatives-images-idx3-ubyte.gz', document.baseURI).href,
            labels: new URL('weights/gate-negatives-labels-idx1-ubyte.gz', document.baseURI).href } : null;
          const t0 = performance.now();
          const r = await t.call('fineTune', { weights, gate: gateWeights, negatives, pixels: Uint8Array.from(pixels), labels, base: model });
          return { seconds: r.seconds + (r.gate?.seconds ?? 0), wall: (performance.now() - t0) / 1000 };
        }, { pixels: ex.pixels, labels: ex.labels, model: o.model, gate: o.gate });
        const nat = native(o.model, o.gate, ex);
        results.runs.push({ round, k, chromium: page_.seconds, chromium_wall: page_.wall, native: nat });
        console.error(`round ${round}, K=${k}: Chromium ${page_.seconds.toFixed(2)} s (${page_.wall.toFixed(2)} s with the test ` +
          `read and the weights' round trip), native ${nat.toFixed(2)} s`);
      }
  } finally {
    await browser.close();
    server.close();
  }
  const out = o.out ?? path.join(ROOT, `bench/results/finetune-${results.date.replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(results, null, 1) + '\n');
  console.log(`Fine-tuning ("Adapt") on ${o.model}${o.gate ? ` and its gate ${o.gate}` : ''}, ${results.threads} threads in Chromium, ${o.rounds} rounds, medians:\n`);
  console.log('| K corrections | Chromium (fine_tune) | Chromium (whole call) | native | Chromium / native |');
  console.log('|---|---|---|---|---|');
  for (const k of o.ks) {
    const rs = results.runs.filter((r) => r.k === k);
    const c = median(rs.map((r) => r.chromium)), w = median(rs.map((r) => r.chromium_wall)), n = median(rs.map((r) => r.native));
    console.log(`| ${k} | ${c.toFixed(2)} s | ${w.toFixed(2)} s | ${n.toFixed(2)} s | ${(c / n).toFixed(2)}x |`);
  }
  console.log(`\nWrote ${path.relative(ROOT, out)}`);
}

main().catch((e) => {
  console.error(`finetune-browser: ${e.message}`);
  process.exit(1);
});
