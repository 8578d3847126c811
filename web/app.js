// The page: wires the drawing pad, the inference worker, the model panel, training and the data
// preview together. Two workers run worker.js: "infer" answers drawings at once, "trainer" (made
// on first use) loads MNIST and trains, so a running training never delays a prediction.
import { WorkerClient } from './rpc.js';
import { DrawingPad } from './draw.js';
import { decodeImage, rgbaFromImage } from './photo.js';
import { ModelPanel, fetchModelList } from './model.js';
import { readIdxFiles } from './idxfiles.js';
import { SavedModels } from './saved.js';
import { YourDigits } from './mine.js';
import { TrainingPanel } from './training.js';
import { startServiceWorker } from './service.js';
import * as ui from './ui.js';

const $ = (id) => document.getElementById(id);
const WORKER_URL = new URL('./worker.js', import.meta.url);
const weightsUrl = (name) => new URL(`weights/${name}.dcnn`, document.baseURI);
const MODEL_LIST_URL = new URL('weights/index.json', document.baseURI);
const DATA_URL = new URL('data/mnist/', document.baseURI);
// Threads for training (the threaded module needs cross-origin isolation); ?threads=N overrides.
// Firefox (153 ESR, headless) sometimes deadlocks while a worker starts the threaded module's own
// workers (about one start in eight in our tests), so it trains on one thread unless asked.
const IS_FIREFOX = /\bFirefox\//.test(navigator.userAgent);
const TRAINING_THREADS = Math.max(1, Math.min(4, Number(new URLSearchParams(location.search).get('threads')) ||
  (IS_FIREFOX ? 1 : navigator.hardwareConcurrency || 1)));
const THREADED_START_TIMEOUT_MS = 20000;

const infer = new WorkerClient(WORKER_URL);
const pad = new DrawingPad($('pad'));
ui.renderBars($('bars'), null);

// ---- predictions -------------------------------------------------------------------------------

let photo = null;          // {rgba, width, height, name} while a photo is shown
let generation = 0;        // bumped by clear: late answers for an old drawing are dropped
let dirty = false, busy = false, frame = 0;
let networkVisible = false;
let shown = null;          // {input, strokes} of the drawing whose answer is shown, for corrections
let lastMapsShape = { h: 28, w: 28, c: 32 };  // feature-map grid shown empty before a drawing

function requestPrediction() {
  dirty = true;
  if (!frame) frame = requestAnimationFrame(() => {
    frame = 0;
    predict();
  });
}

async function predict() {
  if (busy || !dirty) return;
  dirty = false;
  if (pad.isEmpty()) return showEmpty();
  busy = true;
  const gen = generation;
  try {
    let r;
    if (photo) {
      // A copy: the photo is classified again whenever the model changes.
      const { rgba, width, height, name } = photo;
      r = await infer.call('predictPhoto', { rgba, width, height, withView: networkVisible });
      if (gen === generation)
        $('photo-label').textContent = `Photo: ${name}${r.empty ? '' : r.darkOnLight ? ' · dark ink on light paper' : ' · light ink on a dark ground'}`;
    } else {
      const img = pad.pixels();
      r = await infer.call('predictRgba', { rgba: img.data.buffer, width: img.width, height: img.height, withView: networkVisible },
        [img.data.buffer]);
    }
    if (gen === generation) showResult(r);
  } catch (e) {
    if (gen === generation) showVerdict('?', 'Something went wrong', e.message);
  } finally {
    busy = false;
    if (dirty) requestPrediction();
  }
}

// "an 8", "a 7".
const article = (d) => (d === 8 ? 'an' : 'a');

function showVerdict(digit, title, detail, empty = true) {
  const d = $('prediction');
  d.textContent = digit;
  d.dataset.empty = String(empty);
  $('verdict-title').textContent = title;
  $('confidence').textContent = detail;
}

