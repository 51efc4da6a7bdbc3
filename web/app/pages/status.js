// 系统状态: what GET /healthz says about the server and its database.
import { computed, onMounted, ref } from 'vue';
import { Refresh } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { can } from '../session.js';
import { formatDateTime, formatDuration } from '../format.js';
import { narrow } from '../screen.js';
import { renderStatusPage } from '../gen/pages/status.js';

export default {
  name: 'StatusPage',
  setup() {
    const health = ref(null);
    const calendarMissing = ref([]); // years (current, next) with no working-day calendar
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
    // Shown to those who can load a year (calendar.write); everyone sees it on the calendar page.
    if (can('calendar.write')) onMounted(() => api.get('/api/v1/calendar/years')
      .then((r) => { calendarMissing.value = r.missing; })
      .catch(() => { calendarMissing.value = []; }));

    const h = computed(() => health.value || {});
    return {
      health, error, loading, load, narrow, Refresh, calendarMissing,
      running: computed(() => h.value.status === 'ok'),
      dbOk: computed(() => h.value.database === 'ok'),
      uptime: computed(() => formatDuration(h.value.uptime_s)),
      time: computed(() => formatDateTime(h.value.time)),
    };
  },
  render: renderStatusPage,
};
