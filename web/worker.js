// The Web Worker that owns a wasm module and one cnn Session. The page runs two of them: one
// answers drawing predictions, the other trains, so that predictions never wait for a batch.
//
// Protocol (rpc.js): {id, op, args} -> {id, ok: true, result} | {id, ok: false, error}; unsolicited
// {event, data} messages report data download and training progress.
import { fetchIdx, fetchMnist } from './data.js';
import { emit, serve } from './rpc.js';

let M = null;        // the wasm module (for its free functions)
let session = null;
let gate = null;      // a second Session whose "not a digit" vetoes the model's digits, or null
let training = null;  // {stopRequested} while a training loop runs
let dataCounts = null;  // {train, test, rows, cols} once MNIST is loaded

// Lets queued messages (e.g. "stopTraining") run between training steps. A MessageChannel hop
// avoids the 4 ms clamp of nested setTimeout.
const yieldChannel = new MessageChannel();
const yieldQueue = [];
yieldChannel.port1.onmessage = () => yieldQueue.shift()?.();
function yieldToEvents() {
  return new Promise((resolve) => {
    yieldQueue.push(resolve);
    yieldChannel.port2.postMessage(0);
  });
}

function modelInfo() {
  const layers = session.summary();
  let metadata = {};
  try {
    metadata = JSON.parse(session.metadata() || '{}');
  } catch {
    metadata = { raw: session.metadata() };
  }
  return { spec: session.spec(), params: session.paramCount(), layers, metadata,
    inputPreprocessing: session.inputPreprocessing(), gate: gateInfo() };
}

// The first convolution and the layer whose output shows its feature maps (its ReLU if any).
function firstConv() {
  const layers = session.summary();
  const conv = layers.findIndex((l) => l.spec.startsWith('conv'));
  if (conv < 0) return null;
  const mapsLayer = layers[conv + 1]?.spec === 'relu' ? conv + 1 : conv;
  return { conv, mapsLayer, name: layers[conv].name };
}

function filters(fc) {
  const kernel = session.layerParams(fc.conv).find((p) => p.name.endsWith('kernel'));
  return { shape: Array.from(kernel.shape), data: kernel.data };
}

function networkView() {
  const fc = firstConv();
  if (!fc) return null;
  return { name: fc.name, kernel: filters(fc), maps: session.activation(fc.mapsLayer) };
}

// pre: the drawing as the model takes it; gatePre: as the gate's model takes it (with a gate).
// ms counts both networks' forward passes.
function classify(pre, withView, gatePre = null) {
  if (pre.empty) return { empty: true, input: pre.pixels };
  const t0 = performance.now();
  const probs = session.predict(pre.pixels);
  const gateProbs = gate ? gate.predict(gatePre.pixels) : null;
  const ms = performance.now() - t0;
  const answer = gate ? session.decideGated(probs, gate, gateProbs) : session.decide(probs);
  return { empty: false, input: pre.pixels, probs, answer, ms, gated: Boolean(gate), view: withView ? networkView() : null };
}

// The gate's model, described for the Model panel, or null.
function gateInfo() {
  if (!gate) return null;
  return { ...gate.requireGate(), params: gate.paramCount(), spec: gate.spec() };
}

// The drawing as the gate's model takes it: the model's own input when both take the same input
// steps (the drawing's preprocessing is most of a prediction's time), else preprocessed again.
function gateInput(pre, again) {
  if (!gate) return null;
  return gate.inputPreprocessing() === session.inputPreprocessing() ? pre : again(gate);
}

function setGate(next) {
  gate?.delete();
  gate = next;
}

// Loads the model and, with gateBytes, a gate whose "not a digit" vetoes its digits (`where`
// names the gate's file in a message). Nothing changes unless both load and the gate can veto.
function loadPair(bytes, gateBytes, where) {
  let next = null;
  if (gateBytes) {
    next = new M.Session();
    try {
      next.setThreads(session.threads());
      next.loadWeights(gateBytes);
      next.requireGate();
    } catch (e) {
      next.delete();
      throw new Error(`The "not a digit" gate ${where}: ${e.message}`);
    }
  }
  try {
    session.loadWeights(bytes);
  } catch (e) {
    next?.delete();
    throw e;
  }
  setGate(next);
  return modelInfo();
}

