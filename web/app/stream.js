// Live updates (GET /api/v1/stream, docs/api-stream.md): one EventSource for the whole app,
// opened while someone who may read matters is logged in. Pages subscribe with onMatterChange
// and refetch what they show (an event carries only the matter's id, state, colour, version and
// time); the header's badge counts the changes since the page was opened until they are viewed.
// The browser reconnects by itself with Last-Event-ID; when the stream is refused (the session
// ended, or too many streams) it is tried again after a pause. "reset" (the server could not
// resume) tells every subscriber to reload.
import { reactive } from 'vue';

const RETRY_MS = 5000;
const listeners = new Set();
let source = null;
let retryTimer = null;

/** connected: the stream is open; unseen: changes since the page was opened, not yet viewed. */
export const live = reactive({ connected: false, unseen: 0 });

function emit(change) {
  for (const fn of listeners) {
    try { fn(change); } catch (e) { console.error(e); } // eslint-disable-line no-console
  }
}

/** Opens the stream (once). */
export function startStream() {
  if (source || typeof EventSource === 'undefined') return;
  clearTimeout(retryTimer);
  source = new EventSource('/api/v1/stream');
  source.addEventListener('open', () => { live.connected = true; });
  source.addEventListener('matter', (e) => {
    let change;
    try { change = JSON.parse(e.data); } catch { return; }
    live.unseen++;
    emit(change);
  });
  source.addEventListener('reset', () => emit({ kind: 'reset' }));
  source.addEventListener('error', () => {
    live.connected = false;
    // CONNECTING: the browser retries by itself. CLOSED: refused (401, 503): try again later.
    if (source && source.readyState === EventSource.CLOSED) {
      source = null;
      retryTimer = setTimeout(startStream, RETRY_MS);
    }
  });
}

/** Closes the stream (logout) and forgets the count. */
export function stopStream() {
  clearTimeout(retryTimer);
  if (source) source.close();
  source = null;
  live.connected = false;
  live.unseen = 0;
}

/** Calls fn(change) for each change ({matter, kind, state, alert, version, at} or {kind: 'reset'});
 * returns the function that unsubscribes. */
export function onMatterChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The changes were viewed (the queue was opened, or the badge clicked). */
export function clearUnseen() {
  live.unseen = 0;
}
