// 两步验证 (#/totp): enrol a TOTP authenticator (RFC 6238). The server hands out a secret and an
// otpauth:// URI; no QR library is vendored, so the secret is shown in groups of four for typing
// into the app, with the URI to copy. A code from the app confirms, and the recovery codes are
// shown once. Also shown by App.js when an administrator must enrol before anything else.
import { computed, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { CopyDocument, CircleCheckFilled } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { loadSession, reportError, session } from '../session.js';
import { copyText } from './security-common.js';

export const groupSecret = (s) => (s || '').replace(/\s+/g, '').match(/.{1,4}/g)?.join(' ') || '';

export default {
  name: 'TotpPage',
  props: { forced: Boolean },
  setup(props) {
    const stage = ref(session.totpEnrolled ? 'enrolled' : 'intro'); // intro | scan | codes | enrolled
    const secret = ref('');
    const uri = ref('');
    const code = ref('');
    const recovery = ref([]);
    const error = ref('');
    const busy = ref(false);

    async function begin() {
      busy.value = true;
      error.value = '';
      try {
        const r = await api.post('/api/v1/session/totp', {});
        secret.value = r.secret;
        uri.value = r.otpauth_uri;
        stage.value = 'scan';
      } catch (e) {
        if (e.code === 'totp_enrolled') { stage.value = 'enrolled'; await loadSession(); }
        reportError(e);
      } finally {
        busy.value = false;
      }
    }

    async function confirm() {
      error.value = '';
      const c = code.value.replace(/\s+/g, '');
      if (!/^\d{6}$/.test(c)) { error.value = '请输入验证器显示的 6 位数字'; return; }
      busy.value = true;
      try {
        const r = await api.post('/api/v1/session/totp/confirm', { code: c });
        recovery.value = r.recovery_codes || [];
        secret.value = '';
        uri.value = '';
        code.value = '';
        stage.value = 'codes';
      } catch (e) {
        if (e.status === 400 || e.status === 409) error.value = e.message;
        else reportError(e);
      } finally {
        busy.value = false;
      }
    }

    async function done() {
      recovery.value = [];
      await loadSession();
      stage.value = 'enrolled';
      ElMessage.success('双因素认证已启用');
    }

    function download() {
      const text = `城乡网格化服务管理信息系统 恢复码（${session.user?.username}）\n每个恢复码只能使用一次。\n\n${recovery.value.join('\n')}\n`;
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
      a.download = `recovery-codes-${session.user?.username || 'user'}.txt`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    }

    return {
      stage, secret, uri, code, recovery, error, busy, begin, confirm, done, download, session,
      grouped: computed(() => groupSecret(secret.value)),
      copySecret: () => copyText(secret.value, '密钥'),
      copyUri: () => copyText(uri.value, '链接'),
      copyCodes: () => copyText(recovery.value.join('\n'), '恢复码'),
      CopyDocument, CircleCheckFilled,
    };
  },
  template: `
    <el-card class="page-card narrow-card" shadow="never">
      <template #header><h1 class="page-title">两步验证</h1></template>
      <el-alert v-if="forced && stage !== 'codes'" class="block-gap" type="warning" show-icon :closable="false"
                title="您的账号持有管理权限，必须先启用双因素认证（动态验证码）后才能使用系统。" />

      <div v-if="stage === 'enrolled'" class="totp-enrolled">
        <el-result icon="success" title="已启用双因素认证" sub-title="登录时需输入身份验证器中的 6 位动态验证码。如更换或遗失手机，请联系安全管理员重置。" />
      </div>

      <div v-else-if="stage === 'intro'">
        <p class="page-text">启用后，登录时除密码外还需输入手机身份验证器应用（如“腾讯身份验证器”“Microsoft Authenticator”“Google Authenticator”）生成的 6 位动态验证码。</p>
        <el-button type="primary" :loading="busy" @click="begin">开始启用</el-button>
      </div>

      <div v-else-if="stage === 'scan'">
        <el-steps direction="vertical" :active="1" class="totp-steps">
          <el-step title="在验证器中添加账号">
            <template #description>
              <p class="page-text">在验证器应用中选择“手动输入密钥”，账号填写 <b>{{ session.user && session.user.username }}</b>，密钥如下（基于时间，6 位，30 秒）：</p>
              <div class="totp-secret-row">
                <code class="totp-secret" data-field="totp-secret">{{ grouped }}</code>
                <el-button :icon="CopyDocument" @click="copySecret">复制密钥</el-button>
              </div>
              <p class="page-text muted">或复制以下链接，在支持 otpauth 链接的应用中导入：</p>
              <div class="totp-secret-row">
                <el-input :model-value="uri" readonly data-field="totp-uri" class="totp-uri" />
                <el-button :icon="CopyDocument" @click="copyUri">复制链接</el-button>
              </div>
            </template>
          </el-step>
          <el-step title="输入验证器显示的验证码">
            <template #description>
              <el-alert v-if="error" class="block-gap form-error" type="error" :title="error" show-icon :closable="false" />
              <el-form class="totp-confirm" @submit.prevent="confirm">
                <el-input v-model="code" name="totp_code" maxlength="6" inputmode="numeric" placeholder="6 位数字"
                          autocomplete="one-time-code" class="totp-code" />
                <el-button type="primary" native-type="submit" :loading="busy">确认启用</el-button>
              </el-form>
            </template>
          </el-step>
        </el-steps>
      </div>

      <div v-else-if="stage === 'codes'">
        <el-alert type="warning" show-icon :closable="false" class="block-gap"
                  title="请立即保存以下恢复码：它们只显示这一次。"
                  description="手机丢失或无法使用验证器时，可用一个恢复码代替动态验证码登录；每个恢复码只能使用一次。请打印或保存在安全的地方，不要与密码放在一起。" />
        <ol class="recovery-codes" data-field="recovery-codes">
          <li v-for="c in recovery" :key="c"><code>{{ c }}</code></li>
        </ol>
        <div class="button-row">
          <el-button :icon="CopyDocument" @click="copyCodes">复制全部</el-button>
          <el-button @click="download">下载为文本文件</el-button>
          <el-button type="primary" @click="done">我已妥善保存</el-button>
        </div>
      </div>
    </el-card>`,
};
