// Shared helpers for the web tests: paths, the wasm module in Node, MNIST files, weights for the
// tests, the browser, and turning an MNIST digit into pen strokes.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WASM_DIR = process.env.DIGIT_CNN_WASM_DIR ?? path.join(ROOT, 'build/wasm/wasm');
export const MNIST_DIR = path.join(ROOT, 'data/mnist');
export const ARTIFACTS = path.join(ROOT, 'tests/web/artifacts');

fs.mkdirSync(ARTIFACTS, { recursive: true });

// A test that needs something the machine may lack (a native build, shipped weights) is skipped
// outside CI; in a CI run (CI set, not "0" or "false") it fails instead, so nothing missing passes
// unnoticed. Returns false after skipping; throws in CI.
export function skipUnlessCi(t, why) {
  const ci = process.env.CI;
  if (ci && ci !== '0' && ci !== 'false') throw new Error(`${why}, and a CI run (CI=${ci}) must not skip this test`);
  t.skip(why);
  return false;
}

export function artifact(name) {
  return path.join(ARTIFACTS, name);
}

// ---- the wasm module in Node ----------------------------------------------------------------

let modulePromise = null;
// Emscripten 3.1.6's ES-module output expects CommonJS `require`/`__dirname` under Node and tries
// fetch() on file paths: give it the former, hide the latter and hand it the wasm bytes.
export function loadWasm() {
  modulePromise ??= (async () => {
    const wasmFile = path.join(WASM_DIR, 'digit_cnn.wasm');
    if (!fs.existsSync(wasmFile)) throw new Error(`no wasm build in ${WASM_DIR}: run scripts/build-wasm.sh`);
    delete globalThis.fetch;
    globalThis.require ??= createRequire(import.meta.url);
    globalThis.__dirname ??= WASM_DIR;
    const { default: create } = await import(path.join(WASM_DIR, 'digit_cnn.js'));
    return create({ wasmBinary: fs.readFileSync(wasmFile) });
  })();
  return modulePromise;
}

// ---- MNIST --------------------------------------------------------------------------------------

export function mnistFile(name) {
  const plain = path.join(MNIST_DIR, name);
  if (fs.existsSync(plain)) return new Uint8Array(fs.readFileSync(plain));
  if (fs.existsSync(`${plain}.gz`)) return new Uint8Array(zlib.gunzipSync(fs.readFileSync(`${plain}.gz`)));
  throw new Error(`${plain} is missing: run scripts/get-mnist.sh`);
}

// {count, rows, cols, pixels} and labels of the test set, parsed by the wasm module (core's parser).
export async function mnistTest() {
  const M = await loadWasm();
  const images = M.parseIdxImages(mnistFile('t10k-images-idx3-ubyte'));
  const labels = M.parseIdxLabels(mnistFile('t10k-labels-idx1-ubyte'));
  return { ...images, labels };
}

// ---- weights for the tests ---------------------------------------------------------------------

// The shipped weights if they exist, else weights trained here once (one epoch on 12,000 images
// in wasm, about half a minute) and kept in the artifacts folder. Returns a directory that holds
// seed.dcnn, to be served as /weights/.
export async function testWeightsDir() {
  const shipped = path.join(ROOT, 'weights/seed.dcnn');
  if (fs.existsSync(shipped) && !process.env.DIGIT_CNN_TEST_TRAIN) return path.dirname(shipped);
  const dir = artifact('weights');
  const file = path.join(dir, 'seed.dcnn');
  const M = await loadWasm();
  const s = new M.Session();
  if (fs.existsSync(file)) {
    try {
      s.loadWeights(new Uint8Array(fs.readFileSync(file)));  // still readable by this build?
      s.delete();
      return dir;
    } catch {
      fs.rmSync(file);
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  s.setData(mnistFile('train-images-idx3-ubyte'), mnistFile('train-labels-idx1-ubyte'),
    mnistFile('t10k-images-idx3-ubyte'), mnistFile('t10k-labels-idx1-ubyte'));
  s.startTraining({ trainSize: 12000, epochs: 1, batchSize: 32, learningRate: 0.001, seed: 1 });
  while (!s.trainStep(50).done);
  fs.writeFileSync(`${file}.tmp`, s.saveWeights());
  fs.renameSync(`${file}.tmp`, file);
  s.delete();
  return dir;
}

// ---- the browser --------------------------------------------------------------------------------

export { launchChromium as launchBrowser } from '../../scripts/chromium.mjs';

// A page that records console errors and uncaught exceptions into `errors`.
export async function openPage(browser, url, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...options });
  const page = await context.newPage();
  page.errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
  return page;
}

// ---- digits as strokes --------------------------------------------------------------------------

// Bilinear upsampling of a rows x cols byte image by `f`, thresholded to a binary mask.
function upsampleMask(pixels, offset, rows, cols, f, threshold = 100) {
  const h = rows * f, w = cols * f;
  const mask = new Uint8Array(w * h);
  const at = (x, y) => pixels[offset + Math.min(rows - 1, Math.max(0, y)) * cols + Math.min(cols - 1, Math.max(0, x))];
  for (let y = 0; y < h; ++y)
    for (let x = 0; x < w; ++x) {
      const sx = (x + 0.5) / f - 0.5, sy = (y + 0.5) / f - 0.5;
      const x0 = Math.floor(sx), y0 = Math.floor(sy), tx = sx - x0, ty = sy - y0;
      const v = (at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx) * (1 - ty) + (at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx) * ty;
      mask[y * w + x] = v > threshold ? 1 : 0;
    }
  return { mask, w, h };
}

