// The peer: TF.js 4.22 running the seed model as a Keras-style tf.sequential, served locally from
// node_modules (/tfjs/). ?backend=wasm (tfjs-backend-wasm, SIMD; ?threads=N>1 picks its threaded
// SIMD binary, which needs a cross-origin isolated page) or ?backend=cpu (pure JS).
//
// A classic worker, as TF.js expects: its Emscripten glue only starts pthreads where
// importScripts exists (in a module worker the threaded binary silently runs on one thread).
// Our shared helpers are modules, loaded with dynamic import; calls that arrive first wait.
const early = [];
self.onmessage = (e) => early.push(e);
importScripts('/tfjs/tf.min.js');
const params = new URL(self.location.href).searchParams;
const BACKEND = params.get('backend') ?? 'wasm';
const THREADS = Number(params.get('threads') ?? 1);
if (BACKEND === 'wasm') importScripts('/tfjs/tf-backend-wasm.min.js');
const tf = self.tf;

let model = null;
let digits = [];     // Float32Array(784) each: the test images that predictOne() cycles through
let nextDigit = 0;
let batches = null;  // [{xs, ys}] training batches of real MNIST images (tensors, kept)
let firstBatch = null;  // {x: Float32Array, shape}: the first batch's images, for batched inference
let next = 0;        // next batch to train on

// The seed model: Conv2D(32,4x4,same)-ReLU-MaxPool2 - Conv2D(64,2x2,same)-ReLU-MaxPool2 - Flatten -
// Dense128-ReLU - Dropout0.5 - Dense10 softmax, Keras defaults (Glorot uniform, zero bias).
function seedModel() {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 4, padding: 'same',
    activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 64, kernelSize: 2, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 128, activation: 'relu' }));
  m.add(tf.layers.dropout({ rate: 0.5 }));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  m.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

function predictOne() {
  // Same work as our predict(): copy the image in, run the model, copy 10 probabilities out.
  const digit = digits[nextDigit++ % digits.length];
  return tf.tidy(() => model.predict(tf.tensor4d(digit, [1, 28, 28, 1])).dataSync());
}

let timeEach = null;
Promise.all([import('/web/rpc.js'), import('./timing.js')]).then(([protocol, timing]) => {
  timeEach = timing.timeEach;
  protocol.serve(handlers, { early });
});

const handlers = {
  async init() {
    if (BACKEND === 'wasm') {
      tf.wasm.setWasmPaths('/tfjs/');
      // The threads flag is detected asynchronously; setting it decides which binary loads.
      if (THREADS <= 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      // TF.js caps its pool at navigator.hardwareConcurrency / 2 (it assumes two hyperthreads
      // per core): on a 2-vCPU machine that is one thread. Report enough cores that the cap
      // allows THREADS, so the peer gets the same threads as our threaded module.
      if (THREADS > 1 && navigator.hardwareConcurrency < 2 * THREADS)
        Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * THREADS });
      tf.wasm.setThreadsCount(THREADS);
    }
    if (!(await tf.setBackend(BACKEND))) throw new Error(`TF.js backend ${BACKEND} failed to start`);
    await tf.ready();
    model = seedModel();
    const info = {
      version: tf.version.tfjs,
      backend: tf.getBackend(),
      params: model.countParams(),
      crossOriginIsolated: self.crossOriginIsolated,
      layers: model.layers.map((l) => ({ name: l.name, output: l.outputShape, params: l.countParams() })),
    };
    if (BACKEND === 'wasm') {
      info.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      info.multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      info.threads = tf.wasm.getThreadsCount();
      info.hardwareConcurrencySeen = navigator.hardwareConcurrency;
    } else {
      info.threads = 1;
    }
    return info;
  },

  // Images from our worker's samples(): train {pixels, labels} -> batches of batchSize, and the
  // test images as the inference inputs (the same ones ours cycles through).
  setSamples({ rows, cols, train, test, batchSize }) {
    const size = rows * cols;
    digits = Array.from({ length: test.labels.length },
      (_, i) => Float32Array.from(test.pixels.subarray(i * size, (i + 1) * size), (p) => p / 255));
    batches?.forEach((b) => tf.dispose([b.xs, b.ys]));
    batches = [];
    firstBatch = null;
    for (let s = 0; s + batchSize <= train.labels.length; s += batchSize) {
      const x = Float32Array.from(train.pixels.subarray(s * size, (s + batchSize) * size), (p) => p / 255);
      firstBatch ??= { x, shape: [batchSize, rows, cols, 1] };
      const labels = Int32Array.from(train.labels.subarray(s, s + batchSize));
      batches.push({ xs: tf.tensor4d(x, [batchSize, rows, cols, 1]), ys: tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 10)) });
    }
    return { batches: batches.length };
  },

  async infer({ warmup, calls }) {
    const probs = predictOne();
    return { ...(await timeEach(predictOne, { warmup, calls })), top: probs.indexOf(Math.max(...probs)) };
  },

  // Throughput: one predict() of the first training batch per call (ms per call).
  async inferBatch({ warmup, calls }) {
    const once = () => tf.tidy(() => model.predict(tf.tensor4d(firstBatch.x, firstBatch.shape)).dataSync());
    return { ...(await timeEach(once, { warmup, calls })), batch: firstBatch.shape[0] };
  },

  // model.trainOnBatch on consecutive batches (warm-up untimed). On the wasm backend this throws
  // (no gradient kernel for Conv2D): the message is returned, not thrown, to be reported.
  async train({ batches: n, warmup }) {
    let loss = NaN;
    const once = async () => {
      const b = batches[next++ % batches.length];
      const out = await model.trainOnBatch(b.xs, b.ys);
      loss = Array.isArray(out) ? out[0] : out;
    };
    try {
      return { ...(await timeEach(once, { warmup, calls: n })), loss };
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  },

  memory() {
    const m = tf.memory();
    const out = { tensorBytes: m.numBytes, tensors: m.numTensors };
    if (BACKEND === 'wasm') out.wasmBytes = tf.backend().wasm.HEAPU8.buffer.byteLength;
    return out;
  },
};
