// Helpers for the residents' pages (/public/report/:code, /public/track/:code): fetch the form,
// answer its challenge, post it as a browser would (multipart/form-data), and read the answer.

const NUMERALS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

/** The value of a Chinese numeral 1..20 ("七", "十二", "二十"). */
export function numeralValue(s) {
  if (s === '十') return 10;
  if (s.startsWith('十')) return 10 + NUMERALS.indexOf(s.slice(1));
  if (s.endsWith('十')) return 10 * NUMERALS.indexOf(s[0]);
  return NUMERALS.indexOf(s);
}

/** The challenge of a form page, or null: { question, token, answer }. */
export function challengeIn(html) {
  const q = html.match(/<label for="challenge_answer">([^（<]+)加([^（<]+)等于多少？/);
  const t = html.match(/name="challenge_token" value="([^"]+)"/);
  if (!q || !t) return null;
  return { question: `${q[1]}加${q[2]}等于多少？`, token: t[1], answer: numeralValue(q[1]) + numeralValue(q[2]) };
}

/** The tracking code of a success page, or null. */
export function trackingIn(html) {
  const m = html.match(/href="\/public\/track\/([0-9A-Z]{16})"/);
  return m ? m[1] : null;
}

/** The text of the alert on a form page, or null. */
export function errorIn(html) {
  const m = html.match(/<p class="error" role="alert">([^<]*)<\/p>/);
  return m ? m[1] : null;
}

async function send(server, path, init) {
  const res = await fetch(`${server.url}${path}`, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** GET a page; headers optional (X-Forwarded-For behind a trusted proxy, a cookie). */
export function getPage(server, path, headers = {}) {
  return send(server, path, { headers });
}

/** POST fields and files [{ data, type?, name? }] as multipart/form-data to path. */
export function postForm(server, path, fields, files = [], headers = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, String(v));
  for (const f of files) form.append(f.field ?? 'photos', new Blob([f.data], { type: f.type ?? 'image/png' }), f.name ?? 'photo.jpg');
  return send(server, path, { method: 'POST', body: form, headers });
}

/**
 * Reports through the form of grid as a browser would: GET the page, answer its challenge when it
 * asks one (solve: false leaves it unanswered; answer overrides), POST. Resolves to the POST's
 * { status, text, code (the tracking code or null), challenge (the one asked, or null) }.
 */
export async function reportViaForm(server, grid, fields, { files = [], headers = {}, solve = true, answer } = {}) {
  const page = await getPage(server, `/public/report/${grid}`, headers);
  const ch = challengeIn(page.text);
  const extra = {};
  if (ch && solve) {
    extra.challenge_token = ch.token;
    extra.challenge_answer = answer ?? ch.answer;
  }
  const r = await postForm(server, `/public/report/${grid}`, { ...fields, ...extra }, files, headers);
  return { ...r, code: trackingIn(r.text), challenge: ch };
}
