// The training panel: options, start/stop, live progress and charts, then the test evaluation
// (accuracy, confusion matrix, misclassified digits). Training runs in its own worker; this file
// only sends options and draws what comes back.
import { LineChart } from './charts.js';
import * as store from './store.js';
import { fmtDuration, fmtInt, fmtPct, renderConfusion, renderDigitGrid } from './ui.js';

const $ = (id) => document.getElementById(id);
const VALIDATION_SPLIT = 0.1;

export class TrainingPanel {
  // getTrainer() -> Promise<WorkerClient>; ensureData(onProgress) -> Promise<counts>;
  // onTrained(weightsBytes, result, options) -> Promise.
  // specs: {seed, improved}, the model specs offered as presets; checkSpec(spec) -> Promise that
  // rejects with core's message for a spec that cannot be built.
  constructor({ getTrainer, ensureData, specs, checkSpec, onTrained, onBusy }) {
    this.getTrainer = getTrainer;
    this.ensureData = ensureData;
    this.checkSpec = checkSpec;
    this.onTrained = onTrained;
    this.onBusy = onBusy;
    this.running = false;
    this.trainer = null;

    // The seed model is the default: it trains about three times faster than the improved one.
    $('train-spec').value = specs.seed;
    for (const b of document.querySelectorAll('[data-spec]'))
      b.addEventListener('click', () => ($('train-spec').value = specs[b.dataset.spec]));
    $('train-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.start();
    });
    $('train-stop').addEventListener('click', () => this.stop());
    $('train-resume-go').addEventListener('click', () => this.resume());
    $('train-resume-discard').addEventListener('click', () => {
      store.clearCheckpoint().catch(() => {});
      $('train-resume').hidden = true;
    });

