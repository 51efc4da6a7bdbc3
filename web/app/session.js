// The session store: who is logged in, with which organisation and permissions (what
// GET /api/v1/session answers), and the login / logout calls. The whole app reads `session`;
// pages ask can('user.write') before showing a button the server would refuse anyway.
//
// A 401 from any API call (session gone) clears the store and shows the login page; a 403 says
// 无权限 once (pages then skip their own message: see reportError).
import { reactive } from 'vue';
import { ElMessage } from 'element-plus';
import { api, onAuthError, setCsrfToken } from './api.js';
import { navigate, route } from './router.js';

export const session = reactive({
  loaded: false,      // the first GET /api/v1/session has answered
  user: null,         // { id, username, display_name } or null when logged out
  org: null,          // { id, name, region_code, region_path }
  roles: [],          // [{ name, label }]
  permissions: [],    // ['grid.read', ...]
  mustChangePassword: false,
  totpRequired: false,
  totpEnrolled: false,
  restricted: false,  // may use only the password / TOTP pages until that is done
  expiresAt: '',
  loadError: '',
});

function apply(s) {
  session.user = s.user;
  session.org = s.org;
  session.roles = s.roles || [];
  session.permissions = s.permissions || [];
  session.mustChangePassword = !!s.must_change_password;
  session.totpRequired = !!s.totp_required;
  session.totpEnrolled = !!s.totp_enrolled;
  session.restricted = !!s.restricted;
  if (s.expires_at) session.expiresAt = s.expires_at;
  if (s.csrf_token) setCsrfToken(s.csrf_token);
}

function clear() {
  Object.assign(session, {
    user: null, org: null, roles: [], permissions: [], mustChangePassword: false,
    totpRequired: false, totpEnrolled: false, restricted: false, expiresAt: '',
  });
  setCsrfToken('');
}

export function can(permission) {
  return !permission || session.permissions.includes(permission);
}

// Sends the browser to the login page, remembering where it was.
export function toLogin() {
  if (route.path === '/login' || location.hash.startsWith('#/login')) return;
  const next = route.path && route.path !== '/' ? route.path : '';
  navigate('/login', next ? { next } : undefined);
}

// Asks the server who we are. Resolves to true when logged in.
export async function loadSession() {
  try {
    apply(await api.get('/api/v1/session'));
    session.loadError = '';
    return true;
  } catch (e) {
    if (e.status === 401) {
      clear();
      session.loadError = '';
    } else {
      session.loadError = e.message;
    }
    return false;
  } finally {
    session.loaded = true;
  }
}

// POST /api/v1/session. Throws the ApiError (code bad_credentials, totp_required, totp_invalid,
// account_locked, address_locked ...) for the login page to show.
export async function login(username, password, { totp, recoveryCode } = {}) {
  const body = { username, password };
  if (totp) body.totp = totp;
  if (recoveryCode) body.recovery_code = recoveryCode;
  const s = await api.post('/api/v1/session', body);
  apply(s);
  return s;
}

// DELETE /api/v1/session (or /api/v1/sessions: every device). The store is cleared even when the
// server could not be reached: the user asked to leave.
export async function logout({ everywhere = false } = {}) {
  try {
    await api.del(everywhere ? '/api/v1/sessions' : '/api/v1/session');
  } catch (e) {
    if (e.status !== 401) ElMessage.error(e.message);
  }
  clear();
  navigate('/login');
}

// Shows an API failure as a message, unless the 403 handler already did.
export function reportError(e) {
  if (e && e.shown) return;
  ElMessage.error(e?.message || '操作失败');
}

onAuthError({
  unauthorized(e) {
    const was = !!session.user;
    clear();
    e.shown = true;
    if (was) ElMessage.warning(e.message || '登录已过期，请重新登录');
    toLogin();
  },
  forbidden(e) {
    e.shown = true;
    if (e.code === 'password_change_required' || e.code === 'totp_enrolment_required') {
      loadSession(); // the app then shows the page that lifts the restriction
      return;
    }
    if (e.code === 'csrf_failed') {
      ElMessage.error(e.message);
      return;
    }
    ElMessage.error({ message: `无权限：${e.message || '无权执行此操作'}`, grouping: true });
  },
});
