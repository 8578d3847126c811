// The second peer: ONNX Runtime Web (onnxruntime-web 1.30, its wasm execution provider) running the
// seed model as our CLI exports it (`digit-cnn export --format onnx --weights weights/seed.dcnn`;
// bench/browser-bench.mjs writes build/bench/seed.onnx, served as /onnx/seed.onnx), so it runs
// the same trained weights as ours. ORT-web is served locally from node_modules (/ort/):
// ort.wasm.min.mjs loads ort-wasm-simd-threaded.{mjs,wasm}, its only wasm binary (SIMD, pthreads).
// ?threads=N sets ort.env.wasm.numThreads (N > 1 needs a cross-origin isolated page; its pthread
// workers are module workers started from the same .mjs).
//
// Inference only: the onnxruntime-web package has no training API, so there is no training or
// training-memory measurement for this peer.
import * as ort from '/ort/ort.wasm.min.mjs';
import { serve } from '/web/rpc.js';
import { timeEach } from './timing.js';

const THREADS = Number(new URL(self.location.href).searchParams.get('threads') ?? 1);
const MODEL = '/onnx/seed.onnx';

let session = null;
let digits = [];        // Float32Array(784) each: the test digits that predictOne() cycles through
let nextDigit = 0;
let firstBatch = null;  // {x: Float32Array, shape}: the first training batch, for batched inference

// Same work as our predict(): wrap the image, run the model, read the 10 probabilities.
async function predict(x, shape) {
  const out = await session.run({ image: new ort.Tensor('float32', x, shape) }, ['probabilities']);
  return out.probabilities.data;
}
const predictOne = () => predict(digits[nextDigit++ % digits.length], [1, 28, 28, 1]);

serve({
  async init() {
    ort.env.wasm.wasmPaths = '/ort/';
    ort.env.wasm.numThreads = THREADS;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'warning';
    session = await ort.InferenceSession.create(MODEL, { executionProviders: ['wasm'],
      graphOptimizationLevel: 'all' });
    return {
      version: ort.env.versions?.web ?? ort.env.versions?.common,
      backend: 'wasm',
      model: MODEL,
      weights: 'weights/seed.dcnn (exported with digit-cnn export --format onnx)',
      // What ORT-web settled on: it falls back to 1 when the page cannot run threads.
      threads: ort.env.wasm.numThreads,
      crossOriginIsolated: self.crossOriginIsolated,
      inputs: session.inputNames,
      outputs: session.outputNames,
    };
  },

  // The same inputs as TF.js (tfjs-worker.js setSamples): test digits for batch 1, the first
  // training batch for batch 64.
  setSamples({ rows, cols, train, test, batchSize }) {
    const size = rows * cols;
    digits = Array.from({ length: test.labels.length },
      (_, i) => Float32Array.from(test.pixels.subarray(i * size, (i + 1) * size), (p) => p / 255));
    firstBatch = { x: Float32Array.from(train.pixels.subarray(0, batchSize * size), (p) => p / 255),
      shape: [batchSize, rows, cols, 1] };
    return { digits: digits.length, batch: batchSize };
  },

  // The probabilities of every test digit, one call each (the driver compares them with ours).
  async probabilities() {
    const out = new Float32Array(digits.length * 10);
    for (let i = 0; i < digits.length; ++i) out.set(await predict(digits[i], [1, 28, 28, 1]), i * 10);
    return { result: out, transfer: [out.buffer] };
  },

  async infer({ warmup, calls }) {
    const probs = Array.from(await predictOne());
    return { ...(await timeEach(predictOne, { warmup, calls })), top: probs.indexOf(Math.max(...probs)) };
  },

  // Throughput: one run of the first training batch per call (ms per call).
  async inferBatch({ warmup, calls }) {
    const once = () => predict(firstBatch.x, firstBatch.shape);
    return { ...(await timeEach(once, { warmup, calls })), batch: firstBatch.shape[0] };
  },
});
