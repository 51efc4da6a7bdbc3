// 系统状态: what GET /healthz says about the server and its database.
import { computed, onMounted, ref } from 'vue';
import { Refresh } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { formatDateTime, formatDuration } from '../format.js';
import { narrow } from '../screen.js';

export default {
  name: 'StatusPage',
  setup() {
    const health = ref(null);
    const error = ref('');
    const loading = ref(false);

    async function load() {
      loading.value = true;
      try {
        health.value = await api.get('/healthz');
        error.value = '';
      } catch (e) {
        error.value = e.message;
        // A 503 may still describe the server (e.g. database down): show what it says.
        health.value = e.body && e.body.status ? e.body : null;
      } finally {
        loading.value = false;
      }
    }
    onMounted(load);

    const h = computed(() => health.value || {});
    return {
      health, error, loading, load, narrow, Refresh,
      running: computed(() => h.value.status === 'ok'),
      dbOk: computed(() => h.value.database === 'ok'),
      uptime: computed(() => formatDuration(h.value.uptime_s)),
      time: computed(() => formatDateTime(h.value.time)),
    };
  },
  template: `
    <el-card class="page-card" shadow="never">
      <template #header>
        <div class="card-head">
          <h1 class="page-title">系统状态</h1>
          <el-button :icon="Refresh" :loading="loading" @click="load">刷新</el-button>
        </div>
      </template>
      <el-alert v-if="error" class="status-error" type="error" title="服务不可用"
                :description="error" show-icon :closable="false" />
      <el-skeleton v-if="!health && loading" :rows="3" animated />
      <el-descriptions v-if="health" :column="narrow ? 1 : 2" border label-width="140px">
        <el-descriptions-item label="运行状态">
          <el-tag data-field="status" :type="running ? 'success' : 'danger'" effect="light" disable-transitions>
            {{ running ? '正常' : '异常' }}</el-tag>
        </el-descriptions-item>
        <el-descriptions-item label="版本">
          <span data-field="version">{{ health.version }}</span>
        </el-descriptions-item>
        <el-descriptions-item label="数据库">
          <el-tag data-field="database" :type="dbOk ? 'success' : 'danger'" effect="light" disable-transitions>
            {{ dbOk ? '正常' : '异常' }}</el-tag>
        </el-descriptions-item>
        <el-descriptions-item label="数据库结构版本">
          <span data-field="schema_version">{{ health.schema_version }}</span>
        </el-descriptions-item>
        <el-descriptions-item label="已运行">
          <span data-field="uptime">{{ uptime }}</span>
        </el-descriptions-item>
        <el-descriptions-item label="服务器时间">
          <span data-field="time">{{ time }}</span>
        </el-descriptions-item>
      </el-descriptions>
    </el-card>`,
};
