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
        if (p.hidden || !can(p.permission)) continue;
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
  template: `
    <el-menu class="nav-menu" :default-active="active" :default-openeds="opened" @select="pick" aria-label="主导航">
      <template v-for="e in entries" :key="e.key">
        <el-sub-menu v-if="e.group" :index="e.key">
          <template #title><el-icon><component :is="e.group.icon" /></el-icon><span>{{ e.group.title }}</span></template>
          <el-menu-item v-for="p in e.items" :key="p.path" :index="p.path">
            <el-icon><component :is="p.icon" /></el-icon><span>{{ p.title }}</span>
          </el-menu-item>
        </el-sub-menu>
        <el-menu-item v-else :index="e.page.path">
          <el-icon><component :is="e.page.icon" /></el-icon>
          <span>{{ e.page.title }}</span>
        </el-menu-item>
      </template>
    </el-menu>`,
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
      allowed, onUserCommand, loadSession };
  },
  template: `
    <p v-if="mode === 'loading'" class="boot">正在加载…</p>
    <el-result v-else-if="mode === 'error'" class="boot-error" icon="error" title="无法连接服务器" :sub-title="session.loadError">
      <template #extra><el-button type="primary" @click="loadSession">重试</el-button></template>
    </el-result>
    <login-page v-else-if="mode === 'login'" />
    <el-container v-else class="layout">
      <el-header class="app-header" height="56px">
        <el-button v-if="narrow && mode === 'app'" class="menu-toggle" text :icon="MenuIcon"
                   aria-label="打开导航菜单" @click="drawer = true" />
        <a class="brand" href="#/" :title="SYSTEM_NAME">
          <img src="favicon.svg" alt="" width="28" height="28">
          <span class="brand-name">{{ narrow ? '网格' : SYSTEM_NAME }}</span>
        </a>
        <el-dropdown class="user-menu" trigger="click" @command="onUserCommand">
          <button type="button" class="user-button" aria-label="用户菜单">
            <el-icon class="user-avatar"><component :is="UserIcon" /></el-icon>
            <span class="user-text">
              <span class="user-name" data-field="display_name">{{ session.user.display_name }}</span>
              <span v-if="!narrow" class="user-org" data-field="org_name">{{ session.org && session.org.name }}</span>
            </span>
            <el-icon><component :is="ArrowDown" /></el-icon>
          </button>
          <template #dropdown>
            <div class="user-card">
              <div class="user-card-name">{{ session.user.display_name }}（{{ session.user.username }}）</div>
              <div class="user-card-org">{{ session.org && session.org.name }}</div>
              <div class="user-card-roles">{{ session.roles.map((r) => r.label).join('、') || '暂无角色' }}</div>
            </div>
            <el-dropdown-menu>
              <el-dropdown-item command="password" :disabled="mode === 'forced'">修改密码</el-dropdown-item>
              <el-dropdown-item command="totp" :disabled="mode === 'forced'">两步验证</el-dropdown-item>
              <el-dropdown-item command="logout" divided>退出登录</el-dropdown-item>
              <el-dropdown-item command="logout-all">退出所有设备</el-dropdown-item>
            </el-dropdown-menu>
          </template>
        </el-dropdown>
      </el-header>
      <el-main v-if="mode === 'forced'" class="app-main">
        <password-page v-if="session.mustChangePassword" forced />
        <totp-page v-else forced />
      </el-main>
      <el-container v-else class="layout-body">
        <el-aside v-if="!narrow" width="208px" class="app-aside">
          <nav-menu :active="current && current.path" />
        </el-aside>
        <el-drawer v-else v-model="drawer" direction="ltr" size="240px" title="功能菜单">
          <nav-menu :active="current && current.path" @picked="drawer = false" />
        </el-drawer>
        <el-main class="app-main">
          <el-result v-if="current && !allowed" icon="warning" title="无权限" sub-title="您没有访问此页面的权限，如需使用请联系安全管理员。">
            <template #extra><el-button type="primary" @click="goHome">返回首页</el-button></template>
          </el-result>
          <component v-else-if="current" :is="current.component" :key="current.path" />
          <el-result v-else-if="route.path !== '/login'" icon="warning" title="页面不存在" sub-title="您访问的页面不存在，请从菜单中选择。">
            <template #extra><el-button type="primary" @click="goHome">返回首页</el-button></template>
          </el-result>
        </el-main>
      </el-container>
    </el-container>`,
};
