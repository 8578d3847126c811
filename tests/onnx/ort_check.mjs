// Runs an exported ONNX model in ONNX Runtime (onnxruntime-node) on the inputs onnx_logits wrote
// and compares its two outputs with ours: probabilities within TOLERANCE, logits within TOLERANCE
// relative to max(1, |logit|) (logits reach ~30, where float32 steps are 2e-6 and two summation
// orders differ by a few steps).
//   node tests/onnx/ort_check.mjs MODEL.onnx PREFIX H W C CLASSES
import fs from 'node:fs';
import ort from 'onnxruntime-node';

const TOLERANCE = 1e-5;
const [model, prefix, h, w, c, classes] = process.argv.slice(2);
const floats = (file) => {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const input = floats(`${prefix}.input.f32`);
const sample = Number(h) * Number(w) * Number(c);
const count = input.length / sample;

const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
const feeds = { image: new ort.Tensor('float32', input, [count, Number(h), Number(w), Number(c)]) };
const out = await session.run(feeds);
let failed = false;
for (const name of ['logits', 'probabilities']) {
  const ours = floats(`${prefix}.${name === 'logits' ? 'logits' : 'probs'}.f32`);
  const theirs = out[name];
  if (theirs.dims.join(',') !== `${count},${classes}`) {
    console.log(`ort: ${name} has dims ${theirs.dims}, expected ${count},${classes}  FAILED`);
    failed = true;
    continue;
  }
  let worst = 0, worstRelative = 0, largest = 0;
  for (let i = 0; i < ours.length; ++i) {
    const d = Math.abs(ours[i] - theirs.data[i]);
    worst = Math.max(worst, d);
    worstRelative = Math.max(worstRelative, d / Math.max(1, Math.abs(ours[i])));
    largest = Math.max(largest, Math.abs(ours[i]));
  }
  const ok = (name === 'logits' ? worstRelative : worst) <= TOLERANCE;
  failed ||= !ok;
  console.log(`ort: ${name} of ${count} images: max |ONNX Runtime - digit-cnn| ${worst.toExponential(2)}` +
    (name === 'logits' ? `, relative to max(1, |logit|) ${worstRelative.toExponential(2)} (largest |logit| ` +
      `${largest.toFixed(1)})` : '') + ` (tolerance ${TOLERANCE})${ok ? '' : '  FAILED'}`);
}
console.log(`ort: inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.join(', ')}`);
process.exit(failed ? 1 : 0);
