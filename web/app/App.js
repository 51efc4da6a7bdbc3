// The application frame: header, navigation menu (a drawer on phones) and the current page.
import { computed, ref, watchEffect } from 'vue';
import { Expand as MenuIcon } from '@element-plus/icons-vue';
import { route, navigate, findPage } from './router.js';
import { pages, defaultPath } from './pages.js';
import { narrow } from './screen.js';

export const SYSTEM_NAME = '城乡网格化服务管理信息系统';

const NavMenu = {
  name: 'NavMenu',
  props: { active: String },
  emits: ['picked'],
  setup(props, { emit }) {
    const pick = (path) => { navigate(path); emit('picked'); };
    return { pages, pick };
  },
  template: `
    <el-menu class="nav-menu" :default-active="active" @select="pick" aria-label="主导航">
      <el-menu-item v-for="p in pages" :key="p.path" :index="p.path">
        <el-icon><component :is="p.icon" /></el-icon>
        <span>{{ p.title }}</span>
      </el-menu-item>
    </el-menu>`,
};

export default {
  name: 'App',
  components: { NavMenu },
  setup() {
    const current = computed(() => findPage(pages, route.path));
    const drawer = ref(false);
    watchEffect(() => {
      document.title = current.value ? `${current.value.title} - ${SYSTEM_NAME}` : SYSTEM_NAME;
    });
    const goHome = () => navigate(defaultPath);
    return { SYSTEM_NAME, current, drawer, narrow, goHome, MenuIcon };
  },
  template: `
    <el-container class="layout">
      <el-header class="app-header" height="56px">
        <el-button v-if="narrow" class="menu-toggle" text :icon="MenuIcon"
                   aria-label="打开导航菜单" @click="drawer = true" />
        <a class="brand" href="#/" :title="SYSTEM_NAME">
          <img src="favicon.svg" alt="" width="28" height="28">
          <span class="brand-name">{{ narrow ? '网格' : SYSTEM_NAME }}</span>
        </a>
      </el-header>
      <el-container class="layout-body">
        <el-aside v-if="!narrow" width="208px" class="app-aside">
          <nav-menu :active="current && current.path" />
        </el-aside>
        <el-drawer v-else v-model="drawer" direction="ltr" size="240px" title="功能菜单">
          <nav-menu :active="current && current.path" @picked="drawer = false" />
        </el-drawer>
        <el-main class="app-main">
          <component v-if="current" :is="current.component" :key="current.path" />
          <el-result v-else icon="warning" title="页面不存在" sub-title="您访问的页面不存在，请从菜单中选择。">
            <template #extra><el-button type="primary" @click="goHome">返回首页</el-button></template>
          </el-result>
        </el-main>
      </el-container>
    </el-container>`,
};
