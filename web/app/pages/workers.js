// 网格员 (#/workers): the registry of grid workers in the caller's scope (R2, issue 9). A list with
// filters (township, type, status, certificate expiry) paged by cursor; a worker card with ID and
// phone numbers masked (holders of sensitive.unmask see them through the reason dialog), the grids
// served, the Art. 11 checks and the training, reward and pay records; an add/edit form whose
// refusals (身份证号码无效, 未满十八周岁, 国籍) show the server's Chinese message; the assignment
// to grids (one lead per grid) and the exit procedure (Art. 24); the import of a CSV or .xlsx file
// (all or nothing: the refused rows are listed with their line and reason) and its CSV template.
import { computed, onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { Download, Plus, Refresh, Search, Upload, View } from '@element-plus/icons-vue';
import { api, apiUrl, request } from '../api.js';
import { can, reportError } from '../session.js';
import { formatDateTime } from '../format.js';
import { narrow } from '../screen.js';
import { UnmaskDialog } from '../unmask.js';
import { renderWorkersPage } from '../gen/pages/workers.js';
import { CursorPager, useCursorPages } from './security-common.js';

const PAGE_SIZE = 20;
export const SOURCES = [
  { value: 'committee_member', label: '村/居委会成员' }, { value: 'mediator', label: '人民调解员' },
  { value: 'police_assistant', label: '警务助理' }, { value: 'villager_rep', label: '村民代表' },
  { value: 'resident_rep', label: '居民代表' }, { value: 'property_staff', label: '物业服务人员' },
  { value: 'volunteer', label: '志愿者' }, { value: 'other', label: '其他' },
];
const STATUS_TAG = { active: 'success', suspended: 'warning', exited: 'info' };
const RECORD_KINDS = [
  { value: 'training', label: '培训' }, { value: 'reward', label: '奖励' }, { value: 'penalty', label: '惩戒' },
  { value: 'pay', label: '薪酬' }, { value: 'allowance', label: '补贴' }, { value: 'insurance', label: '保险' },
];
const kindLabel = (k) => RECORD_KINDS.find((x) => x.value === k)?.label || k;
const ID_RE = /^(\d{17}[\dXx]|\d{15})$/;
// Today in Asia/Shanghai, the calendar of every date the server keeps.
const today = () => new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);

