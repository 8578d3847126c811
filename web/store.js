// Models kept in the browser (IndexedDB "digit-cnn"): the metadata of each in "models" (listed
// without reading any weights) and its weights file in "weights", under the same id, written in
// one transaction so that a failed save (storage full) leaves no half-saved model behind; and the
// checkpoint of an interrupted training run ("checkpoint", one record under "current"); and the
// user's corrected digits ("examples": {id, label, pixels (28x28 bytes), strokes, created}).
const DB_NAME = 'digit-cnn';
const DB_VERSION = 3;

let dbPromise = null;

function promisify(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
  });
}

// A message a user can act on, for the errors storage gives.
function storageError(e) {
  if (e?.name === 'QuotaExceededError')
    return new Error('the browser\'s storage for this page is full (or limited, e.g. in a private window): ' +
      'nothing was saved and nothing already saved was lost; delete a saved model or download this one');
  return new Error(`the browser's storage refused: ${e?.message || e?.name || e}`);
}

// Aborts a transaction that failed part-way, so that none of its writes stay; returns the error
// to throw.
function abandon(tx, e) {
  try {
    tx.abort();
  } catch {
    // already finished or aborted
  }
  return storageError(e);
}

function open() {
  if (!self.indexedDB) return Promise.reject(new Error('this browser has no IndexedDB (a private window?)'));
  dbPromise ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('models')) db.createObjectStore('models', { keyPath: 'id', autoIncrement: true });
      if (!db.objectStoreNames.contains('weights')) db.createObjectStore('weights');
      if (!db.objectStoreNames.contains('checkpoint')) db.createObjectStore('checkpoint');
      if (!db.objectStoreNames.contains('examples')) db.createObjectStore('examples', { keyPath: 'id', autoIncrement: true });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(storageError(req.error));
    req.onblocked = () => reject(new Error('the saved models are open in an older version of this page; close its other tabs'));
  });
  dbPromise.catch(() => (dbPromise = null));
  return dbPromise;
}

// Metadata of every saved model, newest first.
export async function listModels() {
  const db = await open();
  const all = await promisify(db.transaction('models').objectStore('models').getAll());
  return all.sort((a, b) => b.created.localeCompare(a.created));
}

// Saves weights (Uint8Array) with their metadata, and the weights of their "not a digit" gate if
// any (a "Robust, honest" pair); resolves with the stored record.
export async function saveModel(meta, bytes, gateBytes = null) {
  const db = await open();
  const tx = db.transaction(['models', 'weights'], 'readwrite');
  try {
    const record = { ...meta, bytes: bytes.byteLength + (gateBytes?.byteLength ?? 0), gate: Boolean(gateBytes) };
    const id = await promisify(tx.objectStore('models').add(record));
    tx.objectStore('weights').put(gateBytes ? { weights: bytes, gate: gateBytes } : bytes, id);
    await done(tx);
    return { ...record, id };
  } catch (e) {
    throw abandon(tx, e);  // nothing of this model stays behind (no metadata without weights)
  }
}

// {bytes, gate}: a saved model's weights and its gate's (null when it answers alone).
export async function loadWeights(id) {
  const db = await open();
  const stored = await promisify(db.transaction('weights').objectStore('weights').get(id));
  if (!stored) throw new Error('the saved weights are gone (deleted in another tab?)');
  return stored instanceof Uint8Array ? { bytes: stored, gate: null } : { bytes: stored.weights, gate: stored.gate };
}

export async function renameModel(id, name) {
  const db = await open();
  try {
    const tx = db.transaction('models', 'readwrite');
    const store = tx.objectStore('models');
    const record = await promisify(store.get(id));
    if (!record) throw new Error('that model is no longer saved');
    store.put({ ...record, name });
    await done(tx);
  } catch (e) {
    throw e instanceof DOMException ? storageError(e) : e;
  }
}

export async function deleteModel(id) {
  const db = await open();
  const tx = db.transaction(['models', 'weights'], 'readwrite');
  tx.objectStore('models').delete(id);
  tx.objectStore('weights').delete(id);
  await done(tx);
}

// The interrupted run: {options, epoch, epochs, created, bytes}, or undefined.
export async function loadCheckpoint() {
  const db = await open();
  return promisify(db.transaction('checkpoint').objectStore('checkpoint').get('current'));
}

export async function saveCheckpoint(record) {
  const db = await open();
  const tx = db.transaction('checkpoint', 'readwrite');
  try {
    tx.objectStore('checkpoint').put(record, 'current');
    await done(tx);
  } catch (e) {
    throw storageError(e);
  }
}

export async function clearCheckpoint() {
  const db = await open();
  const tx = db.transaction('checkpoint', 'readwrite');
  tx.objectStore('checkpoint').delete('current');
  await done(tx);
}

// The user's corrected digits, oldest first.
export async function listExamples() {
  const db = await open();
  return promisify(db.transaction('examples').objectStore('examples').getAll());
}

// Adds examples ({label, pixels, strokes, created}) in one transaction: all of them or none.
// Resolves with the stored records (with their ids).
export async function addExamples(list) {
  const db = await open();
  const tx = db.transaction('examples', 'readwrite');
  try {
    const store = tx.objectStore('examples');
    const ids = await Promise.all(list.map((e) => promisify(store.add(e))));
    await done(tx);
    return list.map((e, i) => ({ ...e, id: ids[i] }));
  } catch (e) {
    throw abandon(tx, e);
  }
}

export async function deleteExample(id) {
  const db = await open();
  const tx = db.transaction('examples', 'readwrite');
  tx.objectStore('examples').delete(id);
  await done(tx);
}

export async function clearExamples() {
  const db = await open();
  const tx = db.transaction('examples', 'readwrite');
  tx.objectStore('examples').clear();
  await done(tx);
}
