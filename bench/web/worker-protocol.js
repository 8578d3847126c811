// The message protocol shared by the bench page and its workers (the same shape as web/worker.js):
// {id, op, args} -> {id, ok: true, result} | {id, ok: false, error}.

// Page side: call(op, args) resolves with the worker's result or rejects with its message.
export class WorkerClient {
  constructor(url, options) {
    this.worker = new Worker(url, options);
    this.nextId = 1;
    this.pending = new Map();
    this.worker.onmessage = ({ data }) => {
      const p = this.pending.get(data.id);
      if (!p) return;
      this.pending.delete(data.id);
      if (data.ok) p.resolve(data.result);
      else p.reject(new Error(data.error));
    };
    this.worker.onerror = (e) => {
      e.preventDefault?.();
      const err = new Error(`worker ${url} failed: ${e.message || 'could not start'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  call(op, args = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  terminate() {
    this.worker.terminate();
  }
}

// Worker side: answers the page's calls with handlers[op](args). A handler may return
// {result, transfer} to transfer buffers instead of copying them. `early` holds message events
// that arrived before the worker could serve (they are answered first, in order).
export function serve(handlers, early = []) {
  self.onmessage = async ({ data: { id, op, args } }) => {
    try {
      const handler = handlers[op];
      if (!handler) throw new Error(`unknown operation ${op}`);
      let out = await handler(args ?? {});
      if (!(out && typeof out === 'object' && 'transfer' in out)) out = { result: out, transfer: [] };
      self.postMessage({ id, ok: true, result: out.result }, out.transfer);
    } catch (err) {
      self.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  };
  for (const e of early) self.onmessage(e);
}
