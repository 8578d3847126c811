// The wasm module under Node: its bindings, and agreement with the native build (the
// `digit-cnn predict` CLI) on the first 100 MNIST test images, and the same ONNX export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, loadWasm, mnistFile, mnistTest, skipUnlessCi, testWeightsDir } from './helpers.mjs';

const COUNT = 100;
const TOLERANCE = 1e-5;

function findNativeCli() {
  const candidates = [process.env.DIGIT_CNN_BIN, path.join(ROOT, 'build/native/tools/digit-cnn')];
  const build = path.join(ROOT, 'build');
  if (fs.existsSync(build))
    for (const d of fs.readdirSync(build)) candidates.push(path.join(build, d, 'tools/digit-cnn'));
  return candidates.find((f) => f && fs.existsSync(f));
}

// The native CLI, or null after marking the test skipped.
function nativeCliOrSkip(t) {
  const cli = findNativeCli();
  if (!cli) skipUnlessCi(t, 'no native digit-cnn CLI found (build it: cmake --preset native && cmake --build --preset native)');
  return cli;
}

test('wasm: errors are JS Errors with the core message; the old model stays', async () => {
  const M = await loadWasm();
  const s = new M.Session();
  const before = s.predict(new Float32Array(784).fill(0.5));
  assert.throws(() => s.loadWeights(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5])),
    (e) => e instanceof Error && /not a digit-cnn weights file/.test(e.message));
  const bytes = s.saveWeights();
  assert.throws(() => s.loadWeights(bytes.slice(0, 500)), /weights file truncated at byte 500/);
  assert.throws(() => s.initModel('conv 3 k99', 1), /kernel size must be between 1 and 32/);
  assert.deepEqual(s.predict(new Float32Array(784).fill(0.5)), before);
  s.loadWeights(bytes);
  assert.deepEqual(s.predict(new Float32Array(784).fill(0.5)), before);
  assert.equal(s.spec(), M.seedSpec());
  assert.equal(s.paramCount(), 411626);
  s.delete();
});

test('wasm: the negatives a gate adapts with are checked by core; asking for them without any is refused', async () => {
  const M = await loadWasm();
  const s = new M.Session();
  assert.equal(s.negativesCount(), 0);
  assert.throws(() => s.setNegatives(new Uint8Array(2 * 784), new Uint8Array([10, 11])), /label 11/);
  assert.throws(() => s.setNegatives(new Uint8Array(784 + 1), new Uint8Array([10])), Error);
  assert.equal(s.negativesCount(), 0);
  s.setNegatives(new Uint8Array(3 * 784).fill(200), new Uint8Array([10, 10, 3]));
  assert.equal(s.negativesCount(), 3);
  // The seed model has ten outputs and no data: adapting with negatives is refused with a reason.
  assert.throws(() => s.fineTune(new Uint8Array(784), new Uint8Array([1]), { negativesPerBatch: 8 }, undefined), /MNIST data|negatives/);
  assert.throws(() => s.fineTune(new Uint8Array(784), new Uint8Array([1]), { negativesPerBatch: 40 }, undefined), /negatives per batch must be 0\.\.28/);
  s.delete();
});

test('wasm: preprocessing says empty for a blank canvas and 28x28 otherwise', async () => {
  const M = await loadWasm();
  const s = new M.Session();
  const w = 100, h = 80;
  const rgba = new Uint8Array(w * h * 4);  // transparent: no ink
  assert.equal(s.preprocessRgba(rgba, w, h).empty, true);
  for (let y = 20; y < 60; ++y) for (let x = 45; x < 52; ++x) rgba.set([0, 0, 0, 255], 4 * (y * w + x));
  const r = s.preprocessRgba(rgba, w, h);
  assert.equal(r.empty, false);
  assert.equal(r.pixels.length, 784);
  assert.throws(() => s.preprocessRgba(rgba.subarray(0, 100), w, h), /expected 100x80 RGBA pixels/);
  s.delete();
});

test('wasm: a photo of dark ink on uneven paper goes through core\'s photo cleaning', async () => {
  const M = await loadWasm();
  const s = new M.Session();
  const w = 160, h = 120;
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; ++y)
    for (let x = 0; x < w; ++x) {
      const stroke = Math.abs(x - 80) < 5 && y > 25 && y < 95;  // a "1"
      const paper = 200 - 0.3 * x;                              // lit from one side
      const v = stroke ? 40 : paper;
      rgba.set([v, v, v, 255], 4 * (y * w + x));
    }
  const r = s.preprocessPhoto(rgba, w, h);
  assert.equal(r.empty, false);
  assert.equal(r.darkOnLight, true);
  assert.equal(r.pixels.length, 784);
  const blank = s.preprocessPhoto(new Uint8Array(w * h * 4).fill(180), w, h);
  assert.equal(blank.empty, true);
  s.delete();
});

test('wasm: training through the bindings is deterministic for a seed', async () => {
  const M = await loadWasm();
  const data = [mnistFile('train-images-idx3-ubyte'), mnistFile('train-labels-idx1-ubyte'),
    mnistFile('t10k-images-idx3-ubyte'), mnistFile('t10k-labels-idx1-ubyte')];
  const run = () => {
    const s = new M.Session();
    s.setData(...data);
    s.startTraining({ trainSize: 640, epochs: 1, batchSize: 64, learningRate: 0.002, seed: 3 });
    let step;
    const epochs = [];
    do {
      step = s.trainStep(3);
      epochs.push(...step.epochs);
    } while (!step.done);
    const w = s.saveWeights();
    s.delete();
    return { w, epochs };
  };
  const a = run(), b = run();
  assert.equal(a.epochs.length, 1);
  assert.ok(a.epochs[0].hasValidation);
  assert.ok(a.epochs[0].valAccuracy > 0.3, `validation accuracy ${a.epochs[0].valAccuracy}`);
  assert.deepEqual(a.w, b.w);
});

