// Layer × step heatmap of per-layer gradient norms, log10 colour scale, with a colour legend.
import { fit, theme, emptyMessage } from './canvas.js';
import { heatmapGrid, ramp, logNormalize, decadeLabel, fmt } from './data.js';

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

    // layer labels (first layer at the top), thinned to fit
    ctx.font = t.font;
    ctx.fillStyle = t.fg;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const rowH = ph / L;
    const stride = Math.max(1, Math.ceil(13 / rowH));
    for (let r = 0; r < L; r += stride) ctx.fillText(run.layerNames[r], M.left - 4, M.top + (r + 0.5) * rowH);

    // step axis
    ctx.fillStyle = t.muted;
    ctx.textBaseline = 'top';
    const steps = run.steps.values;
    const ticks = Math.max(2, Math.floor(pw / 90));
    for (let k = 0; k <= ticks; k++) {
      const i = Math.min(n - 1, Math.round((k / ticks) * (n - 1)));
      ctx.textAlign = k === 0 ? 'left' : k === ticks ? 'right' : 'center';
      ctx.fillText(`${steps[i]}`, M.left + (k / ticks) * pw, M.top + ph + 4);
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
      `${L} layers from ${run.layerNames[0]} (top) to ${run.layerNames[L - 1]} (bottom), ${n} recorded steps up to step ${steps[n - 1]}`);
  }
}

function parseColor(css) {
  const m = /^#([0-9a-f]{6})$/i.exec(css || '');
  if (!m) return [255, 0, 255];
  const v = parseInt(m[1], 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}
const nanCss = ([r, g, b]) => `rgb(${r},${g},${b})`;
