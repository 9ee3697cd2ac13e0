// Pure data logic: no DOM, no canvas. Everything here can be unit-tested in isolation.

/** A growable typed array (amortised O(1) push, no per-point objects). */
export class Series {
  constructor(capacity = 256, Type = Float64Array) {
    this.a = new Type(capacity);
    this.length = 0;
  }
  push(v) {
    if (this.length === this.a.length) {
      const b = new this.a.constructor(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.length++] = v;
  }
  get values() { return this.a.subarray(0, this.length); }
}

/** JSON writes non-finite numbers as null: turn anything that is not a finite number into NaN. */
export const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);

export const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'interrupted']);
export const VERDICTS = ['healthy', 'vanishing', 'exploding', 'diverged'];

// ---- Records (docs/records.md) ----
// What the events stream sends, one record per event named after its `type`. JSON has no
// NaN: a non-finite number arrives as null. "External run" marks what only a run watched by
// the Python client carries; "engine job" what only a job gradscope trains itself carries.

/**
 * The run's shape, first: layer names and histogram edges before any step.
 * @typedef {object} StartRecord
 * @property {'start'} type
 * @property {string|null} name                 the spec's (or the external run's) name
 * @property {number} [seed]                    engine job: the spec's seed
 * @property {string} [loss]                    engine job: the loss function ("cross_entropy", "mse", …)
 * @property {number} [parameters]              engine job: trainable parameter count
 * @property {'external'} [source]              external run only
 * @property {number} total_steps               optimizer updates planned (0: unknown)
 * @property {number} [steps_per_epoch]         engine job
 * @property {number} [train_samples]           engine job
 * @property {number} [validation_samples]      engine job
 * @property {number} [input_width]             engine job
 * @property {number} [output_width]            engine job
 * @property {number|null} baseline_loss        the best constant prediction's loss (null: not declared)
 * @property {string[]} [modules]               external run: the activation kinds it declared
 * @property {LayerDeclaration[]} layers        every layer, model order
 * @property {HistEdges} hist_edges             the fixed edges of every step's histograms
 */

/**
 * @typedef {object} LayerDeclaration
 * @property {string} name
 * @property {string} kind                      engine layer kind ("dense", "relu", "rnn", … or "other")
 * @property {string} [module]                  external run: the PyTorch class ("Linear")
 * @property {boolean} has_parameters
 * @property {ParamDeclaration[]} params
 */

/**
 * @typedef {object} ParamDeclaration
 * @property {string} name                      "weight", "bias", "weight_hh_l0", …
 * @property {number[]} shape
 */

/**
 * @typedef {object} HistEdges
 * @property {number} bins
 * @property {number} min                       lowest edge of |g|
 * @property {number} max                       highest edge of |g|
 * @property {'log10'} scale
 */

/**
 * One recorded step: the statistics of the update it names, taken before it was applied.
 * @typedef {object} StepRecord
 * @property {'step'} type
 * @property {number} step                      optimizer updates from 1
 * @property {number} epoch
 * @property {number|null} [loss]               absent: an external run sent none; null: NaN/Inf
 * @property {number|null} lr
 * @property {number|null} grad_norm            L2 over all parameters, before clipping
 * @property {number|null} grad_norm_clipped
 * @property {number|null} clip_coef
 * @property {boolean} skipped                  by skip_nonfinite
 * @property {number} nonfinite_grads           NaN/Inf gradient values
 * @property {number|null} accuracy             of the batch; null for regression
 * @property {number} batch_size
 * @property {LayerRecord[]} layers             layers with parameters, model order
 * @property {SignalRecord[]} signals           every layer's forward output and backward δ
 * @property {RecurrentRecord[]} [recurrent]    recurrent layers only
 */

