// 审计日志 (#/audit): the auditor searches the audit trail by user, action, outcome and time
// range, pages through it newest first (keyset pages: 上一页 / 下一页, no total), and exports the
// same search as CSV (GET /api/v1/audit/export, itself recorded). Times are shown in Asia/Shanghai.
import { computed, onMounted, reactive, ref } from 'vue';
import { Download, Refresh, Search } from '@element-plus/icons-vue';
import { api, apiUrl } from '../api.js';
import { can, reportError } from '../session.js';
import { formatDateTime } from '../format.js';
import { narrow } from '../screen.js';
import { renderAuditPage } from '../gen/pages/audit.js';
import { CursorPager, useCursorPages } from './security-common.js';

const PAGE_SIZE = 50;

// Groups searched by prefix (the server takes an action ending in '*' as a prefix).
export const ACTION_GROUPS = {
  'session.*': '登录与退出（全部）',
  'user.*': '用户管理（全部）',
  'role.*': '角色管理（全部）',
  'token.*': '接口令牌（全部）',
};
export const ACTION_LABELS = {
  'session.login': '登录',
  'session.logout': '退出登录',
  'session.logout_all': '退出所有设备',
  'login.lockout': '登录锁定',
  'lockout.release': '解除锁定',
  'user.create': '新建用户',
  'user.update': '修改用户',
  'user.password_reset': '重置密码',
  'user.password_change': '修改密码',
  'user.roles': '分配角色',
  'user.grids': '绑定网格',
  'user.totp_reset': '重置双因素认证',
  'totp.enrol_begin': '开始启用双因素认证',
  'totp.enrol': '启用双因素认证',
  'role.create': '新建角色',
  'role.update': '修改角色',
  'role.delete': '删除角色',
  'org.create': '新建组织机构',
  'org.update': '修改组织机构',
  'token.create': '签发接口令牌',
  'token.revoke': '吊销接口令牌',
  'sensitive.unmask': '查看敏感信息原文',
  'audit.export': '导出审计日志',
};
// Actions the HTTP layer records for a write no handler recorded more precisely: "METHOD pattern".
export const ROUTE_ACTION_LABELS = {
  'POST /api/v1/regions': '新建区划',
  'PATCH /api/v1/regions/:code': '修改区划',
  'POST /api/v1/grids': '新建网格',
  'POST /api/v1/grids/merge': '合并网格',
  'PATCH /api/v1/grids/:code': '修改网格',
  'POST /api/v1/grids/:code/redraw': '重划网格边界',
  'POST /api/v1/grids/:code/split': '拆分网格',
  'POST /api/v1/grids/:code/retire': '撤销网格',
  'PUT /api/v1/session/password': '修改密码',
  'POST /api/v1/users': '新建用户',
  'PATCH /api/v1/users/:id': '修改用户',
  'PUT /api/v1/users/:id/roles': '分配角色',
  'PUT /api/v1/users/:id/grids': '绑定网格',
  'POST /api/v1/orgs': '新建组织机构',
  'PATCH /api/v1/orgs/:id': '修改组织机构',
  'POST /api/v1/roles': '新建角色',
  'PATCH /api/v1/roles/:id': '修改角色',
  'DELETE /api/v1/roles/:id': '删除角色',
  'DELETE /api/v1/lockouts/:id': '解除锁定',
  'POST /api/v1/tokens': '签发接口令牌',
  'DELETE /api/v1/tokens/:id': '吊销接口令牌',
};

// Details recorded in English (records are never rewritten, so older ones keep their text).
export const DETAIL_LABELS = {
  'wrong password': '密码错误',
  'wrong current password': '当前密码错误',
  'wrong totp code': '动态口令错误',
  'reused totp code': '动态口令已使用过',
  'wrong recovery code': '恢复码错误',
  'account locked': '账号已锁定',
  'source address locked': '来源地址已锁定',
  'account disabled': '账号已停用',
  'unknown user': '用户不存在',
  'second factor: totp': '第二因素：动态口令',
  'second factor: recovery code': '第二因素：恢复码',
  password: '密码（无第二因素）',
  'no permission sensitive.unmask': '无查看敏感信息原文的权限（sensitive.unmask）',
  label: '修改名称',
};

// A Chinese rendering of a detail: known phrases, "key=value" lists with known keys; else as is.
const DETAIL_KEYS = { status: 'HTTP 状态', code: '错误码', permission: '所需权限', reason: '理由',
  failures: '失败次数', window_s: '统计窗口（秒）', duration_s: '锁定时长（秒）', rows: '导出条数' };
export function detailText(d) {
  if (!d) return '';
  if (DETAIL_LABELS[d]) return DETAIL_LABELS[d];
  if (d.startsWith('reason=')) return `理由：${d.slice(7)}`;
  if (/^[a-z_]+=\S*( [a-z_]+=\S*)*$/.test(d)) {
    return d.split(' ').map((kv) => {
      const i = kv.indexOf('=');
      const k = kv.slice(0, i);
      return `${DETAIL_KEYS[k] || k}：${kv.slice(i + 1)}`;
    }).join('，');
  }
  return d;
}

export const OUTCOMES = { success: { text: '成功', type: 'success' }, failure: { text: '失败', type: 'danger' }, denied: { text: '拒绝', type: 'warning' } };

// Date 'YYYY-MM-DD' → the next day, for the exclusive upper bound of a date range.
export function nextDay(date) {
  const d = new Date(date + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export default {
  name: 'AuditPage',
  components: { CursorPager },
  setup() {
    const filter = reactive({ user: '', action: '', outcome: '', range: null });
    const canExport = can('audit.export');
    const actions = Object.entries({ ...ACTION_GROUPS, ...ACTION_LABELS }).map(([value, label]) => ({ value, label }));

    const query = computed(() => ({
      user: filter.user.trim(),
      action: filter.action,
      outcome: filter.outcome,
      from: filter.range?.[0] || '',
      to: filter.range?.[1] ? nextDay(filter.range[1]) : '',
    }));

    // The search last run: the table pages through it and the export downloads it.
    const applied = ref({});
    const pages = useCursorPages((cursor) => api.get('/api/v1/audit', { ...applied.value, limit: PAGE_SIZE, cursor }));
    const { rows, loading, page, hasNext } = pages;
    // 刷新 reloads the page shown; a new search starts again from the newest records.
    const load = () => pages.load().catch(reportError);
    const nextPage = () => pages.next().catch(reportError);
    const prevPage = () => pages.prev().catch(reportError);
    const search = () => { applied.value = { ...query.value }; pages.first().catch(reportError); };
    function reset() {
      Object.assign(filter, { user: '', action: '', outcome: '', range: null });
      search();
    }
    onMounted(load);

    const exportUrl = computed(() => apiUrl('/api/v1/audit/export', applied.value));
    const actionLabel = (a) => ACTION_LABELS[a] || ROUTE_ACTION_LABELS[a] || a;
    const orgText = (r) => r.org_name || (r.org_id ? `机构 ${r.org_id}` : '—');

    return { filter, page, rows, hasNext, loading, load, nextPage, prevPage, search, reset, actions, canExport, exportUrl,
      actionLabel, orgText, detailText, OUTCOMES, formatDateTime, narrow, Download, Refresh, Search };
  },
  render: renderAuditPage,
};
