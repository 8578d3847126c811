// "Saved in this browser": the models trained on the page (saved as soon as training ends) or
// saved by hand, listed in the Model card with their metadata, and opened, downloaded, renamed or
// deleted there. A failed save says why and changes nothing else.
import * as store from './store.js';
import { downloadWeights, fmtInt, fmtPct } from './ui.js';

const $ = (id) => document.getElementById(id);

const stamp = (iso) => iso.slice(0, 16).replace('T', ' ');

export class SavedModels {
  // open(bytes, source, gateBytes) makes weights (and their gate, if saved with one) the active
  // model; current() -> {bytes, gate, info, source} of the active one (gate: null without one).
  constructor({ open, current }) {
    this.openModel = open;
    this.current = current;
    this.models = [];
    $('save-current').addEventListener('click', () => this.saveCurrent());
  }

  showError(message) {
    const box = $('saved-error');
    box.textContent = message;
    box.hidden = !message;
  }

  async refresh() {
    try {
      this.models = await store.listModels();
    } catch (e) {
      this.models = [];
      this.showError(`Saved models are not available: ${e.message}.`);
    }
    this.render();
    return this.models;
  }

  render() {
    const list = $('saved-list');
    list.replaceChildren();
    $('saved-empty').hidden = this.models.length > 0;
    for (const m of this.models) {
      const li = document.createElement('li');
      li.dataset.id = m.id;
      const name = document.createElement('span');
      name.className = 'saved-name';
      name.textContent = m.name;
      const facts = document.createElement('span');
      facts.className = 'muted saved-facts';
      const s = m.settings;
      facts.textContent = [
        m.accuracy === null || m.accuracy === undefined ? 'accuracy not recorded' : `${fmtPct(m.accuracy)} on MNIST test`,
        s ? `${fmtInt(s.trainSize)} images · ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} · batch ${s.batchSize} · lr ${s.learningRate}` : m.source,
        m.params ? `${fmtInt(m.params)} params` : '',
        m.gate ? 'with its “not a digit” gate' : '',
        stamp(m.created),
      ].filter(Boolean).join(' · ');
      facts.title = m.spec;
      const actions = document.createElement('span');
      actions.className = 'saved-actions';
      for (const [label, fn] of [['Open', () => this.open(m)], ['Download', () => this.download(m)],
        ['Rename', () => this.rename(m, li)], ['Delete', () => this.remove(m)]]) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'link';
        b.dataset.action = label.toLowerCase();
        b.textContent = label;
        b.addEventListener('click', fn);
        actions.append(b);
      }
      li.append(name, facts, actions);
      list.append(li);
    }
  }

  // Saves weights with their metadata; resolves with the record, or null (and a shown message)
  // if the browser refused.
  async save(bytes, meta, gateBytes = null) {
    try {
      const record = await store.saveModel({ created: new Date().toISOString(), ...meta }, bytes, gateBytes);
      this.showError('');
      await this.refresh();
      return record;
    } catch (e) {
      this.showError(`Not saved: ${e.message}.`);
      return null;
    }
  }

  async saveCurrent() {
    const { bytes, gate, info, source } = await this.current();
    const acc = info.metadata?.test_accuracy;
    return this.save(bytes, {
      name: source.replace(/^(pretrained|uploaded|saved): /, '').replace(/ \(.*\)$/, '') || 'model',
      source, spec: info.spec, params: info.params,
      accuracy: typeof acc === 'number' ? acc : null, settings: info.metadata?.options ?? null,
    }, gate);
  }

  async open(m) {
    try {
      const { bytes, gate } = await store.loadWeights(m.id);
      await this.openModel(bytes, `saved: ${m.name}`, gate);
      this.showError('');
    } catch (e) {
      this.showError(`Could not open “${m.name}”: ${e.message}`);
    }
  }

  async download(m) {
    try {
      const { bytes, gate } = await store.loadWeights(m.id);
      downloadWeights(bytes, gate, m.name.replace(/[^\w.-]+/g, '-'));
    } catch (e) {
      this.showError(`Could not download “${m.name}”: ${e.message}`);
    }
  }

  rename(m, li) {
    const input = document.createElement('input');
    input.className = 'saved-rename';
    input.value = m.name;
    input.setAttribute('aria-label', `New name for ${m.name}`);
    li.querySelector('.saved-name').replaceWith(input);
    input.focus();
    input.select();
    let finished = false;
    const finish = async (commit) => {
      if (finished) return;
      finished = true;
      const name = input.value.trim();
      if (commit && name && name !== m.name) {
        try {
          await store.renameModel(m.id, name);
          this.showError('');
        } catch (e) {
          this.showError(`Could not rename “${m.name}”: ${e.message}`);
        }
      }
      await this.refresh();
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') finish(true);
      if (e.key === 'Escape') finish(false);
    });
    input.addEventListener('blur', () => finish(true));
  }

  async remove(m) {
    if (!confirm(`Delete “${m.name}” from this browser?`)) return;
    try {
      await store.deleteModel(m.id);
      this.showError('');
    } catch (e) {
      this.showError(`Could not delete “${m.name}”: ${e.message}`);
    }
    await this.refresh();
  }
}