/**
 * A layer's gradient statistics over all its parameters.
 * @typedef {object} LayerRecord
 * @property {string} name
 * @property {string} kind
 * @property {number|null} grad_norm
 * @property {number|null} max_abs
 * @property {number|null} mean_abs
 * @property {number|null} zero_fraction
 * @property {number} nan                       NaN gradient values
 * @property {number} inf                       ±Inf gradient values
 * @property {number|null} weight_norm          ‖θ‖ before the update
 * @property {number|null} update_norm          ‖Δθ‖
 * @property {number|null} update_ratio         ‖Δθ‖/‖θ‖ (null: ‖θ‖ = 0 or not measured)
 * @property {ParamRecord[]} params             the same per tensor
 * @property {HistRecord} [hist]                absent on an external run's norms-only steps
 */

/**
 * @typedef {object} ParamRecord
 * @property {string} name
 * @property {number|null} grad_norm
 * @property {number|null} max_abs
 * @property {number|null} mean_abs
 * @property {number|null} zero_fraction
 * @property {number} nan
 * @property {number} inf
 * @property {number|null} weight_norm
 * @property {number|null} update_norm
 */

/**
 * Counts of log10|g| in the start record's `hist_edges`.
 * @typedef {object} HistRecord
 * @property {number[]} counts                  one per bin
 * @property {number} zero                      g = 0
 * @property {number} underflow                 0 < |g| < min
 * @property {number} overflow                  |g| ≥ max
 * @property {number} nonfinite
 */

/**
 * @typedef {object} SignalRecord
 * @property {string} name
 * @property {string} kind                      an external run's: "identity" (named after its layer)
 * @property {number|null} output_rms
 * @property {number|null} output_mean
 * @property {number|null} output_std
 * @property {number|null} delta_rms            RMS of ∂L/∂output, the backward signal δ
 * @property {number|null} [dead_fraction]      ReLU layers: units that output 0 for the whole batch
 * @property {number|null} [saturated_fraction] sigmoid and tanh layers
 * @property {number} output_nonfinite
 * @property {number} delta_nonfinite
 */

/**
 * @typedef {object} RecurrentRecord
 * @property {string} layer
 * @property {number} sublayer                  k of `_lk` in a stack
 * @property {Array<number|null>} hidden_grad_norms ‖∂L/∂h_t‖ for t = 1…T
 * @property {number|null} spectral_norm        σ₁ of weight_hh before the update
 */

/**
 * @typedef {object} EpochRecord
 * @property {'epoch'} type
 * @property {number} epoch
 * @property {number} step                      the epoch's last step
 * @property {number|null} train_loss
 * @property {number|null} train_accuracy
 * @property {number|null} val_loss             null without a validation split
 * @property {number|null} val_accuracy
 */

/**
 * @typedef {object} AlertRecord
 * @property {'alert'} type
 * @property {number} step
 * @property {string} kind                      "exploding", "dead_units", …
 * @property {'critical'|'warning'} severity
 * @property {string|null} layer
 * @property {number|null} value
 * @property {number|null} threshold
 * @property {string} message
 * @property {number[]} [samples]               training rows in that step's batch
 */

/**
 * @typedef {object} SummaryRecord
 * @property {'summary'} type
 * @property {'external'} [source]              external run only
 * @property {number} steps
 * @property {number} [dropped_steps]           external run: measured by the client, never arrived
 * @property {number} [epochs]                  engine job
 * @property {number|null} final_loss
 * @property {number|null} [train_loss]         engine job: of the last epoch
 * @property {number|null} [train_accuracy]     engine job
 * @property {number|null} [val_loss]           engine job
 * @property {number|null} [val_accuracy]       engine job
 * @property {number|null} max_grad_norm
 * @property {number} nonfinite_steps
 * @property {number} [skipped_steps]           engine job
 * @property {number} [parameters]              engine job
 */

