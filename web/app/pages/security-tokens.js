// API 令牌 (#/security/tokens): tokens other systems use (Authorization: Bearer …), each bound to
// an organisation and a subset of the permissions that may go on a token, with an expiry. The
// token text is shown once, at creation; the list shows only its prefix. Revocation is final.
import { computed, onMounted, reactive, ref } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';
import { Plus, Refresh } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { can, reportError } from '../session.js';
import { formatDateTime } from '../format.js';
import { narrow } from '../screen.js';
import { renderSecurityTokensPage } from '../gen/pages/security-tokens.js';
import { CursorPager, OnceSecret, OrgSelect, loadCatalog, permLabel, useCursorPages } from './security-common.js';

const LIFETIMES = [30, 90, 180, 365];
const PAGE_SIZE = 20;

export default {
  name: 'SecurityTokensPage',
  components: { OnceSecret, OrgSelect, CursorPager },
  setup() {
    const catalog = ref(null);
    const canWrite = can('token.write');
    // Newest first, a page at a time.
    const pages = useCursorPages(async (cursor) => {
      const [c, r] = await Promise.all([loadCatalog(), api.get('/api/v1/tokens', { limit: PAGE_SIZE, cursor })]);
      catalog.value = c;
      return r;
    });
    const { rows, loading, page, hasNext } = pages;
    // After a change the newest rows moved: start again from the first page.
    const load = () => pages.first().catch(reportError);
    const nextPage = () => pages.next().catch(reportError);
    const prevPage = () => pages.prev().catch(reportError);
    onMounted(load);
    const grantable = computed(() => (catalog.value?.permissions || []).filter((p) => p.token_grantable));
    const label = (n) => permLabel(catalog.value, n);
    const state = (t) => {
      if (t.revoked_at) return { text: '已吊销', type: 'info' };
      if (t.active === false || new Date(t.expires_at) <= new Date()) return { text: '已过期', type: 'warning' };
      return { text: '有效', type: 'success' };
    };

    const dlg = reactive({ open: false, name: '', org_id: null, perms: [], days: 90, error: '', busy: false });
    const created = reactive({ open: false, token: '', name: '', expires: '' });
    function openCreate() {
      Object.assign(dlg, { open: true, name: '', org_id: null, perms: [], days: 90, error: '' });
    }
    async function save() {
      dlg.error = '';
      if (!dlg.name.trim()) { dlg.error = '请填写令牌名称（用途或对接系统）'; return; }
      if (!dlg.org_id) { dlg.error = '请选择令牌所属组织机构'; return; }
      if (!dlg.perms.length) { dlg.error = '请至少选择一项权限'; return; }
      dlg.busy = true;
      try {
        const r = await api.post('/api/v1/tokens', { name: dlg.name.trim(), org_id: dlg.org_id, permissions: dlg.perms, expires_in_days: dlg.days });
        dlg.open = false;
        Object.assign(created, { open: true, token: r.token, name: dlg.name.trim(), expires: formatDateTime(r.expires_at) });
        load();
      } catch (e) {
        if ([400, 404].includes(e.status)) dlg.error = e.message; else reportError(e);
      } finally {
        dlg.busy = false;
      }
    }
    function closeCreated() {
      created.token = '';
      created.open = false;
    }
    async function revoke(t) {
      try {
        await ElMessageBox.confirm(`吊销后使用令牌“${t.name}”的系统将立即无法访问，且不可恢复。确定吊销？`, '吊销令牌',
          { type: 'warning', confirmButtonText: '吊销', cancelButtonText: '取消' });
      } catch { return; }
      try {
        await api.del(`/api/v1/tokens/${t.id}`);
        ElMessage.success('令牌已吊销');
        load();
      } catch (e) { reportError(e); }
    }
    return { rows, loading, page, hasNext, load, nextPage, prevPage, canWrite, grantable, label, state, dlg, created,
      openCreate, save, closeCreated, revoke,
      LIFETIMES, formatDateTime, narrow, Plus, Refresh };
  },
  render: renderSecurityTokensPage,
};
