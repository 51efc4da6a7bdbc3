// 配备情况 (#/staffing): Art. 10 staffing compliance of a region. Counts of grids that have an
// active full-time worker (达标), village grids under a marked exception (例外) and the rest (不达标),
// per county and township, the failing grids and the exceptions, and the .xlsx export. Holders of
// worker.write mark or clear the exception of a village grid from here.
import { computed, onMounted, reactive, ref } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';
import { Download, Refresh } from '@element-plus/icons-vue';
import { api, apiUrl } from '../api.js';
import { can, reportError, session } from '../session.js';
import { narrow } from '../screen.js';
import { renderStaffingPage } from '../gen/pages/staffing.js';

export default {
  name: 'StaffingPage',
  setup() {
    const perms = { write: can('worker.write'), export: can('worker.export') };
    const region = ref('');
    const regions = ref([]);
    const report = ref(null);
    const loading = ref(false);
    const error = ref('');
    async function load() {
      loading.value = true;
      error.value = '';
      try {
        report.value = await api.get('/api/v1/workers/compliance', { region: region.value });
        if (!region.value) region.value = report.value.region.code;
      } catch (e) { error.value = e.message; report.value = null; } finally { loading.value = false; }
    }
    onMounted(async () => {
      try {
        const [counties, towns] = await Promise.all([
          api.get('/api/v1/regions', { level: 3, limit: 200 }), api.get('/api/v1/regions', { level: 4, limit: 200 })]);
        regions.value = [...counties.items, ...towns.items];
      } catch { regions.value = []; }
      load();
    });
    const units = computed(() => report.value ? [
      { level: report.value.region.kind, ...report.value.region, ...report.value.totals, total: true },
      ...report.value.counties.map((c) => ({ level: '县（市、区）', ...c })),
      ...report.value.townships.map((t) => ({ level: '乡镇（街道）', ...t })),
    ] : []);
    const exportUrl = computed(() => apiUrl('/api/v1/workers/compliance.xlsx', { region: region.value }));

    const exc = reactive({ open: false, grid: null, reason: '', valid_to: '', error: '', busy: false });
    function openException(g) { Object.assign(exc, { open: true, grid: g, reason: '', valid_to: '', error: '' }); }
    async function saveException() {
      if ([...exc.reason.trim()].length < 2) { exc.error = '请填写例外原因（至少 2 个字）'; return; }
      exc.busy = true;
      try {
        const body = { reason: exc.reason.trim() };
        if (exc.valid_to) body.valid_to = exc.valid_to;
        await api.put(`/api/v1/grids/${exc.grid.code}/staffing-exception`, body);
        exc.open = false;
        ElMessage.success('已登记配备例外');
        load();
      } catch (e) { if (e.status === 400) exc.error = e.message; else reportError(e); } finally { exc.busy = false; }
    }
    async function clearException(g) {
      try {
        await ElMessageBox.confirm(`取消网格“${g.name}”的配备例外？取消后该网格将计为不达标。`, '取消例外', { type: 'warning', confirmButtonText: '取消例外', cancelButtonText: '返回' });
      } catch { return; }
      try { await api.del(`/api/v1/grids/${g.code}/staffing-exception`); load(); } catch (e) { reportError(e); }
    }
    return { perms, region, regions, report, loading, error, load, units, exportUrl, exc, openException, saveException,
      clearException, session, narrow, Download, Refresh };
  },
  render: renderStaffingPage,
};