/**
 * The diagnosis, last.
 * @typedef {object} ReportRecord
 * @property {'report'} type
 * @property {'healthy'|'vanishing'|'exploding'|'diverged'} verdict
 * @property {number|null} first_step
 * @property {string|null} first_layer          an external run's with its class: "10 (Linear)"
 * @property {string|null} pass                 where the first NaN/Inf appeared
 * @property {NonfiniteOrigin} [first_nonfinite]
 * @property {EvidenceRecord[]} evidence
 * @property {RemedyRecord[]} remedies
 * @property {Object<string, number>} alerts    alert kind → count
 */

/**
 * @typedef {object} NonfiniteOrigin
 * @property {number} step
 * @property {'forward'|'loss'|'backward'} pass
 * @property {string|null} layer
 * @property {string} quantity                  "output", "loss", "parameter gradient", …
 */

/**
 * @typedef {object} EvidenceRecord
 * @property {string} rule
 * @property {number} step                      0: none
 * @property {string|null} layer
 * @property {number|null} value
 * @property {number|null} threshold
 * @property {string} message
 */

/**
 * @typedef {object} RemedyRecord
 * @property {string} name
 * @property {object|null} change               the spec patch `compare` tries (null: an external run)
 * @property {string} reason
 * @property {string} [pytorch]                 external run: the same change in PyTorch
 */

/**
 * Every record field the dashboard knows, as key paths "<type>.<key>.<key>…" (arrays of
 * objects are transparent; `report.alerts` and `report.remedies.change` are opaque values).
 * Each is read somewhere in public/js, or ignored for the reason given. A field the
 * records gain must be added here: Tests/Dashboard/records.test.mjs holds this list to
 * the record fixture and to docs/records.md.
 */
