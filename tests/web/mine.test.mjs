// "Teach it your handwriting" in the page, with real mouse events in headless Chromium against the
// default model (robust): a boxy, seven-segment 6 (as on a calculator) is read as a 5; drawn five
// times and corrected each time (by its bar or by its key), the drawings are kept in "Your digits";
// "Adapt" fine-tunes the model in the training worker, and a sixth boxy 6 is read right. After a
// reload the digits and the adapted model are still there; deleting a digit removes it, for good;
// the digits download as IDX files that load back; "Back" returns to the base model.
// Screenshots go to tests/web/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../../scripts/serve.mjs';
import { ROOT, artifact, drawStrokes, launchBrowser, openPage } from './helpers.mjs';

let server, url, browser;

before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'weights/robust.dcnn')), 'weights/robust.dcnn is missing');
  ({ server, url } = await startServer({ port: 0, weightsDir: path.join(ROOT, 'weights') }));
  url += '?model=robust';
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.close();
});

// A seven-segment 6, each corner moved a little as a hand moves it (deterministic per k).
function boxySix(k) {
  let s = 1000 + 7919 * k;
  const r = () => {
    s = (s * 16807) % 2147483647;
    return (s / 2147483647 - 0.5) * 0.06;
  };
  const pts = [[0.7, 0.1], [0.3, 0.1], [0.3, 0.9], [0.7, 0.9], [0.7, 0.5], [0.3, 0.5]];
  return [pts.map(([x, y]) => [x + r(), y + r()])];
}

async function settled(page) {
  let last = '';
  for (let i = 0; i < 100; ++i) {
    await page.waitForTimeout(120);
    const now = await page.evaluate(() => `${document.body.dataset.prediction}|${document.getElementById('bars').dataset.probs}`);
    if (now === last && !now.startsWith('|')) return Number(now.split('|')[0]);
    last = now;
  }
  throw new Error('the answer did not settle');
}

async function drawAndRead(page, strokes) {
  await page.click('#clear');
  await drawStrokes(page, strokes, { margin: 0.12 });
  return settled(page);
}

const mineCount = (page) => page.locator('#mine-grid figure').count();

