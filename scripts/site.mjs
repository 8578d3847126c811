#!/usr/bin/env node
// Assembles the static site: a folder that any static host serves as it is (no COOP/COEP, no
// server code). scripts/site.sh builds the wasm modules first and then runs this.
//
//   node scripts/site.mjs DIR [--weights FILE.dcnn ...] [--wasm-dir D ...] [--data-dir D] [--no-mnist]
//
//   DIR/                 web/ (the page, its workers and sw.js, the service worker)
//   DIR/generated/       the wasm modules (single-threaded, and threaded if built)
//   DIR/weights/         the shipped weights, the --weights files, and index.json listing them
//                        (the --weights files first: the page opens with the first entry)
//   DIR/data/mnist/      MNIST as gzip IDX files (*-ubyte.gz) and index.json with their SHA-256,
//                        fetched by the page only when training starts
//
// sw.js gets this build's version (a hash of the site's files but MNIST) and the list of files to
// precache, so that a new build replaces the previous one's cache.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The shipped models, in the order the page offers them (weights/index.json, which the development
// server serves as it is).
const SHIPPED = JSON.parse(fs.readFileSync(path.join(ROOT, 'weights/index.json'), 'utf8')).models;
export const MNIST_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte'];
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function fail(message) {
  console.error(`site: ${message}`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { dir: null, weights: [], wasmDirs: [], dataDir: path.join(ROOT, 'data/mnist'), mnist: true };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : fail(`${a} needs a value`));
    if (a === '--weights') {
      o.weights.push(value());
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) o.weights.push(argv[++i]);
    } else if (a === '--wasm-dir') o.wasmDirs.push(value());
    else if (a === '--data-dir') o.dataDir = value();
    else if (a === '--no-mnist') o.mnist = false;
    else if (a.startsWith('--')) fail(`unknown option ${a}`);
    else if (!o.dir) o.dir = a;
    else fail(`unexpected argument ${a}`);
  }
  if (!o.dir) fail('usage: node scripts/site.mjs DIR [--weights FILE.dcnn ...] [--no-mnist]');
  if (!o.wasmDirs.length) o.wasmDirs = [path.join(ROOT, 'build/wasm/wasm'), path.join(ROOT, 'build/wasm-mt/wasm')];
  return o;
}

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

// A weights file is checked for its magic here; the page's core checks the rest when it loads it.
function checkWeightsFile(file) {
  if (!fs.existsSync(file)) fail(`weights file ${file} does not exist`);
  const head = Buffer.alloc(4);
  const fd = fs.openSync(file, 'r');
  fs.readSync(fd, head, 0, 4, 0);
  fs.closeSync(fd);
  if (head.toString('latin1') !== 'DCNN') fail(`${file} is not a digit-cnn weights file (no DCNN magic)`);
}

function copyWeights(o, dir) {
  const out = path.join(dir, 'weights');
  fs.mkdirSync(out, { recursive: true });
  const models = [];
  for (const f of o.weights) {
    checkWeightsFile(f);
    const name = path.basename(f).replace(/\.dcnn$/i, '');
    if (!NAME_RE.test(name)) fail(`${f}: the model name "${name}" may use only letters, digits, '.', '_' and '-'`);
    if (models.some((m) => m.name === name) || SHIPPED.some((m) => m.name === name))
      fail(`${f}: a model called "${name}" is already in the site; rename the file`);
    fs.copyFileSync(f, path.join(out, `${name}.dcnn`));
    models.push({ name, label: name, note: `your weights · ${Math.round(fs.statSync(f).size / 1024)} KB` });
  }
  // A shipped entry may read with another file (`weights`) and veto with a gate (`gate`): every
  // file it names comes along, or the entry is left out.
  for (const m of SHIPPED) {
    const files = [...new Set([m.weights ?? m.name, m.gate, m.name].filter(Boolean))];
    const srcs = files.map((f) => path.join(ROOT, 'weights', `${f}.dcnn`));
    if (!srcs.every((f) => fs.existsSync(f))) continue;
    files.forEach((f, i) => fs.copyFileSync(srcs[i], path.join(out, `${f}.dcnn`)));
    models.push(m);
  }
  // A gate adapts with the drawings that are not digits (weights/gate-negatives.json) as replay.
  if (models.some((m) => m.gate))
    for (const part of ['images-idx3', 'labels-idx1']) {
      const f = path.join(ROOT, 'weights', `gate-negatives-${part}-ubyte.gz`);
      if (!fs.existsSync(f)) fail(`${f} is missing: a "not a digit" gate cannot adapt without it`);
      fs.copyFileSync(f, path.join(out, path.basename(f)));
    }
  if (!models.length) fail('no weights: weights/*.dcnn are missing and no --weights were given');
  fs.writeFileSync(path.join(out, 'index.json'), `${JSON.stringify({ models }, null, 1)}\n`);
  return models;
}

