// The static site (scripts/site.mjs) served by `python3 -m http.server`, which sends no COOP/COEP
// and nothing else special, the way GitHub Pages or a CDN serves files. Built here with weights
// that the native CLI trains for the test (a small subset, one epoch). Checks, in Chromium: the
// service worker makes the page cross-origin isolated, the page opens with the CLI's weights and
// classifies a drawing, MNIST is fetched only when training starts (gzip, with progress, SHA-256
// checked) and training runs on 2 threads, a wrong SHA-256 is refused, the page works offline
// after one visit, and on a 360x640 phone the prediction stays in view while drawing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { Firefox } from './bidi.mjs';
import { ROOT, artifact, digitStrokes, drawStrokes, launchBrowser, mnistFile, mnistTest, openPage } from './helpers.mjs';

const CLI = path.join(ROOT, 'build/native/tools/digit-cnn');
const SITE = artifact('site');
const WORK = artifact('site-work');
let browser, mnist, site;

// `python3 -m http.server` on a free port; resolves once it listens. Its request log is kept.
export function staticServer(dir) {
  return new Promise((resolve, reject) => {
    const proc = spawn('python3', ['-u', '-m', 'http.server', '--bind', '127.0.0.1', '--directory', dir, '0']);
    const s = { proc, log: '', url: null, close: () => proc.kill() };
    proc.stdout.on('data', (d) => {
      s.log += d;
      const m = /port (\d+)/.exec(s.log);
      if (m && !s.url) resolve(Object.assign(s, { url: `http://127.0.0.1:${m[1]}/` }));
    });
    proc.stderr.on('data', (d) => (s.log += d));
    proc.on('exit', (code) => !s.url && reject(new Error(`http.server exited (${code}): ${s.log}`)));
  });
}