async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot fetch ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

// The threaded module (pthreads) needs SharedArrayBuffer, i.e. a cross-origin isolated page;
// anywhere else, or if it fails to start, the single-threaded module does the work.
async function loadModule(threads) {
  if (threads > 1 && self.crossOriginIsolated) {
    try {
      const { default: create } = await import('./generated/digit_cnn_mt.js');
      return { M: await create(), threaded: true };
    } catch (e) {
      console.warn(`digit-cnn: threaded module unavailable (${e.message}); using one thread`);
    }
  }
  const { default: create } = await import('./generated/digit_cnn.js');
  return { M: await create(), threaded: false };
}

const handlers = {
  async init({ threads = 1 }) {
    let threaded;
    ({ M, threaded } = await loadModule(threads));
    session = new M.Session();
    if (threaded) session.setThreads(threads);
    return { specs: { seed: M.seedSpec(), improved: M.improvedSpec() }, threads: session.threads(), model: modelInfo() };
  },

  // Shipped weights and, with gateUrl, a gate: weights whose "not a digit" vetoes the digits the
  // model reads. Nothing changes unless every file loads and the gate can veto.
  async loadWeightsUrl({ url, gateUrl = null }) {
    const bytes = await fetchBytes(url);
    return loadPair(bytes, gateUrl ? await fetchBytes(gateUrl) : null, gateUrl);
  },

  // Weights from the page (upload, a saved, trained or adapted model): they answer alone, or with
  // gateBytes (a saved or adapted "Robust, honest" pair) vetoed by that gate.
  loadWeights({ bytes, gateBytes = null }) {
    return loadPair(new Uint8Array(bytes), gateBytes && new Uint8Array(gateBytes), 'saved with the model');
  },

  // The model's weights, or with {gate: true} the gate's (throws when there is none).
  saveWeights({ gate: ofGate = false } = {}) {
    if (ofGate && !gate) throw new Error('this model has no "not a digit" gate');
    const bytes = (ofGate ? gate : session).saveWeights();
    return { result: bytes, transfer: [bytes.buffer] };
  },

  modelInfo() {
    return modelInfo();
  },

  // Kernels of the first convolution ({shape, data}), or null if the model has none.
  filters() {
    const fc = firstConv();
    return fc ? filters(fc) : null;
  },

  // Canvas pixels -> the 28x28 input, probabilities and (optionally) first-layer activity.
  predictRgba({ rgba, width, height, withView }) {
    const bytes = new Uint8Array(rgba);
    const pre = session.preprocessRgba(bytes, width, height);
    return classify(pre, withView, gateInput(pre, (s) => s.preprocessRgba(bytes, width, height)));
  },

  // A photo or scan (RGBA) -> same as predictRgba, plus what core's photo cleaning found.
  predictPhoto({ rgba, width, height, withView }) {
    const bytes = new Uint8Array(rgba);
    const pre = session.preprocessPhoto(bytes, width, height);
    return { ...classify(pre, withView, gateInput(pre, (s) => s.preprocessPhoto(bytes, width, height))), darkOnLight: pre.darkOnLight };
  },

  // Mean milliseconds of preprocess + predict of the same drawing, `repeat` times, in this worker
  // (with a gate, both models: what each drawing costs).
  benchmark({ rgba, width, height, repeat }) {
    const bytes = new Uint8Array(rgba);
    const t0 = performance.now();
    for (let i = 0; i < repeat; ++i) {
      const pre = session.preprocessRgba(bytes, width, height);
      session.predict(pre.pixels);
      if (gate) gate.predict(gateInput(pre, (s) => s.preprocessRgba(bytes, width, height)).pixels);
    }
    const total = performance.now() - t0;
    const pre = session.preprocessRgba(bytes, width, height);
    const gatePre = gateInput(pre, (s) => s.preprocessRgba(bytes, width, height));
    const t1 = performance.now();
    for (let i = 0; i < repeat; ++i) {
      session.predict(pre.pixels);
      if (gate) gate.predict(gatePre.pixels);
    }
    return { msPerDigit: total / repeat, msPerPredict: (performance.now() - t1) / repeat };
  },

  async loadData({ baseUrl }) {
    if (dataCounts) return dataCounts;
    const files = await fetchMnist(baseUrl, (loaded, total) => emit('dataProgress', { loaded, total }));
    dataCounts = session.setData(...files);
    return dataCounts;
  },

  // The user's own IDX files (uncompressed), checked by core; they replace MNIST in this worker.
  setData({ trainImages, trainLabels, testImages, testLabels }) {
    dataCounts = session.setData(new Uint8Array(trainImages), new Uint8Array(trainLabels),
      new Uint8Array(testImages), new Uint8Array(testLabels));
    return dataCounts;
  },

  // Throws core's message if the model spec cannot be built.
  checkSpec({ spec }) {
    M.checkSpec(spec);
    return true;
  },

  gatherImages({ which, indices }) {
    const r = session.gatherImages(which, Int32Array.from(indices));
    return { result: r, transfer: [r.pixels.buffer, r.labels.buffer] };
  },

  // Trains a fresh model, a few batches at a time, until done or stopped. Resolves with the test
  // evaluation and the trained weights; progress arrives as "trainProgress" events.
  // With checkpoint (bytes of an earlier run's "checkpoint" event), continues that run instead.
  // At the end of every epoch but the last, a "checkpoint" event carries the run's checkpoint.
  async train({ options, checkpoint = null, misclassifiedLimit = 100 }) {
    if (training) throw new Error('training is already running');
    if (checkpoint) session.resumeTraining(options, new Uint8Array(checkpoint));
    else session.startTraining(options);
    training = { stopRequested: false };
    try {
      let step;
      for (;;) {
        // About 100 ms of batches per step: frequent progress, quick reaction to "stop".
        const t0 = performance.now();
        let progress = null;
        const epochs = [];
        do {
          step = session.trainStep(1);
          if (step.progress) progress = step.progress;
          epochs.push(...step.epochs);
        } while (!step.done && !step.epochs.length && performance.now() - t0 < 100);
        emit('trainProgress', { progress, epochs });
        if (step.done) break;
        if (epochs.length) {
          const bytes = session.checkpoint();
          emit('checkpoint', { bytes, epoch: epochs[epochs.length - 1].epoch }, [bytes.buffer]);
        }
        await yieldToEvents();
        if (training.stopRequested) {
          step = session.cancelTraining();
          break;
        }
      }
      // All epochs of the run, those before a resumed checkpoint too.
      const history = session.history();
      emit('trainPhase', { phase: 'evaluating' });
      await yieldToEvents();
      const evaluation = session.evaluateTest();
      const wrong = Array.from(evaluation.misclassified.slice(0, misclassifiedLimit));
      const images = wrong.length ? session.gatherImages('test', Int32Array.from(wrong)) : null;
      // Core's manifest of the run (the layout the CLI writes too) with the test results that
      // evaluateTest just added; the page keeps its form's options and the epochs it charts.
      session.setMetadata(JSON.stringify({ ...JSON.parse(session.trainingMetadata()), options, history }));
      const weights = session.saveWeights();
      const result = {
        cancelled: step.cancelled,
        stoppedEarly: step.stoppedEarly,
        bestEpoch: step.bestEpoch,
        history,
        evaluation: {
          n: evaluation.n,
          accuracy: evaluation.accuracy,
          loss: evaluation.loss,
          classes: evaluation.classes,
          confusion: evaluation.confusion,
          misclassifiedCount: evaluation.misclassified.length,
        },
        misclassified: images && {
          indices: wrong,
          predicted: wrong.map((i) => evaluation.predictions[i]),
          truth: Array.from(images.labels),
          pixels: images.pixels,
          rows: images.rows,
          cols: images.cols,
        },
        weights,
      };
      const transfer = [weights.buffer, evaluation.confusion.buffer];
      if (images) transfer.push(images.pixels.buffer);
      return { result, transfer };
    } finally {
      training = null;
    }
  },

  // Adapts the given weights to the user's corrected digits (bytes, n x 784, as the model saw them)
  // with the loaded training digits as replay; "fineTuneProgress" events report each step. Then
  // reads the test set. With `gate` (the weights of a "not a digit" gate) the gate is adapted too,
  // to the same digits, with the drawings that are not digits at `negatives` ({images, labels}
  // URLs of IDX files) in every batch (core's gate settings: "gate": true), so that it stops vetoing the
  // user's style and keeps rejecting the rest. Resolves with the adapted weights (and gate), whose
  // metadata records their lineage.
  async fineTune({ weights, gate: gateWeights = null, negatives = null, pixels, labels, options = {}, base }) {
    if (training) throw new Error('a training run is in progress: adapt the model after it ends');
    if (gateWeights && !session.negativesCount()) {
      if (!negatives) throw new Error('adapting a "not a digit" gate needs its negatives');
      const [images, negLabels] = await Promise.all([fetchIdx(negatives.images), fetchIdx(negatives.labels)]);
      const img = M.parseIdxImages(images);
      session.setNegatives(img.pixels, M.parseIdxLabels(negLabels));
    }
    const parts = gateWeights ? 2 : 1;
    const adaptOne = (bytes, opts, part) => {
      session.loadWeights(new Uint8Array(bytes));
      return session.fineTune(new Uint8Array(pixels), new Uint8Array(labels), opts, (step, steps, loss) => {
        emit('fineTuneProgress', { step: step + part * steps, steps: steps * parts, loss });
        return true;
      });
    };
    const withLineage = (r, extra) => {
      let meta = {};
      try {
        meta = JSON.parse(session.metadata() || '{}');
      } catch {
        // unreadable metadata: the lineage starts afresh
      }
      if (!meta || typeof meta !== 'object' || Array.isArray(meta)) meta = {};
      if (!Array.isArray(meta.lineage)) meta.lineage = [];
      meta.lineage.push({ base, examples: r.examples, settings: r.settings, date: new Date().toISOString().slice(0, 19) + 'Z' });
      Object.assign(meta, extra);
      session.setMetadata(JSON.stringify(meta));
      return meta;
    };
    const r = adaptOne(weights, options, 0);
    const evaluation = session.evaluateTest();
    // this model's test figures, not the base's
    const meta = withLineage(r, { test_accuracy: evaluation.accuracy, test_loss: evaluation.loss });
    const bytes = session.saveWeights();
    const result = { ...r, testAccuracy: evaluation.accuracy, weights: bytes, metadata: meta, gate: null };
    const transfer = [bytes.buffer];
    if (gateWeights) {
      const g = adaptOne(gateWeights, { ...options, gate: true }, 1);
      withLineage(g, { test_accuracy: undefined, test_loss: undefined });  // the base gate's, not this one's
      const gateBytes = session.saveWeights();
      result.gate = { weights: gateBytes, seconds: g.seconds, rightBefore: g.rightBefore, rightAfter: g.rightAfter, settings: g.settings };
      transfer.push(gateBytes.buffer);
      // the worker's model stays the adapted reader, as without a gate
      session.loadWeights(bytes.slice());
    }
    return { result, transfer };
  },

  // The user's digits as an IDX pair (core encodes them).
  encodeIdx({ pixels, labels, rows, cols }) {
    const images = M.encodeIdxImages(new Uint8Array(pixels), labels.length, rows, cols);
    const labelBytes = M.encodeIdxLabels(new Uint8Array(labels));
    return { result: { images, labels: labelBytes }, transfer: [images.buffer, labelBytes.buffer] };
  },

  // An IDX pair read back (core checks it): {count, rows, cols, pixels, labels}.
  parseIdx({ images, labels }) {
    const img = M.parseIdxImages(new Uint8Array(images));
    const lab = M.parseIdxLabels(new Uint8Array(labels));
    if (lab.length !== img.count)
      throw new Error(`the labels file has ${lab.length} labels but the images file has ${img.count} images`);
    return { result: { ...img, labels: lab }, transfer: [img.pixels.buffer, lab.buffer] };
  },

  stopTraining() {
    if (training) training.stopRequested = true;
    return { stopping: Boolean(training) };
  },
};

serve(handlers, {
  check(op) {
    if (!session && op !== 'init') throw new Error('the wasm module is not initialised');
  },
});
