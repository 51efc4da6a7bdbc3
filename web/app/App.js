// The application frame: header, navigation menu (a drawer on phones) and the current page.
import { computed, ref, watch, watchEffect } from 'vue';
import { ElMessageBox } from 'element-plus';
import { ArrowDown, Expand as MenuIcon, UserFilled as UserIcon } from '@element-plus/icons-vue';
import { route, navigate, findPage } from './router.js';
import { pages, defaultPath, menuGroups } from './pages.js';
import { can, loadSession, logout, session, toLogin } from './session.js';
import LoginPage from './pages/login.js';
import PasswordPage from './pages/password.js';
import TotpPage from './pages/totp.js';
import { narrow } from './screen.js';
import { clearUnseen, live, startStream, stopStream } from './stream.js';
import { renderNavMenu, renderApp } from './gen/App.js';

export const SYSTEM_NAME = '城乡网格化服务管理信息系统';

const NavMenu = {
  name: 'NavMenu',
  props: { active: String },
  emits: ['picked'],
  setup(props, { emit }) {
    const pick = (path) => { navigate(path); emit('picked'); };
    // Only the entries the user's permissions allow; grouped entries under their submenu, placed
    // where the group's first entry is.
    const entries = computed(() => {
      const out = [];
      for (const p of pages) {
        if (p.hidden || !can(p.permission) || (p.menu && !p.menu(can))) continue;
        const g = p.group && menuGroups.find((x) => x.key === p.group);
        if (!g) { out.push({ key: p.path, page: p }); continue; }
        let e = out.find((x) => x.group === g);
        if (!e) out.push(e = { key: 'group:' + g.key, group: g, items: [] });
        e.items.push(p);
      }
      return out;
    });
    const opened = menuGroups.map((g) => 'group:' + g.key);
    return { entries, opened, pick };
  },
  render: renderNavMenu,
};

export default {
  name: 'App',
  components: { NavMenu, LoginPage, PasswordPage, TotpPage },
  setup() {
    const current = computed(() => findPage(pages, route.path));
    const drawer = ref(false);
    // loading → login (nobody logged in) → forced (password / TOTP first) → app.
    const mode = computed(() => {
      if (!session.loaded) return 'loading';
      if (!session.user) return session.loadError ? 'error' : 'login';
      return session.restricted ? 'forced' : 'app';
    });
    // The first page this user may open: the default one, else the first in their menu.
    const homePath = computed(() => {
      if (can(findPage(pages, defaultPath)?.permission)) return defaultPath;
      return pages.find((p) => !p.hidden && can(p.permission))?.path || defaultPath;
    });
    watch([mode, () => route.path], ([m, path]) => {
      if (m === 'login' && path !== '/login') toLogin();
      if (m === 'app' && path === '/login') {
        const next = route.query.next;
        navigate(next && next.startsWith('/') && next !== '/login' ? next : homePath.value);
      }
    }, { immediate: true });
    loadSession();
    // Live updates while someone who reads matters is in; the badge clears on the queue.
    watch([mode, () => session.user && can('matter.read')], ([m, reads]) => {
      if (m === 'app' && reads) startStream();
      else stopStream();
    }, { immediate: true });
    watch([() => route.path, () => live.unseen], ([p]) => { if (p === '/matters') clearUnseen(); }, { immediate: true });
    const openQueue = () => { clearUnseen(); navigate('/matters'); };
    const allowed = computed(() => !current.value || can(current.value.permission));
    watchEffect(() => {
      const title = mode.value === 'login' ? '登录' : current.value?.title;
      document.title = title ? `${title} - ${SYSTEM_NAME}` : SYSTEM_NAME;
    });
    const goHome = () => navigate(homePath.value);
    async function onUserCommand(cmd) {
      if (cmd === 'password' || cmd === 'totp') navigate('/' + cmd);
      else if (cmd === 'logout') logout();
      else if (cmd === 'logout-all') {
        try {
          await ElMessageBox.confirm('将退出您在所有设备和浏览器上的登录，确定继续？', '退出所有设备',
            { type: 'warning', confirmButtonText: '全部退出', cancelButtonText: '取消' });
        } catch { return; }
        logout({ everywhere: true });
      }
    }
    return { SYSTEM_NAME, current, drawer, narrow, goHome, MenuIcon, ArrowDown, UserIcon, mode, session, route,
      allowed, onUserCommand, loadSession, live, openQueue };
  },
  render: renderApp,
};
