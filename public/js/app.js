// Wiring: selection (URL hash), the live stream, and redraws batched per animation frame.
import { api } from './api.js';
import { RunData, TERMINAL, jobFromHash, fmt, declaredActivations } from './data.js';
import { resetTheme } from './canvas.js';
import { JobStream } from './stream.js';
import { JobList } from './jobs.js';
import { Launch } from './launch.js';
import { LineChart } from './charts.js';
import { Heatmap } from './heatmap.js';
import { Histogram } from './histogram.js';
import { LayerPanel } from './layers.js';
import { TimeProfile } from './profile.js';
import { Alerts } from './alerts.js';
import { Report } from './report.js';

const $ = (id) => document.getElementById(id);

const state = { id: null, run: new RunData(), stream: null, follow: true, snapIndex: -1 };

// ---- components ----
const lossChart = new LineChart($('loss-chart'), { label: 'Loss: training (per recorded step) and validation (per epoch)', logY: 'auto' });
const normChart = new LineChart($('norm-chart'), { label: 'Global gradient norm before and after clipping', logY: true });
const heatmap = new Heatmap($('heatmap'));
const histogram = new Histogram($('histogram'));
const layerPanel = new LayerPanel($('layer-chart'), $('act-chart'), $('layer-step'));
const timeProfile = new TimeProfile($('profile-card'), $('heat-card'), $('time-profile'), $('profile-caption'));
const alerts = new Alerts($('alerts'), $('alert-count'));
const report = new Report({
  panel: $('report-panel'), verdict: $('verdict'), details: $('verdict-details'),
  evidence: $('evidence'), remedies: $('remedies'), comparison: $('comparison'),
}, { onError: toast });
const slider = $('step-slider');
const sliderLabel = $('step-label');

// ---- redraw scheduling: components mark themselves dirty, one frame draws them all ----
const dirty = new Set();
let frame = 0;
function invalidate(...what) {
  for (const w of what) dirty.add(w);
  if (!frame) frame = requestAnimationFrame(render);
}
const ALL = ['series', 'heatmap', 'snapshot', 'alerts', 'header'];

function render() {
  frame = 0;
  const run = state.run;
  if (dirty.has('series')) {
    // steps but no loss: an external run whose script never logged one
    lossChart.opts.empty = run.steps.length ? 'no loss sent for these steps' : undefined;
    lossChart.setSeries([
      { name: 'train loss', color: 'c1', xs: run.lossSteps.values, ys: run.loss.values, n: run.lossSteps.length },
      { name: 'validation loss', color: 'c2', xs: run.valSteps.values, ys: run.valLoss.values, n: run.valSteps.length, markers: true },
    ]);
    const normSeries = [
      { name: '‖g‖ before clipping', color: 'c3', xs: run.steps.values, ys: run.gradNorm.values, n: run.steps.length },
      { name: 'after clipping', color: 'c1', xs: run.steps.values, ys: run.gradNormClipped.values, n: run.steps.length, dash: true },
    ];
    const n = run.steps.length;
    if (state.clipThreshold && n > 0) {
      const c = state.clipThreshold;
      normSeries.push({ name: `clip threshold ${c}`, color: 'c2', xs: Float64Array.of(run.steps.values[0], run.steps.values[n - 1]),
        ys: Float64Array.of(c, c), n: 2, dash: true });
    }
    normChart.setSeries(normSeries);
    lossChart.draw();
    normChart.draw();
  }
  if (dirty.has('heatmap')) heatmap.draw(run);
  if (dirty.has('snapshot')) {
    const snaps = run.snapshots;
    slider.max = String(Math.max(0, snaps.length - 1));
    slider.disabled = snaps.length < 2;
    if (state.follow || state.snapIndex < 0) state.snapIndex = snaps.length - 1;
    else if (state.snapStep != null) state.snapIndex = snaps.nearest(state.snapStep);
    state.snapIndex = Math.min(state.snapIndex, snaps.length - 1);
    slider.value = String(Math.max(0, state.snapIndex));
    const snap = snaps.at(state.snapIndex);
    sliderLabel.textContent = snap ? `step ${snap.step}${state.follow ? ' (latest)' : ''} · ${snaps.length} kept` : '—';
    slider.setAttribute('aria-valuetext', snap ? `step ${snap.step}` : 'no steps');
    histogram.draw(run, snap);
    layerPanel.draw(run, snap);
    timeProfile.draw(run, snap);
  }
  if (dirty.has('alerts')) alerts.flush();
  if (dirty.has('header')) renderHeader();
  dirty.clear();
}

slider.addEventListener('input', () => {
  const snaps = state.run.snapshots;
  const i = Number(slider.value);
  state.follow = i >= snaps.length - 1;
  // after decimation indices move: remember the step, not the index
  state.snapIndex = i;
  state.snapStep = snaps.at(i)?.step;
  invalidate('snapshot');
});