test('corrections are kept, adapting teaches the model a boxy 6, and everything survives a reload', async () => {
  const page = await openPage(browser, url);
  await page.waitForFunction(() => /robust/.test(document.getElementById('model-source')?.textContent ?? ''));
  assert.equal(await mineCount(page), 0);
  assert.ok(await page.locator('#mine-adapt').isDisabled(), 'nothing to adapt to yet');

  // Five boxy 6s, each misread, each corrected: by the bar of the 6 (a click) or the 6 key.
  const before = [];
  for (let k = 0; k < 5; ++k) {
    before.push(await drawAndRead(page, boxySix(k)));
    if (k === 0) await page.locator('.play').screenshot({ path: artifact('mine-misread.png') });
    if (k % 2) await page.keyboard.press('6');
    else await page.locator('#bars li').nth(6).click();
    await page.waitForFunction((n) => document.querySelectorAll('#mine-grid figure').length === n, k + 1);
    assert.match(await page.locator('#teach').textContent(), new RegExp(`Kept as a 6 .*\\(${k + 1}\\)`));
    assert.equal(await page.evaluate(() => document.body.dataset.prediction), '', 'the pad is cleared for the next');
  }
  console.log(`boxy 6 read before adapting as: ${before.join(' ')}`);
  assert.ok(before.every((d) => d !== 6), `the base model should misread every boxy 6, read ${before.join(' ')}`);
  assert.deepEqual(await page.locator('#mine-grid figure').evaluateAll((f) => f.map((e) => e.dataset.label)),
    ['6', '6', '6', '6', '6']);

  // Adapt: MNIST is fetched for replay, the training worker fine-tunes, the result becomes current.
  await page.click('#mine-adapt');
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.adapt), null, { timeout: 180000 });
  const status = await page.locator('#mine-status').textContent();
  console.log(`adapt: ${status}`);
  assert.equal(await page.evaluate(() => document.body.dataset.adapt), 'done',
    await page.locator('#mine-error').textContent());
  assert.match(status, /read right 0 of 5 before, 5 of 5 after/);
  assert.match(await page.locator('#model-source').textContent(), /adapted: robust \+ your 5 digits/);
  await page.locator('#mine').screenshot({ path: artifact('mine-adapted.png') });

  // A sixth boxy 6, not one of the five, is now read right; an ordinary boxy 5 is still a 5.
  const sixth = await drawAndRead(page, boxySix(5));
  await page.locator('.play').screenshot({ path: artifact('mine-sixth.png') });
  assert.equal(sixth, 6, 'the adapted model reads a new boxy 6 as a 6');

  // The base model is one click away, and it still misreads the sixth.
  await page.click('#mine-base');
  await page.waitForFunction(() => !/adapted/.test(document.getElementById('model-source').textContent));
  assert.notEqual(await drawAndRead(page, boxySix(5)), 6);

  // The digits download as an IDX pair.
  const downloads = [];
  page.on('download', (d) => downloads.push(d));
  await page.click('#mine-download');
  await page.waitForFunction(() => true);
  for (let i = 0; i < 50 && downloads.length < 2; ++i) await page.waitForTimeout(100);
  assert.equal(downloads.length, 2);
  const files = [];
  for (const d of downloads) {
    const p = artifact(d.suggestedFilename());
    await d.saveAs(p);
    files.push(p);
  }
  assert.deepEqual(files.map((f) => path.basename(f)).sort(), ['my-digits-images-idx3-ubyte', 'my-digits-labels-idx1-ubyte']);
  const labels = fs.readFileSync(files.find((f) => f.includes('labels')));
  assert.deepEqual([...labels.subarray(0, 8)], [0, 0, 8, 1, 0, 0, 0, 5]);
  assert.deepEqual([...labels.subarray(8)], [6, 6, 6, 6, 6]);
  assert.equal(fs.statSync(files.find((f) => f.includes('images'))).size, 16 + 5 * 784);

  // After a reload: the five digits, and the adapted model among the saved ones.
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.equal(await mineCount(page), 5);
  const saved = page.locator('#saved-list li', { hasText: 'robust + your 5 digits' });
  assert.equal(await saved.count(), 1);
  await saved.locator('[data-action="open"]').click();
  await page.waitForFunction(() => /your 5 digits/.test(document.getElementById('model-source').textContent));
  assert.equal(await drawAndRead(page, boxySix(5)), 6, 'the saved adapted model still reads the boxy 6');

  // Deleting a digit removes it, also after a reload.
  await page.locator('#mine-grid figure').nth(2).locator('.mine-delete').click();
  await page.waitForFunction(() => document.querySelectorAll('#mine-grid figure').length === 4);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.equal(await mineCount(page), 4);

  // The downloaded files load back (added to the four): nine; a wrong file is refused, none lost.
  await page.setInputFiles('#mine-files', files);
  await page.waitForFunction(() => document.querySelectorAll('#mine-grid figure').length === 9);
  await page.setInputFiles('#mine-files', [files[0], path.join(ROOT, 'README.md')]);
  await page.waitForFunction(() => !document.getElementById('mine-error').hidden);
  assert.match(await page.locator('#mine-error').textContent(), /cannot be used: .*Your digits are unchanged/);
  assert.equal(await mineCount(page), 9);
  await page.locator('#mine').screenshot({ path: artifact('mine-reloaded.png') });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

// Not digits, as tests/web/reject.test.mjs draws them.
const letterA = [[[0.2, 0.9], [0.5, 0.1], [0.8, 0.9]], [[0.32, 0.6], [0.68, 0.6]]];
const letterK = [[[0.3, 0.1], [0.3, 0.9]], [[0.75, 0.1], [0.32, 0.55], [0.75, 0.9]]];
const spiral = [Array.from({ length: 120 }, (_, i) => {
  const a = i / 119 * 3 * 2 * Math.PI, r = 0.05 + 0.4 * i / 119;
  return [0.5 + r * Math.cos(a), 0.5 + r * Math.sin(a)];
})];

