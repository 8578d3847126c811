// Fetching MNIST IDX files: plain, or gzip (the official *.gz files), with download progress, and
// checked against their SHA-256 before use. A built site (scripts/site.mjs) lists its gzip files
// with their SHA-256 in data/mnist/index.json; the uncompressed MNIST files are checked against
// the digests below in any case (the ones scripts/get-mnist.sh checks).

const GZIP_MAGIC = [0x1f, 0x8b];
export const MNIST_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte'];
const MNIST_SHA256 = {
  'train-images-idx3-ubyte': 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  'train-labels-idx1-ubyte': '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  't10k-images-idx3-ubyte': '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  't10k-labels-idx1-ubyte': 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
};

async function readAll(response, onProgress) {
  const total = Number(response.headers.get('Content-Length')) || 0;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    onProgress?.(got, Math.max(total, got));
  }
  const out = new Uint8Array(got);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

export async function gunzip(bytes) {
  if (typeof DecompressionStream !== 'function')
    throw new Error('this browser cannot decompress gzip (no DecompressionStream)');
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function isGzip(bytes) {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

export async function sha256Hex(bytes) {
  if (!self.crypto?.subtle)
    throw new Error('cannot check SHA-256 here: browsers offer crypto.subtle only to https:// pages and localhost');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function checkSha256(bytes, expected, name) {
  const got = await sha256Hex(bytes);
  if (got !== expected)
    throw new Error(`${name} failed its SHA-256 check (expected ${expected}, got ${got}): the download is ` +
      'damaged or not the file this site lists; nothing was used');
}

// Fetches url, or url + ".gz" if the plain file is missing; gunzips by magic bytes.
export async function fetchIdx(url, onProgress) {
  let response = await fetch(url);
  if (response.status === 404) response = await fetch(`${url}.gz`);
  if (!response.ok)
    throw new Error(`cannot fetch ${url} (or ${url}.gz): HTTP ${response.status}; ` +
      'run scripts/get-mnist.sh on the server');
  const bytes = await readAll(response, onProgress);
  return isGzip(bytes) ? gunzip(bytes) : bytes;
}

// The site's list of data files ({files: [{name, bytes, sha256}]}), or null where there is none
// (the development server serves data/mnist/ as it is).
async function fetchManifest(baseUrl) {
  const res = await fetch(new URL('index.json', baseUrl));
  if (!res.ok) return null;
  try {
    const { files } = await res.json();
    return Array.isArray(files) ? files : null;
  } catch {
    return null;
  }
}

// The four MNIST files from baseUrl, uncompressed and checked, in MNIST_FILES order.
// onProgress(loaded, total) counts downloaded bytes of all four.
export async function fetchMnist(baseUrl, onProgress) {
  const manifest = await fetchManifest(baseUrl);
  const entries = MNIST_FILES.map((name) => manifest?.find((f) => f.name === `${name}.gz` || f.name === name) ?? null);
  const loaded = new Array(MNIST_FILES.length).fill(0);
  const totals = entries.map((e) => e?.bytes ?? 0);
  const report = (i) => (got, total) => {
    loaded[i] = got;
    if (!entries[i]) totals[i] = total;
    onProgress?.(loaded.reduce((a, b) => a + b, 0), totals.reduce((a, b) => a + b, 0));
  };
  return Promise.all(MNIST_FILES.map(async (name, i) => {
    const entry = entries[i];
    let bytes;
    if (entry) {
      const url = new URL(entry.name, baseUrl);
      const res = await fetch(url);
      if (!res.ok) throw new Error(`cannot fetch ${url}: HTTP ${res.status}`);
      bytes = await readAll(res, report(i));
      // A host that sends .gz with Content-Encoding: gzip hands over the plain file; the check of
      // the uncompressed file below covers that case.
      if (isGzip(bytes)) {
        await checkSha256(bytes, entry.sha256, entry.name);
        bytes = await gunzip(bytes);
      }
    } else {
      bytes = await fetchIdx(new URL(name, baseUrl), report(i));
    }
    await checkSha256(bytes, MNIST_SHA256[name], name);
    return bytes;
  }));
}
