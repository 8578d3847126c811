#!/usr/bin/env node
// Local server for the browser benchmark page (bench/web/), plain Node.
//
//   node bench/web/serve-bench.mjs [--port N] [--wasm-dir DIR]...     (port 0 = a free port)
//
//   /              bench/web/                                the bench page and its workers
//   /generated/    build/wasm/wasm/, build/wasm-mt/wasm/      our modules (scripts/build-wasm.sh),
//                  or the --wasm-dir directories (to compare another build of the same sources)
//   /tfjs/         node_modules/@tensorflow/tfjs/dist/,       the peer, served locally (no CDN)
//                  node_modules/@tensorflow/tfjs-backend-wasm/dist/
//   /ort/          node_modules/onnxruntime-web/dist/         the second peer, served locally too
//   /onnx/         build/bench/                              seed.onnx, exported by browser-bench.mjs
//   /data/mnist/   data/mnist/                               MNIST IDX files
//   /weights/      weights/                                  seed.dcnn and improved.dcnn, if present
//   /web/          web/                                      rpc.js, the worker protocol shared with the page
//
// scripts/serve.mjs always serves web/ at "/", so it cannot serve this page. Like it, this sends
// COOP/COEP so the page is cross-origin isolated (SharedArrayBuffer: threaded wasm for both sides).
// No gzip: everything is local, and the bench measures compute, not transfer (the page weight is
// computed from the files by bench/page-weight.mjs).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const DEFAULT_WASM_DIRS = ['build/wasm/wasm', 'build/wasm-mt/wasm'].map((d) => path.join(ROOT, d));

// URL prefix -> directories (the first that has the file serves it).
function routes(wasmDirs) {
  return [
    ['/generated/', wasmDirs],
    ...[
      ['/tfjs/', ['node_modules/@tensorflow/tfjs/dist', 'node_modules/@tensorflow/tfjs-backend-wasm/dist']],
      ['/ort/', ['node_modules/onnxruntime-web/dist']],
      ['/onnx/', ['build/bench']],
      ['/data/mnist/', ['data/mnist']],
      ['/weights/', ['weights']],
      ['/web/', ['web']],
      ['/', ['bench/web']],
    ].map(([prefix, dirs]) => [prefix, dirs.map((d) => path.join(ROOT, d))]),
  ];
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

// URL path -> an existing file inside one of the routed directories, or null.
function resolveFile(ROUTES, urlPath) {
  let rel;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  for (const [prefix, dirs] of ROUTES) {
    if (!rel.startsWith(prefix)) continue;
    const name = rel.slice(prefix.length) || 'index.html';
    for (const dir of dirs) {
      const file = path.resolve(dir, name);
      if (!file.startsWith(dir + path.sep)) return null;
      if (fs.existsSync(file) && fs.statSync(file).isFile()) return file;
    }
    return null;
  }
  return null;
}

function handle(ROUTES, served, req, res) {
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
  const file = resolveFile(ROUTES, new URL(req.url, 'http://localhost').pathname);
  if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(file ? 405 : 404, { 'Content-Type': 'text/plain; charset=utf-8' });
    return res.end(file ? 'method not allowed\n' : `not found: ${req.url}\n`);
  }
  if (req.method === 'GET') served.add(new URL(req.url, 'http://localhost').pathname);
  const size = fs.statSync(file).size;
  res.writeHead(200, {
    'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
    'Content-Length': size,
  });
  if (req.method === 'HEAD') return res.end();
  fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

// Resolves with {server, url, served} once listening on host:port (port 0 = a free port); served is
// the set of URL paths fetched so far (the driver lists the peer files a page really loaded).
export function startBenchServer({ port = 0, host = '127.0.0.1', wasmDirs = DEFAULT_WASM_DIRS } = {}) {
  const table = routes(wasmDirs.map((d) => path.resolve(d)));
  const served = new Set();
  const server = http.createServer((req, res) => handle(table, served, req, res));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ server, served, url: `http://${host}:${server.address().port}/` }));
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const values = (flag) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
  const wasmDirs = values('--wasm-dir');
  const { url } = await startBenchServer({ port: Number(values('--port')[0] ?? 0),
    wasmDirs: wasmDirs.length ? wasmDirs : DEFAULT_WASM_DIRS });
  console.log(`digit-cnn bench: serving ${url}`);
}
