// Our side of the browser bench: one wasm module and one Session, driven through the same JS API
// as the page's worker (web/worker.js): predict() for inference, startTraining() + trainStep()
// for training. ?module=st loads digit_cnn.js, ?module=mt the pthreads build digit_cnn_mt.js.
import { serve } from '/web/rpc.js';
import { timeEach } from './timing.js';

const BATCH = 64;
const DIGITS = 100;
const MNIST_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte'];

let M = null;
let session = null;
let digits = null;        // the first DIGITS MNIST test images, [0, 1] floats: predict() cycles through them
let noise = null;         // one image of uniform random pixels: no blank area, no repeated windows
let batch = null;         // the first BATCH training images, [0, 1] floats, for predictBatch()
let trainOptions = null;  // options of the current training run
let position = null;      // {batch, batches} of the current epoch, from the last trainStep

async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot fetch ${url}: HTTP ${res.status} (run scripts/get-mnist.sh)`);
  return new Uint8Array(await res.arrayBuffer());
}

// Starts a fresh run with warm-up batches, so that a timed chunk never crosses an epoch end
// (whose validation pass is not training).
function restartTraining(warmup) {
  session.startTraining(trainOptions);
  position = { batch: 0, batches: Infinity };
  for (let i = 0; i < warmup; ++i) step();
}

// Loads weights/<file> into session s if the server has it (else s keeps its weights); returns
// where the weights came from.
async function loadShipped(s, file) {
  const res = await fetch(`/weights/${file}`);
  if (!res.ok) return `init (weights/${file} not found)`;
  s.loadWeights(new Uint8Array(await res.arrayBuffer()));
  return `weights/${file}`;
}

// Batch-1 latency of weights/<file> in a fresh Session. With a spec, the session starts from that
// model's initial weights and keeps them if the file is missing; without one the file is required.
async function timeShipped(file, spec, timing) {
  const s = new M.Session();
  try {
    if (spec) s.initModel(spec, 1);
    const weights = await loadShipped(s, file);
    if (!spec && !weights.startsWith('weights/')) throw new Error(`weights/${file} not found`);
    return { ...(await timeEach(cycling(s), timing)), params: s.paramCount(), layers: s.summary(), weights };
  } finally {
    s.delete();
  }
}

// predict() on the next of the test digits at each call.
function cycling(s) {
  let i = 0;
  return () => s.predict(digits[i++ % DIGITS]);
}

function step() {
  const s = session.trainStep(1);
  if (s.progress) position = { batch: s.progress.batch, batches: s.progress.batches };
  return s;
}

serve({
  async init({ threads = 1 }) {
    const threaded = new URL(self.location.href).searchParams.get('module') === 'mt';
    const file = threaded ? '/generated/digit_cnn_mt.js' : '/generated/digit_cnn.js';
    const { default: create } = await import(file);
    M = await create();
    session = new M.Session();
    const used = threaded ? session.setThreads(threads) : session.threads();
    // Inference runs the shipped seed weights, as the page does (`?model=seed`): the time depends
    // on them (inputs that are zero after a ReLU are skipped).
    const weights = await loadShipped(session, 'seed.dcnn');
    return {
      module: file,
      weights,
      threads: used,
      crossOriginIsolated: self.crossOriginIsolated,
      params: session.paramCount(),
      spec: session.spec(),
      layers: session.summary(),
    };
  },

  // All four MNIST files into the module (setData wants them all, as in the page).
  async loadData() {
    const files = await Promise.all(MNIST_FILES.map((f) => fetchBytes(`/data/mnist/${f}`)));
    const counts = session.setData(...files);
    const test = session.gatherImages('test', Int32Array.from({ length: DIGITS }, (_, i) => i));
    const size = test.rows * test.cols;
    digits = Array.from({ length: DIGITS }, (_, i) => Float32Array.from(test.pixels.subarray(i * size, (i + 1) * size), (p) => p / 255));
    let state = 12345;  // a fixed LCG: the same noise image in every run
    noise = Float32Array.from({ length: size }, () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    });
    const train = session.gatherImages('train', Int32Array.from({ length: BATCH }, (_, i) => i));
    batch = Float32Array.from(train.pixels, (p) => p / 255);
    return counts;
  },

  // The first n training images and first k test images, for the peer to use the same inputs.
  samples({ train, test }) {
    const range = (n) => Int32Array.from({ length: n }, (_, i) => i);
    const tr = session.gatherImages('train', range(train));
    const te = session.gatherImages('test', range(test));
    return {
      result: { rows: tr.rows, cols: tr.cols, train: tr, test: te },
      transfer: [tr.pixels.buffer, tr.labels.buffer, te.pixels.buffer, te.labels.buffer],
    };
  },

  // Batch-1 latency: predict() copies the image in and the 10 probabilities out, as the page does.
  // Calls cycle through DIGITS test images: the time depends on the image (inference computes each
  // run of identical conv windows, e.g. a digit's blank background, once).
  async infer({ warmup, calls }) {
    const probs = session.predict(digits[0]);
    if (probs.length !== 10) throw new Error(`predict returned ${probs.length} values`);
    return { ...(await timeEach(cycling(session), { warmup, calls })), top: probs.indexOf(Math.max(...probs)) };
  },

  // The probabilities of every test digit (the driver compares a peer that runs the same weights).
  probabilities() {
    const out = new Float32Array(DIGITS * 10);
    for (let i = 0; i < DIGITS; ++i) out.set(session.predict(digits[i]), i * 10);
    return { result: out, transfer: [out.buffer] };
  },

  // The same on random pixels, where no window repeats: the slowest input.
  async inferNoise({ warmup, calls }) {
    return timeEach(() => session.predict(noise), { warmup, calls });
  },

  // Batch-1 latency of a shipped model, weights/<file> (the model comes from the file's spec).
  async inferShipped({ file, warmup, calls }) {
    return timeShipped(file, null, { warmup, calls });
  },

  // Batch-1 latency of a reader with a "not a digit" gate (weights/<file> and weights/<gate>): both
  // predict, then the gated decision, as the page's "Robust, honest" does for each drawing.
  async inferGated({ file, gate, warmup, calls }) {
    const s = new M.Session(), g = new M.Session();
    try {
      for (const [session, f] of [[s, file], [g, gate]])
        if (!(await loadShipped(session, f)).startsWith('weights/')) throw new Error(`weights/${f} not found`);
      g.requireGate();
      let i = 0;
      const call = () => {
        const d = digits[i++ % DIGITS];
        return s.decideGated(s.predict(d), g, g.predict(d));
      };
      return { ...(await timeEach(call, { warmup, calls })), params: s.paramCount() + g.paramCount() };
    } finally {
      s.delete();
      g.delete();
    }
  },

  // Batch-1 latency of the improved model (batch norm, three conv blocks), with its shipped weights
  // (initial weights if weights/improved.dcnn is missing).
  async inferImproved({ warmup, calls }) {
    return timeShipped('improved.dcnn', M.improvedSpec(), { warmup, calls });
  },

  // Throughput: predictBatch() of BATCH images per call (ms per call; the driver divides).
  async inferBatch({ warmup, calls }) {
    return { ...(await timeEach(() => session.predictBatch(batch, BATCH), { warmup, calls })), batch: BATCH };
  },

  // Times `batches` consecutive training batches (trainStep(1) each, as the page's worker does).
  // The first call starts training on the page's default setup; later calls continue the run.
  async train({ batches, warmup, options }) {
    if (!trainOptions || position.batch + batches > position.batches) {
      trainOptions = options;
      restartTraining(warmup);
    }
    let loss = NaN;
    const r = await timeEach(() => {
      const s = step();
      loss = s.progress?.loss ?? loss;
    }, { warmup: 0, calls: batches });
    return { ...r, loss, batch: position.batch, batches: position.batches };
  },

  // Linear memory of the module: it only grows, so this is also its peak.
  memory() {
    return { wasmBytes: M.HEAPU8.buffer.byteLength };
  },

  // The current weights file (for the page weight when weights/seed.dcnn is absent).
  saveWeights() {
    const bytes = session.saveWeights();
    return { result: bytes, transfer: [bytes.buffer] };
  },
});
