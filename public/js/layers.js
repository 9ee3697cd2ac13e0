// Per-layer view of one recorded step: update/weight ratio and backward signal δ (log scale),
// and dead / saturated fractions of the activation layers.
import { LineChart } from './charts.js';

const NO_ACTIVATIONS = 'no ReLU / sigmoid / tanh layers';

export class LayerPanel {
  constructor(ratioCanvas, actCanvas, actNote) {
    this.ratio = new LineChart(ratioCanvas, { label: 'Update/weight ratio and backward signal δ (RMS) per layer', logY: true });
    this.act = new LineChart(actCanvas, { label: 'Dead and saturated fraction per activation layer', yMin: 0, yMax: 1, empty: NO_ACTIVATIONS });
    this.actNote = actNote;
  }

  /** run: RunData, snap: the snapshot of the step to show */
  draw(run, snap) {
    if (!snap) {
      this.ratio.opts.categories = undefined;
      this.ratio.opts.empty = undefined;
      this.ratio.setSeries([]);
      // an external run may never send a step with histograms: its declaration still says
      this.act.opts.empty = run.isExternal ? activationNote(run) : undefined;
      this.act.setSeries([]);
    } else {
      // x = position in model order; the two quantities come from different layer lists,
      // so δ is placed on the dense layers of the same names when they match.
      const names = run.layerNames;
      const idx = Float64Array.from(names, (_, i) => i);
      const pos = new Map(names.map((n, i) => [n, i]));
      const dX = [], dY = [];
      run.denseNames.forEach((n, i) => { if (pos.has(n)) { dX.push(pos.get(n)); dY.push(snap.delta[i]); } });
      this.ratio.opts.categories = names;
      // A step may carry neither (an external run's client measures them on some steps only).
      this.ratio.opts.empty = 'update sizes and δ unknown at this step';
      this.ratio.setSeries([
        { name: 'update/weight', color: 'c1', xs: idx, ys: snap.updateRatio, n: names.length, markers: true, unknown: true },
        { name: 'δ RMS', color: 'c2', xs: Float64Array.from(dX), ys: Float64Array.from(dY), n: dX.length, markers: true, dash: true, unknown: true },
      ]);
      const A = run.actNames.length;
      const ai = Float64Array.from(run.actNames, (_, i) => i);
      this.act.opts.categories = A ? run.actNames : undefined;
      this.act.opts.empty = A ? 'no dead / saturated fraction known at this step' : activationNote(run);
      const series = [];
      if (snap.dead.some((v) => !Number.isNaN(v))) series.push({ name: 'dead (ReLU)', color: 'c3', xs: ai, ys: snap.dead, n: A, markers: true });
      if (snap.saturated.some((v) => !Number.isNaN(v))) series.push({ name: 'saturated (sigmoid/tanh)', color: 'c4', xs: ai, ys: snap.saturated, n: A, markers: true });
      this.act.setSeries(series);
    }
    this.ratio.draw();
    this.act.draw();
    this.actNote.textContent = snap ? `step ${snap.step}` : '';
  }
}

/**
 * What the activation chart says when it has nothing to draw. An engine job's records
 * carry the fractions of every activation layer it has; an external run's client measures
 * none, so its declared activations are named instead of being denied.
 */
function activationNote(run) {
  if (!run.isExternal) return NO_ACTIVATIONS;
  if (run.activations === null) return 'waiting for the run’s declaration…';
  if (!run.activations.length) return 'no activation layers declared';
  return `${run.activations.join(', ')} in the model: dead / saturated fractions not measured`;
}
