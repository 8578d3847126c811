// The user's own IDX files for training (picked or dropped; plain or .gz): four files, sorted
// into training and test images and labels by their IDX header (images have 3 dimensions, labels
// one; the larger set of each kind is the training set). Core checks everything else when the
// training worker takes them (setData), with its usual messages.
import { gunzip, isGzip } from './data.js';

async function readOne(file) {
  let bytes = new Uint8Array(await file.arrayBuffer());
  if (isGzip(bytes)) bytes = await gunzip(bytes);
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0)
    throw new Error(`${file.name} is not an IDX file (it does not start with the IDX magic 00 00)`);
  const dims = bytes[3];
  if (dims !== 1 && dims !== 3)
    throw new Error(`${file.name} has ${dims} dimensions; images need 3 (count, rows, columns) and labels 1`);
  const count = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4);
  return { name: file.name, bytes, kind: dims === 3 ? 'images' : 'labels', count };
}

// -> {trainImages, trainLabels, testImages, testLabels, names} (bytes, uncompressed).
export async function readIdxFiles(fileList) {
  const files = [...fileList];
  if (files.length !== 4)
    throw new Error(`choose four IDX files (training images and labels, test images and labels), not ${files.length}`);
  const read = await Promise.all(files.map(readOne));
  const pick = (kind) => {
    const list = read.filter((f) => f.kind === kind).sort((a, b) => b.count - a.count);
    if (list.length !== 2) throw new Error(`two ${kind} files are needed, got ${list.length}`);
    return list;
  };
  const [trainImages, testImages] = pick('images');
  const [trainLabels, testLabels] = pick('labels');
  return {
    trainImages: trainImages.bytes, trainLabels: trainLabels.bytes, testImages: testImages.bytes, testLabels: testLabels.bytes,
    names: { trainImages: trainImages.name, trainLabels: trainLabels.name, testImages: testImages.name, testLabels: testLabels.name },
  };
}
