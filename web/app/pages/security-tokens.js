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
import { OnceSecret, OrgSelect, loadCatalog, permLabel } from './security-common.js';
import { renderSecurityTokensPage } from '../gen/pages/security-tokens.js';

const LIFETIMES = [30, 90, 180, 365];

export default {
  name: 'SecurityTokensPage',
  components: { OnceSecret, OrgSelect },
  setup() {
    const rows = ref([]);
    const catalog = ref(null);
    const loading = ref(false);
    const canWrite = can('token.write');
    async function load() {
      loading.value = true;
      try {
        const [c, r] = await Promise.all([loadCatalog(), api.get('/api/v1/tokens')]);
        catalog.value = c;
        rows.value = r.items;
      } catch (e) {
        reportError(e);
      } finally {
        loading.value = false;
      }
    }
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
    return { rows, loading, load, canWrite, grantable, label, state, dlg, created, openCreate, save, closeCreated, revoke,
      LIFETIMES, formatDateTime, narrow, Plus, Refresh };
  },
  render: renderSecurityTokensPage,
};
