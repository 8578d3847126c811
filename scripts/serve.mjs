#!/usr/bin/env node
// Local web server for the digit-cnn page (plain Node, no framework).
//
//   node scripts/serve.mjs [--port N] [--host H] [--wasm-dir DIR] [--weights-dir DIR] [--data-dir DIR]
//   node scripts/serve.mjs --site DIR [--port N] [--host H]     a site built by scripts/site.sh
//                                                   (or PORT=N; default 8080)
//
//   /              web/                       the page
//   /generated/    build/wasm/wasm/           digit_cnn.js + digit_cnn.wasm (scripts/build-wasm.sh)
//                  build/wasm-mt/wasm/        digit_cnn_mt.* (the threaded variant)
//   /weights/      weights/ (or --weights-dir) pretrained weights (robust.dcnn, improved.dcnn, seed.dcnn)
//   /data/mnist/   data/mnist/ (or --data-dir) MNIST IDX files (scripts/get-mnist.sh), plain or .gz
//
// Sends COOP/COEP so that the page is cross-origin isolated (SharedArrayBuffer for a threaded
// build), .wasm as application/wasm, and gzip for text and wasm when the client accepts it.
// Port 0 picks a free port; the first line printed is "digit-cnn: serving <url>".
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const opts = {
    port: process.env.PORT ?? '8080',
    host: process.env.HOST ?? '127.0.0.1',
    wasmDir: process.env.DIGIT_CNN_WASM_DIR,  // default: build/wasm/wasm then build/wasm-mt/wasm
    weightsDir: process.env.DIGIT_CNN_WEIGHTS_DIR ?? path.join(ROOT, 'weights'),
    dataDir: process.env.DIGIT_CNN_DATA_DIR ?? path.join(ROOT, 'data/mnist'),
    site: null,
  };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--port' || a === '-p') opts.port = value();
    else if (a === '--host') opts.host = value();
    else if (a === '--wasm-dir') opts.wasmDir = path.resolve(value());
    else if (a === '--weights-dir') opts.weightsDir = path.resolve(value());
    else if (a === '--data-dir') opts.dataDir = path.resolve(value());
    else if (a === '--site') opts.site = path.resolve(value());
    else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/serve.mjs [--port N] [--host H] [--wasm-dir DIR] [--weights-dir DIR] [--data-dir DIR] | --site DIR');
      process.exit(0);
    } else if (/^\d+$/.test(a)) opts.port = a;
    else throw new Error(`unknown argument ${a}`);
  }
  opts.port = Number(opts.port);
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
    throw new Error(`bad port ${opts.port}`);
  return opts;
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.wasm': 'application/wasm',
  '.gz': 'application/gzip',
  '.dcnn': 'application/octet-stream',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.txt', '.md',
  '.svg', '.wasm', '.dcnn']);
const MAX_GZIP_BYTES = 16 << 20;

