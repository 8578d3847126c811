// The page in Firefox (Debian's firefox-esr, driven over WebDriver BiDi): loads without errors,
// recognises drawn digits, refuses a bad weights file, and trains. Skipped when Firefox is absent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer } from '../../scripts/serve.mjs';
import { Firefox } from './bidi.mjs';
import { artifact, digitStrokes, mnistTest, testWeightsDir } from './helpers.mjs';

const FIREFOX = [process.env.FIREFOX, '/usr/bin/firefox-esr', '/usr/bin/firefox'].find((f) => f && fs.existsSync(f));
const skip = FIREFOX ? false : 'Firefox is not installed (apt-get install firefox-esr)';

let server, url, ff, mnist;

before(async () => {
  if (skip) return;
  const weightsDir = await testWeightsDir();
  ({ server, url } = await startServer({ port: 0, weightsDir }));
  mnist = await mnistTest();
  ff = await Firefox.launch(FIREFOX);
  await ff.goto(url);
  await ff.waitFor('return document.body.dataset.ready;');
});

after(async () => {
  await ff?.close();
  server?.close();
});

async function padStrokes(idx) {
  const box = await ff.evaluate(`const r = document.getElementById('pad').getBoundingClientRect();
    return { x: r.x, y: r.y, w: r.width, h: r.height };`);
  return digitStrokes(mnist.pixels, idx * 784).map((s) => s.map(([u, v]) => [box.x + u * box.w, box.y + v * box.h]));
}

async function drawAndPredict(idx) {
  await ff.evaluate(`document.getElementById('clear').click();`);
  await ff.drawStrokes(await padStrokes(idx));
  let last = null;
  for (let i = 0; i < 100; ++i) {
    await new Promise((r) => setTimeout(r, 120));
    const now = await ff.evaluate(`return document.getElementById('bars').dataset.probs;`);
    if (now && now === last) {
      const probs = JSON.parse(now);
      return probs.indexOf(Math.max(...probs));
    }
    last = now;
  }
  throw new Error('no settled prediction');
}

test('Firefox: the page starts without errors and is ready with the pretrained model', { skip }, async () => {
  assert.equal(await ff.evaluate(`return document.getElementById('model-badge').dataset.state;`), 'ready');
  assert.equal(await ff.evaluate(`return document.getElementById('prediction').textContent;`), '?');
  assert.equal(await ff.evaluate('return self.crossOriginIsolated;'), true);
  assert.deepEqual(ff.errors, []);
});

test('Firefox: MNIST digits traced with the mouse are recognised', { skip }, async () => {
  const results = [];
  for (let d = 0; d < 10; ++d) {
    const idx = mnist.labels.indexOf(d);
    results.push([d, await drawAndPredict(idx)]);
  }
  await ff.screenshot(artifact('firefox-drawn.png'));
  const correct = results.filter(([d, p]) => d === p).length;
  console.log(`Firefox drawn digits: ${correct}/10 correct ${JSON.stringify(results)}`);
  assert.ok(correct >= 8, JSON.stringify(results));
  assert.deepEqual(ff.errors, []);
});

test('Firefox: a PNG dropped as weights shows the core error and the model keeps working', { skip }, async () => {
  const idx = mnist.labels.indexOf(3);
  const before = await drawAndPredict(idx);
  await ff.evaluate(`
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0, 0, 13])], 'x.png', { type: 'image/png' }));
    document.getElementById('weights-drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));`);
  const message = await ff.waitFor(`const e = document.getElementById('model-error'); return !e.hidden && e.textContent;`);
  assert.match(message, /x\.png.*not a digit-cnn weights file/s);
  assert.equal(await drawAndPredict(idx), before);
});

test('Firefox: training in the page reaches a sensible accuracy', { skip }, async () => {
  await ff.evaluate(`
    const set = (id, v) => { const el = document.getElementById(id); el.value = v; el.dispatchEvent(new Event('input', { bubbles: true })); };
    set('train-size', '2000'); set('train-epochs', '1'); set('train-batch', '32'); set('train-lr', '0.002');
    document.getElementById('train-start').click();`);
  let text;
  try {
    text = await ff.waitFor(`const r = document.getElementById('train-results');
      return !r.hidden && document.getElementById('test-accuracy').textContent;`, { timeout: 300000, interval: 500 });
  } catch (e) {
    const state = await ff.evaluate(`return { status: document.getElementById('train-status').textContent,
      error: document.getElementById('train-error').textContent };`);
    throw new Error(`${e.message}; page: ${JSON.stringify(state)}; console: ${JSON.stringify(ff.errors)}`);
  }
  const status = await ff.evaluate(`return document.getElementById('train-status').textContent;`);
  console.log(`Firefox in-browser training: test accuracy ${text}; ${status}`);
  assert.ok(parseFloat(text) > 80, text);
  await ff.screenshot(artifact('firefox-trained.png'));
  assert.deepEqual(ff.errors, []);
});
