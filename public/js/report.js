// The diagnosis: verdict, where it starts, evidence, remedies with "Try this remedy" (an
// external run's with the change to make in PyTorch), and the comparison table of the
// remedy trials (polled every second).
import { api } from './api.js';
import { LineChart } from './charts.js';
import { fmt } from './data.js';

const SHOWN = 4;
// Whether the run learns, and what could not be judged, frame the rest: never folded away.
const FRAMING = new Set(['learning', 'not_learning', 'not_judged']);

export class Report {
  constructor({ panel, verdict, details, evidence, remedies, comparison }, { onError }) {
    Object.assign(this, { panel, verdictEl: verdict, details, evidence, remedies, comparison });
    this.onError = onError;
    this.jobId = null;
    this.poll = null;
  }

  reset(jobId) {
    this.jobId = jobId;
    this.stopPolling();
    this.verdictEl.textContent = '';
    this.verdictEl.className = 'verdict-big';
    this.details.textContent = jobId ? 'The verdict comes when the run ends.' : 'Select or launch a job.';
    this.evidence.replaceChildren();
    this.remedies.replaceChildren();
    this.comparison.replaceChildren();
    this.panel.dataset.state = 'pending';
  }

  stopPolling() { clearTimeout(this.poll); this.poll = null; this.cid = null; }

  /** @param {import('./data.js').ReportRecord} r */
  show(r) {
    this.panel.dataset.state = 'done';
    this.verdictEl.textContent = r.verdict;
    this.verdictEl.className = `verdict-big v-${r.verdict}`;
    const parts = [];
    if (r.first_step != null) parts.push(`from step ${r.first_step}`);
    // an external run's layer comes with its PyTorch class, "10 (Linear)": shown whole
    if (r.first_layer) parts.push(`at layer ${r.first_layer}`);
    // `pass` is where the first NaN/Inf appeared: said with it
    const nf = r.first_nonfinite;
    const pass = r.pass ? ` (${r.pass} pass)` : '';
    if (nf && nf.step != null) {
      const what = nf.layer ? `${nf.quantity || 'value'} of ${nf.layer}` : nf.quantity || 'a value';
      parts.push(`· first NaN/Inf: ${what} at step ${nf.step}${pass}`);
    } else if (pass) parts.push(pass.trim());
    this.details.textContent = parts.length ? parts.join(' ') : 'no problem found';

    // the first few pieces of evidence and the framing ones; the rest (often repeated
    // spikes) folded away. Messages say their steps themselves (a not_judged item has
    // step 0: none).
    const ev = r.evidence || [];
    const item = (e) => {
      const li = document.createElement('li');
      li.className = `r-${e.rule}`;
      li.dataset.rule = e.rule;
      li.textContent = e.message;
      return li;
    };
    const shown = ev.filter((e, i) => i < SHOWN || FRAMING.has(e.rule));
    const folded = ev.filter((e, i) => i >= SHOWN && !FRAMING.has(e.rule));
    this.evidence.replaceChildren(...shown.map(item));
    if (folded.length) {
      const li = document.createElement('li');
      li.className = 'more';
      const det = document.createElement('details');
      const sum = document.createElement('summary');
      sum.textContent = `${folded.length} more`;
      const ul = document.createElement('ul');
      ul.append(...folded.map(item));
      det.append(sum, ul);
      li.append(det);
      this.evidence.append(li);
    }
    if (!(r.evidence || []).length) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = 'No rule fired.';
      this.evidence.append(li);
    }

