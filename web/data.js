// Fetching MNIST IDX files: plain, or gzip (the official *.gz files), with download progress.

const GZIP_MAGIC = [0x1f, 0x8b];

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

function isGzip(bytes) {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
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
