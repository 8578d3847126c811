// The Model panel: which weights are active, loading them (shipped, uploaded by picker or
// drag-and-drop, or just trained) and downloading them. A file the core refuses leaves the
// current model in place and shows the core's message.
import { downloadWeights, fmtInt, fmtPct } from './ui.js';

const $ = (id) => document.getElementById(id);

// Test accuracy recorded in a weights file's metadata, if any (fraction or percent).
function metadataAccuracy(meta) {
  const v = meta?.test_accuracy ?? meta?.test?.accuracy ?? meta?.evaluation?.test_accuracy;
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  return v > 1 ? v / 100 : v;
}

// The weights the page offers in its Pretrained row: weights/index.json ({models: [{name, label,
// note, weights?, gate?}]}, written by scripts/site.mjs with the site builder's own weights first),
// each served as weights/<name>.dcnn. An entry with `weights` reads digits with that model's file
// instead, and one with `gate` has that model's "not a digit" veto them (two networks per drawing).
// Without a list, the seed model alone (the weights the tests train).
export async function fetchModelList(url) {
  try {
    const res = await fetch(url);
    if (res.ok) {
      const { models } = await res.json();
      if (Array.isArray(models) && models.length) return models.filter((m) => typeof m?.name === 'string');
    }
  } catch {
    // fall through to the default
  }
  return [{ name: 'seed', label: 'Seed', note: "the report's model" }];
}

// How the model says "not a digit", for the Model panel.
function notDigitText(info) {
  if (info.gate)
    return `a second network vetoes the digit when its “not a digit” is ${fmtPct(info.gate.notDigit, 0)} or more`;
  if (info.layers.at(-1)?.output.c === 11) return 'its eleventh output, “not a digit”';
  const threshold = Number(/threshold ([0-9.e+-]+)/.exec(info.metadata?.reject ?? '')?.[1] ?? 0);
  return threshold > 0 ? `when its best digit is below ${fmtPct(threshold, 0)}` : 'never: it answers every drawing with a digit';
}

