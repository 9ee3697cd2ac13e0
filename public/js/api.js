// Same-origin HTTP client for the gradscope API (docs/API.md).

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || null;
    this.field = err.field || null;
  }
}

async function request(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = res.status === 204 ? '' : await res.text();
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch { data = null; } }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

const enc = encodeURIComponent;

export const api = {
  presets: () => request('GET', '/api/presets').then((d) => d.presets || []),
  jobs: (limit = 100) => request('GET', `/api/jobs?limit=${limit}`),
  job: (id) => request('GET', `/api/jobs/${enc(id)}`),
  /** spec: an object, or the editor's raw JSON text (the server reports JSON errors too) */
  createJob: (spec) => request('POST', '/api/jobs', spec),
  cancel: (id) => request('POST', `/api/jobs/${enc(id)}/cancel`),
  remove: (id) => request('DELETE', `/api/jobs/${enc(id)}`),
  report: (id) => request('GET', `/api/jobs/${enc(id)}/report`),
  remedies: (id, names) => request('POST', `/api/jobs/${enc(id)}/remedies`, { remedies: names }),
  comparison: (cid) => request('GET', `/api/comparisons/${enc(cid)}`),
  eventsUrl: (id) => `/api/jobs/${enc(id)}/events`,
};