export const RECORD_FIELDS = Object.freeze([
  // `type` of every record: the events stream names each event after it (stream.js)
  'start.type', 'step.type', 'epoch.type', 'alert.type', 'summary.type', 'report.type',

  // start: RunData.setStart, edges, totalSteps, isExternal; the header shows the name
  'start.name', 'start.source', 'start.total_steps',
  'start.hist_edges', 'start.hist_edges.bins', 'start.hist_edges.min', 'start.hist_edges.max',
  'start.hist_edges.scale', // ignored: log10 is the only scale
  // ignored: the run's setup, which no chart draws
  'start.seed', 'start.loss', 'start.parameters', 'start.steps_per_epoch', 'start.train_samples',
  'start.validation_samples', 'start.input_width', 'start.output_width',
  'start.baseline_loss', // ignored: the server's diagnosis judges learning by it; the loss chart does not draw it
  'start.modules', // ignored: read from the job's spec instead (declaredActivations)
  // ignored: layer names come from the step records, which list the layers with parameters in the same order
  'start.layers', 'start.layers.name', 'start.layers.kind', 'start.layers.module', 'start.layers.has_parameters',
  'start.layers.params', 'start.layers.params.name', 'start.layers.params.shape',

  // step: RunData.addStep, makeSnapshot, timeProfiles
  'step.step', 'step.loss', 'step.grad_norm', 'step.grad_norm_clipped', 'step.nonfinite_grads',
  'step.epoch', // ignored: the epoch records mark epochs
  'step.lr', 'step.clip_coef', 'step.skipped', // ignored: not charted (the clipped norm shows clipping)
  'step.accuracy', 'step.batch_size', // ignored: not charted
  'step.layers', 'step.layers.name', 'step.layers.grad_norm', 'step.layers.nan', 'step.layers.inf',
  'step.layers.update_ratio', 'step.layers.hist',
  'step.layers.kind', // ignored: the signals' kinds pick the dense layers
  // ignored: the histogram shows the distribution, update_ratio the update's size
  'step.layers.max_abs', 'step.layers.mean_abs', 'step.layers.zero_fraction', 'step.layers.weight_norm',
  'step.layers.update_norm',
  // ignored: the charts are per layer, not per tensor
  'step.layers.params', 'step.layers.params.name', 'step.layers.params.grad_norm', 'step.layers.params.max_abs',
  'step.layers.params.mean_abs', 'step.layers.params.zero_fraction', 'step.layers.params.nan', 'step.layers.params.inf',
  'step.layers.params.weight_norm', 'step.layers.params.update_norm',
  'step.layers.hist.counts', 'step.layers.hist.underflow', 'step.layers.hist.overflow', 'step.layers.hist.nonfinite',
  'step.layers.hist.zero', // ignored: log10 of 0 has no place on the histogram's axis
  'step.signals', 'step.signals.name', 'step.signals.kind', 'step.signals.delta_rms', 'step.signals.dead_fraction',
  'step.signals.saturated_fraction',
  // ignored: the forward side and these counts are not charted (the report says where a NaN/Inf began)
  'step.signals.output_rms', 'step.signals.output_mean', 'step.signals.output_std', 'step.signals.output_nonfinite',
  'step.signals.delta_nonfinite',
  'step.recurrent', 'step.recurrent.layer', 'step.recurrent.sublayer', 'step.recurrent.hidden_grad_norms',
  'step.recurrent.spectral_norm',

  // epoch: RunData.addEpoch (the validation loss on the loss chart)
  'epoch.step', 'epoch.val_loss',
  'epoch.epoch', // ignored: the loss chart's x is the step
  'epoch.train_loss', // ignored: the chart draws the training loss of every recorded step instead
  'epoch.train_accuracy', 'epoch.val_accuracy', // ignored: not charted

  // alert: the alert list (alerts.js)
  'alert.step', 'alert.kind', 'alert.severity', 'alert.layer', 'alert.value', 'alert.message',
  'alert.threshold', // ignored: the message says it
  'alert.samples', // ignored: rows of the training data, which the dashboard does not have

  // summary: the header says how many of an external run's steps never arrived
  'summary.dropped_steps',
  'summary.source', // ignored: the start record says it
  // ignored: totals of what the charts show step by step, and the run's setup
  'summary.steps', 'summary.epochs', 'summary.final_loss', 'summary.train_loss',
  'summary.train_accuracy', 'summary.val_loss', 'summary.val_accuracy', 'summary.max_grad_norm',
  'summary.nonfinite_steps', 'summary.skipped_steps', 'summary.parameters',

  // report: report.js, and the heatmap outlines first_layer
  'report.verdict', 'report.first_step', 'report.first_layer', 'report.pass',
  'report.first_nonfinite', 'report.first_nonfinite.step', 'report.first_nonfinite.layer',
  'report.first_nonfinite.quantity',
  'report.first_nonfinite.pass', // ignored: the report's own `pass` says it when the NaN/Inf is why the run diverged
  'report.evidence', 'report.evidence.rule', 'report.evidence.message',
  // ignored: each message says its step, layer and values itself
  'report.evidence.step', 'report.evidence.layer', 'report.evidence.value', 'report.evidence.threshold',
  'report.remedies', 'report.remedies.name', 'report.remedies.change', 'report.remedies.reason',
  'report.remedies.pytorch',
  'report.alerts', // ignored: the alert list counts the alert records themselves
]);

/**
 * Keeps per-step snapshots (histograms and per-layer values), at most about `max`, evenly
 * spaced: every `stride`-th record is kept and the stride doubles when the list is full.
 * The latest record is always available as the last item.
 */
export class Snapshots {
  constructor(max = 500) { this.max = max; this.items = []; this.tail = null; this.count = 0; this.stride = 1; }
  push(s) {
    if (this.count++ % this.stride === 0) {
      this.items.push(s);
      this.tail = null;
      if (this.items.length > this.max) {
        this.items = this.items.filter((_, i) => i % 2 === 0);
        this.stride *= 2;
      }
    } else {
      this.tail = s;
    }
  }
  get length() { return this.items.length + (this.tail ? 1 : 0); }
  at(i) { return i < this.items.length ? this.items[i] : i === this.items.length ? this.tail || undefined : undefined; }
  /** Index of the kept snapshot whose step is nearest to `step`. */
  nearest(step) {
    let lo = 0, hi = this.length - 1;
    if (hi < 0) return -1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.at(mid).step < step) lo = mid + 1; else hi = mid;
    }
    if (lo > 0 && Math.abs(this.at(lo - 1).step - step) <= Math.abs(this.at(lo).step - step)) return lo - 1;
    return lo;
  }
}

