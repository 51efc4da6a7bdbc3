// A tiny hash router: '#/status?x=1' → route.path '/status', route.query { x: '1' }.
// Hash routing needs nothing from the server: every address is served by index.html.
import { reactive } from 'vue';

export const route = reactive({ path: '/', query: {} });

function read() {
  const hash = location.hash.replace(/^#/, '');
  const i = hash.indexOf('?');
  route.path = (i < 0 ? hash : hash.slice(0, i)) || '/';
  route.query = Object.fromEntries(new URLSearchParams(i < 0 ? '' : hash.slice(i + 1)));
}

export function navigate(path, query) {
  const qs = new URLSearchParams(query || {}).toString();
  location.hash = '#' + path + (qs ? '?' + qs : '');
}

// Reads the current address, sends an empty one to defaultPath, and follows later changes.
export function startRouter(defaultPath) {
  if (!location.hash || location.hash === '#' || location.hash === '#/') {
    history.replaceState(history.state, '', '#' + defaultPath);
  }
  read();
  window.addEventListener('hashchange', read);
}

// The page for a path: exact match, or a prefix match for sub-pages ('/matters/42' → '/matters').
export function findPage(pages, path) {
  return pages.find((p) => path === p.path || path.startsWith(p.path + '/')) || null;
}
