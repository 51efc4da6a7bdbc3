// 用户 (#/security/users): the accounts in the caller's scope. What each administrator may do
// follows 三员分立: the system administrator (user.write) creates, edits, disables accounts and
// resets passwords; the security administrator (role.assign, user.totp_reset) grants roles and
// resets two-factor enrolment. Only the buttons the current user may use are shown.
// Phone and ID numbers come masked; holders of sensitive.unmask see them through the reason dialog.
import { computed, onMounted, reactive, ref } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';
import { Plus, Refresh, Search, View } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { can, reportError, session } from '../session.js';
import { formatDateTime } from '../format.js';
import { narrow } from '../screen.js';
import { UnmaskDialog } from '../unmask.js';
import { CursorPager, OnceSecret, OrgSelect, useCursorPages } from './security-common.js';

const PAGE_SIZE = 20;

export function userStatus(u) {
  if (u.disabled) return { text: '已停用', type: 'info' };
  if (u.locked) return { text: '已锁定', type: 'danger' };
  if (u.must_change_password) return { text: '待修改密码', type: 'warning' };
  return { text: '正常', type: 'success' };
}

export default {
  name: 'SecurityUsersPage',
  components: { UnmaskDialog, OnceSecret, OrgSelect, CursorPager },
  setup() {
    const filter = reactive({ q: '', org_id: null });
    const perms = {
      write: can('user.write'), assign: can('role.assign'), totp: can('user.totp_reset'),
      unmask: can('sensitive.unmask'), roles: can('role.read'),
    };

    // List items carry their roles ({name, label}), one query per page on the server.
    const pages = useCursorPages((cursor) => api.get('/api/v1/users', {
      q: filter.q.trim(), org_id: filter.org_id, limit: PAGE_SIZE, cursor,
    }));
    const { rows, loading, page, hasNext } = pages;
    const load = () => pages.load().catch(reportError);
    const search = () => pages.first().catch(reportError);
    const nextPage = () => pages.next().catch(reportError);
    const prevPage = () => pages.prev().catch(reportError);
    onMounted(load);

    // ---- detail, with unmasking ----
    const detail = ref(null);
    const detailOpen = ref(false);
    const unmaskOpen = ref(false);
    async function openDetail(u) {
      try {
        detail.value = await api.get(`/api/v1/users/${u.id}`);
        detailOpen.value = true;
      } catch (e) { reportError(e); }
    }
    const showUnmask = computed(() => perms.unmask && detail.value && detail.value.masked
      && (detail.value.phone || detail.value.id_number));
    const onUnmasked = (obj) => { detail.value = obj; };

    // ---- create / edit (system administrator) ----
    const edit = reactive({ open: false, id: 0, username: '', display_name: '', org_id: null, phone: '', id_number: '', error: '', busy: false });
    function openCreate() {
      Object.assign(edit, { open: true, id: 0, username: '', display_name: '', org_id: null, phone: '', id_number: '', error: '' });
    }
    function openEdit(u) {
      Object.assign(edit, { open: true, id: u.id, username: u.username, display_name: u.display_name,
        org_id: u.org.id, phone: '', id_number: '', error: '' });
    }
    const secret = reactive({ open: false, title: '', value: '', note: '' });
    async function saveUser() {
      edit.error = '';
      if (!edit.id && !/^[a-z0-9][a-z0-9_.-]{2,31}$/.test(edit.username)) {
        edit.error = '用户名须为 3 到 32 个小写字母、数字、下划线、点或连字符，以字母或数字开头'; return;
      }
      if (!edit.display_name.trim()) { edit.error = '请填写姓名'; return; }
      if (!edit.org_id) { edit.error = '请选择所属组织机构'; return; }
      const body = { display_name: edit.display_name.trim(), org_id: edit.org_id };
      if (edit.phone.trim()) body.phone = edit.phone.trim();
      if (edit.id_number.trim()) body.id_number = edit.id_number.trim().toUpperCase();
      edit.busy = true;
      try {
        if (edit.id) {
          await api.patch(`/api/v1/users/${edit.id}`, body);
          ElMessage.success('用户信息已保存');
        } else {
          const u = await api.post('/api/v1/users', { username: edit.username, ...body });
          Object.assign(secret, { open: true, title: `用户 ${u.username} 已创建`, value: u.one_time_password,
            note: '这是一次性初始密码：请通过安全渠道告知本人，首次登录时必须修改。新用户暂无角色，请联系安全管理员分配角色。' });
        }
        edit.open = false;
        load();
      } catch (e) {
        if (e.status === 400 || e.status === 404 || e.status === 409) edit.error = e.message; else reportError(e);
      } finally {
        edit.busy = false;
      }
    }

    async function toggleDisabled(u) {
      const disable = !u.disabled;
      try {
        await ElMessageBox.confirm(disable ? `停用后 ${u.display_name}（${u.username}）将无法登录，确定停用？`
          : `确定启用 ${u.display_name}（${u.username}）的账号？`, disable ? '停用账号' : '启用账号',
        { type: 'warning', confirmButtonText: disable ? '停用' : '启用', cancelButtonText: '取消' });
      } catch { return; }
      try {
        await api.patch(`/api/v1/users/${u.id}`, { disabled: disable });
        ElMessage.success(disable ? '账号已停用' : '账号已启用');
        load();
      } catch (e) { reportError(e); }
    }

    async function resetPassword(u) {
      try {
        await ElMessageBox.confirm(`将为 ${u.display_name}（${u.username}）生成新的一次性密码，其现有登录将全部退出。确定重置？`,
          '重置密码', { type: 'warning', confirmButtonText: '重置', cancelButtonText: '取消' });
      } catch { return; }
      try {
        const r = await api.post(`/api/v1/users/${u.id}/password-reset`, {});
        Object.assign(secret, { open: true, title: `${u.username} 的新密码`, value: r.one_time_password,
          note: '这是一次性密码：请通过安全渠道告知本人，登录时必须修改。' });
        load();
      } catch (e) { reportError(e); }
    }

    // ---- roles (security administrator) ----
    const roleDlg = reactive({ open: false, user: null, all: [], chosen: [], error: '', busy: false });
    async function openRoles(u) {
      try {
        const [roles, full] = await Promise.all([api.get('/api/v1/roles'), api.get(`/api/v1/users/${u.id}`)]);
        Object.assign(roleDlg, { open: true, user: full, all: roles.items, chosen: full.roles.map((r) => r.name), error: '' });
      } catch (e) { reportError(e); }
    }
    async function saveRoles() {
      roleDlg.busy = true;
      roleDlg.error = '';
      try {
        await api.put(`/api/v1/users/${roleDlg.user.id}/roles`, { roles: roleDlg.chosen });
        ElMessage.success('角色已更新');
        roleDlg.open = false;
        load();
      } catch (e) {
        if (e.status === 400 || e.status === 409 || e.code === 'self_grant') { roleDlg.error = e.message; e.shown = true; }
        reportError(e);
      } finally {
        roleDlg.busy = false;
      }
    }

    async function resetTotp(u) {
      try {
        await ElMessageBox.confirm(`将清除 ${u.display_name}（${u.username}）的双因素认证和恢复码，其下次登录时须重新启用。确定重置？`,
          '重置双因素认证', { type: 'warning', confirmButtonText: '重置', cancelButtonText: '取消' });
      } catch { return; }
      try {
        await api.del(`/api/v1/users/${u.id}/totp`);
        ElMessage.success('双因素认证已重置');
        load();
      } catch (e) { reportError(e); }
    }

    const isSelf = (u) => session.user && u.id === session.user.id;
    const hasActions = perms.write || perms.assign || perms.totp;
    function onCommand(cmd, u) {
      ({ edit: openEdit, toggle: toggleDisabled, reset: resetPassword, roles: openRoles, totp: resetTotp })[cmd](u);
    }

    return {
      filter, page, hasNext, rows, loading, load, search, nextPage, prevPage, perms, narrow, hasActions, isSelf,
      detail, detailOpen, unmaskOpen, openDetail, showUnmask, onUnmasked,
      edit, openCreate, saveUser, secret, roleDlg, saveRoles, onCommand,
      userStatus, formatDateTime, Plus, Refresh, Search, View,
    };
  },
  template: `
    <el-card class="page-card" shadow="never">
      <template #header>
        <div class="card-head">
          <h1 class="page-title">用户</h1>
          <div class="head-actions">
            <el-button :icon="Refresh" :loading="loading" @click="load">刷新</el-button>
            <el-button v-if="perms.write" type="primary" :icon="Plus" @click="openCreate">新建用户</el-button>
          </div>
        </div>
      </template>
      <el-form class="filter-bar" :inline="!narrow" @submit.prevent="search">
        <el-form-item label="搜索">
          <el-input v-model="filter.q" placeholder="用户名或姓名" clearable name="q" :prefix-icon="Search" />
        </el-form-item>
        <el-form-item label="组织机构">
          <org-select v-model="filter.org_id" clearable placeholder="全部" />
        </el-form-item>
        <el-form-item><el-button type="primary" native-type="submit">查询</el-button></el-form-item>
      </el-form>
      <el-table :data="rows" v-loading="loading" class="users-table" empty-text="暂无用户" row-key="id">
        <el-table-column prop="username" label="用户名" min-width="110" />
        <el-table-column prop="display_name" label="姓名" min-width="90" />
        <el-table-column v-if="!narrow" label="所属组织机构" min-width="180">
          <template #default="{ row }">{{ row.org.name }}</template>
        </el-table-column>
        <el-table-column v-if="!narrow" label="角色" min-width="150">
          <template #default="{ row }">
            <el-tag v-for="r in row.roles || []" :key="r.name" class="tag-gap" size="small" effect="plain" disable-transitions>{{ r.label }}</el-tag>
            <span v-if="row.roles && !row.roles.length" class="muted">无</span>
          </template>
        </el-table-column>
        <el-table-column label="状态" width="104">
          <template #default="{ row }">
            <el-tag :type="userStatus(row).type" size="small" disable-transitions>{{ userStatus(row).text }}</el-tag>
          </template>
        </el-table-column>
        <el-table-column v-if="!narrow" label="双因素" width="80">
          <template #default="{ row }">{{ row.totp_enabled ? '已启用' : '未启用' }}</template>
        </el-table-column>
        <el-table-column label="操作" :width="narrow ? 120 : 150" fixed="right">
          <template #default="{ row }">
            <el-button link type="primary" @click="openDetail(row)">详情</el-button>
            <el-dropdown v-if="hasActions && !isSelf(row)" trigger="click" @command="(c) => onCommand(c, row)">
              <el-button link type="primary" class="more-button">更多</el-button>
              <template #dropdown>
                <el-dropdown-menu>
                  <el-dropdown-item v-if="perms.write" command="edit">编辑</el-dropdown-item>
                  <el-dropdown-item v-if="perms.write" command="reset">重置密码</el-dropdown-item>
                  <el-dropdown-item v-if="perms.write" command="toggle">{{ row.disabled ? '启用账号' : '停用账号' }}</el-dropdown-item>
                  <el-dropdown-item v-if="perms.assign && perms.roles" command="roles">分配角色</el-dropdown-item>
                  <el-dropdown-item v-if="perms.totp && row.totp_enabled" command="totp">重置双因素认证</el-dropdown-item>
                </el-dropdown-menu>
              </template>
            </el-dropdown>
          </template>
        </el-table-column>
      </el-table>
      <cursor-pager :page="page" :has-next="hasNext" :loading="loading" @prev="prevPage" @next="nextPage" />
    </el-card>

    <el-drawer v-model="detailOpen" :size="narrow ? '100%' : '520px'" title="用户详情" class="user-detail">
      <template v-if="detail">
        <el-descriptions :column="1" border label-width="110px">
          <el-descriptions-item label="用户名">{{ detail.username }}</el-descriptions-item>
          <el-descriptions-item label="姓名">{{ detail.display_name }}</el-descriptions-item>
          <el-descriptions-item label="所属组织机构">{{ detail.org.name }}</el-descriptions-item>
          <el-descriptions-item label="角色">
            <el-tag v-for="r in detail.roles" :key="r.name" class="tag-gap" size="small" effect="plain">{{ r.label }}</el-tag>
            <span v-if="!detail.roles.length" class="muted">无</span>
          </el-descriptions-item>
          <el-descriptions-item v-if="detail.grids && detail.grids.length" label="负责网格">
            {{ detail.grids.map((g) => g.name).join('、') }}</el-descriptions-item>
          <el-descriptions-item label="手机号"><span data-field="phone">{{ detail.phone || '—' }}</span></el-descriptions-item>
          <el-descriptions-item label="身份证号"><span data-field="id_number">{{ detail.id_number || '—' }}</span></el-descriptions-item>
          <el-descriptions-item label="状态">
            <el-tag :type="userStatus(detail).type" size="small">{{ userStatus(detail).text }}</el-tag>
          </el-descriptions-item>
          <el-descriptions-item label="双因素认证">{{ detail.totp_enabled ? '已启用' : '未启用' }}</el-descriptions-item>
          <el-descriptions-item label="创建时间">{{ formatDateTime(detail.created_at) }}</el-descriptions-item>
          <el-descriptions-item label="密码修改时间">{{ formatDateTime(detail.password_changed_at) }}</el-descriptions-item>
        </el-descriptions>
        <div class="detail-foot">
          <el-button v-if="showUnmask" :icon="View" @click="unmaskOpen = true">查看原文</el-button>
          <el-tag v-else-if="!detail.masked && (detail.phone || detail.id_number)" type="warning" effect="plain" class="unmasked-note">
            正在显示原文（本次查看已记入审计日志）</el-tag>
          <span v-else-if="detail.masked && (detail.phone || detail.id_number)" class="muted">敏感信息已脱敏显示</span>
        </div>
        <unmask-dialog v-model="unmaskOpen" :path="'/api/v1/users/' + detail.id"
                       :subject="detail.display_name + '的手机号和身份证号'" @loaded="onUnmasked" />
      </template>
    </el-drawer>

    <el-dialog v-model="edit.open" :title="edit.id ? '编辑用户' : '新建用户'" width="min(520px, 94vw)" :close-on-click-modal="false">
      <el-alert v-if="edit.error" class="block-gap form-error" type="error" :title="edit.error" show-icon :closable="false" />
      <el-form label-position="top" @submit.prevent="saveUser">
        <el-form-item label="用户名" required>
          <el-input v-model="edit.username" name="username" :disabled="!!edit.id" placeholder="小写字母、数字，如 zhangsan" />
        </el-form-item>
        <el-form-item label="姓名" required><el-input v-model="edit.display_name" name="display_name" /></el-form-item>
        <el-form-item label="所属组织机构" required><org-select v-model="edit.org_id" /></el-form-item>
        <el-form-item label="手机号">
          <el-input v-model="edit.phone" name="phone" :placeholder="edit.id ? '不修改请留空' : '选填'" />
        </el-form-item>
        <el-form-item label="身份证号">
          <el-input v-model="edit.id_number" name="id_number" :placeholder="edit.id ? '不修改请留空' : '选填'" />
        </el-form-item>
      </el-form>
      <template #footer>
        <el-button @click="edit.open = false">取消</el-button>
        <el-button type="primary" :loading="edit.busy" @click="saveUser">{{ edit.id ? '保存' : '创建' }}</el-button>
      </template>
    </el-dialog>

    <el-dialog v-model="secret.open" :title="secret.title" width="min(520px, 94vw)" :close-on-click-modal="false" class="secret-dialog">
      <once-secret :value="secret.value" label="密码" />
      <p class="page-text">{{ secret.note }}</p>
      <template #footer><el-button type="primary" @click="secret.open = false">我已记下</el-button></template>
    </el-dialog>

    <el-dialog v-model="roleDlg.open" title="分配角色" width="min(560px, 94vw)" :close-on-click-modal="false">
      <template v-if="roleDlg.user">
        <p class="page-text">为 <b>{{ roleDlg.user.display_name }}</b>（{{ roleDlg.user.username }}，{{ roleDlg.user.org.name }}）选择角色。
          系统管理、安全管理、安全审计三类权限不能由同一用户同时持有（三员分立）。</p>
        <el-alert v-if="roleDlg.error" class="block-gap form-error" type="error" :title="roleDlg.error" show-icon :closable="false" />
        <el-checkbox-group v-model="roleDlg.chosen" class="role-checks">
          <el-checkbox v-for="r in roleDlg.all" :key="r.name" :value="r.name">
            {{ r.label }}<span class="option-note">{{ r.builtin ? '内置' : '自定义' }}</span>
          </el-checkbox>
        </el-checkbox-group>
      </template>
      <template #footer>
        <el-button @click="roleDlg.open = false">取消</el-button>
        <el-button type="primary" :loading="roleDlg.busy" @click="saveRoles">保存</el-button>
      </template>
    </el-dialog>`,
};
