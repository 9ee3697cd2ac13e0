// Launch panel: preset buttons (each launches its spec) and a JSON spec editor with Run.
import { api } from './api.js';
import { locateField } from './data.js';

export class Launch {
  /** onLaunched(id) after a job was created */
  constructor({ presets, editor, run, error }, { onLaunched }) {
    this.presetsEl = presets;
    this.editor = editor;
    this.runBtn = run;
    this.errorEl = error;
    this.onLaunched = onLaunched;
    this.runBtn.addEventListener('click', () => this.submit(this.editor.value, this.runBtn));
    this.editor.addEventListener('input', () => this.clearError());
  }

  async load() {
    try {
      const presets = await api.presets();
      this.presetsEl.replaceChildren(...presets.map((p) => this.presetButton(p)));
      if (presets.length && !this.editor.value.trim()) this.fill(presets[0].spec);
    } catch (err) {
      this.presetsEl.textContent = `Could not load presets: ${err.message}`;
    }
  }

  presetButton(p) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'preset';
    b.dataset.preset = p.name;
    const title = document.createElement('strong');
    title.textContent = p.title || p.name;
    const desc = document.createElement('span');
    desc.textContent = p.description || '';
    b.append(title, desc);
    b.title = `Run the “${p.name}” preset`;
    b.addEventListener('click', () => {
      this.fill(p.spec);
      this.submit(p.spec, b);
    });
    return b;
  }

  fill(spec) {
    this.editor.value = JSON.stringify(spec, null, 2);
    this.clearError();
  }

  clearError() {
    this.errorEl.textContent = '';
    this.errorEl.hidden = true;
    this.editor.classList.remove('invalid');
    this.editor.removeAttribute('aria-invalid');
  }

  showError(message, field) {
    this.errorEl.hidden = false;
    this.errorEl.textContent = '';
    const msg = document.createElement('span');
    msg.textContent = message;
    this.errorEl.append(msg);
    if (field) {
      const f = document.createElement('code');
      f.textContent = field;
      this.errorEl.append(' (field ', f, ')');
    }
    this.editor.classList.add('invalid');
    this.editor.setAttribute('aria-invalid', 'true');
    const at = locateField(this.editor.value, field);
    if (at) {
      this.editor.focus();
      this.editor.setSelectionRange(at[0], at[1]);
      // scroll the selection into view: approximate by line number
      const line = this.editor.value.slice(0, at[0]).split('\n').length - 1;
      const lh = parseFloat(getComputedStyle(this.editor).lineHeight) || 16;
      this.editor.scrollTop = Math.max(0, line * lh - this.editor.clientHeight / 2);
    }
  }

  /** spec: object (preset) or raw JSON text (editor) */
  async submit(spec, button) {
    this.clearError();
    button.disabled = true;
    try {
      const job = await api.createJob(spec);
      this.onLaunched(job.id);
    } catch (err) {
      this.showError(err.message, err.field);
    } finally {
      button.disabled = false;
    }
  }
}
