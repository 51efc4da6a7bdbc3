// 锁定 (#/security/lockouts): accounts and source addresses currently locked after repeated
// failed logins. The security administrator (lockout.write) can lift a lockout early.
import { onMounted } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';
import { Refresh } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { can, reportError } from '../session.js';
import { formatDateTime } from '../format.js';
import { renderSecurityLockoutsPage } from '../gen/pages/security-lockouts.js';
import { CursorPager, useCursorPages } from './security-common.js';

const PAGE_SIZE = 20;

export default {
  name: 'SecurityLockoutsPage',
  components: { CursorPager },
  setup() {
    const canWrite = can('lockout.write');
    const pages = useCursorPages((cursor) => api.get('/api/v1/lockouts', { limit: PAGE_SIZE, cursor }));
    const { rows, loading, page, hasNext } = pages;
    // After a release the rows shift: start again from the first page.
    const load = () => pages.first().catch(reportError);
    const nextPage = () => pages.next().catch(reportError);
    const prevPage = () => pages.prev().catch(reportError);
    onMounted(load);
    const kindLabel = (k) => (k === 'account' ? '账号' : k === 'address' ? '来源地址' : k);
    async function release(l) {
      try {
        await ElMessageBox.confirm(`确定解除${kindLabel(l.kind)}“${l.subject}”的锁定？`, '解除锁定',
          { type: 'warning', confirmButtonText: '解除', cancelButtonText: '取消' });
      } catch { return; }
      try {
        await api.del(`/api/v1/lockouts/${l.id}`);
        ElMessage.success('已解除锁定');
        load();
      } catch (e) { reportError(e); }
    }
    return { rows, loading, page, hasNext, load, nextPage, prevPage, canWrite, kindLabel, release, formatDateTime, Refresh };
  },
  render: renderSecurityLockoutsPage,
};
