// The one message protocol between a page and its workers (the page's wasm workers, and the bench
// page's workers for us and the peers):
//   page -> worker  {id, op, args}
//   worker -> page  {id, ok: true, result} | {id, ok: false, error} | {event, data} (unsolicited:
//                   download and training progress)

// Page side: call(op, args) resolves with the worker's result or rejects with its error message;
// on(event, fn) receives the worker's events until the function it returns is called.
export class WorkerClient {
  constructor(url, options = { type: 'module' }) {
    this.worker = new Worker(url, options);
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Map();
    this.worker.onmessage = (e) => this.receive(e.data);
    this.worker.onerror = (e) => {
      e.preventDefault?.();
      this.failAll(new Error(`worker ${url} failed: ${e.message || 'could not start (see console)'}`));
    };
  }

  call(op, args = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  on(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(fn);
    return () => this.listeners.get(event).delete(fn);
  }

  receive(msg) {
    if (msg.event) {
      for (const fn of this.listeners.get(msg.event) ?? []) fn(msg.data);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(msg.error));
  }

  // Stops the worker (calls still waiting never settle).
  terminate() {
    this.worker.terminate();
  }

  failAll(error) {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}

// Worker side: answers the page's calls with handlers[op](args). A handler may return
// {result, transfer} to transfer buffers instead of copying them. `check(op)`, if given, runs
// before each handler and may throw to refuse the call. `early` holds message events that arrived
// before the worker could serve (they are answered first, in order).
export function serve(handlers, { check = null, early = [] } = {}) {
  self.onmessage = async ({ data: { id, op, args } }) => {
    try {
      const handler = Object.hasOwn(handlers, op) ? handlers[op] : null;
      if (!handler) throw new Error(`unknown operation ${op}`);
      check?.(op);
      let out = await handler(args ?? {});
      if (!(out && typeof out === 'object' && 'result' in out && 'transfer' in out)) out = { result: out, transfer: [] };
      self.postMessage({ id, ok: true, result: out.result }, out.transfer);
    } catch (err) {
      self.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  };
  for (const e of early) self.onmessage(e);
}

// Worker side: an unsolicited event for the page's on(event, fn) listeners.
export function emit(event, data, transfer = []) {
  self.postMessage({ event, data }, transfer);
}
