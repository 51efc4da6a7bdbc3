// 用户 (#/security/users): the accounts in the caller's scope. What each administrator may do
// follows 三员分立: the system administrator (user.write) creates, edits, disables accounts and
// resets passwords; the security administrator (role.assign, user.totp_reset) grants roles and
// resets two-factor enrolment, issues activation codes, and manages the accounts of the security
// and audit side (reset, disable), which the system administrator may not. Only the buttons the
// current user may use are shown.
// Phone and ID numbers come masked; holders of sensitive.unmask see them through the reason dialog.
import { computed, onMounted, reactive, ref } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';
import { Plus, Refresh, Search, View } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { can, reportError, session } from '../session.js';
import { formatDateTime } from '../format.js';
import { narrow } from '../screen.js';
import { UnmaskDialog } from '../unmask.js';
import { renderSecurityUsersPage } from '../gen/pages/security-users.js';
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
      activate: can('user.activate'), adminWrite: can('user.admin_write'),
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
    const secret = reactive({ open: false, title: '', value: '', note: '', label: '密码' });
    // A password or activation code is shown once: gone from the page when the dialog closes.
    const closeSecret = () => { Object.assign(secret, { open: false, value: '', note: '' }); };
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
          Object.assign(secret, { open: true, label: '密码', title: `用户 ${u.username} 已创建`, value: u.one_time_password,
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
        Object.assign(secret, { open: true, label: '密码', title: `${u.username} 的新密码`, value: r.one_time_password,
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

    // ---- 三员分立 (security administrator): activation codes, and the accounts of the security
    // and audit side, which the system administrator may not manage. Which accounts they apply to
    // follows from the families of their roles' permissions (the server decides in the end).
    const roleFamilies = ref(new Map()); // role name → Set of 'system' | 'security' | 'audit' | 'unmask' | ...
    async function loadRoleFamilies() {
      if (!(perms.activate || perms.adminWrite) || !perms.roles) return;
      try {
        const [roles, cat] = await Promise.all([api.get('/api/v1/roles'), api.get('/api/v1/permissions')]);
        const family = new Map(cat.permissions.map((p) => [p.name, p.family]));
        roleFamilies.value = new Map(roles.items.map((r) => [r.name,
          new Set(r.permissions.map((p) => (p === 'sensitive.unmask' ? 'unmask' : family.get(p))))]));
      } catch (e) { reportError(e); }
    }
    onMounted(loadRoleFamilies);
    function familiesOf(u) {
      const out = new Set();
      for (const r of u.roles || []) for (const f of roleFamilies.value.get(r.name) || []) out.add(f);
      return out;
    }
    const adminSide = (u) => { const f = familiesOf(u); return f.has('security') || f.has('audit'); };
    const needsActivation = (u) => !u.totp_enabled
      && ['system', 'security', 'audit', 'unmask'].some((k) => familiesOf(u).has(k));
    async function issueActivation(u) {
      try {
        const r = await api.post(`/api/v1/users/${u.id}/activation`, {});
        Object.assign(secret, { open: true, label: '激活码', title: `${u.username} 的激活码`, value: r.activation_code,
          note: `有效期至 ${formatDateTime(r.expires_at)}。请当面交给本人：启用双因素认证时须输入此激活码，它只显示这一次。` });
      } catch (e) { reportError(e); }
    }
    async function adminReset(u) {
      try {
        await ElMessageBox.confirm(`将为管理员账号 ${u.display_name}（${u.username}）生成新的一次性密码，其现有登录将全部退出。确定重置？`,
          '重置密码', { type: 'warning', confirmButtonText: '重置', cancelButtonText: '取消' });
      } catch { return; }
      try {
        const r = await api.post(`/api/v1/users/${u.id}/admin-account/password-reset`, {});
        Object.assign(secret, { open: true, label: '密码', title: `${u.username} 的新密码`, value: r.one_time_password,
          note: '这是一次性密码：请通过安全渠道告知本人，登录时必须修改。' });
        load();
      } catch (e) { reportError(e); }
    }
    async function adminToggle(u) {
      const disable = !u.disabled;
      try {
        await ElMessageBox.confirm(`确定${disable ? '停用' : '启用'}管理员账号 ${u.display_name}（${u.username}）？`,
          disable ? '停用账号' : '启用账号', { type: 'warning', confirmButtonText: disable ? '停用' : '启用', cancelButtonText: '取消' });
      } catch { return; }
      try {
        await api.patch(`/api/v1/users/${u.id}/admin-account`, { disabled: disable });
        ElMessage.success(disable ? '账号已停用' : '账号已启用');
        load();
      } catch (e) { reportError(e); }
    }

    const isSelf = (u) => session.user && u.id === session.user.id;
    const hasActions = perms.write || perms.assign || perms.totp || perms.activate || perms.adminWrite;
    function onCommand(cmd, u) {
      ({ edit: openEdit, toggle: toggleDisabled, reset: resetPassword, roles: openRoles, totp: resetTotp,
        activation: issueActivation, adminReset, adminToggle })[cmd](u);
    }

    return {
      filter, page, hasNext, rows, loading, load, search, nextPage, prevPage, perms, narrow, hasActions, isSelf,
      detail, detailOpen, unmaskOpen, openDetail, showUnmask, onUnmasked,
      edit, openCreate, saveUser, secret, closeSecret, roleDlg, saveRoles, onCommand, adminSide, needsActivation,
      userStatus, formatDateTime, Plus, Refresh, Search, View,
    };
  },
  render: renderSecurityUsersPage,
};
