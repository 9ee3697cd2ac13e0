// Line charts on <canvas>: linear or log10 y axis, min/max envelope per pixel column.
import { fit, theme, emptyMessage } from './canvas.js';
import { envelope, niceTicks, decadeTicks, decadeLabel, fmt } from './data.js';

const M = { left: 52, right: 10, top: 22, bottom: 24 };

export class LineChart {
  /**
   * @param canvas  the <canvas role="img">
   * @param opts    { label, logY: true|false|'auto', xLabel, categories, yMin, yMax, empty }
   *                (without categories, x counts something: steps, epochs, time steps; its
   *                ticks are whole numbers)
   */
  constructor(canvas, opts = {}) {
    this.canvas = canvas;
    this.opts = opts;
    this.series = [];
  }

  /**
   * series: [{ name, color: 'c1'…, xs, ys, n, dash, markers, unknown }] (xs, ys typed arrays).
   * A NaN in ys is a non-finite value, marked on the top edge; with `unknown` it is a value
   * that was not measured, left as a gap (a mark there would read as a maximum).
   */
  setSeries(series) { this.series = series; }

  draw() {
    const { ctx, w, h } = fit(this.canvas);
    const t = theme();
    const o = this.opts;
    let S = this.series.filter((s) => s.n > 0);
    const pw = w - M.left - M.right, ph = h - M.top - M.bottom;
    const empty = () => {
      emptyMessage(ctx, w, h, o.empty || 'waiting for data…');
      this.canvas.setAttribute('aria-label', `${o.label}: ${o.empty || 'no data yet'}`);
    };
    if (!S.length || pw < 10 || ph < 10) return empty();
    // x range
    let x0 = Infinity, x1 = -Infinity;
    for (const s of S) { x0 = Math.min(x0, s.xs[0]); x1 = Math.max(x1, s.xs[s.n - 1]); }
    const dataX0 = x0, dataX1 = x1; // the ticks stay on steps that exist (one step: just it)
    if (o.categories) { x0 = -0.5; x1 = o.categories.length - 0.5; }
    if (x1 <= x0) { x0 -= 1; x1 += 1; }
    // log axis? 'auto' = when positive data spans more than 3 decades
    let log = o.logY === true;
    if (o.logY === 'auto') {
      let mn = Infinity, mx = -Infinity;
      for (const s of S) for (let i = 0; i < s.n; i++) { const v = s.ys[i]; if (v > 0 && v < Infinity) { mn = Math.min(mn, v); mx = Math.max(mx, v); } }
      log = mx / mn > 1e3;
    }
    // downsample each series to one min/max pair per pixel column
    let env = S.map((s) => envelope(s.xs, s.ys, s.n, x0, x1, Math.min(pw, o.categories ? o.categories.length : pw), log));
    // a series with no finite value at all (e.g. no validation split) is left out
    const keep = env.map((e) => e.gap.some((g) => !g));
    if (keep.some(Boolean)) { S = S.filter((_, k) => keep[k]); env = env.filter((_, k) => keep[k]); }
    else if (S.every((s) => s.unknown)) return empty(); // nothing was measured: no axes around nothing
    let y0 = Infinity, y1 = -Infinity;
    for (const e of env) for (let i = 0; i < e.n; i++) if (!e.gap[i]) { y0 = Math.min(y0, e.lo[i]); y1 = Math.max(y1, e.hi[i]); }
    if (o.yMin !== undefined) y0 = o.yMin;
    if (o.yMax !== undefined) y1 = o.yMax;
    if (!(y1 >= y0)) { y0 = 0; y1 = 1; }
    if (y1 - y0 < 1e-9) { y0 -= log ? 0.5 : Math.abs(y0) * 0.1 + 0.5; y1 += log ? 0.5 : Math.abs(y1) * 0.1 + 0.5; }
    else if (o.yMin === undefined) { const pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad; }
    const X = (x) => M.left + ((x - x0) / (x1 - x0)) * pw;
    const Y = (y) => M.top + (1 - (y - y0) / (y1 - y0)) * ph;

    // grid and axes
    ctx.font = t.font;
    ctx.lineWidth = 1;
    ctx.strokeStyle = t.grid;
    ctx.fillStyle = t.muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const yt = log ? decadeTicks(y0, y1, 6) : niceTicks(y0, y1, 5);
    for (const v of yt) {
      const y = Math.round(Y(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(M.left, y); ctx.lineTo(M.left + pw, y); ctx.stroke();
      ctx.fillText(log ? decadeLabel(v) : fmt(v), M.left - 4, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    if (o.categories) {
      const widest = Math.max(...o.categories.map((c) => ctx.measureText(c).width)) + 8;
      const stride = Math.max(1, Math.ceil((o.categories.length * widest) / pw));
      o.categories.forEach((c, i) => { if (i % stride === 0) ctx.fillText(c, X(i), M.top + ph + 4); });
    } else {
      for (const v of niceTicks(dataX0, dataX1, Math.max(2, Math.floor(pw / 80)), 1)) {
        const x = X(v);
        ctx.textAlign = x > M.left + pw - 20 ? 'right' : 'center';
        ctx.fillText(fmt(v), x, M.top + ph + 4);
      }
    }
    ctx.strokeStyle = t.muted;
    ctx.strokeRect(M.left + 0.5, M.top + 0.5, pw, ph);

    // series
    ctx.save();
    ctx.beginPath(); ctx.rect(M.left, M.top, pw, ph); ctx.clip();
    env.forEach((e, k) => {
      const s = S[k];
      const color = t[s.color] || s.color;
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = 1.5;
      ctx.setLineDash(s.dash ? [5, 4] : []);
      ctx.beginPath();
      let open = false;
      for (let i = 0; i < e.n; i++) {
        if (e.gap[i]) { open = false; continue; }
        const x = X(e.x[i]);
        if (!open) { ctx.moveTo(x, Y(e.lo[i])); open = true; } else ctx.lineTo(x, Y(e.lo[i]));
        if (e.hi[i] !== e.lo[i]) ctx.lineTo(x, Y(e.hi[i]));
      }
      ctx.stroke();
      const all = s.markers || e.n < pw / 8;
      for (let i = 0; i < e.n; i++) {
        if (e.gap[i]) continue;
        // isolated points (gaps on both sides) would be invisible as a line: always dot them
        if (all || ((i === 0 || e.gap[i - 1]) && (i === e.n - 1 || e.gap[i + 1]))) {
          ctx.beginPath(); ctx.arc(X(e.x[i]), Y(e.hi[i]), 2.2, 0, Math.PI * 2); ctx.fill();
        }
      }
      // non-finite columns: small marks on the top edge (unknown ones stay gaps)
      ctx.fillStyle = t.nan;
      if (!s.unknown) for (let i = 0; i < e.n; i++) if (e.gap[i]) ctx.fillRect(X(e.x[i]) - 1, M.top, 2, 5);
    });
    ctx.restore();
    ctx.setLineDash([]);

    // legend
    ctx.font = t.font;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    let lx = M.left;
    for (const s of S) {
      const color = t[s.color] || s.color;
      ctx.strokeStyle = color; ctx.lineWidth = 2;
      ctx.setLineDash(s.dash ? [5, 4] : []);
      ctx.beginPath(); ctx.moveTo(lx, 10); ctx.lineTo(lx + 16, 10); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = t.fg;
      ctx.fillText(s.name, lx + 20, 10);
      lx += 28 + ctx.measureText(s.name).width;
    }
    if (log) { ctx.fillStyle = t.muted; ctx.textAlign = 'right'; ctx.fillText('log scale', w - M.right, 10); }

    const last = S.map((s) => `${s.name} ${s.unknown && Number.isNaN(s.ys[s.n - 1]) ? 'unknown' : fmt(s.ys[s.n - 1])}`).join(', ');
    const range = log ? `${decadeLabel(+y0.toFixed(1))} to ${decadeLabel(+y1.toFixed(1))}` : `${fmt(y0)} to ${fmt(y1)}`;
    this.canvas.setAttribute('aria-label',
      `${o.label}${log ? ' (log scale)' : ''}: ${o.categories ? `${o.categories.length} layers` : `steps ${fmt(dataX0)} to ${fmt(dataX1)}`}, y from ${range}; last values: ${last}`);
  }
}
