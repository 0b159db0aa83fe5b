// bench/ort_worker.js: ONNX Runtime's side of bench_engine.py (inference only).
//   node ort_worker.js ORT_DIR MODEL.onnx BATCH SIZE THREADS WARMUP ITERS ARCH
// ORT_DIR holds node_modules/onnxruntime-node (npm install --ignore-scripts).
// Prints one JSON line like the other sides: the median step time over ITERS
// runs after WARMUP runs, on a constant input of BATCH x 3 x SIZE x SIZE.
'use strict';
const [ortDir, model, batch, size, threads, warmup, iters, arch] = process.argv.slice(2);
const ort = require(require('path').join(ortDir, 'node_modules', 'onnxruntime-node'));

async function main() {
  const n = Number(batch), s = Number(size);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1,
    executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const data = new Float32Array(n * 3 * s * s);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.001);
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, [n, 3, s, s])};
  const times = [];
  let check = 0;
  for (let it = 0; it < Number(warmup) + Number(iters); it++) {
    const t0 = process.hrtime.bigint();
    const out = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    check = out[session.outputNames[0]].data[0];
    process.stderr.write(`${arch} infer (onnxruntime) step ${it}: ${times[it].toFixed(3)} s\n`);
  }
  const ts = times.slice(Number(warmup)).sort((a, b) => a - b);
  const k = ts.length;
  const med = k % 2 ? ts[(k - 1) / 2] : 0.5 * (ts[k / 2 - 1] + ts[k / 2]);
  console.log(JSON.stringify({side: 'onnxruntime', arch, mode: 'infer', batch: n, size: s,
                              threads: Number(threads), iters: Number(iters), step_s: med,
                              images_per_s: n / med, check,
                              onnxruntime: require(require('path').join(ortDir, 'node_modules',
                                                   'onnxruntime-node', 'package.json')).version}));
}
main().catch((e) => { console.error(`ort_worker: ${e.message}`); process.exit(1); });