function renderHeader() {
  const run = state.run;
  $('job-title').textContent = state.id ? (run.start?.name || state.jobName || state.id) : 'No job selected';
  $('job-id').textContent = state.id || '';
  const st = run.status || state.jobStatus || '';
  const badge = $('job-status');
  badge.textContent = st;
  badge.className = `badge status s-${st}`;
  badge.hidden = !st;
  const total = run.totalSteps || state.jobTotal || 0;
  const done = run.status === 'completed' ? total : run.lastStep;
  const p = $('job-progress');
  p.max = total || 1;
  p.value = Math.min(done, total || 1);
  $('job-progress-text').textContent = total ? `step ${done} of ${total}` : '';
  $('connection').textContent = state.connection || '';
  // Why a job ended as it did, and what an external run's client could not send.
  const dropped = run.summary?.dropped_steps;
  $('job-note').textContent = [state.jobError, dropped ? `${dropped} measured steps never arrived` : '']
    .filter(Boolean).join(' · ');
}

// ---- selection and the live stream ----
function select(id, { push = true } = {}) {
  if (id === state.id) return;
  state.stream?.close();
  state.stream = null;
  state.id = id;
  state.run = new RunData(500);
  state.clipThreshold = null;
  state.follow = true;
  state.snapIndex = -1;
  state.snapStep = null;
  state.jobName = state.jobStatus = state.jobError = state.connection = null;
  state.jobTotal = 0;
  jobList.select(id);
  alerts.reset();
  report.reset(id);
  document.body.dataset.job = id || '';
  if (push) {
    const hash = id ? `#job=${encodeURIComponent(id)}` : '';
    if (location.hash !== hash) history.pushState(null, '', hash || location.pathname);
  }
  invalidate(...ALL);
  if (!id) return;

  const run = state.run;
  const mine = () => state.id === id && state.run === run;
  api.job(id).then((job) => {
    if (!mine()) return;
    state.jobName = job.name;
    state.jobStatus = job.status;
    state.jobError = job.error;
    state.jobTotal = job.total_steps;
    state.clipThreshold = clipThreshold(job.spec);
    run.activations = declaredActivations(job);
    invalidate('header', 'series', 'snapshot');
  }).catch((err) => { if (mine()) { state.connection = err.status === 404 ? 'job not found' : err.message; invalidate('header'); } });

  state.stream = new JobStream(id, {
    start: (rec) => { if (mine() && run.setStart(rec)) invalidate(...ALL); },
    step: (rec) => { if (mine() && run.addStep(rec)) invalidate('series', 'heatmap', 'snapshot', 'header'); },
    epoch: (rec) => { if (mine()) { run.addEpoch(rec); invalidate('series'); } },
    alert: (rec) => { if (mine()) { run.addAlert(rec); alerts.add(rec); invalidate('alerts'); } },
    summary: (rec) => { if (mine()) { run.summary = rec; invalidate('header'); } },
    // the heatmap outlines the report's first layer
    report: (rec) => { if (mine()) { run.report = rec; report.show(rec); invalidate('heatmap'); } },
    status: (rec) => {
      if (!mine()) return;
      run.status = rec.status;
      invalidate('header');
      // a live job may send its status before its report: fetch the report if it does not follow
      if (rec.status === 'completed') {
        setTimeout(() => {
          if (mine() && !run.report) api.report(id).then((r) => { if (mine() && !run.report) { run.report = r; report.show(r); invalidate('heatmap'); } }).catch(() => {});
        }, 300);
      }
    },
    connection: (s) => {
      if (!mine()) return;
      state.connection = { open: 'live', reconnecting: 'reconnecting…', closed: 'disconnected', done: '' }[s] ?? s;
      invalidate('header');
    },
  });
}

// ---- job list and launch ----
const jobList = new JobList($('job-list'), {
  onSelect: (id) => select(id),
  onChange: (jobs) => {
    if (!state.id) return;
    const job = jobs.find((j) => j.id === state.id);
    if (job && (job.status !== state.jobStatus || job.error !== state.jobError)) {
      state.jobStatus = job.status;
      state.jobError = job.error;
      invalidate('header');
    }
  },
  onError: toast,
});
const launch = new Launch({
  presets: $('presets'), editor: $('spec-editor'), run: $('run-spec'), error: $('spec-error'),
}, { onLaunched: (id) => { select(id); jobList.poll(); } });

function toast(message) {
  const el = $('toast');
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 6000);
}

// ---- environment ----
window.addEventListener('popstate', () => select(jobFromHash(location.hash), { push: false }));
window.addEventListener('hashchange', () => select(jobFromHash(location.hash), { push: false }));
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => { resetTheme(); invalidate(...ALL); });
const ro = new ResizeObserver(() => invalidate('series', 'heatmap', 'snapshot'));
for (const c of document.querySelectorAll('canvas')) ro.observe(c);

alerts.reset();
report.reset(null);
launch.load();
jobList.start();
select(jobFromHash(location.hash), { push: false });
invalidate(...ALL);

/** The global-norm threshold of a spec's clipping, to draw on the norm chart (null when it has none). */
function clipThreshold(spec) {
  const clip = spec && spec.clip;
  if (!clip) return null;
  if (clip.type === 'norm' && clip.norm_type !== 'inf') return clip.max_norm ?? null;
  if (clip.type === 'soft') return clip.threshold ?? null;
  if (clip.type === 'zclip') return clip.max_norm ?? null;
  return null;
}
