// 登录 (#/login): user name and password, then — when the server answers totp_required — the
// 6-digit dynamic code or a recovery code. Shown by App.js instead of the frame whenever nobody is
// logged in. Messages (wrong password, lockout until …) are the server's own Chinese text.
import { nextTick, reactive, ref } from 'vue';
import { Lock, User, Key } from '@element-plus/icons-vue';
import { login } from '../session.js';
import { renderLoginPage } from '../gen/pages/login.js';

export const SYSTEM_NAME = '城乡网格化服务管理信息系统';

export default {
  name: 'LoginPage',
  emits: ['done'],
  setup(props, { emit }) {
    const form = reactive({ username: '', password: '', code: '' });
    const step = ref('password'); // 'password' | 'totp'
    const useRecovery = ref(false);
    const error = ref('');
    const busy = ref(false);
    const codeInput = ref(null);
    const userInput = ref(null);

    // App.js then shows the page asked for (?next=), or the password / TOTP page first.
    function finish(s) {
      form.password = '';
      form.code = '';
      emit('done', s);
    }

    async function submit() {
      error.value = '';
      if (!form.username.trim() || !form.password) {
        error.value = '请输入用户名和密码';
        return;
      }
      const extra = {};
      if (step.value === 'totp') {
        const c = form.code.trim().replace(/\s+/g, '');
        if (useRecovery.value ? c.length < 6 : !/^\d{6}$/.test(c)) {
          error.value = useRecovery.value ? '请输入恢复码' : '请输入 6 位数字动态验证码';
          return;
        }
        if (useRecovery.value) extra.recoveryCode = c; else extra.totp = c;
      }
      busy.value = true;
      try {
        finish(await login(form.username.trim(), form.password, extra));
      } catch (e) {
        if (e.code === 'totp_required') {
          step.value = 'totp';
          await nextTick();
          codeInput.value?.focus();
        } else if (e.code === 'totp_invalid') {
          error.value = e.message;
          form.code = '';
          codeInput.value?.focus();
        } else {
          error.value = e.message;
          if (e.code === 'bad_credentials') form.password = '';
          if (step.value === 'totp' && e.code !== 'address_locked' && e.code !== 'account_locked') back();
        }
      } finally {
        busy.value = false;
      }
    }

    function back() {
      step.value = 'password';
      form.code = '';
      useRecovery.value = false;
      nextTick(() => userInput.value?.focus());
    }

    function toggleRecovery() {
      useRecovery.value = !useRecovery.value;
      form.code = '';
      error.value = '';
      nextTick(() => codeInput.value?.focus());
    }

    return { form, step, useRecovery, error, busy, submit, back, toggleRecovery, codeInput,
      userInput, SYSTEM_NAME, Lock, User, Key };
  },
  render: renderLoginPage,
};
