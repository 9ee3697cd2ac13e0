// Gradient flow through time for recurrent layers: ‖∂L/∂h_t‖ over the time steps t = 1…T,
// at the step the slider shows (the latest while following) against the first recorded step.
import { LineChart } from './charts.js';
import { fmt, throughTimeRatio } from './data.js';

const COLORS = ['c1', 'c3', 'c4', 'c2'];

export class TimeProfile {
  /**
   * card: the section shown once a run has recurrent layers, beside `heatCard` (which then
   * gives up its full width); caption: σ₁ and the h_1/h_T ratio per layer
   */
  constructor(card, heatCard, canvas, caption) {
    this.card = card;
    this.heatCard = heatCard;
    this.caption = caption;
    this.chart = new LineChart(canvas, { label: 'Gradient norm ‖∂L/∂h_t‖ per time step', logY: true, xLabel: 'time step t' });
  }

  draw(run, snap) {
    this.card.hidden = !run.isRecurrent;
    this.heatCard.classList.toggle('wide', !run.isRecurrent);
    if (!run.isRecurrent) return;
    const series = [];
    const notes = [];
    const profiles = snap?.profiles || [];
    profiles.forEach((p, k) => {
      const T = p.norms.length;
      const xs = Float64Array.from({ length: T }, (_, t) => t + 1);
      const color = COLORS[k % COLORS.length];
      series.push({ name: `${p.label}, step ${snap.step}`, color, xs, ys: p.norms, n: T, markers: T <= 60 });
      const first = run.firstProfiles[k];
      if (first && first.norms.length === T && snap.step !== run.snapshots.at(0)?.step) {
        series.push({ name: `${p.label}, first step`, color, xs, ys: first.norms, n: T, dash: true });
      }
      notes.push(`${p.label}: σ₁(W_hh) ${fmt(p.sigma)}, ‖∂L/∂h_1‖/‖∂L/∂h_T‖ ${fmt(throughTimeRatio(p.norms))}`);
    });
    this.chart.setSeries(series);
    this.chart.draw();
    this.caption.textContent = snap ? `step ${snap.step} · ${notes.join(' · ')}` : '';
  }
}
