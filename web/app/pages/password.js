// 修改密码 (#/password): the current password and a new one twice. Also shown by App.js, before
// anything else, when the server says the password must be changed (first login, reset, expiry).
import { reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { api } from '../api.js';
import { loadSession, reportError, session } from '../session.js';
import { renderPasswordPage } from '../gen/pages/password.js';

export const PASSWORD_MIN = 12; // PASSWORD_MIN_CHARS in src/domain/identity.h

// Chinese reason when a new password obviously fails the policy, or '' (the server decides).
export function passwordProblem(password, username) {
  if ([...password].length < PASSWORD_MIN) return `密码至少 ${PASSWORD_MIN} 个字符`;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((r) => r.test(password)).length;
  if (classes < 3) return '密码须包含小写字母、大写字母、数字、符号中的至少三类';
  if (username && password.toLowerCase().includes(username.toLowerCase())) return '密码不能包含用户名';
  return '';
}

export default {
  name: 'PasswordPage',
  props: { forced: Boolean },
  setup() {
    const form = reactive({ old: '', next: '', again: '' });
    const error = ref('');
    const busy = ref(false);

    async function submit() {
      error.value = '';
      if (!form.old) { error.value = '请输入当前密码'; return; }
      const why = passwordProblem(form.next, session.user?.username);
      if (why) { error.value = why; return; }
      if (form.next !== form.again) { error.value = '两次输入的新密码不一致'; return; }
      busy.value = true;
      try {
        await api.put('/api/v1/session/password', { old_password: form.old, new_password: form.next });
        Object.assign(form, { old: '', next: '', again: '' });
        ElMessage.success('密码已修改，其他设备上的登录已退出');
        await loadSession(); // a forced change lifts the restriction: App.js moves on
      } catch (e) {
        if (e.status === 400 || e.status === 409) error.value = e.message;
        else reportError(e);
      } finally {
        busy.value = false;
      }
    }
    return { form, error, busy, submit, session, PASSWORD_MIN };
  },
  render: renderPasswordPage,
};
