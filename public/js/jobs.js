// Job list: polled every 2 s; rows are updated in place so focus and clicks survive polling.
import { api } from './api.js';
import { TERMINAL } from './data.js';

export class JobList {
  /** onSelect(id), onChange(jobs) after each poll, onError(message) */
  constructor(root, { onSelect, onChange, onError }) {
    this.root = root;
    this.onSelect = onSelect;
    this.onChange = onChange;
    this.onError = onError;
    this.rows = new Map();
    this.selected = null;
    this.timer = null;
    this.list = document.createElement('ul');
    this.list.className = 'jobs';
    this.empty = document.createElement('p');
    this.empty.className = 'muted';
    this.empty.textContent = 'No jobs yet: pick a preset above.';
    root.append(this.empty, this.list);
  }

  start() { this.poll(); }

  async poll() {
    clearTimeout(this.timer);
    try {
      const { jobs } = await api.jobs(100);
      this.render(jobs);
      this.onChange?.(jobs);
    } catch (err) {
      this.onError?.(`job list: ${err.message}`);
    }
    this.timer = setTimeout(() => this.poll(), 2000);
  }

  select(id) {
    this.selected = id;
    for (const [rid, row] of this.rows) {
      row.li.classList.toggle('selected', rid === id);
      if (rid === id) row.li.setAttribute('aria-current', 'true'); else row.li.removeAttribute('aria-current');
    }
  }

  render(jobs) {
    const seen = new Set();
    jobs.forEach((job, i) => {
      seen.add(job.id);
      let row = this.rows.get(job.id);
      if (!row) { row = this.makeRow(job.id); this.rows.set(job.id, row); }
      this.updateRow(row, job);
      if (this.list.children[i] !== row.li) this.list.insertBefore(row.li, this.list.children[i] || null);
    });
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) { row.li.remove(); this.rows.delete(id); }
    }
    this.empty.hidden = jobs.length > 0;
    this.select(this.selected);
  }

  makeRow(id) {
    const li = document.createElement('li');
    li.className = 'job';
    li.dataset.job = id;
    li.tabIndex = 0;
    li.innerHTML = `
      <div class="job-main">
        <span class="job-name"></span>
        <span class="badge status"></span>
        <span class="badge verdict"></span>
      </div>
      <div class="job-meta"><span class="job-id"></span> · <time></time> <span class="job-progress"></span></div>
      <div class="job-actions">
        <button type="button" class="cancel">Cancel</button>
        <button type="button" class="delete">Delete</button>
      </div>`;
    const row = {
      li,
      name: li.querySelector('.job-name'),
      status: li.querySelector('.status'),
      verdict: li.querySelector('.verdict'),
      idEl: li.querySelector('.job-id'),
      time: li.querySelector('time'),
      progress: li.querySelector('.job-progress'),
      cancel: li.querySelector('.cancel'),
      del: li.querySelector('.delete'),
    };
    li.addEventListener('click', (e) => { if (!e.target.closest('button')) this.onSelect(id); });
    li.addEventListener('keydown', (e) => {
      if ((e.key === 'Enter' || e.key === ' ') && e.target === li) { e.preventDefault(); this.onSelect(id); }
    });
    row.cancel.addEventListener('click', () => this.act(() => api.cancel(id)));
    row.del.addEventListener('click', () => {
      if (confirm(`Delete job ${id} and its files?`)) this.act(() => api.remove(id));
    });
    return row;
  }

  async act(fn) {
    try { await fn(); } catch (err) { this.onError?.(err.message); }
    this.poll();
  }

  updateRow(row, job) {
    row.name.textContent = job.name || job.id;
    row.idEl.textContent = job.id;
    row.status.textContent = job.status;
    row.status.className = `badge status s-${job.status}`;
    row.verdict.textContent = job.verdict || '';
    row.verdict.className = `badge verdict${job.verdict ? ` v-${job.verdict}` : ''}`;
    row.verdict.hidden = !job.verdict;
    if (job.created_at) {
      row.time.dateTime = job.created_at;
      row.time.textContent = new Date(job.created_at).toLocaleString([], { dateStyle: 'short', timeStyle: 'medium' });
    }
    row.progress.textContent = job.status === 'running' && job.total_steps ? `· step ${job.step}/${job.total_steps}` : '';
    row.cancel.disabled = TERMINAL.has(job.status);
    row.li.setAttribute('aria-label', `${job.name || job.id}, ${job.status}${job.verdict ? `, ${job.verdict}` : ''}`);
  }
}