/** Everything the live view draws for one job, fed record by record. */
export class RunData {
  constructor(maxSnapshots = 500) {
    /** @type {StartRecord|null} */
    this.start = null;
    this.layerNames = [];        // layers with parameters, model order (from the step records)
    this.steps = new Series();
    this.lossSteps = new Series(); // the steps that carry a loss (an external run's client may not send one)
    this.loss = new Series();
    this.gradNorm = new Series();
    this.gradNormClipped = new Series();
    this.layerNorm = [];         // one Float32 Series per layer
    this.normRange = { min: Infinity, max: -Infinity }; // of finite, positive per-layer norms
    this.valSteps = new Series();
    this.valLoss = new Series();
    /** @type {AlertRecord[]} */
    this.alerts = [];
    /** @type {SummaryRecord|null} */
    this.summary = null;
    /** @type {ReportRecord|null} */
    this.report = null;
    this.status = null;
    this.lastStep = 0;
    this.denseNames = [];        // signals whose δ the per-layer chart draws: dense layers (an external run's: its layers)
    this.actNames = [];          // signals carrying dead_fraction / saturated_fraction
    this.snapshots = new Snapshots(maxSnapshots);
    this.firstProfiles = null;   // recurrent layers' ‖∂L/∂h_t‖ on the first recorded step
    this.activations = null;     // what an external run declared it uses (declaredActivations), once known
  }

  get isExternal() { return !!this.start && this.start.source === 'external'; }

  /** True once a step record carried recurrent statistics. */
  get isRecurrent() { return this.firstProfiles !== null; }

  /** @param {StartRecord} rec @returns {boolean} false for a repeat */
  setStart(rec) {
    if (this.start) return false; // sent again on every reconnect
    this.start = rec;
    return true;
  }

  get edges() {
    const e = this.start && this.start.hist_edges;
    return e ? { bins: e.bins, lo: Math.log10(e.min), hi: Math.log10(e.max) } : null;
  }

  get totalSteps() { return this.start ? this.start.total_steps : 0; }

  /** @param {StepRecord} rec @returns {boolean} false for a repeat or an older step */
  addStep(rec) {
    if (typeof rec.step !== 'number' || rec.step <= this.lastStep) return false; // no duplicates
    this.lastStep = rec.step;
    const layers = rec.layers || [];
    if (!this.layerNames.length && layers.length) {
      this.layerNames = layers.map((l) => l.name);
      this.layerNorm = layers.map(() => new Series(256, Float32Array));
    }
    const signals = rec.signals || [];
    if (!this.denseNames.length && signals.length) {
      // An external run's client measures δ at each layer's output and names it after the
      // layer (the server gives it no engine kind): those are its dense layers' δ.
      const own = new Set(this.isExternal ? this.layerNames : []);
      this.denseNames = signals.filter((s) => s.kind === 'dense' || own.has(s.name)).map((s) => s.name);
      this.actNames = signals
        .filter((s) => 'dead_fraction' in s || 'saturated_fraction' in s)
        .map((s) => s.name);
    }
    this.steps.push(rec.step);
    // An absent loss is unknown (the client was not given it), null a NaN/Inf: only the
    // latter is drawn, as non-finite; an unknown one is not drawn at all.
    if (rec.loss !== undefined) {
      this.lossSteps.push(rec.step);
      this.loss.push(num(rec.loss));
    }
    // with NaN/Inf gradients the norms are not meaningful (the server may write 0): mark them non-finite
    const bad = rec.nonfinite_grads > 0;
    this.gradNorm.push(bad ? NaN : num(rec.grad_norm));
    this.gradNormClipped.push(bad ? NaN : num(rec.grad_norm_clipped));
    const L = this.layerNames.length;
    for (let i = 0; i < L; i++) {
      const l = layers[i] || {};
      const v = l.nan > 0 || l.inf > 0 ? NaN : num(l.grad_norm);
      this.layerNorm[i].push(v);
      if (v > 0) {
        if (v < this.normRange.min) this.normRange.min = v;
        if (v > this.normRange.max) this.normRange.max = v;
      }
    }
    if (!this.firstProfiles && Array.isArray(rec.recurrent) && rec.recurrent.length) {
      this.firstProfiles = timeProfiles(rec);
    }
    // An external run may send histograms every few steps only: the slider
    // keeps the steps that have them.
    if (!this.isExternal || layers.some((l) => l && l.hist)) this.snapshots.push(makeSnapshot(rec, this));
    return true;
  }

