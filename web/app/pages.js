// The navigation menu and the routes, in one table: a new page is one line here.
// Only pages that work are listed. Planned, with the paths and icons to use:
//   /map 网格地图 (MapLocation), /grids 网格管理 (Grid), /matters 事项 (Tickets),
//   /assess 考核 (DataAnalysis), /security 安全管理 (Lock), /audit 审计 (Document).
import { Monitor } from '@element-plus/icons-vue';
import StatusPage from './pages/status.js';

export const pages = [
  { path: '/status', title: '系统状态', icon: Monitor, component: StatusPage },
];

export const defaultPath = '/status';
