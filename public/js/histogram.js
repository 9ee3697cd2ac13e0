// Ridge-line of per-layer histograms of log10|g| for one recorded step.
import { fit, theme, emptyMessage } from './canvas.js';
import { decadeTicks, decadeLabel } from './data.js';

const M = { left: 70, right: 74, top: 8, bottom: 24 };

export class Histogram {
  constructor(canvas) { this.canvas = canvas; }

  /** run: RunData, snap: a snapshot from run.snapshots (or undefined) */
  draw(run, snap) {
    const { ctx, w, h } = fit(this.canvas);
    const t = theme();
    const e = run.edges;
    const L = run.layerNames.length;
    const pw = w - M.left - M.right, ph = h - M.top - M.bottom;
    if (!snap || !e || !L || pw < 10 || ph < 10) {
      emptyMessage(ctx, w, h, 'waiting for step records…');
      this.canvas.setAttribute('aria-label', 'Histograms of log10 |gradient| per layer: no data yet');
      return;
    }
    const bins = snap.bins;
    const X = (lv) => M.left + ((lv - e.lo) / (e.hi - e.lo)) * pw;
    const rowH = ph / L;
    const amp = rowH * 1.8; // ridges overlap the row above a little

    ctx.font = t.font;
    ctx.strokeStyle = t.grid;
    ctx.fillStyle = t.muted;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const d of decadeTicks(e.lo, e.hi, Math.max(2, Math.floor(pw / 55)))) {
      const x = Math.round(X(d)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, M.top); ctx.lineTo(x, M.top + ph); ctx.stroke();
      ctx.fillText(decadeLabel(d), x, M.top + ph + 4);
    }

    const labelStride = Math.max(1, Math.ceil(13 / rowH));
    let total = 0, modeLayer = '', modeVal = 0;
    for (let r = 0; r < L; r++) {
      const base = M.top + (r + 1) * rowH;
      let max = 0;
      for (let b = 0; b < bins; b++) max = Math.max(max, snap.counts[r * bins + b]);
      if (max > 0) {
        ctx.beginPath();
        ctx.moveTo(X(e.lo), base);
        for (let b = 0; b < bins; b++) {
          const y = base - (snap.counts[r * bins + b] / max) * amp;
          ctx.lineTo(X(e.lo + (b * (e.hi - e.lo)) / bins), y);
          ctx.lineTo(X(e.lo + ((b + 1) * (e.hi - e.lo)) / bins), y);
          total += snap.counts[r * bins + b];
        }
        ctx.lineTo(X(e.hi), base);
        ctx.closePath();
        ctx.globalAlpha = 0.85;
        ctx.fillStyle = t.panel;
        ctx.fill();
        ctx.globalAlpha = 0.45;
        ctx.fillStyle = t.c1;
        ctx.fill();
        ctx.globalAlpha = 1;
        ctx.strokeStyle = t.c1;
        ctx.lineWidth = 1;
        ctx.stroke();
        if (max > modeVal) { modeVal = max; modeLayer = run.layerNames[r]; }
      } else {
        ctx.strokeStyle = t.grid;
        ctx.beginPath(); ctx.moveTo(M.left, base); ctx.lineTo(M.left + pw, base); ctx.stroke();
      }
      ctx.textAlign = 'right';
      ctx.textBaseline = 'bottom';
      if (r % labelStride === 0) { ctx.fillStyle = t.fg; ctx.fillText(run.layerNames[r], M.left - 4, base); }
      // values outside the bins: non-finite first, then below / above the range
      const side = snap.nonfinite[r] > 0 ? [t.nan, `NaN ${compact(snap.nonfinite[r])}`]
        : snap.underflow[r] > 0 ? [t.muted, `< min ${compact(snap.underflow[r])}`]
        : snap.overflow[r] > 0 ? [t.c2, `> max ${compact(snap.overflow[r])}`] : null;
      if (side && rowH >= 6) {
        ctx.fillStyle = side[0];
        ctx.textAlign = 'left';
        ctx.fillText(side[1], M.left + pw + 4, base);
      }
    }
    ctx.strokeStyle = t.muted;
    ctx.strokeRect(M.left + 0.5, M.top + 0.5, pw, ph);

    const nonfinite = snap.nonfinite.reduce((a, b) => a + b, 0);
    const under = snap.underflow.reduce((a, b) => a + b, 0);
    this.canvas.setAttribute('aria-label',
      `Histograms of log10 |gradient| at step ${snap.step}, one ridge per layer from ${run.layerNames[0]} (top) to ${run.layerNames[L - 1]} (bottom), ` +
      `x from 1e${e.lo} to 1e${e.hi}; ${total} finite values binned` + (nonfinite ? `, ${nonfinite} non-finite` : '') + (under ? `, ${under} below the lowest bin` : ''));
  }
}

const compact = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${Math.round(n / 1e3)}k` : String(n));