// MNIST as the official gzip files: taken as they are if the data folder has *.gz, otherwise
// compressed here (level 9, no name or time in the header, so the same bytes every build).
function copyMnist(o, dir) {
  const out = path.join(dir, 'data/mnist');
  fs.mkdirSync(out, { recursive: true });
  const files = [];
  for (const name of MNIST_FILES) {
    const plain = path.join(o.dataDir, name);
    let gz;
    if (fs.existsSync(`${plain}.gz`)) gz = fs.readFileSync(`${plain}.gz`);
    else if (fs.existsSync(plain)) gz = zlib.gzipSync(fs.readFileSync(plain), { level: 9 });
    else fail(`${plain} (or .gz) is missing: run scripts/get-mnist.sh, or build with --no-mnist`);
    fs.writeFileSync(path.join(out, `${name}.gz`), gz);
    files.push({ name: `${name}.gz`, bytes: gz.length, sha256: sha256(gz) });
  }
  fs.writeFileSync(path.join(out, 'index.json'), `${JSON.stringify({ files }, null, 1)}\n`);
  return files;
}

function listFiles(dir, sub = '') {
  return fs.readdirSync(path.join(dir, sub), { withFileTypes: true }).flatMap((e) => {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(dir, rel) : [rel];
  });
}

// The service worker precaches the page, the wasm modules and the model the page opens with (the
// other models are cached when first opened, the gate's negatives when a gate is first adapted,
// MNIST never); its version is a hash of every file but MNIST, so that any change makes a new
// cache.
function stampServiceWorker(dir, firstModel) {
  const first = new Set([firstModel.weights ?? firstModel.name, firstModel.gate].filter(Boolean).map((f) => `weights/${f}.dcnn`));
  const swFile = path.join(dir, 'sw.js');
  const all = listFiles(dir).filter((f) => f !== 'sw.js' && !f.startsWith('data/')).sort();
  const h = crypto.createHash('sha256');
  for (const f of all) h.update(f).update('\0').update(fs.readFileSync(path.join(dir, f)));
  const version = h.digest('hex').slice(0, 16);
  // The gate's negatives (382 KB) are fetched, and then cached, only when a gate is adapted.
  const later = (f) => f.endsWith('.dcnn') ? !first.has(f) : f.startsWith('weights/gate-negatives-');
  const files = all.filter((f) => !later(f));
  const marker = /^self\.SITE = .*$/m;
  const text = fs.readFileSync(swFile, 'utf8');
  if (!marker.test(text)) fail('web/sw.js has no "self.SITE = ..." line to stamp');
  fs.writeFileSync(swFile, text.replace(marker, `self.SITE = ${JSON.stringify({ version, files: ['./', ...files] })};`));
  return { version, files };
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const dir = path.resolve(o.dir);
  const wasm = [];
  for (const d of o.wasmDirs)
    if (fs.existsSync(d)) for (const f of fs.readdirSync(d)) if (/^digit_cnn(_mt)?\.(js|wasm|worker\.js)$/.test(f)) wasm.push(path.join(d, f));
  if (!wasm.some((f) => f.endsWith('digit_cnn.wasm'))) fail('no wasm build: run scripts/build-wasm.sh');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'generated'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'web'), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}generated`) });
  for (const f of wasm) fs.copyFileSync(f, path.join(dir, 'generated', path.basename(f)));
  const models = copyWeights(o, dir);
  const mnist = o.mnist ? copyMnist(o, dir) : [];
  const { version, files } = stampServiceWorker(dir, models[0]);
  const size = (list) => list.reduce((a, f) => a + fs.statSync(path.join(dir, f)).size, 0);
  console.log(`site: ${dir} (build ${version})`);
  console.log(`site: models ${models.map((m) => m.name).join(', ')} (the page opens with ${models[0].name})`);
  console.log(`site: ${files.length} files precached for offline use, ${size(files)} bytes; ` +
    (mnist.length ? `MNIST ${mnist.reduce((a, f) => a + f.bytes, 0)} bytes gzip, fetched when training starts` : 'no MNIST'));
}

main();
