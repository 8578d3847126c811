// "Your digits": drawings the user corrected (the 28x28 input the network saw, its label and the
// strokes), kept in the browser next to the saved models, shown as a grid, downloadable and
// loadable as IDX files; and "Adapt", which fine-tunes the current model on them (with MNIST
// replay, in the training worker: core's fine_tune; a "not a digit" gate is adapted with it) and
// makes the result a new saved model, with the model it came from one click away.
import * as store from './store.js';
import { downloadBytes, drawBytes, fmtPct } from './ui.js';

const $ = (id) => document.getElementById(id);
const SIDE = 28;

function toBytes(values) {
  return Uint8Array.from(values, (v) => Math.max(0, Math.min(255, Math.round(255 * v))));
}

export class YourDigits {
  // infer: the inference worker; getTrainer/ensureData: the training worker and its MNIST;
  // model: the Model panel; saved: the saved models.
  // negativesUrl(part) -> URL of the gate's replay of drawings that are not digits (part
  // 'images-idx3' or 'labels-idx1').
  constructor({ infer, getTrainer, ensureData, model, saved, negativesUrl }) {
    Object.assign(this, { infer, getTrainer, ensureData, model, saved, negativesUrl });
    this.examples = [];
    this.base = null;  // {bytes, source, name} of the model the last adaptation started from
    this.busy = false;
    $('mine-adapt').addEventListener('click', () => this.adapt());
    $('mine-base').addEventListener('click', () => this.backToBase());
    $('mine-download').addEventListener('click', () => this.download());
    $('mine-clear').addEventListener('click', () => this.clearAll());
    $('mine-files').addEventListener('change', (e) => {
      if (e.target.files.length) this.loadFiles(e.target.files);
      e.target.value = '';
    });
  }

  async refresh() {
    try {
      this.examples = await store.listExamples();
      this.showError('');
    } catch (e) {
      this.examples = [];
      this.showError(`Your digits cannot be kept in this browser: ${e.message}.`);
    }
    this.render();
  }

  showError(text) {
    const el = $('mine-error');
    el.textContent = text;
    el.hidden = !text;
  }

  status(html) {
    $('mine-status').innerHTML = html;
  }

  render() {
    const grid = $('mine-grid');
    const frag = document.createDocumentFragment();
    for (const ex of this.examples) {
      const fig = document.createElement('figure');
      fig.dataset.id = String(ex.id);
      fig.dataset.label = String(ex.label);
      const canvas = document.createElement('canvas');
      canvas.className = 'pixelated';
      drawBytes(canvas, ex.pixels, 0, SIDE, SIDE);
      const cap = document.createElement('figcaption');
      cap.innerHTML = `<b>${ex.label}</b>`;
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'mine-delete';
      del.textContent = '×';
      del.title = `Delete this ${ex.label}`;
      del.setAttribute('aria-label', `Delete this ${ex.label}`);
      del.addEventListener('click', () => this.remove(ex.id));
      fig.append(canvas, cap, del);
      frag.append(fig);
    }
    grid.replaceChildren(frag);
    const n = this.examples.length;
    $('mine-empty').hidden = n > 0;
    $('mine-count').textContent = n ? `${n} digit${n === 1 ? '' : 's'}` : '';
    $('mine-adapt').disabled = this.busy || n === 0;
    $('mine-download').disabled = n === 0;
    $('mine-clear').disabled = n === 0;
    document.body.dataset.mine = String(n);
  }

  // Keeps a corrected drawing: label, the model's input (floats in [0, 1]) and the strokes.
  // Resolves with the number of digits kept, or null if the browser refused.
  async add(label, input, strokes) {
    try {
      const [record] = await store.addExamples([{ label, pixels: toBytes(input), strokes, created: new Date().toISOString() }]);
      this.examples.push(record);
      this.showError('');
      this.render();
      return this.examples.length;
    } catch (e) {
      this.showError(`Not kept: ${e.message}.`);
      return null;
    }
  }

  async remove(id) {
    try {
      await store.deleteExample(id);
      this.examples = this.examples.filter((e) => e.id !== id);
      this.showError('');
    } catch (e) {
      this.showError(`Could not delete: ${e.message}.`);
    }
    this.render();
  }

  async clearAll() {
    if (!confirm(`Delete all ${this.examples.length} of your digits from this browser?`)) return;
    try {
      await store.clearExamples();
      this.examples = [];
      this.showError('');
    } catch (e) {
      this.showError(`Could not delete them: ${e.message}.`);
    }
    this.render();
  }

  packed() {
    const pixels = new Uint8Array(this.examples.length * SIDE * SIDE);
    this.examples.forEach((e, i) => pixels.set(e.pixels, i * SIDE * SIDE));
    return { pixels, labels: this.examples.map((e) => e.label) };
  }

  async download() {
    try {
      const { pixels, labels } = this.packed();
      const r = await this.infer.call('encodeIdx', { pixels, labels, rows: SIDE, cols: SIDE });
      downloadBytes(r.images, 'my-digits-images-idx3-ubyte', '');
      downloadBytes(r.labels, 'my-digits-labels-idx1-ubyte', '');
    } catch (e) {
      this.showError(`Could not download them: ${e.message}.`);
    }
  }

