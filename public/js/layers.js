// Per-layer view of one recorded step: update/weight ratio and backward signal δ (log scale),
// and dead / saturated fractions of the activation layers.
import { LineChart } from './charts.js';

export class LayerPanel {
  constructor(ratioCanvas, actCanvas, actNote) {
    this.ratio = new LineChart(ratioCanvas, { label: 'Update/weight ratio and backward signal δ (RMS) per layer', logY: true });
    this.act = new LineChart(actCanvas, { label: 'Dead and saturated fraction per activation layer', yMin: 0, yMax: 1, empty: 'no ReLU / sigmoid / tanh layers' });
    this.actNote = actNote;
  }

  /** run: RunData, snap: the snapshot of the step to show */
  draw(run, snap) {
    if (!snap) {
      this.ratio.opts.categories = undefined;
      this.ratio.setSeries([]);
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
      this.ratio.setSeries([
        { name: 'update/weight', color: 'c1', xs: idx, ys: snap.updateRatio, n: names.length, markers: true },
        { name: 'δ RMS', color: 'c2', xs: Float64Array.from(dX), ys: Float64Array.from(dY), n: dX.length, markers: true, dash: true },
      ]);
      const A = run.actNames.length;
      const ai = Float64Array.from(run.actNames, (_, i) => i);
      this.act.opts.categories = A ? run.actNames : undefined;
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
