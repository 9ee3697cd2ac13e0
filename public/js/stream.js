// One job's Server-Sent Events stream. EventSource reconnects by itself and resumes
// with Last-Event-ID; we close it on a terminal status or when another job is selected.
import { api } from './api.js';
import { TERMINAL } from './data.js';

const TYPES = ['start', 'step', 'epoch', 'alert', 'summary', 'report', 'status'];

export class JobStream {
  /** handlers: { start(rec), step(rec), …, status(rec), connection(state) } */
  constructor(id, handlers) {
    this.id = id;
    this.handlers = handlers;
    this.es = new EventSource(api.eventsUrl(id));
    for (const type of TYPES) {
      this.es.addEventListener(type, (e) => this.dispatch(type, e));
    }
    this.es.onopen = () => this.handlers.connection?.('open');
    this.es.onerror = () => {
      if (!this.es) return;
      this.handlers.connection?.(this.es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    };
  }

  dispatch(type, e) {
    if (!this.es) return;
    let rec;
    try { rec = JSON.parse(e.data); } catch { return; }
    this.handlers[type]?.(rec);
    if (type === 'status' && TERMINAL.has(rec.status)) {
      this.close();
      this.handlers.connection?.('done');
    }
  }

  close() {
    if (this.es) { this.es.close(); this.es = null; }
  }
}
