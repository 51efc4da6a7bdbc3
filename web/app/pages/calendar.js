// 工作日历 (#/calendar): the year view of the working-day calendar (public holidays, make-up
// working days, weekends), the warning for years not loaded (deadlines of those years are refused,
// never guessed), loading a year from CSV and setting single days (calendar.write), the office
// hours, and the due-date calculator the dispatch dialog uses (GET /api/v1/calendar/due).
import { computed, onMounted, reactive, ref } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';
import { Refresh, Upload } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { can, reportError } from '../session.js';
import { formatDateTime } from '../format.js';
import { narrow } from '../screen.js';
import { renderCalendarPage } from '../gen/pages/calendar.js';

const WEEKDAYS = ['一', '二', '三', '四', '五', '六', '日'];
const pad = (n) => String(n).padStart(2, '0');

// The weeks (Monday first) of month m (0-11) of year y, each day {date, day, weekend, special}.
function monthWeeks(y, m, special) {
  const first = new Date(Date.UTC(y, m, 1));
  const days = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const lead = (first.getUTCDay() + 6) % 7;
  const cells = Array.from({ length: lead }, (_, i) => ({ key: `e${i}`, empty: true }));
  for (let d = 1; d <= days; d++) {
    const date = `${y}-${pad(m + 1)}-${pad(d)}`;
    const wd = new Date(Date.UTC(y, m, d)).getUTCDay();
    cells.push({ key: date, date, day: d, weekend: wd === 0 || wd === 6, special: special.get(date) || null });
  }
  const weeks = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
  return weeks;
}

export default {
  name: 'CalendarPage',
  setup() {
    const canWrite = can('calendar.write');
    const years = ref({ items: [], missing: [], office_hours: '', current_year: new Date().getFullYear() });
    const year = ref(new Date().getFullYear());
    const detail = ref(null);
    const loading = ref(false);

    async function load() {
      loading.value = true;
      try {
        years.value = await api.get('/api/v1/calendar/years');
        detail.value = await api.get(`/api/v1/calendar/${year.value}`);
      } catch (e) { reportError(e); } finally { loading.value = false; }
    }
    onMounted(async () => {
      try { year.value = (await api.get('/api/v1/calendar/years')).current_year; } catch { /* load reports */ }
      load();
    });
    const yearChoices = computed(() => {
      const c = years.value.current_year;
      const set = new Set([c - 1, c, c + 1, c + 2, ...years.value.items.map((y) => y.year)]);
      return [...set].sort((a, b) => a - b);
    });
    const info = computed(() => years.value.items.find((y) => y.year === year.value) || null);
    const months = computed(() => {
      const special = new Map((detail.value?.days || []).map((d) => [d.date, d]));
      return Array.from({ length: 12 }, (_, m) => ({ key: m, title: `${m + 1} 月`, weeks: monthWeeks(year.value, m, special) }));
    });
    const dayClass = (c) => (c.empty ? 'cal-empty' : c.special ? `cal-${c.special.kind}` : c.weekend ? 'cal-weekend' : 'cal-normal');
    const dayTitle = (c) => (c.empty ? '' : c.special ? `${c.date} ${c.special.name}` : `${c.date} ${c.weekend ? '休息日' : '工作日'}`);

    // Load a year from CSV.
    const csv = reactive({ open: false, text: '', source: '', error: '', busy: false });
    function openCsv() { Object.assign(csv, { open: true, text: '', source: '', error: '' }); }
    function readFile(ev) {
      const f = ev.target.files && ev.target.files[0];
      if (!f) return;
      f.text().then((t) => { csv.text = t; if (!csv.source) csv.source = f.name; });
    }
    async function saveCsv() {
      csv.error = '';
      if (!csv.text.trim()) { csv.error = '请粘贴或选择 CSV 文件（每行 date,kind,name）'; return; }
      csv.busy = true;
      try {
        const r = await api.put(`/api/v1/calendar/${year.value}`, { csv: csv.text, source: csv.source.trim() || undefined });
        ElMessage.success(`已载入 ${r.year} 年：${r.holidays} 个节假日，${r.workdays} 个调休上班日`);
        csv.open = false;
        load();
      } catch (e) {
        if (e.status === 400) csv.error = e.message; else reportError(e);
      } finally { csv.busy = false; }
    }

    // One day.
    const day = reactive({ open: false, date: '', kind: 'holiday', name: '', had: false, error: '', busy: false });
    function openDay(c) {
      if (c.empty || !canWrite || !detail.value?.loaded) return;
      Object.assign(day, { open: true, date: c.date, kind: c.special?.kind || (c.weekend ? 'workday' : 'holiday'), name: c.special?.name || '', had: !!c.special, error: '' });
    }
    async function saveDay() {
      day.error = '';
      if (!day.name.trim()) { day.error = '请填写名称，如 春节、国庆节调休上班'; return; }
      day.busy = true;
      try {
        await api.put(`/api/v1/calendar/days/${day.date}`, { kind: day.kind, name: day.name.trim() });
        ElMessage.success('已保存');
        day.open = false;
        load();
      } catch (e) {
        if ([400, 409].includes(e.status)) day.error = e.message; else reportError(e);
      } finally { day.busy = false; }
    }
    async function clearDay() {
      day.busy = true;
      try {
        await api.del(`/api/v1/calendar/days/${day.date}`);
        ElMessage.success('已恢复为按星期计算');
        day.open = false;
        load();
      } catch (e) { reportError(e); } finally { day.busy = false; }
    }

    // Office hours.
    async function editHours() {
      let value;
      try {
        ({ value } = await ElMessageBox.prompt('格式 HH:MM-HH:MM，多段用逗号分隔', '办公时间', {
          inputValue: years.value.office_hours, confirmButtonText: '保存', cancelButtonText: '取消' }));
      } catch { return; }
      try {
        await api.put('/api/v1/calendar/settings', { office_hours: value.trim() });
        ElMessage.success('办公时间已保存');
        load();
      } catch (e) { reportError(e); }
    }

    // The due-date calculator.
    const calc = reactive({ mode: 'days', from: '', days: 5, fromTime: '', hours: 8, result: null, error: '', busy: false });
    async function compute() {
      calc.error = '';
      calc.result = null;
      calc.busy = true;
      try {
        calc.result = calc.mode === 'days'
          ? await api.get('/api/v1/calendar/due', { from: calc.from, working_days: calc.days })
          : await api.get('/api/v1/calendar/due', { from_time: calc.fromTime, working_hours: calc.hours });
      } catch (e) {
        if ([400, 409].includes(e.status)) calc.error = e.message; else reportError(e);
      } finally { calc.busy = false; }
    }

    return { canWrite, years, year, detail, loading, load, yearChoices, info, months, dayClass, dayTitle, WEEKDAYS,
      csv, openCsv, readFile, saveCsv, day, openDay, saveDay, clearDay, editHours, calc, compute,
      formatDateTime, narrow, Refresh, Upload };
  },
  render: renderCalendarPage,
};