    const accent = getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() || '#4f46e5';
    this.colors = { train: accent, val: '#e8772e' };
    this.lossChart = new LineChart($('loss-chart'), { title: 'Loss', xLabel: 'epoch', zeroBased: true, yMin: 0 });
    this.accChart = new LineChart($('acc-chart'), {
      title: 'Accuracy', xLabel: 'epoch', yMin: 0, yMax: 1, yFormat: (v) => `${Math.round(v * 100)}%`,
    });
  }

  options() {
    const num = (id) => Number($(id).value);
    const o = {
      spec: $('train-spec').value.trim().replace(/\s+/g, ' '),
      epochs: num('train-epochs'),
      trainSize: Math.round(num('train-size')),
      batchSize: num('train-batch'),
      learningRate: num('train-lr'),
      seed: Math.round(num('train-seed')),
      validationSplit: VALIDATION_SPLIT,
      lrSchedule: $('train-schedule').value,
      labelSmoothing: num('train-smoothing'),
      augment: $('train-augment').checked,
    };
    // The page's own limits (the form's constraints hold the rest); core checks every setting
    // again and its messages reach the page.
    if (!o.spec) throw new Error('the model spec is empty');
    if (!(o.epochs >= 1 && o.epochs <= 5)) throw new Error('epochs must be between 1 and 5');
    if (!(o.trainSize >= 100 && o.trainSize <= 60000)) throw new Error('use between 100 and 60,000 training images');
    if (!(o.seed >= 0)) throw new Error('the seed must be a non-negative integer');
    return o;
  }

  setRunning(running) {
    this.running = running;
    for (const el of $('train-form').querySelectorAll('input, select, textarea, [data-spec]')) el.disabled = running;
    $('train-start').disabled = running;
    $('train-stop').disabled = !running;
    this.onBusy?.(running);
  }

  status(html, fraction) {
    $('train-progress-block').hidden = false;
    $('train-status').innerHTML = html;
    const bar = $('train-bar');
    bar.classList.toggle('indeterminate', fraction === null);
    if (fraction !== null) bar.style.width = `${(100 * Math.max(0, Math.min(1, fraction))).toFixed(1)}%`;
  }

  showError(message) {
    const box = $('train-error');
    box.textContent = message;
    box.hidden = !message;
  }

  // After a reload: offers to continue a run that was interrupted after a completed epoch.
  async offerResume() {
    let c;
    try {
      c = await store.loadCheckpoint();
    } catch {
      return;
    }
    if (!c || this.running) return;
    $('train-resume-text').textContent = `A training run stopped after epoch ${c.epoch} of ${c.options.epochs} ` +
      `(${fmtInt(c.options.trainSize)} images, started ${c.created.slice(0, 16).replace('T', ' ')}) when the page closed.`;
    $('train-resume').hidden = false;
  }

  async resume() {
    let c;
    try {
      c = await store.loadCheckpoint();
    } catch (e) {
      this.showError(`Cannot resume: ${e.message}`);
      return;
    }
    $('train-resume').hidden = true;
    if (c) this.start(c);
  }

  // Saved at the end of each epoch, so that a reload can continue from there.
  async onCheckpoint({ bytes, epoch }) {
    if (!this.running || !this.runOptions) return;
    const record = { options: this.runOptions, epoch, created: this.runCreated, bytes };
    this.checkpointSaving = store.saveCheckpoint(record).then(
      () => (document.body.dataset.checkpointEpoch = String(epoch)),
      (e) => console.warn(`digit-cnn: checkpoint not saved: ${e.message}`));
    await this.checkpointSaving;
  }

  // resumed: a stored checkpoint ({options, epoch, created, bytes}) to continue, or none.
  async start(resumed = null) {
    if (this.running) return;
    let options;
    try {
      options = resumed ? resumed.options : this.options();
      await this.checkSpec(options.spec);
    } catch (e) {
      this.showError(`Cannot start: ${e.message.replace(/\.?$/, '.')}`);
      return;
    }
    this.runOptions = options;
    this.runCreated = resumed?.created ?? new Date().toISOString();
    $('train-resume').hidden = true;
    this.showError('');
    this.setRunning(true);
    this.stopRequested = false;
    $('train-results').hidden = true;
    try {
      this.status('Starting the training worker…', null);
      this.trainer = await this.getTrainer();
      const counts = await this.ensureData((loaded, total) =>
        this.status(`Loading MNIST… <b>${(loaded / 1e6).toFixed(1)}</b> of ${(total / 1e6).toFixed(1)} MB`, total ? loaded / total : null));
      if (options.trainSize > counts.train) options.trainSize = counts.train;
      if (this.stopRequested) {
        this.status('Stopped before training began.', 0);
        return;
      }
      this.resetCharts(options);
      this.status(resumed ? `Resuming after epoch ${resumed.epoch}…` : 'Building the model…', 0);
      const result = await this.trainer.call('train', { options, checkpoint: resumed?.bytes ?? null });
      await this.checkpointSaving;  // so that the clearing below comes last
      await store.clearCheckpoint().catch(() => {});
      await this.finish(result, options);
    } catch (e) {
      await this.checkpointSaving;
      await store.clearCheckpoint().catch(() => {});
      this.showError(`Training failed: ${e.message}`);
      this.status('Training did not complete.', 0);
    } finally {
      this.runOptions = null;
      this.setRunning(false);
    }
  }

  stop() {
    if (!this.running) return;
    this.stopRequested = true;
    $('train-stop').disabled = true;
    $('train-status').innerHTML = 'Stopping after the current batch…';
    this.trainer?.call('stopTraining').catch(() => {});
  }

  resetCharts(options) {
    this.lastProgress = null;
    this.curve = { loss: [], acc: [], valLoss: [], valAcc: [] };
    this.epochs = options.epochs;
    $('charts').hidden = false;
    this.drawCharts();
  }

  drawCharts() {
    const c = this.curve, col = this.colors;
    this.lossChart.setData([
      { name: 'training', color: col.train, points: c.loss },
      { name: 'validation', color: col.val, points: c.valLoss, markers: true, dash: [5, 4] },
    ], this.epochs);
    this.accChart.setData([
      { name: 'training', color: col.train, points: c.acc },
      { name: 'validation', color: col.val, points: c.valAcc, markers: true, dash: [5, 4] },
    ], this.epochs);
  }

  // Called for every "trainProgress" event of the training worker.
  onProgress({ progress: p, epochs }) {
    if (!this.running || !this.curve) return;
    if (p) {
      this.lastProgress = p;
      const x = p.epoch - 1 + p.batch / p.batches;
      this.curve.loss.push([x, p.loss]);
      this.curve.acc.push([x, p.accuracy]);
      const done = (p.epoch - 1 + p.batch / p.batches) / p.epochs;
      // The rest of this epoch, then the later ones at this epoch's pace.
      const left = p.etaSeconds + (p.epochs - p.epoch) * (p.elapsedSeconds + p.etaSeconds);
      if (!this.stopRequested)
        this.status(
          `Epoch <b>${p.epoch}</b> of ${p.epochs} · batch <b>${fmtInt(p.batch)}</b> of ${fmtInt(p.batches)} · ` +
          `loss <b>${p.loss.toFixed(3)}</b> · accuracy <b>${fmtPct(p.accuracy, 1)}</b> · ` +
          `<b>${fmtInt(p.imagesPerSecond)}</b> images/s · about ${fmtDuration(left)} left`,
          done);
    }
    for (const e of epochs) {
      if (e.hasValidation) {
        this.curve.valLoss.push([e.epoch, e.valLoss]);
        this.curve.valAcc.push([e.epoch, e.valAccuracy]);
      }
      this.lastEpoch = e;
    }
    this.drawCharts();
  }

  onPhase({ phase }) {
    if (phase === 'evaluating') this.status('Evaluating on the 10,000 test images…', null);
  }

  async finish(result, options) {
    const ev = result.evaluation;
    await this.onTrained(result.weights, result, options);
    const last = result.history[result.history.length - 1];
    const p = this.lastProgress;
    const when = result.cancelled && p
      ? `Stopped in epoch ${p.epoch} of ${p.epochs} at batch ${fmtInt(p.batch)} of ${fmtInt(p.batches)}`
      : `Done after ${result.history.length} epoch${result.history.length === 1 ? '' : 's'}`;
    this.status(
      when +
      (last ? ` · last epoch ${fmtInt(last.imagesPerSecond)} images/s, ${fmtDuration(last.seconds)}` : '') +
      (last?.hasValidation ? ` · validation accuracy <b>${fmtPct(last.valAccuracy)}</b>` : '') +
      ` · ${this.trainer.threads > 1 ? `${this.trainer.threads} threads` : 'one thread'}`,
      1);
    $('test-accuracy').textContent = fmtPct(ev.accuracy);
    $('test-detail').textContent = `on ${fmtInt(ev.n)} test images · loss ${ev.loss.toFixed(4)} · ${fmtInt(ev.misclassifiedCount)} misclassified`;
    const restored = result.bestEpoch && result.bestEpoch !== result.history.length
      ? ` It keeps the weights of epoch ${result.bestEpoch}, the best on validation.` : '';
    $('train-note').textContent = (result.cancelled
      ? 'Training was stopped early; the model trained so far is now active.'
      : `The new model (${fmtInt(options.trainSize)} images, ${options.epochs} epoch${options.epochs === 1 ? '' : 's'}) is now active.`) +
      restored + ' Draw a digit to try it, or download its weights from the Model panel.';
    renderConfusion($('confusion'), ev.confusion, ev.classes);
    const m = result.misclassified;
    if (m) {
      const size = m.rows * m.cols;
      renderDigitGrid($('misclassified'), m.pixels, m.rows, m.cols, m.indices.map((idx, k) => ({
        offset: k * size,
        caption: `<b>${m.predicted[k]}</b> · true ${m.truth[k]}`,
        title: `test image ${idx}: predicted ${m.predicted[k]}, true ${m.truth[k]}`,
        wrong: true,
      })));
      $('wrong-caption').textContent = `(predicted · true; ${m.indices.length < ev.misclassifiedCount ? `first ${m.indices.length} of ${fmtInt(ev.misclassifiedCount)}` : 'all'})`;
    } else {
      $('misclassified').replaceChildren();
      $('wrong-caption').textContent = '(none)';
    }
    $('train-results').hidden = false;
  }
}