test('wasm: augmentation, learning-rate schedule and label smoothing reach the trainer', async () => {
  const M = await loadWasm();
  const s = new M.Session();
  s.setData(mnistFile('train-images-idx3-ubyte'), mnistFile('train-labels-idx1-ubyte'),
    mnistFile('t10k-images-idx3-ubyte'), mnistFile('t10k-labels-idx1-ubyte'));
  const base = { trainSize: 320, epochs: 1, batchSize: 64, learningRate: 0.002, seed: 5 };
  const train = (extra) => {
    s.startTraining({ ...base, ...extra });
    let step;
    do step = s.trainStep(10); while (!step.done);
    return s.saveWeights();
  };
  const plain = train({});
  assert.deepEqual(train({ lrSchedule: 'constant', labelSmoothing: 0, augment: false }), plain, 'defaults are explicit');
  const variants = { augment: { augment: true }, cosine: { lrSchedule: 'cosine' }, smoothing: { labelSmoothing: 0.1 } };
  for (const [name, extra] of Object.entries(variants)) {
    const w = train(extra);
    assert.notDeepEqual(w, plain, `${name} changes the trained weights`);
    assert.deepEqual(train(extra), w, `${name} is deterministic for a seed`);
  }
  assert.throws(() => s.startTraining({ ...base, lrSchedule: 'exponential' }),
    /unknown learning-rate schedule 'exponential' \(known: constant, cosine, step\)/);
  assert.throws(() => s.startTraining({ ...base, labelSmoothing: 1.5 }), /label smoothing/);
  assert.throws(() => s.startTraining({ ...base, epoch: 2 }), /unknown training option 'epoch'/);
  assert.throws(() => s.startTraining({ ...base, learningRate: NaN }), /training option 'learningRate' is not a finite value/);
  s.delete();
});

test(`wasm and native agree on the first ${COUNT} MNIST test images (within ${TOLERANCE})`, async (t) => {
  const cli = nativeCliOrSkip(t);
  if (!cli) return;
  const weights = path.join(await testWeightsDir(), 'seed.dcnn');
  const M = await loadWasm();
  const s = new M.Session();
  s.loadWeights(new Uint8Array(fs.readFileSync(weights)));
  const mnist = await mnistTest();
  const x = new Float32Array(COUNT * 784);
  for (let i = 0; i < x.length; ++i) x[i] = mnist.pixels[i] / 255;
  // IDX images get the model's input preprocessing (none for "mnist"), as the CLI applies it.
  const wasm = s.predictBatch(s.prepareImages(x, COUNT), COUNT);
  s.delete();

  const out = execFileSync(cli, ['predict', '--weights', weights, '--idx',
    path.join(ROOT, 'data/mnist/t10k-images-idx3-ubyte'), '--count', String(COUNT), '--json'],
  { encoding: 'utf8', maxBuffer: 1 << 24 });
  const native = JSON.parse(out);
  assert.equal(native.probabilities.length, COUNT);
  let maxDiff = 0, agree = 0;
  for (let i = 0; i < COUNT; ++i) {
    const row = native.probabilities[i];
    for (let k = 0; k < 10; ++k) maxDiff = Math.max(maxDiff, Math.abs(row[k] - wasm[i * 10 + k]));
    const wasmBest = Array.from(wasm.subarray(i * 10, i * 10 + 10)).reduce((b, v, k, a) => (v > a[b] ? k : b), 0);
    if (wasmBest === native.predictions[i]) ++agree;
  }
  console.log(`wasm vs native (${path.relative(ROOT, cli)}): max |difference| ${maxDiff.toExponential(2)}, ${agree}/${COUNT} same predictions`);
  assert.ok(maxDiff <= TOLERANCE, `max difference ${maxDiff}`);
  assert.equal(agree, COUNT);
});

test('wasm and native write the same ONNX file, and the wasm module imports it back', async (t) => {
  const cli = nativeCliOrSkip(t);
  if (!cli) return;
  const weights = path.join(await testWeightsDir(), 'seed.dcnn');
  const M = await loadWasm();
  const s = new M.Session();
  const dcnn = new Uint8Array(fs.readFileSync(weights));
  s.loadWeights(dcnn);
  const onnx = s.exportOnnx();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'digit-cnn-onnx-')), 'seed.onnx');
  execFileSync(cli, ['export', '--format', 'onnx', '--weights', weights, '--output', file], { stdio: 'ignore' });
  assert.deepEqual(Buffer.from(onnx), fs.readFileSync(file));
  // Imported back in the wasm module: the weights file it saves is the original, byte for byte.
  const back = new M.Session();
  back.loadWeights(onnx);
  assert.deepEqual(Buffer.from(back.saveWeights()), Buffer.from(dcnn));
  assert.throws(() => back.loadWeights(onnx.slice(0, 3000)), /ONNX file is corrupt: model at byte \d+/);
  s.delete();
  back.delete();
});
