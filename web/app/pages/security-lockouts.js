// 锁定 (#/security/lockouts): accounts and source addresses currently locked after repeated
// failed logins. The security administrator (lockout.write) can lift a lockout early.
import { onMounted } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';
import { Refresh } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { can, reportError } from '../session.js';
import { formatDateTime } from '../format.js';
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
  template: `
    <el-card class="page-card" shadow="never">
      <template #header>
        <div class="card-head">
          <h1 class="page-title">登录锁定</h1>
          <el-button :icon="Refresh" :loading="loading" @click="load">刷新</el-button>
        </div>
      </template>
      <p class="page-text muted">连续登录失败次数过多的账号或来源地址会被暂时锁定，到期自动解除。以下为当前仍在锁定中的记录。</p>
      <el-table :data="rows" v-loading="loading" class="lockouts-table" row-key="id" empty-text="当前没有被锁定的账号或地址">
        <el-table-column label="类型" width="100">
          <template #default="{ row }"><el-tag size="small" :type="row.kind === 'account' ? 'danger' : 'warning'" disable-transitions>{{ kindLabel(row.kind) }}</el-tag></template>
        </el-table-column>
        <el-table-column prop="subject" label="账号 / 地址" min-width="140" />
        <el-table-column label="锁定时间" min-width="160">
          <template #default="{ row }">{{ formatDateTime(row.locked_at) }}</template>
        </el-table-column>
        <el-table-column label="解除时间" min-width="160">
          <template #default="{ row }">{{ formatDateTime(row.until) }}</template>
        </el-table-column>
        <el-table-column v-if="canWrite" label="操作" width="100" fixed="right">
          <template #default="{ row }"><el-button link type="primary" @click="release(row)">解除锁定</el-button></template>
        </el-table-column>
      </el-table>
      <cursor-pager :page="page" :has-next="hasNext" :loading="loading" @prev="prevPage" @next="nextPage" />
    </el-card>`,
};