export class ModelPanel {
  // weightsUrl(name) -> URL of the shipped weights called name.
  constructor({ infer, onModelChanged, weightsUrl }) {
    this.infer = infer;
    this.onModelChanged = onModelChanged;
    this.weightsUrl = weightsUrl;
    this.info = null;
    this.source = '';
    this.pretrained = null;  // name of the shipped weights in use, if any
    this.models = [];        // the Pretrained row's entries

    $('download').addEventListener('click', () => this.download());
    const input = $('weights-input');
    input.addEventListener('change', () => {
      if (input.files[0]) this.loadFile(input.files[0]);
      input.value = '';
    });
    const zone = $('weights-drop');
    zone.addEventListener('click', () => input.click());
    zone.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        input.click();
      }
    });
    zone.addEventListener('dragover', (e) => {
      e.preventDefault();
      e.stopPropagation();
      zone.classList.add('dragover');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragover'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      e.stopPropagation();
      zone.classList.remove('dragover');
      document.dispatchEvent(new Event('digitcnn:dropdone'));
      const file = e.dataTransfer?.files?.[0];
      if (file) this.loadFile(file);
    });
  }

  // One chip per model of the list, after the row's label.
  showModelList(models) {
    this.models = models;
    const row = $('pretrained');
    row.querySelectorAll('[data-pretrained]').forEach((c) => c.remove());
    for (const m of models) {
      const chip = document.createElement('button');
      chip.type = 'button';
      chip.className = 'chip';
      chip.dataset.pretrained = m.name;
      chip.setAttribute('aria-pressed', 'false');
      const note = document.createElement('span');
      note.className = 'muted';
      note.textContent = m.note ?? '';
      chip.append(`${m.label ?? m.name} `, note);
      chip.addEventListener('click', () => this.loadPretrained(m.name));
      row.append(chip);
    }
  }

  badge(state, text) {
    const b = $('model-badge');
    b.dataset.state = state;
    $('model-badge-text').textContent = text;
  }

  show(info, source) {
    this.info = info;
    this.source = source;
    const acc = metadataAccuracy(info.metadata);
    $('model-source').textContent = source;
    $('model-params').textContent = fmtInt(info.params) + (info.gate ? ` + ${fmtInt(info.gate.params)} in the gate` : '');
    $('model-input').textContent = info.inputPreprocessing === 'mnist+deskew'
      ? '28×28, MNIST steps + deskew' : `28×28, ${info.inputPreprocessing === 'mnist' ? 'MNIST steps' : info.inputPreprocessing}`;
    $('model-accuracy').textContent = acc === null ? 'not recorded' : fmtPct(acc);
    $('model-gate').textContent = notDigitText(info);
    $('model-spec').textContent = info.spec;
    $('model-layers').tBodies[0].innerHTML = info.layers
      .map((l) => {
        const out = l.output.h === 1 && l.output.w === 1 ? `${l.output.c}` : `${l.output.h}×${l.output.w}×${l.output.c}`;
        return `<tr><td>${l.name}</td><td><code>${l.spec}</code></td><td>${out}</td><td>${fmtInt(l.params)}</td></tr>`;
      })
      .join('');
    $('download').disabled = false;
    this.badge('ready', acc === null ? `Model ready · ${source}` : `Model ready · ${fmtPct(acc)} on MNIST test`);
  }

  showError(title, message) {
    const box = $('model-error');
    box.replaceChildren();
    const strong = document.createElement('strong');
    strong.textContent = title;
    box.append(strong, document.createTextNode(message));
    box.hidden = false;
  }

  clearError() {
    $('model-error').hidden = true;
  }

  markPretrained(name) {
    this.pretrained = name;
    for (const chip of document.querySelectorAll('[data-pretrained]'))
      chip.setAttribute('aria-pressed', String(chip.dataset.pretrained === name));
  }

  // Loads shipped weights. At start-up (initial) a failure leaves the untrained model the worker
  // made; later a failure keeps the current model, like a bad upload does.
  async loadPretrained(name, { initial = false } = {}) {
    const chips = document.querySelectorAll('[data-pretrained]');
    chips.forEach((c) => (c.disabled = true));
    try {
      const entry = this.models.find((m) => m.name === name) ?? {};
      const file = entry.weights ?? name;
      const info = await this.infer.call('loadWeightsUrl', {
        url: String(this.weightsUrl(file)), gateUrl: entry.gate ? String(this.weightsUrl(entry.gate)) : null });
      this.clearError();
      this.markPretrained(name);
      this.show(info, `pretrained: ${name} (weights/${file}.dcnn${entry.gate ? `, gate weights/${entry.gate}.dcnn` : ''})`);
      this.onModelChanged();
      return true;
    } catch (e) {
      if (!initial) {
        this.showError(`Could not load the ${name} weights: the previous model is still active.`, ` ${e.message}`);
        return false;
      }
      const info = await this.infer.call('modelInfo');
      this.markPretrained(null);
      this.show(info, 'untrained (no pretrained weights)');
      this.badge('untrained', 'Untrained model · upload weights or train one');
      this.showError('The pretrained weights could not be loaded; the model is untrained.', ` ${e.message}`);
      this.onModelChanged();
      return false;
    } finally {
      chips.forEach((c) => (c.disabled = false));
    }
  }

  async loadFile(file) {
    let bytes;
    try {
      bytes = await file.arrayBuffer();
    } catch (e) {
      this.showError(`Could not read “${file.name}”.`, ` ${e.message}`);
      return false;
    }
    try {
      const info = await this.infer.call('loadWeights', { bytes }, [bytes]);
      this.clearError();
      this.markPretrained(null);
      this.show(info, `uploaded: ${file.name}`);
      this.onModelChanged();
      return true;
    } catch (e) {
      this.showError(`Could not load “${file.name}”: the previous model is still active.`, ` ${e.message}`);
      return false;
    }
  }

  // Weights from the page (trained, saved, adapted) become the active model, answering alone or,
  // with gateBytes (an adapted or saved "Robust, honest" pair), vetoed by that gate.
  async adopt(bytes, source, gateBytes = null) {
    const transfer = [bytes.buffer ?? bytes];
    if (gateBytes) transfer.push(gateBytes.buffer ?? gateBytes);
    const info = await this.infer.call('loadWeights', { bytes, gateBytes }, transfer);
    this.clearError();
    this.markPretrained(null);
    this.show(info, source);
    this.onModelChanged();
  }

  // The model's weights; with a gate, the gate's too (downloadWeights).
  async download() {
    const gate = this.info?.gate ? await this.infer.call('saveWeights', { gate: true }) : null;
    downloadWeights(await this.infer.call('saveWeights'), gate,
      `digit-cnn-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}`);
  }
}
