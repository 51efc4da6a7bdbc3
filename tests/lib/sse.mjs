// Server-sent events for API tests (GET /api/v1/stream, docs/api-stream.md): opens a stream as a
// client (its session cookie, or its API token), parses the events as they arrive, and lets a
// test wait for one:
//
//   const s = await openStream(server, township);           // resolves once the headers are in
//   const ev = await s.next((e) => e.event === 'matter' && e.data.matter === id, 1000);
//   s.close();
//
// Each event is { event, id, data (parsed JSON, or the raw text), raw }; comment lines
// (heartbeats) are counted in s.comments.

/** Parses complete SSE blocks out of text; returns [events, rest]. */
function parseBlocks(text) {
  const events = [];
  let comments = 0;
  let i;
  while ((i = text.indexOf('\n\n')) >= 0) {
    const block = text.slice(0, i);
    text = text.slice(i + 2);
    const ev = { event: 'message', id: undefined, data: '', raw: block };
    let hasField = false;
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) { comments++; continue; }
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
      if (field === 'event') { ev.event = value; hasField = true; }
      if (field === 'id') { ev.id = value; hasField = true; }
      if (field === 'data') { data.push(value); hasField = true; }
    }
    if (!hasField || data.length === 0) continue;
    ev.data = data.join('\n');
    try { ev.data = JSON.parse(ev.data); } catch { /* raw text */ }
    events.push(ev);
  }
  return [events, text, comments];
}

/**
 * Opens GET /api/v1/stream (query: extra query string without '?'; lastEventId: the header).
 * Resolves to { status, headers, events, comments, ended, next(pred, ms), close(), text } once
 * the response headers arrived. For a non-200 answer, text holds the body.
 */
export async function openStream(server, client, { lastEventId, query = '', headers = {} } = {}) {
  const h = { accept: 'text/event-stream', ...headers };
  if (client?.cookie) h.cookie = `wg_session=${client.cookie}`;
  if (client?.token) h.authorization = `Bearer ${client.token}`;
  if (lastEventId !== undefined) h['last-event-id'] = String(lastEventId);
  const ac = new AbortController();
  const res = await fetch(`${server.url}/api/v1/stream${query ? `?${query}` : ''}`, { headers: h, signal: ac.signal });
  const s = {
    status: res.status, headers: res.headers, events: [], comments: 0, ended: false, text: '',
    waiters: [],
    close() { ac.abort(); },
    /** Resolves to the first event (seen or to come) matching pred; rejects after ms. */
    next(pred = () => true, ms = 2000) {
      const found = s.events.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve, timer: null };
        w.timer = setTimeout(() => {
          s.waiters = s.waiters.filter((x) => x !== w);
          reject(new Error(`no matching event within ${ms} ms; got ${JSON.stringify(s.events.map((e) => e.raw))}`));
        }, ms);
        s.waiters.push(w);
      });
    },
    /** Resolves when the server ended the body. */
    done: null,
  };
  if (res.status !== 200) {
    s.text = await res.text();
    s.ended = true;
    s.done = Promise.resolve();
    return s;
  }
  s.done = (async () => {
    const dec = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body) {
        buf += dec.decode(chunk, { stream: true });
        const [evs, rest, comments] = parseBlocks(buf);
        buf = rest;
        s.comments += comments;
        for (const ev of evs) {
          s.events.push(ev);
          for (const w of [...s.waiters]) {
            if (w.pred(ev)) {
              clearTimeout(w.timer);
              s.waiters = s.waiters.filter((x) => x !== w);
              w.resolve(ev);
            }
          }
        }
      }
    } catch (e) {
      if (e.name !== 'AbortError') throw e;
    }
    s.ended = true;
  })();
  s.done.catch(() => {});
  return s;
}
