// The one way pages talk to the server: JSON in, JSON out, the session cookie sent along.
// A failure of any kind throws an ApiError whose message is Chinese and fit to show to the user.
//
// Paths are resolved against the page's address, so '/api/grids' and 'api/grids' both mean
// <where index.html is>/api/grids: the system keeps working behind a proxy under a sub-path.

export class ApiError extends Error {
  constructor(message, { status = 0, code = 'network', body = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status; // HTTP status, 0 when no response arrived
    this.code = code;     // the server's error code, or 'network' / 'bad_response'
    this.body = body;     // the parsed response body, if any
  }
}

export function apiUrl(path, query) {
  const url = new URL(path.replace(/^\/+/, ''), document.baseURI);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
  return url.href;
}

// The session's CSRF token, sent as X-CSRF-Token on every state-changing request. It comes from
// the login answer (setCsrfToken) or, after a page reload, from the readable wg_csrf cookie.
let csrfToken = '';
export function setCsrfToken(token) { csrfToken = token || ''; }
function currentCsrf() {
  if (csrfToken) return csrfToken;
  const m = document.cookie.match(/(?:^|;\s*)wg_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : '';
}

// Called with the ApiError of every 401 "not logged in / session expired" (to return to the login
// page) and of every 403 (to say 无权限). Set once by the session store (web/app/session.js).
const authHandlers = { unauthorized: null, forbidden: null };
export function onAuthError({ unauthorized, forbidden } = {}) {
  authHandlers.unauthorized = unauthorized || null;
  authHandlers.forbidden = forbidden || null;
}
const SESSION_GONE = new Set(['unauthenticated', 'session_expired']);

// request('GET', '/healthz'); request('POST', '/api/x', { body: {...}, query: {...} }).
export async function request(method, path, { body, query, signal } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' }, signal };
  if (method !== 'GET' && method !== 'HEAD') {
    const token = currentCsrf();
    if (token) init.headers['X-CSRF-Token'] = token;
  }
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(apiUrl(path, query), init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError('无法连接服务器，请检查网络后重试');
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { /* not JSON: handled below */ }
  }
  if (!res.ok) {
    const err = data && data.error;
    const e = new ApiError(err?.message || `服务器返回错误（${res.status}）`,
      { status: res.status, code: err?.code || 'http_' + res.status, body: data });
    if (res.status === 401 && SESSION_GONE.has(e.code)) authHandlers.unauthorized?.(e);
    else if (res.status === 403) authHandlers.forbidden?.(e);
    throw e;
  }
  if (text && data === null) {
    throw new ApiError('服务器返回的数据无法解析', { status: res.status, code: 'bad_response' });
  }
  return data;
}

export const api = {
  get: (path, query, opts) => request('GET', path, { ...opts, query }),
  post: (path, body, opts) => request('POST', path, { ...opts, body }),
  put: (path, body, opts) => request('PUT', path, { ...opts, body }),
  patch: (path, body, opts) => request('PATCH', path, { ...opts, body }),
  del: (path, opts) => request('DELETE', path, opts),
};

// POST a FormData (multipart/form-data: fields and photos) with upload progress, which fetch does
// not report: onProgress(percent) as the body goes out. Resolves to the JSON answer, or rejects
// with an ApiError carrying the server's Chinese message, like request(). Duty records and
// matters send their photos with it.
export function postForm(path, form, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiUrl(path));
    xhr.setRequestHeader('Accept', 'application/json');
    const token = currentCsrf();
    if (token) xhr.setRequestHeader('X-CSRF-Token', token);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(Math.round((e.loaded / e.total) * 100)); };
    xhr.onerror = () => reject(new ApiError('无法连接服务器，请检查网络后重试'));
    xhr.onload = () => {
      let data = null;
      try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) { resolve(data); return; }
      const e = new ApiError(data?.error?.message || `服务器返回错误（${xhr.status}）`,
        { status: xhr.status, code: data?.error?.code || 'http_' + xhr.status, body: data });
      if (xhr.status === 401 && SESSION_GONE.has(e.code)) authHandlers.unauthorized?.(e);
      else if (xhr.status === 403) authHandlers.forbidden?.(e);
      reject(e);
    };
    xhr.send(form);
  });
}
