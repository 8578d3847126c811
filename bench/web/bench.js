// The bench page: hosts one worker per contender and exposes `window.bench` for the driver
// (bench/browser-bench.mjs), which decides what runs when (rounds that interleave ours and peer).
import { WorkerClient } from '/web/rpc.js';

// Contender name -> its worker. Our modules run in module workers as in the page (web/worker.js);
// TF.js in classic workers (see tfjs-worker.js); ONNX Runtime Web in module workers (ort-worker.js).
function workerUrl(name, threads) {
  switch (name) {
    case 'ours-st': return './ours-worker.js?module=st';
    case 'ours-mt': return './ours-worker.js?module=mt';
    case 'tfjs-wasm': return './tfjs-worker.js?backend=wasm&threads=1';
    case 'tfjs-wasm-mt': return `./tfjs-worker.js?backend=wasm&threads=${threads}`;
    case 'tfjs-cpu': return './tfjs-worker.js?backend=cpu';
    case 'ort-wasm': return './ort-worker.js?threads=1';
    case 'ort-wasm-mt': return `./ort-worker.js?threads=${threads}`;
    default: throw new Error(`unknown contender ${name}`);
  }
}

const workers = new Map();  // contender name -> WorkerClient

window.bench = {
  crossOriginIsolated: self.crossOriginIsolated,
  hardwareConcurrency: navigator.hardwareConcurrency,
  userAgent: navigator.userAgent,

  async start(name, { threads = 2 } = {}) {
    workers.get(name)?.terminate();
    const client = new WorkerClient(workerUrl(name, threads), { type: name.startsWith('tfjs') ? 'classic' : 'module' });
    workers.set(name, client);
    return client.call('init', { threads });
  },

  stop(name) {
    workers.get(name)?.terminate();
    workers.delete(name);
  },

  call(name, op, args) {
    const w = workers.get(name);
    if (!w) throw new Error(`contender ${name} is not started`);
    return w.call(op, args);
  },

  // A worker's result bytes as base64, for the driver (e.g. saved weights).
  async bytesBase64(name, op) {
    const bytes = await this.call(name, op);
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  },
};
document.getElementById('log').textContent = `ready; crossOriginIsolated=${self.crossOriginIsolated}`;
