// Helpers for photos in API tests (duty records, matters): small valid image files, and a multipart POST of a
// record with photos by a client of tests/lib/auth.mjs (its session cookie and CSRF token).

// A 1×1 PNG (valid: chromium shows it).
export const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** A PNG of n bytes (the 1×1 image with padding after IEND, which decoders ignore). */
export function pngOfSize(n) {
  const b = Buffer.alloc(Math.max(n, PNG_1X1.length));
  PNG_1X1.copy(b);
  return b;
}

/**
 * POST /api/v1/duty-records as multipart: fields (strings) and files [{ name, type, data }]
 * under "photos" (or file.field). Resolves to { status, headers, body, text }.
 */
export function postDutyMultipart(server, client, fields, files = []) {
  return postMultipart(server, client, '/api/v1/duty-records', fields, files);
}

/** POST path as multipart (matters too): like postDutyMultipart. */
export async function postMultipart(server, client, path, fields, files = []) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, String(v));
  for (const f of files) form.append(f.field ?? 'photos', new Blob([f.data], { type: f.type ?? 'image/png' }), f.name ?? 'photo.png');
  const headers = { accept: 'application/json' };
  if (client.cookie) headers.cookie = `wg_session=${client.cookie}`;
  if (client.csrf) headers['x-csrf-token'] = client.csrf;
  if (client.token) headers.authorization = `Bearer ${client.token}`;
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: form });
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  return { status: res.status, headers: res.headers, body, text };
}