function headers(url) {
  return new Promise((resolve, reject) => http.get(url, (res) => {
    res.resume();
    resolve(res.headers);
  }).on('error', reject));
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

before(async () => {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: build the native tools first (cmake --build --preset native)`);
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  // A tiny model, trained the way the README tells users to: the CLI, then the site with --weights.
  const weights = path.join(WORK, 'tiny.dcnn');
  run(CLI, ['train', '--limit', '10000', '--epochs', '1', '--batch', '32', '--lr', '0.002', '--threads', '2',
    '--seed', '1', '--output', weights]);
  console.log(run('node', ['scripts/site.mjs', SITE, '--weights', weights]).trim());
  site = await staticServer(SITE);
  browser = await launchBrowser();
  mnist = await mnistTest();
});

after(async () => {
  await browser?.close();
  site?.close();
});

async function settledPrediction(page) {
  let last = null;
  for (let i = 0; i < 100; ++i) {
    await page.waitForTimeout(120);
    const now = await page.getAttribute('#bars', 'data-probs');
    if (now && now === last) {
      const p = JSON.parse(now);
      return p.indexOf(Math.max(...p));
    }
    last = now;
  }
  throw new Error('the prediction did not settle');
}

async function drawDigits(page, count = 10) {
  const results = [];
  for (let d = 0; d < count; ++d) {
    await page.click('#clear');
    await drawStrokes(page, digitStrokes(mnist.pixels, mnist.labels.indexOf(d) * 784));
    results.push([d, await settledPrediction(page)]);
  }
  return results;
}

test('site: no COOP/COEP from the server; the service worker isolates the page, which opens with the CLI-trained weights', async () => {
  const h = await headers(site.url);
  assert.equal(h['cross-origin-opener-policy'], undefined, 'the static server sends no COOP');
  assert.equal(h['cross-origin-embedder-policy'], undefined);
  const page = await openPage(browser, site.url);
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
  assert.equal(await page.evaluate(() => document.body.dataset.serviceWorker), 'ready');
  assert.match(await page.textContent('#model-source'), /^pretrained: tiny \(weights\/tiny\.dcnn\)/);
  const chips = await page.$$eval('[data-pretrained]', (cs) => cs.map((c) => c.dataset.pretrained));
  assert.deepEqual(chips, ['tiny', 'robust', 'robust-nd', 'improved', 'seed']);
  const results = await drawDigits(page);
  const correct = results.filter(([d, p]) => d === p).length;
  console.log(`site, CLI-trained tiny model (10,000 images, 1 epoch): ${correct}/10 drawn digits ${JSON.stringify(results)}`);
  assert.ok(correct >= 6, JSON.stringify(results));
  assert.ok(!site.log.includes('/data/mnist/'), 'no MNIST download before training');
  assert.deepEqual(page.errors, []);
  await page.context().close();

  const other = await openPage(browser, `${site.url}?model=robust`);
  assert.match(await other.textContent('#model-source'), /^pretrained: robust/);
  assert.deepEqual(other.errors, []);
  await other.context().close();
});

test('site: training fetches gzip MNIST with progress, checks it and trains an epoch on 2 threads', async () => {
  const page = await openPage(browser, site.url);
  await page.evaluate(() => {
    window.statusSeen = [];
    new MutationObserver(() => window.statusSeen.push(document.getElementById('train-status').textContent))
      .observe(document.getElementById('train-status'), { childList: true, subtree: true, characterData: true });
  });
  assert.ok(!site.log.includes('/data/mnist/'));
  await page.fill('#train-size', '2000');
  await page.selectOption('#train-epochs', '1');
  await page.selectOption('#train-batch', '32');
  await page.fill('#train-lr', '0.002');
  await page.click('#train-start');
  await page.waitForSelector('#train-results:not([hidden])', { timeout: 300000 });
  const status = await page.textContent('#train-status');
  console.log(`site training: ${status}; ${await page.textContent('#test-accuracy')}`);
  assert.match(status, /^Done after 1 epoch · .* · 2 threads$/);
  const seen = await page.evaluate(() => window.statusSeen);
  assert.ok(seen.some((s) => /^Loading MNIST… [\d.]+ of 11\.\d MB/.test(s)), seen.slice(0, 5).join(' | '));
  for (const f of ['train-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'index.json'])
    assert.match(site.log, new RegExp(`GET /data/mnist/${f.replace('.', '\\.')} HTTP/1.1" 200`));
  const accuracy = await page.textContent('#test-accuracy');
  assert.ok(parseFloat(accuracy) > 80, accuracy);

  // The trained model is saved in the browser with its metadata, and survives a reload.
  const row = page.locator('#saved-list li');
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  const facts = await row.locator('.saved-facts').textContent();
  assert.ok(facts.includes(`${accuracy} on MNIST test · 2,000 images · 1 epoch · batch 32 · lr 0.002 · 411,626 params`), facts);
  assert.match(await row.locator('.saved-name').textContent(), /^trained \d{4}-\d\d-\d\d \d\d:\d\d$/);
  assert.match(await row.locator('.saved-facts').getAttribute('title'), /^input 28x28x1 \| conv 32 k4 same/);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.match(await page.textContent('#model-source'), /^pretrained: tiny/, 'a reload opens the first shipped model');
  assert.equal(await row.count(), 1, 'still listed after a reload');
  assert.equal(await row.locator('.saved-facts').textContent(), facts);

  // Rename, open, download, delete.
  await row.locator('[data-action="rename"]').click();
  await page.fill('.saved-rename', 'my first model');
  await page.press('.saved-rename', 'Enter');
  await page.waitForFunction(() => document.querySelector('#saved-list .saved-name')?.textContent === 'my first model');
  await row.locator('[data-action="open"]').click();
  await page.waitForFunction(() => document.getElementById('model-source').textContent === 'saved: my first model');
  assert.equal(await page.textContent('#model-accuracy'), accuracy);
  const [download] = await Promise.all([page.waitForEvent('download'), row.locator('[data-action="download"]').click()]);
  assert.equal(download.suggestedFilename(), 'my-first-model.dcnn');
  const bytes = fs.readFileSync(await download.path());
  assert.equal(bytes.subarray(0, 7).toString('latin1'), 'DCNNWTS');
  assert.ok(bytes.length > 1_600_000, `${bytes.length} bytes`);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.equal(await row.locator('.saved-name').textContent(), 'my first model', 'the new name is kept');
  page.once('dialog', (d) => d.accept());
  await row.locator('[data-action="delete"]').click();
  await page.waitForFunction(() => !document.querySelector('#saved-list li'));
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.equal(await row.count(), 0, 'deleted for good');
  assert.ok(await page.isVisible('#saved-empty'));
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('site: a reload during training offers to resume after the last completed epoch; the run completes', async () => {
  const page = await openPage(browser, site.url);
  await page.fill('#train-size', '2000');
  await page.selectOption('#train-epochs', '3');
  await page.selectOption('#train-batch', '32');
  await page.fill('#train-lr', '0.002');
  await page.click('#train-start');
  await page.waitForFunction(() => document.body.dataset.checkpointEpoch, null, { timeout: 180000 });
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.waitForSelector('#train-resume:not([hidden])');
  const offer = await page.textContent('#train-resume-text');
  const epoch = Number(/after epoch (\d) of 3 \(2,000 images/.exec(offer)?.[1]);
  assert.ok(epoch === 1 || epoch === 2, offer);
  await page.evaluate(() => {
    window.statusSeen = [];
    new MutationObserver(() => window.statusSeen.push(document.getElementById('train-status').textContent))
      .observe(document.getElementById('train-status'), { childList: true, subtree: true, characterData: true });
  });
  await page.click('#train-resume-go');
  await page.waitForSelector('#train-results:not([hidden])', { timeout: 300000 });
  const status = await page.textContent('#train-status');
  console.log(`resumed after epoch ${epoch}: ${status}; ${await page.textContent('#test-accuracy')}`);
  assert.match(status, /^Done after 3 epochs · .* · 2 threads$/);
  const seen = await page.evaluate(() => window.statusSeen);
  assert.ok(seen.some((t) => t.startsWith(`Epoch ${epoch + 1} of 3`)), 'continues with the next epoch');
  assert.ok(!seen.some((t) => new RegExp(`^Epoch [1-${epoch}] of 3`).test(t)), 'completed epochs are not trained again');
  assert.ok(parseFloat(await page.textContent('#test-accuracy')) > 80);
  const facts = await page.locator('#saved-list li .saved-facts').first().textContent();
  assert.match(facts, /2,000 images · 3 epochs/);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.waitForTimeout(500);
  assert.ok(await page.isHidden('#train-resume'), 'nothing to resume after a completed run');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

// The first n items of an MNIST IDX file, as an IDX file of its own.
function idxHead(name, n) {
  const bytes = Buffer.from(mnistFile(name));
  const header = bytes[3] === 3 ? 16 : 8;
  const itemSize = bytes[3] === 3 ? 28 * 28 : 1;
  const out = Buffer.concat([bytes.subarray(0, header), bytes.subarray(header, header + n * itemSize)]);
  out.writeUInt32BE(n, 4);
  return out;
}

test('site: training on your own IDX files (gzip and plain, picked), checked by core', async () => {
  const dir = path.join(WORK, 'own');
  fs.mkdirSync(dir, { recursive: true });
  const files = {
    'a-images.gz': zlib.gzipSync(idxHead('train-images-idx3-ubyte', 3000)),
    'a-labels': idxHead('train-labels-idx1-ubyte', 3000),
    'b-images': idxHead('t10k-images-idx3-ubyte', 500),
    'b-labels.gz': zlib.gzipSync(idxHead('t10k-labels-idx1-ubyte', 500)),
    'short-labels': idxHead('train-labels-idx1-ubyte', 2999),
  };
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
  const page = await openPage(browser, site.url);
  const pick = (names) => page.setInputFiles('#train-files', names.map((n) => path.join(dir, n)));

  await pick(['a-images.gz', 'short-labels', 'b-images', 'b-labels.gz']);
  await page.waitForSelector('#train-error:not([hidden])');
  const refused = await page.textContent('#train-error');
  console.log(`own files refused: ${refused}`);
  assert.match(refused, /^Your files cannot be used: .*training labels.*3,?000|^Your files cannot be used: .*2,?999/);
  await pick(['a-images.gz', 'a-labels']);
  assert.match(await page.textContent('#train-error'), /choose four IDX files .* not 2/);

  await pick(['b-labels.gz', 'a-images.gz', 'b-images', 'a-labels']);
  await page.waitForFunction(() => document.body.dataset.ownData === '3000');
  assert.match(await page.textContent('#train-data-text'), /^your files: 3,000 training images \(a-images\.gz\) and 500 test images \(b-images\), 28×28$/);
  assert.ok(await page.isHidden('#train-error'));
  await page.fill('#train-size', '1000');
  await page.click('#train-start');
  await page.waitForSelector('#train-results:not([hidden])', { timeout: 300000 });
  assert.match(await page.textContent('#test-detail'), /^on 500 test images/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('site: a full storage quota gets a clear message and loses nothing already saved', async () => {
  const page = await openPage(browser, site.url);
  await page.click('#save-current');
  await page.locator('#saved-list li').first().waitFor();
  // Storage full from now on. (Chromium's DevTools quota override has no effect on these
  // contexts, so the error is injected where the browser raises it: writing the weights.)
  await page.evaluate(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (...args) {
      if (this.name === 'weights') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
  });
  await page.click('[data-pretrained="seed"]');
  await page.waitForFunction(() => document.getElementById('model-source').textContent.startsWith('pretrained: seed'));
  await page.click('#save-current');
  await page.waitForSelector('#saved-error:not([hidden])');
  const message = await page.textContent('#saved-error');
  console.log(`full storage: ${message}`);
  assert.match(message, /^Not saved: the browser's storage for this page is full .*nothing already saved was lost/);
  assert.equal(await page.textContent('#model-source'), 'pretrained: seed (weights/seed.dcnn)', 'the model in use is kept');
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.equal(await page.locator('#saved-list li').count(), 1, 'no half-saved model');
  assert.equal(await page.locator('#saved-list .saved-name').textContent(), 'tiny');
  await page.click('#saved-list [data-action="open"]');
  await page.waitForFunction(() => document.getElementById('model-source').textContent === 'saved: tiny');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('site: a data file whose SHA-256 does not match is refused with a clear message', async () => {
  // The same site with one byte of a gzip file changed (hard links: no copy of the rest).
  const bad = path.join(WORK, 'bad-site');
  fs.rmSync(bad, { recursive: true, force: true });
  run('cp', ['-al', SITE, bad]);
  const file = path.join(bad, 'data/mnist/t10k-labels-idx1-ubyte.gz');
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 20] ^= 0xff;
  fs.rmSync(file);
  fs.writeFileSync(file, bytes);
  const server = await staticServer(bad);
  try {
    const page = await openPage(browser, server.url);
    const source = await page.textContent('#model-source');
    await page.fill('#train-size', '1000');
    await page.click('#train-start');
    await page.waitForSelector('#train-error:not([hidden])', { timeout: 120000 });
    const message = await page.textContent('#train-error');
    console.log(`site with a damaged file: ${message}`);
    assert.match(message, /^Training failed: t10k-labels-idx1-ubyte\.gz failed its SHA-256 check \(expected [0-9a-f]{64}, got [0-9a-f]{64}\)/);
    assert.equal(await page.textContent('#model-source'), source, 'the model in use is kept');
    assert.ok(!(await page.isDisabled('#train-start')));
    await page.context().close();
  } finally {
    server.close();
  }
});

test('site: after one visit the page works with no network (the server is gone)', async () => {
  const server = await staticServer(SITE);
  const page = await openPage(browser, server.url);
  await page.evaluate(() => navigator.serviceWorker.ready);
  // The first model is precached; another one is cached when first opened.
  await page.click('[data-pretrained="robust"]');
  await page.waitForFunction(() => document.getElementById('model-source').textContent.startsWith('pretrained: robust'));
  await page.waitForFunction(async () => Boolean(await caches.match('weights/robust.dcnn')));
  assert.equal(await page.evaluate(async () => Boolean(await caches.match('weights/seed.dcnn'))), false, 'unopened models are not cached');
  // "Robust, honest" takes two files (robust reads, robust-nd vetoes): both are in the site.
  await page.click('[data-pretrained="robust-nd"]');
  await page.waitForFunction(() => document.getElementById('model-source').textContent.startsWith('pretrained: robust-nd'));
  await page.waitForFunction(async () => Boolean(await caches.match('weights/robust-nd.dcnn')));
  // The drawings the gate adapts with are in the site too, fetched only when it is adapted.
  const negatives = 'weights/gate-negatives-images-idx3-ubyte.gz';
  assert.equal(await page.evaluate(async (f) => Boolean(await caches.match(f)), negatives), false, 'the negatives are precached');
  assert.equal(await page.evaluate(async (f) => (await fetch(f)).status, negatives), 200);
  server.close();
  await new Promise((r) => server.proc.on('exit', r));
  await assert.rejects(headers(server.url), 'the server is down');
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true');
  assert.match(await page.textContent('#model-source'), /^pretrained: tiny/);
  assert.match(await page.textContent('#model-badge'), /Model ready/);
  await page.click('#clear');
  await drawStrokes(page, digitStrokes(mnist.pixels, mnist.labels.indexOf(7) * 784));
  const seven = await settledPrediction(page);
  // Another shipped model, also from the cache.
  await page.click('[data-pretrained="robust"]');
  await page.waitForFunction(() => document.getElementById('model-source').textContent.startsWith('pretrained: robust'));
  assert.equal(await settledPrediction(page), 7);
  console.log(`offline: the tiny model read a 7 as ${seven}, the robust model as 7`);
  await page.click('[data-pretrained="robust-nd"]');
  await page.waitForFunction(() => document.getElementById('model-source').textContent.startsWith('pretrained: robust-nd'));
  assert.equal(await settledPrediction(page), 7);
  assert.equal(await page.evaluate(() => document.body.dataset.answer), 'digit');
  assert.match(await page.textContent('#model-gate'), /^a second network vetoes the digit/);
  await page.screenshot({ path: artifact('site-offline.png') });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

const PHONE = { viewport: { width: 360, height: 640 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

// One finger down on the pad (it starts a stroke), a second joins, both move apart, both lift.
async function pinch(page) {
  const cdp = await page.context().newCDPSession(page);
  const b = await page.locator('#pad').boundingBox();
  const at = (u, v, id) => ({ x: b.x + u * b.width, y: b.y + v * b.height, id });
  const touch = (type, touchPoints) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints });
  await touch('touchStart', [at(0.45, 0.5, 0)]);
  await touch('touchMove', [at(0.4, 0.45, 0)]);
  await touch('touchStart', [at(0.4, 0.45, 0), at(0.6, 0.55, 1)]);
  for (let k = 1; k <= 5; ++k) await touch('touchMove', [at(0.4 - 0.04 * k, 0.45 - 0.04 * k, 0), at(0.6 + 0.04 * k, 0.55 + 0.04 * k, 1)]);
  await touch('touchEnd', []);
  await page.waitForTimeout(500);
}

test('site: on a 360x640 phone the prediction stays in view while drawing; a pinch leaves no ink', async () => {
  const page = await openPage(browser, site.url, PHONE);
  const inView = async (sel) => {
    const b = await page.locator(sel).boundingBox();
    return b && b.y >= 0 && b.y + b.height <= 640 && b.x >= 0 && b.x + b.width <= 360;
  };
  await page.locator('#pad').scrollIntoViewIfNeeded();
  const scrollY = await page.evaluate(() => scrollY);
  const padBefore = await page.locator('#pad').boundingBox();
  await drawStrokes(page, digitStrokes(mnist.pixels, mnist.labels.indexOf(3) * 784));
  await settledPrediction(page);
  await page.screenshot({ path: artifact('site-phone-360.png') });
  assert.equal(await page.evaluate(() => scrollY), scrollY, 'drawing does not scroll');
  const padAfter = await page.locator('#pad').boundingBox();
  assert.ok(Math.abs(padAfter.y - padBefore.y) < 1, `the pad does not move as the verdict changes (${padBefore.y} -> ${padAfter.y})`);
  assert.ok(await inView('#pad'), 'the pad is in view');
  assert.ok(await inView('#prediction'), 'the predicted digit is in view');
  assert.ok(await inView('#confidence'), 'the confidence is in view');
  assert.match(await page.textContent('#confidence'), /\d+(\.\d)?% sure|Not sure/);

  const probs = await page.getAttribute('#bars', 'data-probs');
  await pinch(page);
  assert.equal(await page.getAttribute('#bars', 'data-probs'), probs, 'a pinch adds no ink to a drawing');
  assert.deepEqual(page.errors, []);
  await page.context().close();

  const empty = await openPage(browser, site.url, PHONE);
  await empty.locator('#pad').scrollIntoViewIfNeeded();
  await pinch(empty);
  assert.equal(await empty.textContent('#prediction'), '?', 'a pinch on an empty pad leaves it empty');
  assert.ok(!(await empty.getAttribute('#prompt', 'class')).includes('gone'), 'the prompt is back');
  assert.deepEqual(empty.errors, []);
  await empty.context().close();
});

const FIREFOX = [process.env.FIREFOX, '/usr/bin/firefox-esr', '/usr/bin/firefox'].find((f) => f && fs.existsSync(f));

test('site in Firefox: the service worker isolates the page on the static host; it classifies, and works offline', { skip: FIREFOX ? false : 'Firefox is not installed' }, async () => {
  const server = await staticServer(SITE);
  const ff = await Firefox.launch(FIREFOX);
  try {
    await ff.goto(server.url);
    await ff.waitFor('return document.body.dataset.ready;');
    assert.equal(await ff.evaluate('return self.crossOriginIsolated;'), true);
    assert.equal(await ff.evaluate('return document.body.dataset.serviceWorker;'), 'ready');
    assert.match(await ff.evaluate(`return document.getElementById('model-source').textContent;`), /^pretrained: tiny/);
    await ff.evaluate('return navigator.serviceWorker.ready.then(() => true);');
    // Open robust once online (the first model is precached, others are cached when opened).
    await ff.goto(`${server.url}?model=robust`);
    await ff.waitFor(`return document.getElementById('model-source').textContent.startsWith('pretrained: robust');`);
    await ff.waitFor(`return caches.match('weights/robust.dcnn').then(Boolean);`);
    server.close();
    await new Promise((r) => server.proc.on('exit', r));
    await ff.goto(`${server.url}?model=robust`);
    await ff.waitFor('return document.body.dataset.ready;');
    assert.equal(await ff.evaluate('return document.body.dataset.ready;'), 'true');
    assert.match(await ff.evaluate(`return document.getElementById('model-source').textContent;`), /^pretrained: robust/);
    const box = await ff.evaluate(`const r = document.getElementById('pad').getBoundingClientRect();
      return { x: r.x, y: r.y, w: r.width, h: r.height };`);
    await ff.drawStrokes(digitStrokes(mnist.pixels, mnist.labels.indexOf(2) * 784).map((st) => st.map(([u, v]) => [box.x + u * box.w, box.y + v * box.h])));
    const digit = await ff.waitFor(`const p = document.getElementById('bars').dataset.probs;
      if (!p) return null; const a = JSON.parse(p); return String(a.indexOf(Math.max(...a)));`);
    assert.equal(digit, '2');
    assert.deepEqual(ff.errors, []);
  } finally {
    await ff.close();
    server.close();
  }
});
