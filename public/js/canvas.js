// Shared canvas plumbing: device-pixel sizing and theme colours read from CSS variables.

/** Sizes the canvas backing store to its CSS box × devicePixelRatio; returns a context in CSS pixels. */
export function fit(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth));
  const h = Math.max(1, Math.round(canvas.clientHeight));
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

let cached = null;
/** Theme colours (re-read after a colour-scheme change). */
export function theme() {
  if (cached) return cached;
  const s = getComputedStyle(document.documentElement);
  const v = (n) => s.getPropertyValue(n).trim();
  cached = {
    fg: v('--fg'), muted: v('--muted'), grid: v('--grid'), panel: v('--panel'),
    c1: v('--c1'), c2: v('--c2'), c3: v('--c3'), c4: v('--c4'), nan: v('--nan'),
    healthy: v('--healthy'), vanishing: v('--vanishing'), exploding: v('--exploding'), diverged: v('--diverged'),
    font: '11px system-ui, sans-serif',
  };
  return cached;
}
export function resetTheme() { cached = null; }

/** "No data yet" message centred on an empty canvas. */
export function emptyMessage(ctx, w, h, text) {
  const t = theme();
  ctx.fillStyle = t.muted;
  ctx.font = '13px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, w / 2, h / 2);
}
