// test_export_model.js: runs an exported ONNX model in ONNX Runtime (onnxruntime-node)
// on Swell's preprocessed inputs and compares with `swell-cli predict --json`.
//   node test_export_model.js ORT_DIR MODEL.onnx INPUTS.f32 SIZE PREDICT.jsonl
// All images go through as one batch (the batch dimension is dynamic). Prints one
// line "N images, top-1 agree on K, max |p_ort - p_swell| = D" and exits 1 when a
// top-1 differs or D > 1e-4.
'use strict';
const fs = require('fs');
const path = require('path');
const [ortDir, model, inputs, size, predict] = process.argv.slice(2);
const ort = require(path.join(ortDir, 'node_modules', 'onnxruntime-node'));

async function main() {
  const s = Number(size);
  const buf = fs.readFileSync(inputs);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const n = data.length / (3 * s * s);
  const swell = fs.readFileSync(predict, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  if (swell.length !== n) throw new Error(`${swell.length} predictions for ${n} inputs`);
  const session = await ort.InferenceSession.create(model, {intraOpNumThreads: 1});
  for (const name of ['input']) if (!session.inputNames.includes(name)) throw new Error(`no input ${name}`);
  for (const name of ['logits', 'probabilities'])
    if (!session.outputNames.includes(name)) throw new Error(`no output ${name}`);
  const out = await session.run({input: new ort.Tensor('float32', data, [n, 3, s, s])});
  const probs = out.probabilities.data, C = out.probabilities.dims[1];
  let agree = 0, maxDiff = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (probs[i * C + c] > probs[i * C + best]) best = c;
    const top = swell[i].top;
    if (top.length !== C) throw new Error(`predict gave ${top.length} of ${C} classes`);
    if (top[0].index === best) agree++;
    for (const t of top) maxDiff = Math.max(maxDiff, Math.abs(probs[i * C + t.index] - t.prob));
  }
  console.log(`${n} images, top-1 agree on ${agree}, max |p_ort - p_swell| = ${maxDiff.toExponential(2)}`);
  process.exit(agree === n && maxDiff <= 1e-4 ? 0 : 1);
}
main().catch((e) => { console.error(`test_export_model.js: ${e.message}`); process.exit(1); });
