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
import { renderSecurityRolesPage } from '../gen/pages/security-roles.js';

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
  render: renderSecurityRolesPage,
};
