// The navigation menu and the routes, in one table: a new page is one line here.
// Only pages that work are listed. Planned, with the paths and icons to use:
//   /assess 考核 (DataAnalysis).
import { Monitor } from '@element-plus/icons-vue';
import StatusPage from './pages/status.js';
import { DocumentChecked, Grid, MapLocation } from '@element-plus/icons-vue';
import MapPage from './pages/map.js';
import GridsPage from './pages/grids.js';
import ChecksPage from './pages/checks.js';
import { Document, Key, Lock, OfficeBuilding, Tickets, User, UserFilled, Unlock } from '@element-plus/icons-vue';
import PasswordPage from './pages/password.js';
import TotpPage from './pages/totp.js';
import SecurityRolesPage from './pages/security-roles.js';
import SecurityUsersPage from './pages/security-users.js';
import SecurityOrgsPage from './pages/security-orgs.js';
import SecurityLockoutsPage from './pages/security-lockouts.js';
import SecurityTokensPage from './pages/security-tokens.js';
import AuditPage from './pages/audit.js';
import { EditPen, Message } from '@element-plus/icons-vue';
import MattersPage from './pages/matters.js';
import InboxPage from './pages/inbox.js';
import ReportPage from './pages/report.js';
import { Avatar, DataBoard } from '@element-plus/icons-vue';
import WorkersPage from './pages/workers.js';
import StaffingPage from './pages/staffing.js';
import { Camera, Notebook } from '@element-plus/icons-vue';
import DutyPage from './pages/duty.js';
import DutyRecordsPage from './pages/duty-records.js';
import { Calendar, List } from '@element-plus/icons-vue';
import CalendarPage from './pages/calendar.js';
import MatterItemsPage from './pages/matter-items.js';
import { DataLine } from '@element-plus/icons-vue';
import DashboardPage from './pages/dashboard.js';
import { HomeFilled, Search as SearchIcon, Files } from '@element-plus/icons-vue';
import MyGridPage from './pages/my-grid.js';
import PeoplePage from './pages/people.js';
import { CircleCheck, Guide, School } from '@element-plus/icons-vue';
import VisitsPage from './pages/visits.js';
import RegistryQualityPage from './pages/registry-quality.js';
import UnitsPage from './pages/units.js';

export const pages = [
  { path: '/status', title: '系统状态', icon: Monitor, component: StatusPage },
  // Regions and grids (issue 3).
  { path: '/map', title: '网格地图', icon: MapLocation, component: MapPage, permission: 'grid.read' },
  { path: '/grids', title: '网格管理', icon: Grid, component: GridsPage, permission: 'grid.read' },
  { path: '/checks', title: '网格检查', icon: DocumentChecked, component: ChecksPage, permission: 'grid.check' },
  // Matters and their flow (issue 10). `menu(can)`: shown in the menu only when it says so (the
  // page still opens for every holder of `permission`: a department opens #/matters/:id).
  { path: '/matters', title: '事项受理', icon: Tickets, component: MattersPage, permission: 'matter.read',
    menu: (can) => can('matter.accept') || !can('matter.handle') },
  { path: '/inbox', title: '承办收件箱', icon: Message, component: InboxPage, permission: 'matter.handle',
    menu: (can) => !can('matter.self_handle') },
  // The command center's dashboard (issue 11).
  { path: '/dashboard', title: '指挥大屏', icon: DataLine, component: DashboardPage, permission: 'matter.stats' },
  { path: '/report', title: '上报事项', icon: EditPen, component: ReportPage, permission: 'matter.report' },
  // Duty records of grid workers (Art. 13; issue 9): the phone page of the worker, the centers' list.
  { path: '/duty', title: '登记履职', icon: Camera, component: DutyPage, permission: 'duty.write' },
  { path: '/duty-records', title: '履职记录', icon: Notebook, component: DutyRecordsPage, permission: 'duty.read' },
  // The matter list and the working-day calendar (issue 10). The calendar is for everyone.
  { path: '/matter-items', title: '事项清单', icon: List, component: MatterItemsPage, permission: 'matter_item.read' },
  { path: '/calendar', title: '工作日历', icon: Calendar, component: CalendarPage },
  // The basic-information registry (issue 12): the grid worker's phone page, the centers' search.
  { path: '/my-grid', title: '我的网格', icon: HomeFilled, component: MyGridPage, permission: 'registry.read', group: 'registry',
    menu: (can) => can('registry.write') },
  { path: '/people', title: '人口查询', icon: SearchIcon, component: PeoplePage, permission: 'person.read', group: 'registry',
    menu: (can) => !can('duty.write') },
  { path: '/visits', title: '重点人员走访', icon: Guide, component: VisitsPage, permission: 'person.key_read', group: 'registry' },
  { path: '/registry-quality', title: '数据核实', icon: CircleCheck, component: RegistryQualityPage, permission: 'person.read', group: 'registry' },
  { path: '/units', title: '单位', icon: School, component: UnitsPage, permission: 'registry.read', group: 'registry' },
  // Identity and access (issue 4). `permission`: the menu shows the entry, and the page opens,
  // only for holders (App.js filters); `group`: shown under that menuGroups entry; `hidden`: routed
  // but not in the menu (reached from the user menu in the header).
  { path: '/security/roles', title: '角色', icon: UserFilled, component: SecurityRolesPage, permission: 'role.read', group: 'security' },
  { path: '/security/users', title: '用户', icon: User, component: SecurityUsersPage, permission: 'user.read', group: 'security' },
  { path: '/security/orgs', title: '组织机构', icon: OfficeBuilding, component: SecurityOrgsPage, permission: 'org.read', group: 'security' },
  { path: '/security/lockouts', title: '登录锁定', icon: Unlock, component: SecurityLockoutsPage, permission: 'lockout.read', group: 'security' },
  { path: '/security/tokens', title: 'API 令牌', icon: Tickets, component: SecurityTokensPage, permission: 'token.read', group: 'security' },
  // Grid workers (issue 9).
  { path: '/workers', title: '网格员名册', icon: Avatar, component: WorkersPage, permission: 'worker.read', group: 'workers' },
  { path: '/staffing', title: '配备情况', icon: DataBoard, component: StaffingPage, permission: 'worker.read', group: 'workers' },
  { path: '/audit', title: '审计日志', icon: Document, component: AuditPage, permission: 'audit.read' },
  { path: '/password', title: '修改密码', icon: Key, component: PasswordPage, hidden: true },
  { path: '/totp', title: '两步验证', icon: Lock, component: TotpPage, hidden: true },
];

// Submenus of the navigation menu, by the `group` key of the entries above.
export const menuGroups = [
  { key: 'registry', title: '基础信息', icon: Files },
  { key: 'workers', title: '网格员', icon: Avatar },
  { key: 'security', title: '安全管理', icon: Lock },
];

export const defaultPath = '/status';