function showEmpty() {
  showVerdict('?', photo ? 'No digit found in the photo' : 'Draw a digit',
    photo ? 'Try a photo with a single dark digit on light paper.' : 'The network will guess as you draw.');
  ui.renderBars($('bars'), null);
  ui.drawGray($('input28'), null, 28, 28);
  if (lastMapsShape) ui.renderMaps($('maps'), { ...lastMapsShape, data: new Float32Array(lastMapsShape.h * lastMapsShape.w * lastMapsShape.c) });
  $('maps-caption').textContent = '(draw something)';
  $('latency').textContent = '';
  document.body.dataset.prediction = '';
  document.body.dataset.answer = '';
  shown = null;
}

function showResult(r) {
  if (r.empty) {
    ui.drawGray($('input28'), r.input, 28, 28);
    showEmpty();
    return;
  }
  // Bars for the ten digits, as probabilities if it is a digit; a model with an eleventh output
  // ("not a digit") gives that one in the verdict.
  const a = r.answer;
  const probs = Array.from(a.digitProbs);
  const [k1, p1, k2, p2] = [a.best, a.bestP, a.second, a.secondP];
  if (!a.isDigit) {
    showVerdict('?', 'Not a digit?', `Best guesses: ${k1} (${ui.fmtPct(probs[k1], 1)}) or ${k2} (${ui.fmtPct(probs[k2], 1)})` +
      (a.notDigitP > 0 ? ` if it is a digit; not a digit: ${ui.fmtPct(a.notDigitP, 1)}` : ''), false);
  } else if (p1 >= 0.5) {
    showVerdict(String(k1), `It's ${article(k1)} ${k1}`, `${ui.fmtPct(p1, 1)} sure${p2 > 0.05 ? `; next best ${k2} (${ui.fmtPct(p2, 1)})` : ''}`, false);
  } else {
    showVerdict(String(k1), `Maybe ${article(k1)} ${k1}?`, `Not sure: ${k1} (${ui.fmtPct(p1, 1)}) or ${k2} (${ui.fmtPct(p2, 1)})`, false);
  }
  document.body.dataset.answer = a.isDigit ? 'digit' : 'not-a-digit';
  shown = { input: r.input, strokes: photo ? null : pad.strokes() };
  ui.renderBars($('bars'), probs);
  ui.drawGray($('input28'), r.input, 28, 28);
  $('latency').textContent = `Inference: ${r.ms.toFixed(1)} ms in WebAssembly.`;
  document.body.dataset.prediction = String(k1);
  if (r.view) {
    ui.renderFilters($('filters'), r.view.kernel);
    ui.renderMaps($('maps'), r.view.maps);
    lastMapsShape = { h: r.view.maps.h, w: r.view.maps.w, c: r.view.maps.c };
    $('maps-caption').textContent = `(${r.view.maps.c} maps of ${r.view.maps.h}×${r.view.maps.w}, after ReLU)`;
    $('filters-caption').textContent = `(${r.view.kernel.shape[3]} of ${r.view.kernel.shape[0]}×${r.view.kernel.shape[1]})`;
  }
}

