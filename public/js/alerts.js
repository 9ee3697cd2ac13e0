// Alerts as they arrive, newest first (the list keeps the latest 200 in the DOM).
import { fmt } from './data.js';

const MAX = 200;

export class Alerts {
  constructor(list, counter) {
    this.list = list;
    this.counter = counter;
    this.count = 0;
    this.pending = [];
  }

  reset() {
    this.count = 0;
    this.pending = [];
    this.list.replaceChildren();
    this.counter.textContent = '0';
    this.list.dataset.empty = 'true';
  }

  /** @param {import('./data.js').AlertRecord} a */
  add(a) { this.pending.push(a); this.count++; }

  /** Called once per animation frame: renders the alerts received since the last frame. */
  flush() {
    if (!this.pending.length) return;
    const frag = document.createDocumentFragment();
    for (let i = this.pending.length - 1; i >= 0; i--) frag.append(this.item(this.pending[i]));
    this.pending = [];
    this.list.prepend(frag);
    while (this.list.children.length > MAX) this.list.lastElementChild.remove();
    this.counter.textContent = String(this.count);
    this.list.dataset.empty = 'false';
  }

  /** @param {import('./data.js').AlertRecord} a */
  item(a) {
    const li = document.createElement('li');
    li.className = `alert sev-${a.severity || 'warning'} k-${a.kind}`;
    const head = document.createElement('div');
    head.className = 'alert-head';
    const kind = document.createElement('strong');
    kind.textContent = a.kind;
    const where = document.createElement('span');
    where.className = 'muted';
    where.textContent = `step ${a.step}${a.layer ? ` · ${a.layer}` : ''}${a.value != null ? ` · ${fmt(a.value)}` : ''}`;
    head.append(kind, ' ', where);
    const msg = document.createElement('div');
    msg.textContent = a.message || '';
    li.append(head, msg);
    return li;
  }
}
