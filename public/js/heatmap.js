// Layer × step heatmap of per-layer gradient norms, log10 colour scale, with a colour legend;
// once the report names the layer where the problem starts, that row is outlined.
import { fit, theme, emptyMessage } from './canvas.js';
import { heatmapGrid, ramp, logNormalize, decadeLabel, fmt, layerIndex, recordTicks } from './data.js';

const M = { left: 70, right: 84, top: 8, bottom: 24 };

export class Heatmap {
  constructor(canvas) {
    this.canvas = canvas;
    this.off = document.createElement('canvas'); // one pixel per cell, scaled up on draw
  }

  /** run: RunData */
  draw(run) {
    const { ctx, w, h } = fit(this.canvas);
    const t = theme();
    const n = run.steps.length, L = run.layerNames.length;
    const pw = w - M.left - M.right, ph = h - M.top - M.bottom;
    if (!n || !L || pw < 10 || ph < 10) {
      emptyMessage(ctx, w, h, 'waiting for step records…');
      this.canvas.setAttribute('aria-label', 'Heatmap of per-layer gradient norm by step: no data yet');
      return;
    }
    const grid = heatmapGrid(run.layerNorm, n, pw);
    let lo = Math.log10(run.normRange.min), hi = Math.log10(run.normRange.max);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) { lo = -1; hi = 0; }

    // cells → ImageData (cols × rows), then scaled without smoothing
    this.off.width = grid.cols; this.off.height = grid.rows;
    const octx = this.off.getContext('2d');
    const img = octx.createImageData(grid.cols, grid.rows);
    const nan = parseColor(t.nan);
    for (let i = 0; i < grid.values.length; i++) {
      const v = grid.values[i];
      const [r, g, b] = Number.isNaN(v) ? nan : ramp(logNormalize(v, lo, hi));
      img.data[i * 4] = r; img.data[i * 4 + 1] = g; img.data[i * 4 + 2] = b; img.data[i * 4 + 3] = 255;
    }
    octx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.off, M.left, M.top, pw, ph);
    ctx.strokeStyle = t.muted;
    ctx.strokeRect(M.left + 0.5, M.top + 0.5, pw, ph);

    // layer labels (first layer at the top), thinned to fit; the report's first layer
    // always labelled, in the verdict's colour, its neighbours' labels giving way to it
    const rowH = ph / L;
    const first = run.report ? layerIndex(run.layerNames, run.report.first_layer) : -1;
    const colour = t[run.report?.verdict] || t.fg;
    if (first >= 0) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = 2;
      ctx.strokeRect(M.left + 1, M.top + first * rowH + 1, pw - 2, Math.max(2, rowH - 2));
      ctx.lineWidth = 1;
    }
    ctx.font = t.font;
    ctx.fillStyle = t.fg;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const stride = Math.max(1, Math.ceil(13 / rowH));
    for (let r = 0; r < L; r += stride) {
      if (first < 0 || Math.abs(r - first) >= stride) ctx.fillText(run.layerNames[r], M.left - 4, M.top + (r + 0.5) * rowH);
    }
    if (first >= 0) {
      ctx.font = `bold ${t.font}`;
      ctx.fillStyle = colour;
      ctx.fillText(run.layerNames[first], M.left - 4, M.top + (first + 0.5) * rowH);
      ctx.font = t.font;
    }

    // step axis: distinct whole steps at their records' columns (a short run has fewer
    // steps than room for ticks), a label that would overlap the one before left out
    ctx.fillStyle = t.muted;
    ctx.textBaseline = 'top';
    const steps = run.steps.values;
    let right = -Infinity;
    for (const { step, at } of recordTicks(steps, n, Math.max(2, Math.floor(pw / 90)))) {
      const x = M.left + (at / n) * pw, label = `${step}`, half = ctx.measureText(label).width / 2;
      if (x - half < right + 6) continue;
      ctx.textAlign = 'center';
      ctx.fillText(label, x, M.top + ph + 4);
      right = x + half;
    }

    // legend: vertical colour bar with min/max labels
    const lx = w - M.right + 10, lw = 12, lh = ph - 24;
    for (let y = 0; y < lh; y++) {
      const [r, g, b] = ramp(1 - y / lh);
      ctx.fillStyle = `rgb(${r | 0},${g | 0},${b | 0})`;
      ctx.fillRect(lx, M.top + y, lw, 1);
    }
    ctx.strokeStyle = t.muted;
    ctx.strokeRect(lx + 0.5, M.top + 0.5, lw, lh);
    ctx.fillStyle = t.fg;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(decadeLabel(+hi.toFixed(1)), lx + lw + 3, M.top);
    ctx.textBaseline = 'bottom';
    ctx.fillText(decadeLabel(+lo.toFixed(1)), lx + lw + 3, M.top + lh);
    ctx.fillStyle = nanCss(nan);
    ctx.fillRect(lx, M.top + ph - 12, lw, 10);
    ctx.fillStyle = t.fg;
    ctx.textBaseline = 'middle';
    ctx.fillText('NaN', lx + lw + 3, M.top + ph - 7);

    this.canvas.setAttribute('aria-label',
      `Heatmap of per-layer gradient norm (log10 colour scale from ${fmt(run.normRange.min)} to ${fmt(run.normRange.max)}): ` +
      `${L} layers from ${run.layerNames[0]} (top) to ${run.layerNames[L - 1]} (bottom), ${n} recorded steps up to step ${steps[n - 1]}` +
      (first >= 0 ? `; the ${run.report.verdict} run's first layer, ${run.report.first_layer}, is outlined` : ''));
  }
}

function parseColor(css) {
  const m = /^#([0-9a-f]{6})$/i.exec(css || '');
  if (!m) return [255, 0, 255];
  const v = parseInt(m[1], 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}
const nanCss = ([r, g, b]) => `rgb(${r},${g},${b})`;
