// 组织机构 (#/security/orgs): grid-management centers (city / county / township), departments,
// village and residents' committees and grid teams, each bound to a region, within the caller's
// scope. The system administrator (org.write) creates, renames and disables them.
import { onMounted, reactive, ref } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';
import { Plus, Refresh } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { can, reportError } from '../session.js';
import { formatDateTime } from '../format.js';
import { narrow } from '../screen.js';
import { renderSecurityOrgsPage } from '../gen/pages/security-orgs.js';
import { CursorPager, ORG_KINDS, ORG_LEVELS, RegionCascader, levelLabel, useCursorPages } from './security-common.js';

const PAGE_SIZE = 20;

export default {
  name: 'SecurityOrgsPage',
  components: { RegionCascader, CursorPager },
  setup() {
    const kind = ref('');
    const canWrite = can('org.write');
    // In region order, a page at a time.
    const pages = useCursorPages((cursor) => api.get('/api/v1/orgs', { kind: kind.value, limit: PAGE_SIZE, cursor }));
    const { rows, loading, page, hasNext } = pages;
    const load = () => pages.load().catch(reportError);
    const filterKind = () => pages.first().catch(reportError);
    const nextPage = () => pages.next().catch(reportError);
    const prevPage = () => pages.prev().catch(reportError);
    onMounted(load);

    const dlg = reactive({ open: false, id: 0, name: '', kind: 'department', level: '', region_code: '', error: '', busy: false });
    function openCreate() {
      Object.assign(dlg, { open: true, id: 0, name: '', kind: 'department', level: '', region_code: '', error: '' });
    }
    function openEdit(o) {
      Object.assign(dlg, { open: true, id: o.id, name: o.name, kind: o.kind, level: o.level || '', region_code: o.region_code, error: '' });
    }
    async function save() {
      dlg.error = '';
      if (!dlg.name.trim()) { dlg.error = '请填写机构名称'; return; }
      if (!dlg.id) {
        if (dlg.kind === 'center' && !dlg.level) { dlg.error = '请选择中心的层级'; return; }
        if (!/^\d{12}$/.test(dlg.region_code)) { dlg.error = '请选择所属行政区划'; return; }
      }
      dlg.busy = true;
      try {
        if (dlg.id) {
          await api.patch(`/api/v1/orgs/${dlg.id}`, { name: dlg.name.trim() });
        } else {
          const body = { name: dlg.name.trim(), kind: dlg.kind, region_code: dlg.region_code };
          if (dlg.kind === 'center') body.level = dlg.level;
          await api.post('/api/v1/orgs', body);
        }
        ElMessage.success(dlg.id ? '已保存' : '组织机构已创建');
        dlg.open = false;
        load();
      } catch (e) {
        if ([400, 404, 409].includes(e.status)) dlg.error = e.message; else reportError(e);
      } finally {
        dlg.busy = false;
      }
    }
    async function toggle(o) {
      const disable = !o.disabled;
      try {
        await ElMessageBox.confirm(disable ? `停用“${o.name}”后，其用户将无法登录。确定停用？` : `确定启用“${o.name}”？`,
          disable ? '停用组织机构' : '启用组织机构', { type: 'warning', confirmButtonText: disable ? '停用' : '启用', cancelButtonText: '取消' });
      } catch { return; }
      try {
        await api.patch(`/api/v1/orgs/${o.id}`, { disabled: disable });
        ElMessage.success(disable ? '已停用' : '已启用');
        load();
      } catch (e) { reportError(e); }
    }

    return { kind, page, hasNext, rows, loading, load, filterKind, nextPage, prevPage, canWrite, dlg, openCreate, openEdit, save, toggle,
      ORG_KINDS, ORG_LEVELS, levelLabel, formatDateTime, narrow, Plus, Refresh };
  },
  render: renderSecurityOrgsPage,
};