export default {
  name: 'WorkersPage',
  components: { UnmaskDialog, CursorPager },
  setup() {
    const perms = { write: can('worker.write'), unmask: can('sensitive.unmask'), export: can('worker.export') };
    const filter = reactive({ region: '', employment: '', status: 'active', cert_before: '' });
    const townships = ref([]);
    const query = () => ({ region: filter.region, employment: filter.employment, status: filter.status, cert_before: filter.cert_before });
    const pages = useCursorPages((cursor) => api.get('/api/v1/workers', { ...query(), limit: PAGE_SIZE, cursor }));
    const { rows, loading, page, hasNext } = pages;
    const load = () => pages.load().catch(reportError);
    const search = () => pages.first().catch(reportError);
    const nextPage = () => pages.next().catch(reportError);
    const prevPage = () => pages.prev().catch(reportError);
    const exportUrl = computed(() => apiUrl('/api/v1/workers/export.xlsx', query()));
    onMounted(async () => {
      load();
      try { townships.value = (await api.get('/api/v1/regions', { level: 4, limit: 200 })).items; } catch { townships.value = []; }
    });

    // ---- the card ----
    const card = ref(null);
    const cardOpen = ref(false);
    const cardTab = ref('info');
    const unmaskOpen = ref(false);
    const records = ref([]);
    const attestations = ref([]);
    async function openCard(w) {
      try {
        card.value = await api.get(`/api/v1/workers/${w.id}`);
        cardTab.value = 'info';
        cardOpen.value = true;
        loadRecords();
      } catch (e) { reportError(e); }
    }
    async function loadRecords() {
      if (!card.value) return;
      try {
        records.value = (await api.get(`/api/v1/workers/${card.value.id}/records`, { limit: 200 })).items;
        attestations.value = (await api.get(`/api/v1/workers/${card.value.id}/attestations`)).items;
      } catch (e) { reportError(e); }
    }
    const showUnmask = computed(() => perms.unmask && card.value && card.value.masked && (card.value.phone || card.value.id_number));
    const onUnmasked = (obj) => { card.value = obj; };

    // ---- add / edit ----
    const blank = () => ({ open: false, id: 0, version: 0, name: '', id_number: '', nationality: 'CHN', phone: '', work_phone: '',
      employment: 'full_time', part_time_source: '', education: '', certificate_no: '', certificate_valid_to: '', region: '',
      start_date: '', error: '', busy: false });
    const edit = reactive(blank());
    function openCreate() { Object.assign(edit, blank(), { open: true, region: filter.region }); }
    function openEdit() {
      const w = card.value;
      Object.assign(edit, blank(), { open: true, id: w.id, version: w.version, name: w.name, nationality: w.nationality,
        work_phone: w.work_phone || '', employment: w.employment, part_time_source: w.part_time_source || '',
        education: w.education || '', certificate_no: w.certificate_no || '', certificate_valid_to: w.certificate_valid_to || '',
        region: w.region.code, start_date: w.start_date });
    }
    async function saveWorker() {
      edit.error = '';
      if (!edit.name.trim()) { edit.error = '请填写姓名'; return; }
      if (!edit.id && !ID_RE.test(edit.id_number.trim())) { edit.error = '身份证号码应为 18 位（或 15 位旧号码）'; return; }
      if (edit.id_number.trim() && !ID_RE.test(edit.id_number.trim())) { edit.error = '身份证号码应为 18 位（或 15 位旧号码）'; return; }
      if (!edit.region) { edit.error = '请选择所属乡镇（街道）'; return; }
      if (edit.employment === 'part_time' && !edit.part_time_source) { edit.error = '兼职网格员须选择来源（条例第十二条）'; return; }
      const body = { name: edit.name.trim(), nationality: edit.nationality, employment: edit.employment, region: edit.region,
        work_phone: edit.work_phone.trim(), education: edit.education.trim(), certificate_no: edit.certificate_no.trim(),
        certificate_valid_to: edit.certificate_valid_to || '' };
      if (edit.employment === 'part_time') body.part_time_source = edit.part_time_source;
      if (edit.id_number.trim()) body.id_number = edit.id_number.trim().toUpperCase();
      if (edit.phone.trim()) body.phone = edit.phone.trim();
      if (edit.start_date) body.start_date = edit.start_date;
      edit.busy = true;
      try {
        if (edit.id) {
          card.value = await api.patch(`/api/v1/workers/${edit.id}`, { ...body, version: edit.version });
          ElMessage.success('网格员信息已保存');
        } else {
          card.value = await api.post('/api/v1/workers', body);
          ElMessage.success(`已登记网格员 ${card.value.name}`);
          records.value = [];
          attestations.value = [];
          cardTab.value = 'info';
          cardOpen.value = true;
        }
        edit.open = false;
        load();
      } catch (e) {
        if (e.status === 400 || e.status === 404 || e.status === 409) edit.error = e.message; else reportError(e);
      } finally {
        edit.busy = false;
      }
    }

    // ---- grids ----
    const gridDlg = reactive({ open: false, options: [], chosen: [], lead: [], error: '', busy: false });
    async function openGrids() {
      const w = card.value;
      Object.assign(gridDlg, { open: true, options: [], chosen: w.grids.map((g) => g.code),
        lead: w.grids.filter((g) => g.lead).map((g) => g.code), error: '' });
      try {
        gridDlg.options = (await api.get('/api/v1/grids', { region: w.region.code, limit: 200 })).items;
      } catch (e) { gridDlg.error = e.message; }
    }
    async function saveGrids() {
      gridDlg.busy = true;
      gridDlg.error = '';
      try {
        const grids = gridDlg.chosen.map((code) => ({ code, lead: gridDlg.lead.includes(code) }));
        card.value = await api.put(`/api/v1/workers/${card.value.id}/grids`, { grids });
        gridDlg.open = false;
        ElMessage.success('服务网格已保存');
        load();
      } catch (e) {
        if (e.status === 400 || e.status === 409) gridDlg.error = e.message; else reportError(e);
      } finally { gridDlg.busy = false; }
    }

    // ---- exit ----
    const exitDlg = reactive({ open: false, date: '', reason: '', error: '', busy: false });
    function openExit() { Object.assign(exitDlg, { open: true, date: today(), reason: '', error: '' }); }
    async function saveExit() {
      if ([...exitDlg.reason.trim()].length < 2) { exitDlg.error = '请填写离岗原因（至少 2 个字）'; return; }
      exitDlg.busy = true;
      try {
        card.value = await api.post(`/api/v1/workers/${card.value.id}/exit`, { date: exitDlg.date, reason: exitDlg.reason.trim() });
        exitDlg.open = false;
        ElMessage.success('已办理离岗，网格分配已结束');
        load();
      } catch (e) {
        if (e.status === 400 || e.status === 409) exitDlg.error = e.message; else reportError(e);
      } finally { exitDlg.busy = false; }
    }

    // ---- records ----
    const recDlg = reactive({ open: false, kind: 'training', date: '', topic: '', hours: '', organiser: '', amount: '',
      period_from: '', period_to: '', note: '', error: '', busy: false });
    function openRecord() { Object.assign(recDlg, { open: true, kind: 'training', date: today(), topic: '',
      hours: '', organiser: '', amount: '', period_from: '', period_to: '', note: '', error: '' }); }
    const isMoney = computed(() => ['pay', 'allowance', 'insurance'].includes(recDlg.kind));
    async function saveRecord() {
      const b = { kind: recDlg.kind, date: recDlg.date };
      if (recDlg.note.trim()) b.note = recDlg.note.trim();
      if (isMoney.value) Object.assign(b, { amount: recDlg.amount.trim(), period_from: recDlg.period_from, period_to: recDlg.period_to });
      else {
        b.topic = recDlg.topic.trim();
        if (recDlg.organiser.trim()) b.organiser = recDlg.organiser.trim();
        if (recDlg.kind === 'training') b.hours = recDlg.hours.trim();
      }
      recDlg.busy = true;
      recDlg.error = '';
      try {
        await api.post(`/api/v1/workers/${card.value.id}/records`, b);
        recDlg.open = false;
        loadRecords();
      } catch (e) {
        if (e.status === 400) recDlg.error = e.message; else reportError(e);
      } finally { recDlg.busy = false; }
    }

    // ---- import ----
    const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    const TEMPLATE_COLUMNS = ['姓名', '身份证号码', '国籍', '联系电话', '工作电话', '用工类型', '兼职来源', '文化程度',
      '上岗证编号', '上岗证有效期', '所属区划代码', '到岗日期'];
    const imp = reactive({ open: false, file: null, busy: false, error: '', rows: [] });
    function openImport() { Object.assign(imp, { open: true, file: null, busy: false, error: '', rows: [] }); }
    function pickFile(ev) {
      imp.file = ev.target.files && ev.target.files[0] || null;
      imp.error = '';
      imp.rows = [];
    }
    // The header row as a CSV with a byte order mark, so Excel opens it as UTF-8.
    function downloadTemplate() {
      const blob = new Blob(['\ufeff' + TEMPLATE_COLUMNS.join(',') + '\r\n'], { type: 'text/csv;charset=utf-8' });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = '网格员导入模板.csv';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    }
    async function runImport() {
      const f = imp.file;
      if (!f) return;
      imp.error = '';
      imp.rows = [];
      // A workbook is a ZIP archive: its first bytes say so whatever the file is called.
      const head = new Uint8Array(await f.slice(0, 4).arrayBuffer());
      const isXlsx = head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4;
      if (!isXlsx && !/\.(csv|txt)$/i.test(f.name)) {
        imp.error = '请上传 .csv 或 .xlsx 文件（旧版 .xls 请在 Excel 中另存为 .xlsx）';
        return;
      }
      imp.busy = true;
      try {
        const r = await request('POST', '/api/v1/workers/import', { body: f, contentType: isXlsx ? XLSX_TYPE : 'text/csv' });
        ElMessage.success(`已导入网格员 ${r.created} 名`);
        imp.open = false;
        load();
      } catch (e) {
        if (e.status === 400 || e.status === 413 || e.status === 415) {
          imp.error = e.message;
          imp.rows = e.body?.error?.rows || [];
        } else reportError(e);
      } finally { imp.busy = false; }
    }

    const certExpired = (w) => w.certificate_valid_to && w.certificate_valid_to < today();
    return { perms, filter, townships, rows, loading, page, hasNext, load, search, nextPage, prevPage, exportUrl,
      card, cardOpen, cardTab, unmaskOpen, showUnmask, onUnmasked, openCard, records, attestations,
      edit, openCreate, openEdit, saveWorker, gridDlg, openGrids, saveGrids, exitDlg, openExit, saveExit,
      recDlg, openRecord, saveRecord, isMoney, RECORD_KINDS, kindLabel, SOURCES, STATUS_TAG, certExpired,
      imp, openImport, pickFile, downloadTemplate, runImport,
      formatDateTime, narrow, Download, Plus, Refresh, Search, Upload, View };
  },
  render: renderWorkersPage,
};
