// 登录 (#/login): user name and password, then — when the server answers totp_required — the
// 6-digit dynamic code or a recovery code. Shown by App.js instead of the frame whenever nobody is
// logged in. Messages (wrong password, lockout until …) are the server's own Chinese text.
import { nextTick, reactive, ref } from 'vue';
import { Lock, User, Key } from '@element-plus/icons-vue';
import { login } from '../session.js';

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
  template: `
    <div class="login-screen">
      <div class="login-box">
        <div class="login-brand">
          <img src="favicon.svg" alt="" width="44" height="44">
          <div>
            <div class="login-system">{{ SYSTEM_NAME }}</div>
            <div class="login-sub">统一身份认证</div>
          </div>
        </div>
        <el-card class="login-card" shadow="always">
          <h1 class="login-title">{{ step === 'password' ? '用户登录' : '双因素认证' }}</h1>
          <el-alert v-if="error" class="login-error" type="error" :title="error" show-icon :closable="false" />
          <el-form v-if="step === 'password'" label-position="top" @submit.prevent="submit">
            <el-form-item label="用户名">
              <el-input ref="userInput" v-model="form.username" name="username" autocomplete="username"
                        :prefix-icon="User" placeholder="请输入用户名" size="large" autofocus />
            </el-form-item>
            <el-form-item label="密码">
              <el-input v-model="form.password" name="password" type="password" show-password
                        autocomplete="current-password" :prefix-icon="Lock" placeholder="请输入密码"
                        size="large" />
            </el-form-item>
            <el-button class="login-submit" type="primary" size="large" native-type="submit" :loading="busy">登录</el-button>
          </el-form>
          <el-form v-else label-position="top" @submit.prevent="submit">
            <p class="login-hint" v-if="!useRecovery">请打开手机上的身份验证器应用，输入显示的 6 位动态验证码。</p>
            <p class="login-hint" v-else>请输入一个尚未使用过的恢复码。每个恢复码只能使用一次。</p>
            <el-form-item :label="useRecovery ? '恢复码' : '动态验证码'">
              <el-input ref="codeInput" v-model="form.code" name="code" :prefix-icon="Key" size="large"
                        :maxlength="useRecovery ? 32 : 6" :inputmode="useRecovery ? 'text' : 'numeric'"
                        autocomplete="one-time-code" :placeholder="useRecovery ? '恢复码' : '6 位数字'" />
            </el-form-item>
            <el-button class="login-submit" type="primary" size="large" native-type="submit" :loading="busy">验证并登录</el-button>
            <div class="login-links">
              <el-link type="primary" underline="never" @click="toggleRecovery">
                {{ useRecovery ? '使用动态验证码' : '无法使用验证器？使用恢复码' }}</el-link>
              <el-link underline="never" @click="back">返回</el-link>
            </div>
          </el-form>
        </el-card>
        <p class="login-foot">仅限授权人员使用。登录、操作和查看敏感信息均记入审计日志。</p>
      </div>
    </div>`,
};
