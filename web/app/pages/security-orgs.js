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
  template: `
    <el-card class="page-card" shadow="never">
      <template #header>
        <div class="card-head">
          <h1 class="page-title">组织机构</h1>
          <div class="head-actions">
            <el-button :icon="Refresh" :loading="loading" @click="load">刷新</el-button>
            <el-button v-if="canWrite" type="primary" :icon="Plus" @click="openCreate">新建机构</el-button>
          </div>
        </div>
      </template>
      <el-radio-group v-model="kind" class="filter-bar kind-filter" @change="filterKind">
        <el-radio-button value="">全部</el-radio-button>
        <el-radio-button v-for="k in ORG_KINDS" :key="k.value" :value="k.value">{{ k.label }}</el-radio-button>
      </el-radio-group>
      <el-table :data="rows" v-loading="loading" class="orgs-table" row-key="id" empty-text="暂无组织机构">
        <el-table-column prop="name" label="机构名称" min-width="200" />
        <el-table-column label="类型" min-width="150">
          <template #default="{ row }">{{ row.kind_label }}<span v-if="row.level" class="muted">（{{ levelLabel(row.level) }}）</span></template>
        </el-table-column>
        <el-table-column v-if="!narrow" label="所属区划" min-width="160">
          <template #default="{ row }">{{ row.region_name }}<div class="muted small">{{ row.region_code }}</div></template>
        </el-table-column>
        <el-table-column label="状态" width="80">
          <template #default="{ row }">
            <el-tag size="small" :type="row.disabled ? 'info' : 'success'" disable-transitions>{{ row.disabled ? '已停用' : '正常' }}</el-tag>
          </template>
        </el-table-column>
        <el-table-column v-if="!narrow" label="创建时间" width="170">
          <template #default="{ row }">{{ formatDateTime(row.created_at) }}</template>
        </el-table-column>
        <el-table-column v-if="canWrite" label="操作" width="110" fixed="right">
          <template #default="{ row }">
            <el-button link type="primary" @click="openEdit(row)">改名</el-button>
            <el-button link :type="row.disabled ? 'primary' : 'danger'" @click="toggle(row)">{{ row.disabled ? '启用' : '停用' }}</el-button>
          </template>
        </el-table-column>
      </el-table>
      <cursor-pager :page="page" :has-next="hasNext" :loading="loading" @prev="prevPage" @next="nextPage" />
    </el-card>

    <el-dialog v-model="dlg.open" :title="dlg.id ? '修改机构名称' : '新建组织机构'" width="min(520px, 94vw)" :close-on-click-modal="false">
      <el-alert v-if="dlg.error" class="block-gap form-error" type="error" :title="dlg.error" show-icon :closable="false" />
      <el-form label-position="top" @submit.prevent="save">
        <el-form-item label="机构名称" required><el-input v-model="dlg.name" name="name" placeholder="如 东昌府区市场监督管理局" /></el-form-item>
        <template v-if="!dlg.id">
          <el-form-item label="机构类型" required>
            <el-select v-model="dlg.kind" class="full-width">
              <el-option v-for="k in ORG_KINDS" :key="k.value" :value="k.value" :label="k.label" />
            </el-select>
          </el-form-item>
          <el-form-item v-if="dlg.kind === 'center'" label="中心层级" required>
            <el-radio-group v-model="dlg.level">
              <el-radio v-for="l in ORG_LEVELS" :key="l.value" :value="l.value">{{ l.label }}</el-radio>
            </el-radio-group>
          </el-form-item>
          <el-form-item label="所属行政区划" required><region-cascader v-model="dlg.region_code" /></el-form-item>
        </template>
      </el-form>
      <template #footer>
        <el-button @click="dlg.open = false">取消</el-button>
        <el-button type="primary" :loading="dlg.busy" @click="save">{{ dlg.id ? '保存' : '创建' }}</el-button>
      </template>
    </el-dialog>`,
};