    this.remedies.replaceChildren(...(r.remedies || []).map((rem) => {
      const li = document.createElement('li');
      li.dataset.name = rem.name;
      const head = document.createElement('div');
      const name = document.createElement('strong');
      name.textContent = rem.name;
      head.append(name);
      const reason = document.createElement('p');
      reason.textContent = rem.reason || '';
      reason.title = rem.reason || '';
      li.append(head, reason);
      if (rem.change != null) {
        const change = document.createElement('code');
        change.textContent = JSON.stringify(rem.change);
        head.append(' ', change);
        const b = document.createElement('button');
        b.type = 'button';
        b.dataset.remedy = rem.name;
        b.textContent = 'Try this remedy';
        b.setAttribute('aria-label', `Try the remedy ${rem.name}`);
        b.addEventListener('click', () => this.tryRemedy(rem.name, b));
        li.append(b);
      } else if (rem.pytorch) {
        // An external run has no spec to re-run (change: null): what to change in the
        // training script instead, in full (it is the remedy).
        const code = document.createElement('code');
        code.className = 'pytorch';
        code.textContent = rem.pytorch;
        code.title = 'The change in PyTorch';
        li.append(code);
      }
      return li;
    }));
    if (!(r.remedies || []).length) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = r.verdict === 'healthy' ? 'Nothing to fix.' : 'No remedy to suggest.';
      this.remedies.append(li);
    }
  }

  async tryRemedy(name, button) {
    const job = this.jobId;
    this.stopPolling();
    button.disabled = true;
    this.comparison.replaceChildren(status(`Starting the “${name}” trial…`));
    try {
      const { id } = await api.remedies(job, [name]);
      if (job !== this.jobId) return;
      this.cid = id;
      this.pollComparison(id, job);
    } catch (err) {
      this.comparison.replaceChildren(status(`Could not start it: ${err.message}`));
      this.onError?.(err.message);
    } finally {
      button.disabled = false;
    }
  }

  async pollComparison(cid, job) {
    if (job !== this.jobId || cid !== this.cid) return;
    try {
      const c = await api.comparison(cid);
      if (job !== this.jobId || cid !== this.cid) return;
      this.renderComparison(c);
      if (c.status === 'running') this.poll = setTimeout(() => this.pollComparison(cid, job), 1000);
    } catch (err) {
      this.comparison.replaceChildren(status(`Comparison ${cid}: ${err.message}`));
    }
  }

  /** The trials' training loss per epoch, overlaid: the evidence that a remedy trains. */
  overlay(trials) {
    if (!this.overlayCanvas) {
      this.overlayCanvas = document.createElement('canvas');
      this.overlayCanvas.id = 'comparison-chart';
      this.overlayCanvas.className = 'chart';
      this.overlayCanvas.setAttribute('role', 'img');
      this.overlayChart = new LineChart(this.overlayCanvas, { label: 'Training loss per epoch of the original and its remedy variants', logY: 'auto', xLabel: 'epoch' });
    }
    this.overlayChart.setSeries(trials.map((t, k) => {
      const ys = Float64Array.from((t.loss_curve || []).map((v) => (v == null ? NaN : v)));
      return { name: t.name, color: `c${(k % 4) + 1}`, xs: Float64Array.from(ys, (_, i) => i + 1), ys, n: ys.length };
    }));
    return this.overlayCanvas;
  }

  renderComparison(c) {
    const table = document.createElement('table');
    table.innerHTML = '<caption></caption><thead><tr><th scope="col">trial</th><th scope="col">verdict</th>' +
      '<th scope="col">final loss</th><th scope="col">accuracy</th><th scope="col">works</th></tr></thead><tbody></tbody>';
    table.caption.textContent = `Comparison ${c.id}: ${c.status}`;
    const body = table.tBodies[0];
    for (const t of c.trials || []) {
      const tr = body.insertRow();
      tr.className = 'trial';
      const cells = [t.name, t.verdict, fmt(t.final_loss, 4), t.accuracy == null ? '—' : `${(t.accuracy * 100).toFixed(1)}%`,
        t.works == null ? '—' : t.works ? 'yes' : 'no'];
      cells.forEach((v, i) => {
        const td = tr.insertCell();
        td.textContent = v ?? '—';
        if (i === 1 && t.verdict) td.innerHTML = `<span class="badge v-${t.verdict}"></span>`, td.firstChild.textContent = t.verdict;
        if (i === 4 && t.works != null) td.className = t.works ? 'works' : 'fails';
      });
    }
    const nodes = [table, this.overlay(c.trials || [])];
    if (c.status === 'running') nodes.push(status('Running trials… (refreshes every second)'));
    this.comparison.replaceChildren(...nodes);
    this.overlayChart.draw();
  }
}

function status(text) {
  const p = document.createElement('p');
  p.className = 'muted';
  p.textContent = text;
  return p;
}
