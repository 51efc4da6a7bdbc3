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

// request('GET', '/healthz'); request('POST', '/api/x', { body: {...}, query: {...} }).
export async function request(method, path, { body, query, signal } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' }, signal };
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
    throw new ApiError(err?.message || `服务器返回错误（${res.status}）`,
      { status: res.status, code: err?.code || 'http_' + res.status, body: data });
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