pad.addEventListener('strokestart', () => {
  $('prompt').classList.add('gone');
  teach('Wrong? Tap the right digit above, or press its key, to teach the network your hand.');
});
pad.addEventListener('change', requestPrediction);
pad.addEventListener('clear', () => {
  generation++;
  photo = null;
  $('photo-label').hidden = true;
  $('prompt').classList.remove('gone');
  dirty = false;
  showEmpty();
});
$('clear').addEventListener('click', () => pad.clear());
document.addEventListener('keydown', (e) => {
  if (e.target.closest?.('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === 'Escape' || e.key === 'Delete') pad.clear();
  else if (/^[0-9]$/.test(e.key)) correct(Number(e.key));
});

// ---- corrections -------------------------------------------------------------------------------

function teach(text, kept = false) {
  const el = $('teach');
  el.textContent = text;
  el.classList.toggle('kept', kept);
}

// The shown drawing is really a `digit`: kept in "Your digits", and the pad cleared for the next.
async function correct(digit) {
  if (!shown || busy || dirty) return;
  const { input, strokes } = shown;
  const n = await mine.add(digit, input, strokes);
  if (n === null) return teach('Not kept: see “Your digits” below.');
  pad.clear();
  teach(`Kept as a ${digit} in “Your digits” (${n}). Draw the next, or adapt the model to them below.`, true);
}

$('bars').addEventListener('click', (e) => {
  const li = e.target.closest('li');
  if (li) correct([...li.parentNode.children].indexOf(li));
});
$('bars').addEventListener('keydown', (e) => {
  const li = e.target.closest('li');
  if (li && (e.key === 'Enter' || e.key === ' ')) {
    e.preventDefault();
    correct([...li.parentNode.children].indexOf(li));
  }
});

// Feature maps are computed only while that section can be seen.
new IntersectionObserver((entries) => {
  networkVisible = entries.some((e) => e.isIntersecting);
  if (networkVisible && !pad.isEmpty()) requestPrediction();
}).observe($('network'));

// ---- photos ------------------------------------------------------------------------------------

async function classifyPhoto(file) {
  try {
    const image = await decodeImage(file);
    pad.clear();
    pad.showImage(image);
    photo = { ...rgbaFromImage(image), name: file.name };
    $('prompt').classList.add('gone');
    const label = $('photo-label');
    label.textContent = `Photo: ${file.name}`;
    label.hidden = false;
    requestPrediction();
  } catch (e) {
    showVerdict('?', 'Could not read the photo', e.message);
  }
}

$('photo-input').addEventListener('change', (e) => {
  const f = e.target.files[0];
  if (f) classifyPhoto(f);
  e.target.value = '';
});

// ---- model -------------------------------------------------------------------------------------

const model = new ModelPanel({
  infer,
  weightsUrl,
  onModelChanged: () => {
    if (!pad.isEmpty()) requestPrediction();
    refreshFilters();
  },
});

const saved = new SavedModels({
  open: (bytes, source, gate) => model.adopt(bytes, source, gate),
  current: async () => ({
    bytes: await infer.call('saveWeights'),
    gate: model.info?.gate ? await infer.call('saveWeights', { gate: true }) : null,
    info: model.info, source: model.source,
  }),
});

const mine = new YourDigits({
  infer, getTrainer: () => getTrainer(), ensureData: (fn) => ensureData(fn), model, saved,
  negativesUrl: (part) => new URL(`weights/gate-negatives-${part}-ubyte.gz`, document.baseURI),
});

async function refreshFilters() {
  const kernel = await infer.call('filters').catch(() => null);
  if (!kernel) return ui.clearCanvas($('filters'));
  ui.renderFilters($('filters'), kernel);
  $('filters-caption').textContent = `(${kernel.shape[3]} of ${kernel.shape[0]}×${kernel.shape[1]})`;
}

// Drag and drop anywhere: photos to the pad, anything else to the weights loader. The pad and the
// weights drop zone handle their own drops.
let dragDepth = 0;
document.addEventListener('dragenter', (e) => {
  if (![...(e.dataTransfer?.types ?? [])].includes('Files')) return;
  dragDepth++;
  $('page-drop').hidden = false;
});
document.addEventListener('dragleave', () => {
  if (--dragDepth <= 0) {
    dragDepth = 0;
    $('page-drop').hidden = true;
  }
});
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('digitcnn:dropdone', () => {
  dragDepth = 0;
  $('page-drop').hidden = true;
});
document.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  $('page-drop').hidden = true;
  const file = e.dataTransfer?.files?.[0];
  if (!file) return;
  if (file.type.startsWith('image/')) classifyPhoto(file);
  else model.loadFile(file);
});
const frameEl = $('pad-frame');
frameEl.addEventListener('dragover', (e) => {
  e.preventDefault();
  frameEl.classList.add('dragover');
});
frameEl.addEventListener('dragleave', () => frameEl.classList.remove('dragover'));
frameEl.addEventListener('drop', (e) => {
  e.preventDefault();
  e.stopPropagation();
  frameEl.classList.remove('dragover');
  dragDepth = 0;
  $('page-drop').hidden = true;
  const file = e.dataTransfer?.files?.[0];
  if (file) classifyPhoto(file);
});

