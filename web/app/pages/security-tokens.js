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
  template: `
    <el-card class="page-card" shadow="never">
      <template #header>
        <div class="card-head">
          <h1 class="page-title">API 令牌</h1>
          <div class="head-actions">
            <el-button :icon="Refresh" :loading="loading" @click="load">刷新</el-button>
            <el-button v-if="canWrite" type="primary" :icon="Plus" @click="openCreate">签发令牌</el-button>
          </div>
        </div>
      </template>
      <p class="page-text muted">供其他系统调用接口使用（请求头 Authorization: Bearer 令牌）。令牌绑定组织机构和权限，到期或吊销后失效。</p>
      <el-table :data="rows" v-loading="loading" class="tokens-table" row-key="id" empty-text="暂无接口令牌">
        <el-table-column prop="name" label="名称" min-width="140" />
        <el-table-column label="前缀" width="130"><template #default="{ row }"><code>{{ row.prefix }}…</code></template></el-table-column>
        <el-table-column v-if="!narrow" prop="org_name" label="所属组织机构" min-width="180" />
        <el-table-column v-if="!narrow" label="权限" min-width="200">
          <template #default="{ row }">
            <el-tag v-for="p in row.permissions" :key="p" class="tag-gap" size="small" effect="plain" disable-transitions>{{ label(p) }}</el-tag>
          </template>
        </el-table-column>
        <el-table-column label="状态" width="80">
          <template #default="{ row }"><el-tag size="small" :type="state(row).type" disable-transitions>{{ state(row).text }}</el-tag></template>
        </el-table-column>
        <el-table-column v-if="!narrow" label="到期时间" width="170"><template #default="{ row }">{{ formatDateTime(row.expires_at) }}</template></el-table-column>
        <el-table-column v-if="!narrow" label="最近使用" width="170"><template #default="{ row }">{{ row.last_used_at ? formatDateTime(row.last_used_at) : '从未使用' }}</template></el-table-column>
        <el-table-column v-if="canWrite" label="操作" width="80" fixed="right">
          <template #default="{ row }"><el-button v-if="!row.revoked_at" link type="danger" @click="revoke(row)">吊销</el-button></template>
        </el-table-column>
      </el-table>
      <cursor-pager :page="page" :has-next="hasNext" :loading="loading" @prev="prevPage" @next="nextPage" />
    </el-card>

    <el-dialog v-model="dlg.open" title="签发接口令牌" width="min(560px, 94vw)" :close-on-click-modal="false">
      <el-alert v-if="dlg.error" class="block-gap form-error" type="error" :title="dlg.error" show-icon :closable="false" />
      <el-form label-position="top" @submit.prevent="save">
        <el-form-item label="名称" required><el-input v-model="dlg.name" name="name" placeholder="如 市大数据局数据共享" /></el-form-item>
        <el-form-item label="所属组织机构" required><org-select v-model="dlg.org_id" /></el-form-item>
        <el-form-item label="权限" required>
          <el-checkbox-group v-model="dlg.perms" class="perm-list">
            <el-checkbox v-for="p in grantable" :key="p.name" :value="p.name">{{ p.label }}</el-checkbox>
          </el-checkbox-group>
        </el-form-item>
        <el-form-item label="有效期">
          <el-radio-group v-model="dlg.days">
            <el-radio-button v-for="d in LIFETIMES" :key="d" :value="d">{{ d }} 天</el-radio-button>
          </el-radio-group>
        </el-form-item>
      </el-form>
      <template #footer>
        <el-button @click="dlg.open = false">取消</el-button>
        <el-button type="primary" :loading="dlg.busy" @click="save">签发</el-button>
      </template>
    </el-dialog>

    <el-dialog v-model="created.open" :title="'令牌“' + created.name + '”已签发'" width="min(600px, 96vw)"
               :close-on-click-modal="false" :show-close="false" class="secret-dialog">
      <once-secret :value="created.token" label="令牌" warning="令牌只显示这一次：系统只保存其摘要，关闭后无法再次查看。请立即复制并交给对接系统的管理员妥善保存。" />
      <p class="page-text">有效期至 {{ created.expires }}。</p>
      <template #footer><el-button type="primary" @click="closeCreated">我已保存</el-button></template>
    </el-dialog>`,
};