function mimeOf(file) {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

// URL path prefix -> directories (the first that has the file serves it). Longest prefix first.
function makeRoutes(wasmDirs, weightsDir, dataDir) {
  return [
    ['/generated/', wasmDirs],
    ['/weights/', [weightsDir]],
    ['/data/mnist/', [dataDir]],
    ['/', [path.join(ROOT, 'web')]],
  ];
}

// Maps a URL path to a file inside one of the routed directories, or null (no traversal).
function resolveFile(routes, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  for (const [prefix, dirs] of routes) {
    if (!decoded.startsWith(prefix)) continue;
    const rel = decoded.slice(prefix.length) || 'index.html';
    const files = dirs.map((dir) => path.resolve(dir, rel));
    if (files.some((f, i) => f !== dirs[i] && !f.startsWith(dirs[i] + path.sep))) return null;
    return files.find((f) => fs.existsSync(f)) ?? files[0];
  }
  return null;
}

// gzip bodies cached by file, size and mtime: the page's files are compressed once.
const gzipCache = new Map();
function gzipped(file, stat) {
  const key = `${file}:${stat.size}:${stat.mtimeMs}`;
  let hit = gzipCache.get(file);
  if (!hit || hit.key !== key) {
    hit = { key, body: zlib.gzipSync(fs.readFileSync(file), { level: 9 }) };
    gzipCache.set(file, hit);
  }
  return hit.body;
}

function securityHeaders(res) {
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

function sendText(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function handle(routes, req, res) {
  securityHeaders(res);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendText(res, 405, 'method not allowed\n');
  }
  const url = new URL(req.url, 'http://localhost');
  const file = resolveFile(routes, url.pathname);
  if (!file) return sendText(res, 400, 'bad path\n');
  fs.stat(file, (err, stat) => {
    if (!err && stat.isDirectory()) {
      if (!url.pathname.endsWith('/')) {
        res.writeHead(301, { Location: url.pathname + '/' + url.search });
        return res.end();
      }
      return handle(routes, Object.assign(req, { url: url.pathname + 'index.html' }), res);
    }
    if (err || !stat.isFile()) {
      const hint = url.pathname.startsWith('/generated/')
        ? ' (build the wasm module first: scripts/build-wasm.sh)'
        : url.pathname.startsWith('/data/mnist/') ? ' (fetch MNIST first: scripts/get-mnist.sh)' : '';
      return sendText(res, 404, `not found: ${url.pathname}${hint}\n`);
    }
    const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    const ext = path.extname(file).toLowerCase();
    const headers = {
      'Content-Type': mimeOf(file),
      'Cache-Control': 'no-cache',
      ETag: etag,
    };
    const canGzip = COMPRESSIBLE.has(ext) && stat.size <= MAX_GZIP_BYTES;
    if (canGzip) headers.Vary = 'Accept-Encoding';
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      return res.end();
    }
    const acceptsGzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    if (canGzip && acceptsGzip) {
      let body;
      try {
        body = gzipped(file, stat);
      } catch (e) {
        return sendText(res, 500, `cannot read ${url.pathname}: ${e.message}\n`);
      }
      headers['Content-Encoding'] = 'gzip';
      headers['Content-Length'] = body.length;
      res.writeHead(200, headers);
      return res.end(req.method === 'HEAD' ? undefined : body);
    }
    headers['Content-Length'] = stat.size;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return res.end();
    const stream = fs.createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  });
}

export function startServer({ port = 8080, host = '127.0.0.1', wasmDir, weightsDir, dataDir, site } = {}) {
  const wasmDirs = wasmDir ? [path.resolve(wasmDir)]
    : [path.join(ROOT, 'build/wasm/wasm'), path.join(ROOT, 'build/wasm-mt/wasm')];
  const routes = site ? [['/', [path.resolve(site)]]]
    : makeRoutes(wasmDirs, path.resolve(weightsDir ?? path.join(ROOT, 'weights')), path.resolve(dataDir ?? path.join(ROOT, 'data/mnist')));
  const server = http.createServer((req, res) => {
    try {
      handle(routes, req, res);
    } catch (e) {
      if (!res.headersSent) sendText(res, 500, `${e.message}\n`);
      else res.destroy();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({ server, url: `http://${shownHost}:${addr.port}/` });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`serve: ${e.message}`);
    process.exit(2);
  }
  const { server, url } = await startServer(opts).catch((e) => {
    console.error(`serve: cannot listen on ${opts.host}:${opts.port}: ${e.message}`);
    process.exit(1);
  });
  console.log(`digit-cnn: serving ${url}${opts.site ? ` (site ${opts.site})` : ''}`);
  const wasmDir = opts.wasmDir ?? path.join(ROOT, 'build/wasm/wasm');
  if (!opts.site && !fs.existsSync(path.join(wasmDir, 'digit_cnn.wasm')))
    console.log(`digit-cnn: warning: no wasm build in ${wasmDir} (run scripts/build-wasm.sh)`);
  for (const name of opts.site ? [] : ['robust-nd', 'robust', 'improved', 'seed'])
    if (!fs.existsSync(path.join(opts.weightsDir, `${name}.dcnn`)))
      console.log(`digit-cnn: warning: weights/${name}.dcnn is missing, so choosing it on the page leaves an ` +
        'untrained model (train on the page, or retrain it: see README, Results)');
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
