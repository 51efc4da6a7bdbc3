// 两步验证 (#/totp): enrol a TOTP authenticator (RFC 6238). The server hands out a secret and an
// otpauth:// URI; no QR library is vendored, so the secret is shown in groups of four for typing
// into the app, with the URI to copy. A code from the app confirms, and the recovery codes are
// shown once. Also shown by App.js when an administrator must enrol before anything else.
// Beginning asks for the password again; an account that holds administrator or unmasking
// permissions (session.totpRequired) confirms with an activation code a security administrator
// issued to it (三员分立: whoever knows its one-time password cannot finish the enrolment).
import { computed, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { CopyDocument, CircleCheckFilled } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { loadSession, reportError, session } from '../session.js';
import { copyText } from './security-common.js';
import { renderTotpPage } from '../gen/pages/totp.js';

export const groupSecret = (s) => (s || '').replace(/\s+/g, '').match(/.{1,4}/g)?.join(' ') || '';

export default {
  name: 'TotpPage',
  props: { forced: Boolean },
  setup(props) {
    const stage = ref(session.totpEnrolled ? 'enrolled' : 'intro'); // intro | scan | codes | enrolled
    const secret = ref('');
    const uri = ref('');
    const code = ref('');
    const password = ref('');
    const activation = ref('');
    const recovery = ref([]);
    const error = ref('');
    const busy = ref(false);

    async function begin() {
      error.value = '';
      if (!password.value) { error.value = '请输入当前密码'; return; }
      busy.value = true;
      try {
        const r = await api.post('/api/v1/session/totp', { password: password.value });
        password.value = '';
        secret.value = r.secret;
        uri.value = r.otpauth_uri;
        stage.value = 'scan';
      } catch (e) {
        if (e.code === 'totp_enrolled') { stage.value = 'enrolled'; await loadSession(); }
        if (e.status === 400) error.value = e.message; else reportError(e);
      } finally {
        busy.value = false;
      }
    }

    async function confirm() {
      error.value = '';
      const c = code.value.replace(/\s+/g, '');
      if (!/^\d{6}$/.test(c)) { error.value = '请输入验证器显示的 6 位数字'; return; }
      const body = { code: c };
      if (session.totpRequired) {
        if (!activation.value.trim()) { error.value = '请输入安全管理员签发的激活码'; return; }
        body.activation_code = activation.value.trim();
      }
      busy.value = true;
      try {
        const r = await api.post('/api/v1/session/totp/confirm', body);
        activation.value = '';
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
      stage, secret, uri, code, password, activation, recovery, error, busy, begin, confirm, done, download, session,
      grouped: computed(() => groupSecret(secret.value)),
      copySecret: () => copyText(secret.value, '密钥'),
      copyUri: () => copyText(uri.value, '链接'),
      copyCodes: () => copyText(recovery.value.join('\n'), '恢复码'),
      CopyDocument, CircleCheckFilled,
    };
  },
  render: renderTotpPage,
};
