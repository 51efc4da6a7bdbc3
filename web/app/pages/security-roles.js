// 角色 (#/security/roles): built-in and custom roles with their permissions in Chinese. The
// security administrator (role.write) defines custom roles with a permission checklist grouped by
// area; built-in roles are fixed by the system. A role may hold permissions of at most one of the
// areas 系统管理 / 安全管理 / 安全审计 (三员分立): the checklist warns before the server refuses.
import { computed, onMounted, reactive, ref } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';
import { Plus, Refresh } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { can, reportError } from '../session.js';
import { narrow } from '../screen.js';
import { loadCatalog, permGroups, permLabel } from './security-common.js';

const ADMIN_FAMILIES = ['system', 'security', 'audit'];

export default {
  name: 'SecurityRolesPage',
  setup() {
    const roles = ref([]);
    const catalog = ref(null);
    const loading = ref(false);
    const canWrite = can('role.write');

    async function load() {
      loading.value = true;
      try {
        const [c, r] = await Promise.all([loadCatalog(), api.get('/api/v1/roles')]);
        catalog.value = c;
        roles.value = r.items;
      } catch (e) {
        reportError(e);
      } finally {
        loading.value = false;
      }
    }
    onMounted(load);

    const groups = computed(() => permGroups(catalog.value));
    const label = (n) => permLabel(catalog.value, n);

    const dlg = reactive({ open: false, id: 0, name: '', label: '', perms: [], error: '', busy: false });
    function openCreate() {
      Object.assign(dlg, { open: true, id: 0, name: '', label: '', perms: [], error: '' });
    }
    function openEdit(r) {
      Object.assign(dlg, { open: true, id: r.id, name: r.name, label: r.label, perms: [...r.permissions], error: '' });
    }
    const familyOf = (n) => catalog.value?.permissions.find((p) => p.name === n)?.family;
    const adminAreas = computed(() => new Set(dlg.perms.map(familyOf).filter((f) => ADMIN_FAMILIES.includes(f))));
    const separationWarning = computed(() => (adminAreas.value.size > 1
      ? '所选权限跨越了系统管理、安全管理、安全审计中的多个类别，违反三员分立原则，无法保存。' : ''));

    async function save() {
      dlg.error = '';
      if (!dlg.id && !/^[a-z0-9_]{3,32}$/.test(dlg.name)) { dlg.error = '角色标识须为 3 到 32 个小写字母、数字或下划线'; return; }
      if (!dlg.label.trim()) { dlg.error = '请填写角色名称'; return; }
      if (!dlg.perms.length) { dlg.error = '请至少选择一项权限'; return; }
      if (separationWarning.value) { dlg.error = separationWarning.value; return; }
      dlg.busy = true;
      try {
        if (dlg.id) await api.patch(`/api/v1/roles/${dlg.id}`, { label: dlg.label.trim(), permissions: dlg.perms });
        else await api.post('/api/v1/roles', { name: dlg.name, label: dlg.label.trim(), permissions: dlg.perms });
        ElMessage.success(dlg.id ? '角色已保存' : '角色已创建');
        dlg.open = false;
        load();
      } catch (e) {
        if ([400, 403, 409].includes(e.status)) { dlg.error = e.message; e.shown = true; }
        reportError(e);
      } finally {
        dlg.busy = false;
      }
    }

    async function remove(r) {
      try {
        await ElMessageBox.confirm(`确定删除自定义角色“${r.label}”？`, '删除角色',
          { type: 'warning', confirmButtonText: '删除', cancelButtonText: '取消' });
      } catch { return; }
      try {
        await api.del(`/api/v1/roles/${r.id}`);
        ElMessage.success('角色已删除');
        load();
      } catch (e) { reportError(e); }
    }

    return { roles, loading, load, canWrite, groups, label, dlg, openCreate, openEdit, save, remove,
      separationWarning, narrow, Plus, Refresh };
  },
  template: `
    <el-card class="page-card" shadow="never">
      <template #header>
        <div class="card-head">
          <h1 class="page-title">角色</h1>
          <div class="head-actions">
            <el-button :icon="Refresh" :loading="loading" @click="load">刷新</el-button>
            <el-button v-if="canWrite" type="primary" :icon="Plus" @click="openCreate">新建角色</el-button>
          </div>
        </div>
      </template>
      <el-table :data="roles" v-loading="loading" class="roles-table" row-key="id" empty-text="暂无角色">
        <el-table-column label="角色" min-width="150">
          <template #default="{ row }">
            <div class="role-name">{{ row.label }}</div>
            <div class="muted small">{{ row.name }}</div>
          </template>
        </el-table-column>
        <el-table-column label="类型" width="80">
          <template #default="{ row }">
            <el-tag size="small" :type="row.builtin ? 'info' : 'primary'" disable-transitions>{{ row.builtin ? '内置' : '自定义' }}</el-tag>
          </template>
        </el-table-column>
        <el-table-column label="权限" min-width="320">
          <template #default="{ row }">
            <el-tag v-for="p in row.permissions" :key="p" class="tag-gap" size="small" effect="plain" disable-transitions>{{ label(p) }}</el-tag>
          </template>
        </el-table-column>
        <el-table-column v-if="!narrow" prop="users" label="用户数" width="80" align="right" />
        <el-table-column v-if="canWrite" label="操作" width="120" fixed="right">
          <template #default="{ row }">
            <template v-if="!row.builtin">
              <el-button link type="primary" @click="openEdit(row)">编辑</el-button>
              <el-button link type="danger" :disabled="row.users > 0" @click="remove(row)">删除</el-button>
            </template>
            <span v-else class="muted small">系统规定</span>
          </template>
        </el-table-column>
      </el-table>
    </el-card>

    <el-dialog v-model="dlg.open" :title="dlg.id ? '编辑角色' : '新建角色'" width="min(640px, 96vw)" :close-on-click-modal="false" class="role-dialog">
      <el-alert v-if="dlg.error" class="block-gap form-error" type="error" :title="dlg.error" show-icon :closable="false" />
      <el-form label-position="top" @submit.prevent="save">
        <div class="form-row">
          <el-form-item label="角色标识" required class="grow">
            <el-input v-model="dlg.name" name="name" :disabled="!!dlg.id" placeholder="如 street_inspector" />
          </el-form-item>
          <el-form-item label="角色名称" required class="grow">
            <el-input v-model="dlg.label" name="label" placeholder="如 街道巡查员" />
          </el-form-item>
        </div>
        <el-form-item label="权限" required>
          <el-checkbox-group v-model="dlg.perms" class="perm-groups">
            <fieldset v-for="g in groups" :key="g.family" class="perm-group">
              <legend>{{ g.label }}</legend>
              <el-checkbox v-for="p in g.items" :key="p.name" :value="p.name">{{ p.label }}</el-checkbox>
            </fieldset>
          </el-checkbox-group>
        </el-form-item>
        <el-alert v-if="separationWarning" type="warning" :title="separationWarning" show-icon :closable="false" />
      </el-form>
      <template #footer>
        <el-button @click="dlg.open = false">取消</el-button>
        <el-button type="primary" :loading="dlg.busy" @click="save">{{ dlg.id ? '保存' : '创建' }}</el-button>
      </template>
    </el-dialog>`,
};