  /** @param {EpochRecord} rec */
  addEpoch(rec) {
    if (typeof rec.step !== 'number') return;
    if (this.valSteps.length && rec.step <= this.valSteps.a[this.valSteps.length - 1]) return;
    this.valSteps.push(rec.step);
    this.valLoss.push(num(rec.val_loss));
  }

  /** @param {AlertRecord} rec */
  addAlert(rec) { this.alerts.push(rec); }
}

/**
 * The per-step data kept for the step slider: histograms and per-layer values. An update
 * ratio or δ that the record does not carry (or carries as null: an external run's client
 * measures updates on histogram steps only, δ every few steps) is NaN: unknown.
 * @param {StepRecord} rec
 * @param {RunData} run
 */
export function makeSnapshot(rec, run) {
  const e = run.edges;
  const bins = e ? e.bins : 0;
  const L = run.layerNames.length;
  const counts = new Float32Array(L * bins);
  const nonfinite = new Float64Array(L);
  const underflow = new Float64Array(L);
  const overflow = new Float64Array(L);
  const updateRatio = new Float32Array(L);
  const layers = rec.layers || [];
  for (let i = 0; i < L; i++) {
    const l = layers[i] || {};
    const h = l.hist;
    if (h && Array.isArray(h.counts)) {
      const n = Math.min(bins, h.counts.length);
      for (let b = 0; b < n; b++) counts[i * bins + b] = h.counts[b] || 0;
      nonfinite[i] = h.nonfinite || 0;
      underflow[i] = h.underflow || 0;
      overflow[i] = h.overflow || 0;
    }
    updateRatio[i] = num(l.update_ratio);
  }
  const byName = new Map((rec.signals || []).map((s) => [s.name, s]));
  const delta = Float32Array.from(run.denseNames, (n) => num(byName.get(n)?.delta_rms));
  const dead = Float32Array.from(run.actNames, (n) => num(byName.get(n)?.dead_fraction));
  const saturated = Float32Array.from(run.actNames, (n) => num(byName.get(n)?.saturated_fraction));
  const profiles = timeProfiles(rec);
  return { step: rec.step, bins, counts, nonfinite, underflow, overflow, updateRatio, delta, dead, saturated, profiles };
}

/**
 * A step record's recurrent statistics as chartable profiles: one per layer of each
 * recurrent stack, `label` ("rnn", or "lstm · layer 1" when stacked), `norms` = ‖∂L/∂h_t‖
 * for t = 1…T (null entries, i.e. NaN/Inf, become NaN), `sigma` = σ₁ of weight_hh.
 * @param {StepRecord} rec
 */
export function timeProfiles(rec) {
  const list = Array.isArray(rec.recurrent) ? rec.recurrent : [];
  const stacked = new Set(list.filter((s) => s.sublayer > 0).map((s) => s.layer));
  return list.map((s) => ({
    label: stacked.has(s.layer) ? `${s.layer} · layer ${s.sublayer}` : s.layer,
    norms: Float64Array.from(s.hidden_grad_norms || [], num),
    sigma: num(s.spectral_norm),
  }));
}

/** ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖: how much of the last step's gradient reaches the first (NaN when undefined). */
export function throughTimeRatio(norms) {
  const n = norms.length;
  return n >= 2 && norms[n - 1] > 0 ? norms[0] / norms[n - 1] : NaN;
}

/**
 * Downsample (xs, ys) to at most one min/max pair per pixel column.
 * Returns columns that received points: x (column centre, in data units), lo, hi, and
 * `gap` = 1 where every point in the column was non-finite (the line breaks there).
 */
export function envelope(xs, ys, n, x0, x1, cols, log = false) {
  cols = Math.max(1, Math.floor(cols));
  const lo = new Float64Array(cols).fill(Infinity);
  const hi = new Float64Array(cols).fill(-Infinity);
  const seen = new Uint8Array(cols);
  const span = x1 - x0 || 1;
  for (let i = 0; i < n; i++) {
    let c = Math.floor(((xs[i] - x0) / span) * cols);
    if (c < 0 || c > cols) continue;
    if (c === cols) c = cols - 1;
    seen[c] = 1;
    let y = ys[i];
    if (log) y = y > 0 ? Math.log10(y) : NaN;
    if (!Number.isFinite(y)) continue;
    if (y < lo[c]) lo[c] = y;
    if (y > hi[c]) hi[c] = y;
  }
  let m = 0;
  for (let c = 0; c < cols; c++) if (seen[c]) m++;
  const out = { n: m, x: new Float64Array(m), lo: new Float64Array(m), hi: new Float64Array(m), gap: new Uint8Array(m) };
  let j = 0;
  for (let c = 0; c < cols; c++) {
    if (!seen[c]) continue;
    out.x[j] = x0 + ((c + 0.5) / cols) * span;
    if (lo[c] === Infinity) { out.gap[j] = 1; out.lo[j] = out.hi[j] = NaN; }
    else { out.lo[j] = lo[c]; out.hi[j] = hi[c]; }
    j++;
  }
  return out;
}

/**
 * Layer × column grid of log10 values for the heatmap, at most `cols` columns
 * (the max over the records falling in each column; NaN if any was non-finite,
 * -Infinity for exact zeros).
 */
export function heatmapGrid(series, n, cols) {
  const rows = series.length;
  cols = Math.max(1, Math.min(n, Math.floor(cols)));
  const values = new Float32Array(rows * cols).fill(-Infinity);
  if (!n || !rows) return { rows, cols: 0, values };
  for (let r = 0; r < rows; r++) {
    const a = series[r].a;
    for (let c = 0; c < cols; c++) {
      const i0 = Math.floor((c * n) / cols), i1 = Math.max(i0 + 1, Math.floor(((c + 1) * n) / cols));
      let best = -Infinity, bad = false;
      for (let i = i0; i < i1; i++) {
        const v = a[i];
        if (Number.isNaN(v) || v === Infinity) { bad = true; break; }
        const lv = v > 0 ? Math.log10(v) : -Infinity;
        if (lv > best) best = lv;
      }
      values[r * cols + c] = bad ? NaN : best;
    }
  }
  return { rows, cols, values };
}

/** Viridis-like colour ramp, t in [0, 1] → [r, g, b]. */
const STOPS = [
  [68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37],
];
export function ramp(t) {
  if (!(t >= 0)) t = 0;
  if (t > 1) t = 1;
  const f = t * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(f));
  const u = f - i, a = STOPS[i], b = STOPS[i + 1];
  return [a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u, a[2] + (b[2] - a[2]) * u];
}

/** Maps a log10 value into [0, 1] over [lo, hi] (a flat range maps to the middle). */
export function logNormalize(lv, lo, hi) {
  if (lv === -Infinity) return 0;
  if (hi - lo < 1e-12) return 0.5;
  return Math.min(1, Math.max(0, (lv - lo) / (hi - lo)));
}

