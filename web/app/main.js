// Entry point: Vue + Element Plus in Chinese, the hash router, the application frame.
import { createApp } from 'vue';
import ElementPlus from 'element-plus';
import zhCn from 'element-plus/locale/zh-cn';
import App from './App.js';
import { startRouter } from './router.js';
import { defaultPath } from './pages.js';

startRouter(defaultPath);
createApp(App).use(ElementPlus, { locale: zhCn }).mount('#app');
