// 事项清单 (#/matter-items): the matter list (R6, Art. 16) for the departments and the center.
// A department proposes an item it is responsible for, or a revision; the center approves or
// returns it, publishes it to take effect on a date, and withdraws items; every version is kept
// and two can be compared side by side. The published list itself is public: /public/matter-list.
import { computed, onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { Plus, Refresh, Search } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { can, reportError } from '../session.js';
import { formatDateTime } from '../format.js';
import { narrow } from '../screen.js';
import { renderMatterItemsPage } from '../gen/pages/matter-items.js';
import { CursorPager, fetchAll, useCursorPages } from './security-common.js';

const PAGE_SIZE = 20;
const STATES = { in_force: ['现行有效', 'success'], scheduled: ['待生效', 'warning'], draft: ['草案', 'info'],
  withdrawn: ['已撤销', 'danger'], expired: ['已过期', 'info'] };
const VERSION_STATUS = { draft: '待审核', approved: '已审核待发布', published: '已发布', rejected: '已退回', withdrawn: '撤销' };
const ROLES = [{ value: 'report', label: '仅上报' }, { value: 'resolve', label: '可就地处置' }, { value: 'assist', label: '协助处置' }];
const LEVELS = [{ value: 'township', label: '乡镇（街道）' }, { value: 'county', label: '县（市、区）' }, { value: 'city', label: '市' }];
const URGENCIES = [{ value: 1, label: '一般' }, { value: 2, label: '紧急' }, { value: 3, label: '特急' }];
const STAGES = [{ key: 'accept', label: '受理' }, { key: 'handle', label: '处置' }, { key: 'verify', label: '核查' }];
const UNITS = [{ value: 'working_days', label: '工作日' }, { value: 'working_hours', label: '工作小时' }];

const limitText = (l) => (l ? `${l.amount} ${l.unit === 'working_hours' ? '工作小时' : '工作日'}` : '');
// A diff value as text: limits, department lists, or the value itself.
function valueText(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (Array.isArray(v)) return v.map((d) => d.name || d.id).join('、');
  if (typeof v === 'object' && 'amount' in v) return limitText(v);
  return String(v);
}
const today = () => new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);

