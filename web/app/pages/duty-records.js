// 履职记录 (#/duty-records): the center's list of grid workers' duty records (Art. 13) in its
// scope, newest first, filtered by grid, duty and date range; keyset pages (上一页 / 下一页, no
// total); the first photo of each record as a thumbnail (served only to callers who may see the
// record).
import { onMounted, reactive, ref } from 'vue';
import { Refresh, Search } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { formatDateTime } from '../format.js';
import { narrow } from '../screen.js';
import { renderDutyRecordsPage } from '../gen/pages/duty-records.js';
import { CursorPager, useCursorPages } from './security-common.js';

export default {
  name: 'DutyRecordsPage',
  components: { CursorPager },
  setup() {
    const duties = ref([]);
    const error = ref('');
    const filter = reactive({ grid: '', duty: '', range: null });
    const pages = useCursorPages((cursor) => api.get('/api/v1/duty-records', {
      limit: 20, cursor, grid: filter.grid.trim(), duty: filter.duty,
      from: filter.range?.[0], to: filter.range?.[1],
    }));
    async function first() {
      error.value = '';
      try { await pages.first(); } catch (e) { error.value = e.message; }
    }
    function reset() {
      Object.assign(filter, { grid: '', duty: '', range: null });
      return first();
    }
    onMounted(async () => {
      try { duties.value = (await api.get('/api/v1/duty-types')).duties; } catch (e) { error.value = e.message; }
      await first();
    });
    return { ...pages, duties, error, filter, first, reset, narrow, formatDateTime, Refresh, Search };
  },
  render: renderDutyRecordsPage,
};