test('on "Robust, honest", adapting teaches the gate too: the boxy 6 is accepted, letters and a spiral are still not digits; the pair is saved and "Back" restores the base', async () => {
  const page = await openPage(browser, url.replace('?model=robust', '?model=robust-nd'));
  await page.waitForFunction(() => /^pretrained: robust-nd/.test(document.getElementById('model-source')?.textContent ?? ''));
  const gateText = await page.textContent('#model-gate');
  assert.match(gateText, /^a second network vetoes the digit/);
  const answer = () => page.evaluate(() => document.body.dataset.answer);
  const readings = [];
  for (let k = 0; k < 5; ++k) {
    readings.push(`${await drawAndRead(page, boxySix(k))} (${await answer()})`);
    await page.keyboard.press('6');
    await page.waitForFunction((n) => document.querySelectorAll('#mine-grid figure').length === n, k + 1);
  }
  console.log(`boxy 6 on robust, honest, before adapting: ${readings.join(', ')}`);
  await drawAndRead(page, boxySix(5));
  assert.equal(await answer(), 'not-a-digit', 'the base gate vetoes a sixth boxy 6');
  await page.click('#clear');

  await page.click('#mine-adapt');
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.adapt), null, { timeout: 180000 });
  assert.equal(await page.evaluate(() => document.body.dataset.adapt), 'done', await page.locator('#mine-error').textContent());
  const status = await page.locator('#mine-status').textContent();
  console.log(`adapt, honest: ${status}`);
  assert.match(status, /Its “not a digit” gate learnt them too\./);
  assert.match(await page.locator('#model-source').textContent(), /adapted: robust-nd \+ your 5 digits/);
  assert.equal(await page.textContent('#model-gate'), gateText, 'the adapted model keeps a gate');
  assert.match(await page.textContent('#model-params'), / in the gate$/);

  // The sixth boxy 6 is now a 6 and accepted; what is not a digit still is not.
  assert.equal(await drawAndRead(page, boxySix(5)), 6);
  assert.equal(await answer(), 'digit');
  await page.locator('.play').screenshot({ path: artifact('mine-honest-sixth.png') });
  for (const [name, strokes] of [['letter A', letterA], ['letter K', letterK], ['spiral', spiral]]) {
    await page.click('#clear');
    await drawStrokes(page, strokes, { margin: 0.1 });
    await settled(page);
    console.log(`${name} after adapting: ${await answer()} (${await page.textContent('#verdict-title')})`);
    assert.equal(await answer(), 'not-a-digit', `${name} after adapting the gate`);
  }
  await page.locator('.play').screenshot({ path: artifact('mine-honest-spiral.png') });

  // "Download weights" gives both files; the gate's is an eleven-output model.
  const downloads = [];
  page.on('download', (d) => downloads.push(d));
  await page.click('#download');
  for (let i = 0; i < 50 && downloads.length < 2; ++i) await page.waitForTimeout(100);
  assert.equal(downloads.length, 2);
  assert.match(downloads[1].suggestedFilename(), /^digit-cnn-.*-gate\.dcnn$/);
  const gateFile = artifact('mine-honest-gate.dcnn');
  await downloads[1].saveAs(gateFile);
  assert.equal(fs.readFileSync(gateFile).subarray(0, 4).toString('latin1'), 'DCNN');
  page.removeAllListeners('download');

  // Saved with its gate: after a reload, opening it gives the adapted pair again.
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  const saved = page.locator('#saved-list li', { hasText: 'robust-nd + your 5 digits' });
  assert.equal(await saved.count(), 1);
  assert.match(await saved.locator('.saved-facts').textContent(), /with its “not a digit” gate/);
  await saved.locator('[data-action="open"]').click();
  await page.waitForFunction(() => /^saved: robust-nd \+ your 5 digits/.test(document.getElementById('model-source').textContent));
  assert.equal(await page.textContent('#model-gate'), gateText);
  assert.equal(await drawAndRead(page, boxySix(5)), 6);
  assert.equal(await answer(), 'digit');

  // Back (from a fresh adaptation of the opened pair): the base with its own gate, which vetoes the boxy 6 again.
  await page.click('#mine-adapt');
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.adapt), null, { timeout: 180000 });
  assert.equal(await page.evaluate(() => document.body.dataset.adapt), 'done', await page.locator('#mine-error').textContent());
  await page.click('#mine-base');
  await page.waitForFunction(() => /^saved: robust-nd \+ your 5 digits/.test(document.getElementById('model-source').textContent));
  assert.equal(await page.textContent('#model-gate'), gateText);
  await page.click('[data-pretrained="robust-nd"]');
  await page.waitForFunction(() => /^pretrained: robust-nd/.test(document.getElementById('model-source').textContent));
  await drawAndRead(page, boxySix(5));
  assert.equal(await answer(), 'not-a-digit');
  assert.deepEqual(page.errors, []);
});