export default {
  name: 'MatterItemsPage',
  components: { CursorPager },
  setup() {
    const canPropose = can('matter_item.propose');
    const canApprove = can('matter_item.approve');
    const filter = reactive({ category: '', state: '', q: '' });
    const categories = ref([]);
    const pages = useCursorPages((cursor) => api.get('/api/v1/matter-items', {
      category: filter.category || undefined, state: filter.state || undefined, q: filter.q.trim() || undefined, limit: PAGE_SIZE, cursor }));
    const { rows, loading, page, hasNext } = pages;
    const load = () => pages.load().catch(reportError);
    const search = () => pages.first().catch(reportError);
    const nextPage = () => pages.next().catch(reportError);
    const prevPage = () => pages.prev().catch(reportError);
    onMounted(() => {
      api.get('/api/v1/matter-items/categories').then((r) => { categories.value = r.items; }).catch(reportError);
      load();
    });
    const stateLabel = (s) => (STATES[s] || [s])[0];
    const stateType = (s) => (STATES[s] || [s, 'info'])[1];

    // The item drawer: current state, pending proposal, decisions, versions, diff.
    const item = reactive({ open: false, data: null, versions: [], pick: [], diff: null, busy: false, publishDate: '', withdrawDate: '', reason: '' });
    async function openItem(id) {
      Object.assign(item, { open: true, data: null, versions: [], pick: [], diff: null, publishDate: today(), withdrawDate: today(), reason: '' });
      await refreshItem(id);
    }
    async function refreshItem(id) {
      try {
        item.data = await api.get(`/api/v1/matter-items/${id}`);
        item.versions = await fetchAll(`/api/v1/matter-items/${id}/versions`, {}, { limit: 50, max: 500 });
      } catch (e) { reportError(e); }
    }
    const shown = computed(() => item.data && (item.data.in_force || item.data.deciding || item.data.latest_published || item.data.pending));
    async function decide(action, bodyOf) {
      item.busy = true;
      try {
        item.data = await api.post(`/api/v1/matter-items/${item.data.id}/${action}`, bodyOf());
        ElMessage.success({ approve: '已审核通过', reject: '已退回', publish: '已发布', withdraw: '已撤销' }[action]);
        await refreshItem(item.data.id);
        load();
      } catch (e) { reportError(e); } finally { item.busy = false; }
    }
    const approve = () => decide('approve', () => ({}));
    const reject = () => {
      if (!item.reason.trim()) { ElMessage.error('请填写退回理由'); return; }
      decide('reject', () => ({ reason: item.reason.trim() }));
    };
    const publish = () => decide('publish', () => ({ effective_from: item.publishDate }));
    const withdraw = () => {
      if (!item.reason.trim()) { ElMessage.error('请填写撤销理由'); return; }
      decide('withdraw', () => ({ effective_from: item.withdrawDate, reason: item.reason.trim() }));
    };
    async function compare() {
      if (item.pick.length !== 2) { ElMessage.error('请选择两个版本'); return; }
      const [a, b] = [...item.pick].sort((x, y) => x - y);
      try { item.diff = await api.get(`/api/v1/matter-items/${item.data.id}/diff`, { from: a, to: b }); } catch (e) { reportError(e); }
    }
    function togglePick(v) {
      const i = item.pick.indexOf(v);
      if (i >= 0) item.pick.splice(i, 1); else { item.pick.push(v); if (item.pick.length > 2) item.pick.shift(); }
    }

    // Propose a new item or a revision.
    const departments = ref([]);
    const form = reactive({ open: false, id: 0, error: '', busy: false, code: '', name: '', category: '', description: '',
      worker_role: 'report', default_level: 'township', urgency: 1, warn_share_pct: 70,
      limits: { accept: { amount: 4, unit: 'working_hours' }, handle: { amount: 5, unit: 'working_days' }, verify: { amount: 1, unit: 'working_days' } },
      departments: [], expires_on: '', note: '' });
    async function loadDepartments() {
      if (departments.value.length) return;
      try { departments.value = (await fetchAll('/api/v1/orgs', { kind: 'department' })).filter((o) => !o.disabled); } catch (e) { reportError(e); }
    }
    function openForm(base) {
      loadDepartments();
      const v = base || null;
      Object.assign(form, { open: true, id: v ? item.data.id : 0, error: '', code: v ? v.code : '', name: v ? v.name : '',
        category: v ? v.category : (categories.value[0]?.code || ''), description: v ? v.description : '',
        worker_role: v ? v.worker_role : 'report', default_level: v ? v.default_level : 'township', urgency: v ? v.urgency : 1,
        warn_share_pct: v ? v.warn_share_pct : 70,
        limits: JSON.parse(JSON.stringify(v ? v.limits : { accept: { amount: 4, unit: 'working_hours' }, handle: { amount: 5, unit: 'working_days' }, verify: { amount: 1, unit: 'working_days' } })),
        departments: v ? v.departments.map((d) => d.id) : [], expires_on: v?.expires_on || '', note: '' });
    }
    async function saveForm() {
      form.error = '';
      if (!form.id && !/^[A-Z0-9-]{2,31}$/.test(form.code)) { form.error = '事项编码应为 2 到 31 位大写字母、数字或连字符，例如 CG-001'; return; }
      if (!form.name.trim()) { form.error = '请填写事项名称'; return; }
      if (!form.departments.length) { form.error = '请选择责任部门（第一个为牵头部门）'; return; }
      const body = { name: form.name.trim(), category: form.category, description: form.description, worker_role: form.worker_role,
        default_level: form.default_level, urgency: form.urgency, warn_share_pct: form.warn_share_pct, limits: form.limits,
        departments: form.departments, expires_on: form.expires_on || null, note: form.note };
      if (!form.id) body.code = form.code;
      form.busy = true;
      try {
        const r = form.id ? await api.post(`/api/v1/matter-items/${form.id}/versions`, body) : await api.post('/api/v1/matter-items', body);
        ElMessage.success(form.id ? '修订已提交，待中心审核' : '事项已提出，待中心审核');
        form.open = false;
        load();
        if (item.open) await refreshItem(r.id);
      } catch (e) {
        if ([400, 403, 409].includes(e.status)) form.error = e.message; else reportError(e);
      } finally { form.busy = false; }
    }

    return { canPropose, canApprove, filter, categories, rows, loading, page, hasNext, load, search, nextPage, prevPage,
      stateLabel, stateType, item, openItem, shown, approve, reject, publish, withdraw, compare, togglePick,
      departments, form, openForm, saveForm, limitText, valueText, formatDateTime, narrow,
      VERSION_STATUS, ROLES, LEVELS, URGENCIES, STAGES, UNITS, Plus, Refresh, Search };
  },
  render: renderMatterItemsPage,
};
