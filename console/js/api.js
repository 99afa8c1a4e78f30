/* api.js: every request the consoles make goes through here.
 *
 * The API is described at /api/openapi.json (docs/openapi.json).  Its
 * errors are {"error": {"code", "message"}}: request() turns one into an
 * ApiError and, unless the caller asks for quiet, a toast with the
 * server's own sentence (never a bare status number).  A 401 on a page
 * that needs a session sends the visitor to the sign-in page. */
import { toast, toSignIn } from './ui.js';

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || null;
  }
}

/* What people read when the server gave no sentence of its own. */
function fallbackMessage(status) {
  if (status === 0) return 'The server cannot be reached. Check the connection and try again.';
  if (status === 401) return 'Your session has ended. Sign in again.';
  if (status === 403) return 'You are not allowed to do that.';
  if (status === 404) return 'That was not found. It may have been deleted.';
  if (status === 413) return 'That is too large to send.';
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return 'The server could not do that just now. Try again in a moment.';
  return 'The request was not accepted.';
}

function queryString(query) {
  if (!query) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/* The ApiError of an answer's status and parsed payload. */
function errorOf(status, payload) {
  const e = payload && payload.error;
  return new ApiError(status, (e && e.code) || `HTTP_${status}`,
    (e && e.message) || fallbackMessage(status), e && e.field);
}

async function errorFrom(res) {
  let payload = null;
  try { payload = await res.json(); } catch { /* not JSON */ }
  return errorOf(res.status, payload);
}

export function report(err) {
  if (err instanceof ApiError) toast(err.message, 'error', err.code);
  else toast(String(err && err.message ? err.message : err), 'error');
}

/* request('PATCH', '/api/tickets/42', {body, query, headers, quiet})
 *   -> {data, status, etag, headers}: data is the parsed JSON answer (the
 *   whole document: {"data": ...} or a list {data, total, limit, offset}). */
export async function request(method, path, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  const init = { method, headers, credentials: 'same-origin' };
  if (opts.body !== undefined) {
    init.body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path + queryString(opts.query), init);
  } catch {
    const err = new ApiError(0, 'NETWORK', fallbackMessage(0));
    if (!opts.quiet) report(err);
    throw err;
  }
  if (!res.ok && res.status !== 304) {
    const err = await errorFrom(res);
    if (!opts.quiet) report(err);
    /* The session ended under the page (not a wrong password). */
    if (res.status === 401 && !opts.quiet && path !== '/api/auth/login') toSignIn();
    throw err;
  }
  let data = null;
  if (res.status !== 204 && res.status !== 304) {
    const text = await res.text();
    data = text ? JSON.parse(text) : null;
  }
  return { data, status: res.status, etag: res.headers.get('ETag'), headers: res.headers };
}

/* The usual verbs, each resolving to the parsed answer. */
export const api = {
  get: async (path, query, opts = {}) => (await request('GET', path, { ...opts, query })).data,
  post: async (path, body, opts = {}) => (await request('POST', path, { ...opts, body })).data,
  patch: async (path, body, opts = {}) => (await request('PATCH', path, { ...opts, body })).data,
  put: async (path, body, opts = {}) => (await request('PUT', path, { ...opts, body })).data,
  del: async (path, opts = {}) => (await request('DELETE', path, opts)).data,
};

/* A file to an attachments endpoint, as multipart/form-data, with
 * progress (0..1) reported as it goes: fetch() cannot tell upload
 * progress, XMLHttpRequest can. */
export function upload(path, file, onProgress, extra = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (ev) => {
      if (ev.lengthComputable && onProgress) onProgress(ev.loaded / ev.total);
    });
    xhr.addEventListener('load', () => {
      let payload = null;
      try { payload = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) {
        if (onProgress) onProgress(1);
        resolve(payload);
        return;
      }
      const err = errorOf(xhr.status, payload);
      report(err);
      if (xhr.status === 401) toSignIn();
      reject(err);
    });
    xhr.addEventListener('error', () => {
      const err = new ApiError(0, 'NETWORK', fallbackMessage(0));
      report(err);
      reject(err);
    });
    const form = new FormData();
    form.append('file', file, file.name);
    for (const [k, v] of Object.entries(extra)) form.append(k, v);
    xhr.send(form);
  });
}