  // Two IDX files (images and labels, 28x28, any order), as the download writes them; core checks
  // them. Their digits are added to yours.
  async loadFiles(fileList) {
    try {
      const files = [...fileList];
      if (files.length !== 2) throw new Error(`choose two IDX files (images and labels), not ${files.length}`);
      const bytes = await Promise.all(files.map((f) => f.arrayBuffer().then((b) => new Uint8Array(b))));
      const isImages = (b) => b.length >= 4 && b[3] === 3;
      const images = bytes.find(isImages), labels = bytes.find((b) => !isImages(b));
      if (!images || !labels) throw new Error('one file must hold images (3 dimensions) and the other labels (1)');
      const r = await this.infer.call('parseIdx', { images, labels });
      if (r.rows !== SIDE || r.cols !== SIDE) throw new Error(`the images are ${r.rows}×${r.cols}; your digits are 28×28`);
      if (r.labels.some((l) => l > 9)) throw new Error('a label is not a digit 0-9');
      const created = new Date().toISOString();
      const list = Array.from(r.labels, (label, i) => ({
        label, pixels: r.pixels.slice(i * SIDE * SIDE, (i + 1) * SIDE * SIDE), strokes: null, created,
      }));
      this.examples.push(...await store.addExamples(list));
      this.showError('');
      this.status(`Loaded <b>${list.length}</b> digits from ${files.map((f) => f.name).join(' and ')}.`);
    } catch (e) {
      this.status('');
      this.showError(`Those files cannot be used: ${e.message.replace(/\.?$/, '.')} Your digits are unchanged.`);
    }
    this.render();
  }

  // Fine-tunes the current model on your digits in the training worker; the result becomes the
  // current model and a saved one.
  async adapt() {
    if (this.busy || !this.examples.length) return;
    this.busy = true;
    this.render();
    this.showError('');
    const bar = $('mine-bar');
    $('mine-progress-block').hidden = false;
    bar.style.width = '0%';
    bar.classList.add('indeterminate');
    document.body.dataset.adapt = 'running';
    try {
      this.status('Loading MNIST to replay while adapting (so the model does not forget)…');
      await this.ensureData();
      const trainer = await this.getTrainer();
      const baseBytes = await this.infer.call('saveWeights');
      // With a "not a digit" gate (Robust, honest), the gate is adapted too, replaying drawings
      // that are not digits so that it keeps rejecting them: else it would go on vetoing the style
      // just taught.
      const baseGate = this.model.info?.gate ? await this.infer.call('saveWeights', { gate: true }) : null;
      const baseSource = this.model.source;
      const baseName = baseSource.replace(/^(pretrained|uploaded|saved): /, '').replace(/ \(.*\)$/, '') || 'model';
      const { pixels, labels } = this.packed();
      const n = labels.length;
      this.status(`Adapting ${baseName}${baseGate ? ' and its “not a digit” gate' : ''} to your ${n} digit${n === 1 ? '' : 's'}…`);
      const off = trainer.on('fineTuneProgress', ({ step, steps }) => {
        bar.classList.remove('indeterminate');
        bar.style.width = `${(100 * step) / steps}%`;
      });
      let r;
      try {
        r = await trainer.call('fineTune', {
          weights: baseBytes.slice(), gate: baseGate?.slice() ?? null, pixels, labels, base: baseName,
          negatives: baseGate ? { images: String(this.negativesUrl('images-idx3')), labels: String(this.negativesUrl('labels-idx1')) } : null,
        }, [pixels.buffer]);
      } finally {
        off?.();
      }
      const copy = r.weights.slice();
      const gateBytes = r.gate?.weights ?? null;
      const gateCopy = gateBytes?.slice() ?? null;
      const source = `adapted: ${baseName} + your ${n} digits`;
      const basePretrained = this.model.pretrained;
      await this.model.adopt(r.weights, source, gateBytes);
      this.base = { bytes: baseBytes, gate: baseGate, source: baseSource, name: baseName, pretrained: basePretrained };
      const record = await this.saved.save(copy, {
        name: `${baseName} + your ${n} digits`, source, spec: this.model.info.spec, params: this.model.info.params,
        accuracy: r.testAccuracy, settings: { lineage: r.metadata.lineage },
      }, gateCopy);
      const seconds = r.seconds + (r.gate?.seconds ?? 0);
      $('mine-base').textContent = `Back to ${baseName}`;
      $('mine-base').hidden = false;
      this.status(`Adapted in <b>${seconds.toFixed(1)} s</b>: your digits read right <b>${r.rightBefore} of ${n}</b> before, ` +
        `<b>${r.rightAfter} of ${n}</b> after; MNIST test ${fmtPct(r.testAccuracy, 2)}. ` +
        (r.gate ? 'Its “not a digit” gate learnt them too. ' : '') +
        (record ? `Saved as “${record.name}”.` : 'Not saved (see above); it is the current model.'));
      document.body.dataset.adapt = 'done';
      document.body.dataset.adaptSeconds = String(seconds);
    } catch (e) {
      this.showError(`Could not adapt the model: ${e.message.replace(/\.?$/, '.')} The current model is unchanged.`);
      this.status('');
      document.body.dataset.adapt = 'error';
    } finally {
      this.busy = false;
      $('mine-progress-block').hidden = true;
      bar.classList.remove('indeterminate');
      this.render();
    }
  }

  async backToBase() {
    if (!this.base) return;
    try {
      if (this.base.pretrained) {
        if (!(await this.model.loadPretrained(this.base.pretrained))) return;
      } else {
        await this.model.adopt(this.base.bytes.slice(), this.base.source, this.base.gate?.slice() ?? null);
      }
      this.status(`Back to ${this.base.name}; the adapted model stays saved in this browser.`);
      $('mine-base').hidden = true;
    } catch (e) {
      this.showError(`Could not go back: ${e.message}`);
    }
  }
}