// Zhang-Suen thinning, in place: a one-pixel-wide skeleton of the mask.
function thin({ mask, w, h }) {
  const get = (x, y) => (x < 0 || y < 0 || x >= w || y >= h ? 0 : mask[y * w + x]);
  let changed = true;
  while (changed) {
    changed = false;
    for (const pass of [0, 1]) {
      const remove = [];
      for (let y = 0; y < h; ++y)
        for (let x = 0; x < w; ++x) {
          if (!mask[y * w + x]) continue;
          // Neighbours P2..P9 clockwise from north.
          const p = [get(x, y - 1), get(x + 1, y - 1), get(x + 1, y), get(x + 1, y + 1), get(x, y + 1),
            get(x - 1, y + 1), get(x - 1, y), get(x - 1, y - 1)];
          const b = p.reduce((a, v) => a + v, 0);
          if (b < 2 || b > 6) continue;
          let a = 0;
          for (let i = 0; i < 8; ++i) if (!p[i] && p[(i + 1) % 8]) ++a;
          if (a !== 1) continue;
          if (pass === 0 && (p[0] * p[2] * p[4] || p[2] * p[4] * p[6])) continue;
          if (pass === 1 && (p[0] * p[2] * p[6] || p[0] * p[4] * p[6])) continue;
          remove.push(y * w + x);
        }
      for (const i of remove) mask[i] = 0;
      if (remove.length) changed = true;
    }
  }
}

const NEIGHBOURS = [[1, 0], [0, 1], [-1, 0], [0, -1], [1, 1], [-1, 1], [-1, -1], [1, -1]];

// Splits a skeleton into polylines: start at end points first, walk to unvisited neighbours,
// and begin each new path at an already drawn neighbour so that strokes join up.
function tracePaths({ mask, w, h }) {
  const on = (x, y) => x >= 0 && y >= 0 && x < w && y < h && mask[y * w + x] === 1;
  const visited = new Uint8Array(w * h);
  const degree = (x, y) => NEIGHBOURS.filter(([dx, dy]) => on(x + dx, y + dy)).length;
  const paths = [];
  for (;;) {
    let start = null, best = 9;
    for (let y = 0; y < h; ++y)
      for (let x = 0; x < w; ++x)
        if (on(x, y) && !visited[y * w + x]) {
          const d = degree(x, y);
          if (d < best) {
            best = d;
            start = [x, y];
          }
        }
    if (!start) break;
    const path = [];
    const joint = NEIGHBOURS.map(([dx, dy]) => [start[0] + dx, start[1] + dy]).find(([x, y]) => on(x, y) && visited[y * w + x]);
    if (joint) path.push(joint);
    let cur = start;
    while (cur) {
      visited[cur[1] * w + cur[0]] = 1;
      path.push(cur);
      cur = NEIGHBOURS.map(([dx, dy]) => [cur[0] + dx, cur[1] + dy]).find(([x, y]) => on(x, y) && !visited[y * w + x]) ?? null;
    }
    if (path.length >= 3) paths.push(path);
  }
  return paths;
}

// Polylines in [0, 1] x [0, 1] image coordinates that retrace the ink of a 28x28 digit.
export function digitStrokes(pixels, offset, rows = 28, cols = 28) {
  const f = 4;
  const img = upsampleMask(pixels, offset, rows, cols, f);
  thin(img);
  // A moving average takes the staircase out of the pixel paths, as a hand would.
  const smooth = (p) => p.map((_, i) => {
    const win = p.slice(Math.max(0, i - 2), i + 3);
    return [win.reduce((a, q) => a + q[0], 0) / win.length, win.reduce((a, q) => a + q[1], 0) / win.length];
  });
  return tracePaths(img).map((p) =>
    smooth(p).filter((_, i, a) => i % 3 === 0 || i === a.length - 1).map(([x, y]) => [(x + 0.5) / img.w, (y + 0.5) / img.h]));
}

// Draws polylines (unit coordinates) on the page's pad with real mouse events, into the square
// [margin, 1 - margin] of the pad, or into `area` = [left, top, side] (fractions of the pad).
export async function drawStrokes(page, strokes, { margin = 0, area = null } = {}) {
  const box = await page.locator('#pad').boundingBox();
  const [left, top, side] = area ?? [margin, margin, 1 - 2 * margin];
  const P = ([u, v]) => [box.x + (left + u * side) * box.width, box.y + (top + v * side) * box.height];
  for (const s of strokes) {
    await page.mouse.move(...P(s[0]));
    await page.mouse.down();
    for (const pt of s.slice(1)) await page.mouse.move(...P(pt), { steps: 2 });
    await page.mouse.up();
  }
}

// A minimal valid PNG (8-bit greyscale), for "a random PNG is not a weights file".
export function makePng(width, height, value = (x, y) => (x * 7 + y * 13) & 255) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 255] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;   // bit depth
  ihdr[9] = 0;   // greyscale
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; ++y)
    for (let x = 0; x < width; ++x) raw[y * (width + 1) + 1 + x] = value(x, y);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
