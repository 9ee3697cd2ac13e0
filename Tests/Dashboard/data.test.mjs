// The dashboard's pure data logic (public/js/data.js), without a browser:
//   node --test Tests/Dashboard/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envelope, heatmapGrid, Snapshots, jobFromHash, locateField, niceTicks, decadeTicks, logNormalize, ramp,
  RunData, throughTimeRatio, recordTicks, layerIndex, declaredActivations }
  from '../../public/js/data.js';

test('envelope keeps one min/max pair per pixel column and marks gaps', () => {
  const xs = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
  const ys = Float64Array.from(xs, (x) => (x === 500 ? NaN : x));
  const e = envelope(xs, ys, 1000, 1, 1000, 10);
  assert.equal(e.n, 10);
  assert.equal(e.lo[0], 1);
  assert.equal(e.hi[9], 1000);
  assert.ok(e.gap.every((g) => g === 0), 'one NaN does not blank a column that has values');
  const allBad = envelope(Float64Array.of(1, 2), Float64Array.of(NaN, Infinity), 2, 1, 2, 4);
  assert.ok(allBad.gap.every((g) => g === 1));
  const log = envelope(Float64Array.of(1, 2), Float64Array.of(1e-3, 1e2), 2, 1, 2, 2, true);
  assert.deepEqual([...log.lo], [-3, 2]);
});

test('heatmap cells take the largest log10 norm, NaN when any step in them was not finite', () => {
  const series = [{ a: Float32Array.of(1, 10, 100, 1000) }, { a: Float32Array.of(1, NaN, 1, 1) }];
  const g = heatmapGrid(series, 4, 2);
  assert.equal(g.cols, 2);
  assert.deepEqual([...g.values.slice(0, 2)], [1, 3]);
  assert.ok(Number.isNaN(g.values[2]));
  assert.equal(g.values[3], 0);
});

test('snapshots stay bounded and evenly spread over a long run', () => {
  const s = new Snapshots(50);
  for (let step = 1; step <= 10_000; step++) s.push({ step });
  assert.ok(s.length <= 51);
  assert.equal(s.at(s.length - 1).step, 10_000, 'the latest step is always there');
  assert.equal(s.at(0).step, 1);
  const i = s.nearest(5000);
  assert.ok(Math.abs(s.at(i).step - 5000) <= 10_000 / 50);
});

test('the URL hash names the job, and error fields are found in the editor text', () => {
  assert.equal(jobFromHash('#job=j-000003'), 'j-000003');
  assert.equal(jobFromHash('#other=1'), null);
  const text = '{\n  "optimizer": {"type": "sgd", "lr": -1}\n}';
  const [a, b] = locateField(text, 'optimizer.lr');
  assert.equal(text.slice(a, b), '"lr"');
});

test('axes and colours', () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(decadeTicks(-12.3, 4.1, 6), [-12, -9, -6, -3, 0, 3]);
  assert.equal(logNormalize(-Infinity, -3, 3), 0);
  assert.equal(logNormalize(0, -3, 3), 0.5);
  assert.deepEqual(ramp(-1), ramp(0));
  assert.deepEqual(ramp(2), ramp(1));
});

test('recurrent records become time profiles, stacked layers labelled, the first one kept', () => {
  const rec = (step, scale) => ({
    type: 'step', step, loss: 1, grad_norm: 1, grad_norm_clipped: 1, layers: [], signals: [],
    recurrent: [
      { layer: 'lstm', sublayer: 0, spectral_norm: 1.5, hidden_grad_norms: [1e-6 * scale, 1e-3, 1] },
      { layer: 'lstm', sublayer: 1, spectral_norm: 0.9, hidden_grad_norms: [0.5, null, 1] },
    ],
  });
  const run = new RunData();
  assert.equal(run.isRecurrent, false);
  run.addStep(rec(1, 1));
  run.addStep(rec(2, 10));
  assert.equal(run.isRecurrent, true);
  const last = run.snapshots.at(1).profiles;
  assert.deepEqual(last.map((p) => p.label), ['lstm · layer 0', 'lstm · layer 1']);
  assert.equal(last[0].sigma, 1.5);
  assert.ok(Number.isNaN(last[1].norms[1]), 'null (NaN/Inf) becomes NaN');
  assert.equal(run.firstProfiles[0].norms[0], 1e-6);
  assert.ok(Math.abs(throughTimeRatio(last[0].norms) - 1e-5) < 1e-12);
  assert.ok(Number.isNaN(throughTimeRatio(Float64Array.of(1, 0))));
});