/**
 * Round numbers between lo and hi (about `count` of them), at least `minStep` apart:
 * 1 for an axis of steps or epochs, whose ticks must be distinct whole numbers.
 */
export function niceTicks(lo, hi, count = 5, minStep = 0) {
  if (!(hi > lo)) return [lo];
  const raw = Math.max((hi - lo) / count, minStep);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) || 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

/**
 * Ticks for an axis with one column per recorded step (the heatmap): about `count`
 * distinct whole steps, each with `at`, its place in record units (record i spans
 * [i, i + 1)); a step between two records (an external run's steps may skip) sits
 * between them.
 */
export function recordTicks(steps, n, count) {
  if (!n) return [];
  const out = [];
  let i = 0;
  for (const step of niceTicks(steps[0], steps[n - 1], count, 1)) {
    while (i < n - 1 && steps[i + 1] <= step) i++;
    const f = i < n - 1 ? (step - steps[i]) / (steps[i + 1] - steps[i]) : 0;
    out.push({ step, at: i + 0.5 + f });
  }
  return out;
}

/** Integer decades (log10 values) between lo and hi, thinned to at most `max`. */
export function decadeTicks(lo, hi, max = 6) {
  const a = Math.ceil(lo), b = Math.floor(hi);
  if (b < a) return [Math.round((lo + hi) / 2)];
  const stride = Math.max(1, Math.ceil((b - a + 1) / max));
  const out = [];
  for (let d = a; d <= b; d += stride) out.push(d);
  return out;
}

/** Compact number formatting for labels and tables. */
export function fmt(v, digits = 3) {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3 || (a >= 1e4 && !Number.isInteger(v))) return v.toExponential(digits - 1).replace('e+', 'e');
  if (a >= 1e4) return String(v);
  return String(+v.toPrecision(digits));
}

/** "1e-3" style label for a log10 value. */
export const decadeLabel = (d) => (Number.isInteger(d) ? `1e${d}` : fmt(10 ** d, 2));

/**
 * Where the layer a report names sits in `names` (-1 if nowhere). A report names an
 * external run's layer with its PyTorch class, "10 (Linear)", the records as "10".
 */
export function layerIndex(names, label) {
  if (!label) return -1;
  const i = names.indexOf(label);
  if (i >= 0) return i;
  const m = /^(.*) \([^()]*\)$/.exec(label);
  return m ? names.indexOf(m[1]) : -1;
}

/** How the dashboard names the activation kinds a run can declare. */
const ACTIVATIONS = {
  relu: 'ReLU', leaky_relu: 'LeakyReLU', elu: 'ELU', gelu: 'GELU', sigmoid: 'sigmoid', tanh: 'tanh', softplus: 'Softplus',
};

/**
 * The activations an external run declared (its spec is its declaration: "modules" lists
 * the parameter-free kinds its model uses), by display name; null for an engine job,
 * whose activations show in its records.
 */
export function declaredActivations(job) {
  if (!job || job.source !== 'external') return null;
  const modules = Array.isArray(job.spec?.modules) ? job.spec.modules : [];
  return modules.filter((m) => Object.hasOwn(ACTIVATIONS, m)).map((m) => ACTIVATIONS[m]);
}

/** Parses "#job=j-000003" → "j-000003" (or null). */
export function jobFromHash(hash) {
  const m = /(?:^#|&)job=([^&]+)/.exec(hash || '');
  return m ? decodeURIComponent(m[1]) : null;
}

/**
 * Where a dotted field path ("optimizer.lr", "layers[2].units") appears in JSON text:
 * [start, end) of the last key found, searching each component after the previous one.
 */
export function locateField(text, field) {
  if (!field) return null;
  const parts = String(field).split(/[.[\]]+/).filter((p) => p && !/^\d+$/.test(p));
  let from = 0, hit = null;
  for (const p of parts) {
    const i = text.indexOf(`"${p}"`, from);
    if (i < 0) break;
    hit = [i, i + p.length + 2];
    from = hit[1];
  }
  return hit;
}