// ---- training and data -------------------------------------------------------------------------

let trainerPromise = null;
function getTrainer() {
  trainerPromise ??= startTrainer(TRAINING_THREADS);
  trainerPromise.catch(() => (trainerPromise = null));
  return trainerPromise;
}

// A training worker; if the threaded module does not start in time, that worker is ended and a
// single-threaded one takes its place.
async function startTrainer(threads) {
  const t = new WorkerClient(WORKER_URL);
  t.on('trainProgress', (d) => training.onProgress(d));
  t.on('trainPhase', (d) => training.onPhase(d));
  t.on('checkpoint', (d) => training.onCheckpoint(d));
  t.on('dataProgress', (d) => dataListeners.forEach((fn) => fn(d.loaded, d.total)));
  const init = t.call('init', { threads });
  let timer;
  const timeout = new Promise((resolve, reject) => {
    if (threads > 1) timer = setTimeout(() => reject(new Error('the threaded module did not start')), THREADED_START_TIMEOUT_MS);
  });
  try {
    const info = await Promise.race([init, timeout]);
    t.threads = info.threads;
    return t;
  } catch (e) {
    t.terminate();
    if (threads > 1) {
      console.warn(`digit-cnn: ${e.message}; training on one thread`);
      return startTrainer(1);
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

const dataListeners = new Set();
let dataPromise = null;
function ensureData(onProgress) {
  if (onProgress) dataListeners.add(onProgress);
  dataPromise ??= getTrainer().then((t) => t.call('loadData', { baseUrl: String(DATA_URL) }));
  dataPromise.catch(() => (dataPromise = null));
  return dataPromise.finally(() => onProgress && dataListeners.delete(onProgress));
}

// The user's own IDX files replace MNIST for training (four files, picked or dropped on the
// training card); core refuses what it cannot use, with its message, and MNIST stays in place.
async function useOwnFiles(fileList) {
  const text = $('train-data-text');
  try {
    const f = await readIdxFiles(fileList);
    const trainer = await getTrainer();
    const counts = await trainer.call('setData', f, [f.trainImages.buffer, f.trainLabels.buffer, f.testImages.buffer, f.testLabels.buffer]);
    dataPromise = Promise.resolve(counts);
    text.textContent = `your files: ${ui.fmtInt(counts.train)} training images (${f.names.trainImages}) and ` +
      `${ui.fmtInt(counts.test)} test images (${f.names.testImages}), ${counts.rows}×${counts.cols}`;
    $('train-size').value = String(counts.train);
    training?.showError('');
    document.body.dataset.ownData = String(counts.train);
  } catch (e) {
    training?.showError(`Your files cannot be used: ${e.message.replace(/\.?$/, '.')} Training uses ${dataPromise ? 'the data loaded before' : 'MNIST'}.`);
  }
}
$('train-files').addEventListener('change', (e) => {
  if (e.target.files.length) useOwnFiles(e.target.files);
  e.target.value = '';
});
$('train').addEventListener('dragover', (e) => e.preventDefault());
$('train').addEventListener('drop', (e) => {
  e.preventDefault();
  e.stopPropagation();
  document.dispatchEvent(new Event('digitcnn:dropdone'));
  if (e.dataTransfer?.files?.length) useOwnFiles(e.dataTransfer.files);
});

let training;

async function showSamples() {
  const button = $('data-load');
  button.disabled = true;
  const caption = $('data-caption');
  try {
    const counts = await ensureData((loaded, total) => {
      caption.textContent = `Loading MNIST… ${(loaded / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB`;
    });
    const trainer = await getTrainer();
    // Four full rows at the grid's current width.
    const grid = $('data-grid');
    const columns = Math.max(4, Math.floor((grid.clientWidth + 8) / (64 + 8)));
    const indices = Array.from({ length: 4 * columns }, () => Math.floor(Math.random() * counts.train));
    const r = await trainer.call('gatherImages', { which: 'train', indices });
    const size = r.rows * r.cols;
    ui.renderDigitGrid($('data-grid'), r.pixels, r.rows, r.cols, indices.map((idx, k) => ({
      offset: k * size,
      caption: `<b>${r.labels[k]}</b>`,
      title: `training image ${idx}, label ${r.labels[k]}`,
    })));
    caption.textContent = `${indices.length} random digits of the ${ui.fmtInt(counts.train)} training images, with their labels ` +
      `(${ui.fmtInt(counts.test)} more are kept for testing).`;
    button.hidden = true;
    $('data-shuffle').hidden = false;
  } catch (e) {
    caption.textContent = `Could not load MNIST: ${e.message}`;
  } finally {
    button.disabled = false;
  }
}
$('data-load').addEventListener('click', showSamples);
$('data-shuffle').addEventListener('click', showSamples);

// ---- start -------------------------------------------------------------------------------------

async function main() {
  const sw = await startServiceWorker();
  document.body.dataset.serviceWorker = sw.state;
  if (sw.reloading) return;
  let specs;
  try {
    const init = await infer.call('init');
    specs = init.specs;
  } catch (e) {
    model.badge('error', 'WebAssembly failed to start');
    model.showError('The network could not start in this browser.', ` ${e.message}`);
    document.body.dataset.ready = 'error';
    return;
  }
  training = new TrainingPanel({
    getTrainer,
    ensureData,
    specs,
    checkSpec: (spec) => infer.call('checkSpec', { spec }),
    onTrained: async (bytes, result, options) => {
      // A copy to save: adopting hands the bytes over to the inference worker.
      const copy = bytes.slice();
      await model.adopt(bytes, 'trained in this browser');
      await saved.save(copy, {
        name: `trained ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`, source: 'trained in this browser',
        spec: model.info.spec, params: model.info.params, accuracy: result.evaluation.accuracy, settings: options,
        epochs: result.history.length, cancelled: result.cancelled,
      });
    },
    onBusy: (busy) => {
      if (busy) model.badge('training', 'Training in the background…');
      else if (model.info) model.show(model.info, model.source);
    },
  });
  // The first model of the list, or the one named by ?model=NAME.
  const models = await fetchModelList(MODEL_LIST_URL);
  model.showModelList(models);
  const asked = new URLSearchParams(location.search).get('model');
  const start = models.find((m) => m.name === asked) ?? models[0];
  await model.loadPretrained(start.name, { initial: true });
  await saved.refresh();
  await mine.refresh();
  training.offerResume();
  if (asked && start.name !== asked)
    model.showError(`There is no model called “${asked}” here;`, ` opened ${start.name} instead.`);
  showEmpty();
  refreshFilters();
  document.body.dataset.ready = 'true';
}

// A small handle for tests and the curious (e.g. timing from the devtools console).
window.digitCnn = {
  pad,
  infer,
  getTrainer,
  // Timing of the current drawing: preprocess + predict inside the worker (mean ms over `repeat`),
  // and the whole round trip the page makes per update (canvas read, message, worker, answer).
  async benchmark(repeat = 200) {
    let img = pad.pixels();
    const inWorker = await infer.call('benchmark', { rgba: img.data.buffer, width: img.width, height: img.height, repeat }, [img.data.buffer]);
    const trips = Math.max(1, Math.round(repeat / 4));
    const t0 = performance.now();
    for (let i = 0; i < trips; ++i) {
      img = pad.pixels();
      await infer.call('predictRgba', { rgba: img.data.buffer, width: img.width, height: img.height, withView: false }, [img.data.buffer]);
    }
    return { ...inWorker, msRoundTrip: (performance.now() - t0) / trips, canvas: [img.width, img.height] };
  },
};

main();