test('an external run keeps for the slider only the steps that carry histograms', () => {
  const run = new RunData();
  run.setStart({ type: 'start', source: 'external', layers: [{ name: 'fc1', has_parameters: true }],
    hist_edges: { bins: 4, min: 1e-12, max: 1e4 } });
  const layer = (hist) => ({ name: 'fc1', grad_norm: 1, ...(hist ? { hist: { counts: [1, 2, 3, 4], zero: 0 } } : {}) });
  for (let step = 1; step <= 20; step++) run.addStep({ type: 'step', step, layers: [layer(step === 1 || step % 10 === 0)] });
  assert.deepEqual(Array.from({ length: run.snapshots.length }, (_, i) => run.snapshots.at(i).step), [1, 10, 20]);
  assert.equal(run.layerNorm[0].length, 20, 'every step still draws its norms');
  assert.deepEqual([...run.snapshots.at(2).counts], [1, 2, 3, 4]);
});

test('a step axis has distinct whole steps, however short the run', () => {
  assert.deepEqual(niceTicks(1, 3, 9, 1), [1, 2, 3], 'not 1, 1.5, 2…');
  assert.deepEqual(niceTicks(1, 1, 9, 1), [1]);
  const short = recordTicks(Float64Array.of(1, 2, 3), 3, 9);
  assert.deepEqual(short.map((t) => t.step), [1, 2, 3], 'not 1 1 1 2 2 2');
  assert.deepEqual(short.map((t) => t.at), [0.5, 1.5, 2.5], 'each at its own record');
  // an external run's steps may skip: a step between two records sits between them
  const sparse = recordTicks(Float64Array.of(1, 20, 40), 3, 2);
  assert.deepEqual(sparse.map((t) => t.step), [20, 40]);
  assert.deepEqual(sparse.map((t) => t.at), [1.5, 2.5]);
  for (const n of [1, 2, 5, 7, 50, 1000]) {
    const steps = Float64Array.from({ length: n }, (_, i) => i + 1);
    const ticks = recordTicks(steps, n, 12).map((t) => t.step);
    assert.equal(new Set(ticks).size, ticks.length);
    assert.ok(ticks.every(Number.isInteger));
  }
});

test('the report\'s first layer matches a layer name with or without its PyTorch class', () => {
  const names = ['0', '2', '10', 'features.4'];
  assert.equal(layerIndex(names, '10 (Linear)'), 2);
  assert.equal(layerIndex(names, '10'), 2);
  assert.equal(layerIndex(names, 'features.4 (Conv2d)'), 3);
  assert.equal(layerIndex(names, '1 (Linear)'), -1, 'not "10" by prefix');
  assert.equal(layerIndex(names, null), -1);
  assert.equal(layerIndex(['odd (name)'], 'odd (name)'), 0, 'a name that itself ends in parentheses');
});

test('an external run: unknown values stay unknown, its δ and declared activations are read', () => {
  const run = new RunData();
  run.setStart({ type: 'start', source: 'external', layers: [{ name: '0' }, { name: '2' }],
    hist_edges: { bins: 2, min: 1e-12, max: 1e4 } });
  const hist = { counts: [1, 1], zero: 0 };
  run.addStep({ type: 'step', step: 1, loss: 0.7, grad_norm: 1,
    layers: [{ name: '0', grad_norm: 1, update_ratio: 0.01, hist }, { name: '2', grad_norm: 1, update_ratio: 0.02, hist }],
    signals: [{ name: '0', kind: 'identity', delta_rms: 1e-3 }, { name: '2', kind: 'identity', delta_rms: 2e-3 }] });
  // no loss logged, no update measured, no δ this step
  run.addStep({ type: 'step', step: 2, grad_norm: 1,
    layers: [{ name: '0', grad_norm: 1, update_ratio: null, hist }, { name: '2', grad_norm: 1, hist }], signals: [] });
  run.addStep({ type: 'step', step: 3, loss: null, grad_norm: 1, layers: [{ name: '0', grad_norm: 1 }, { name: '2', grad_norm: 1 }] });
  assert.deepEqual([...run.lossSteps.values], [1, 3], 'an absent loss is not a point; a null one (NaN/Inf) is');
  assert.ok(Number.isNaN(run.loss.values[1]));
  assert.deepEqual(run.denseNames, ['0', '2'], 'the client\'s δ is named after the layers');
  assert.deepEqual([...run.snapshots.at(0).delta].map((v) => +v.toPrecision(3)), [1e-3, 2e-3]);
  const later = run.snapshots.at(1);
  assert.ok([...later.updateRatio, ...later.delta].every(Number.isNaN), 'unknown, not zero');
  assert.deepEqual(declaredActivations({ source: 'external', spec: { modules: ['batchnorm', 'relu', 'tanh'] } }), ['ReLU', 'tanh']);
  assert.deepEqual(declaredActivations({ source: 'external', spec: {} }), []);
  assert.equal(declaredActivations({ spec: { mlp: { activation: 'relu' } } }), null, 'an engine job\'s records say it');
});
