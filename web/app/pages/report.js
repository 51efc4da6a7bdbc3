// 上报事项 (#/report): the grid worker's phone page. Report a matter — the item from the published
// matter list, a title, a description, the place (the phone's GPS, which the server turns into
// the grid; or, without GPS or outside every grid, one of my grids), an address and the urgency —
// and see the recent matters of my grids with their states, with 自行处置 where the server offers
// it (items the grid worker may resolve on the spot, Art. 16). Large touch targets; one column.
//
// Photos: taken with the phone's camera (photos.js: previews, remove before sending, size checked
// here with a Chinese message); a report with photos goes as multipart/form-data with an upload
// progress bar, one without as JSON. The server checks the photos again and keeps them with the
// report event (docs/api-matters.md).
import { computed, onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { Location, Refresh } from '@element-plus/icons-vue';
import { api, postForm } from '../api.js';
import { navigate } from '../router.js';
import { reportError } from '../session.js';
import { ActionDialog, ItemPicker, URGENCY_LABEL, formatWhen, stateTag } from '../matters.js';
import { PhotoPicker } from '../photos.js';
import { renderReportPage } from '../gen/pages/report.js';

const RECENT = 10;

const emptyForm = () => ({ item: '', title: '', description: '', grid: '', address: '', urgency: 1 });

export default {
  name: 'ReportPage',
  components: { ItemPicker, ActionDialog, PhotoPicker },
  setup() {
    const form = reactive(emptyForm());
    const grids = ref([]);
    const gps = reactive({ state: 'none', lng: null, lat: null, accuracy: null, message: '' });
    const sending = ref(false);
    const photos = ref([]); // File objects, sent with the report
    const progress = ref(0);
    const error = ref('');
    const recent = ref([]);
    const recentLoading = ref(false);
    const current = ref(null); // { matter, action } of the open dialog

    async function loadGrids() {
      try {
        grids.value = (await api.get('/api/v1/grids', { limit: 100 })).items.filter((g) => g.status === 'active');
      } catch (e) { reportError(e); }
    }

    // The recent matters of my grids; those still reported get their actions (self_handle).
    async function loadRecent() {
      recentLoading.value = true;
      try {
        const res = await api.get('/api/v1/matters', { limit: RECENT });
        recent.value = await Promise.all(res.items.map(async (m) => (m.state === 'reported'
          ? { ...m, full: await api.get(`/api/v1/matters/${m.id}`) } : { ...m, full: null })));
      } catch (e) {
        reportError(e);
      } finally {
        recentLoading.value = false;
      }
    }
    onMounted(() => { loadGrids(); loadRecent(); });

    function locate() {
      if (!navigator.geolocation) {
        Object.assign(gps, { state: 'error', message: '此设备不支持定位，请选择网格' });
        return;
      }
      Object.assign(gps, { state: 'locating', message: '' });
      navigator.geolocation.getCurrentPosition((pos) => {
        Object.assign(gps, { state: 'ok', lng: pos.coords.longitude, lat: pos.coords.latitude,
          accuracy: pos.coords.accuracy, message: '' });
      }, (err) => {
        const why = err.code === 1 ? '未获得定位权限' : err.code === 3 ? '定位超时' : '无法获取位置';
        Object.assign(gps, { state: 'error', message: `${why}，请选择网格` });
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    }
    const clearGps = () => Object.assign(gps, { state: 'none', lng: null, lat: null, accuracy: null, message: '' });

    function check() {
      if (!form.item) return '请选择事项';
      if (!form.title.trim()) return '请填写标题';
      if (form.title.trim().length > 60) return '标题不超过 60 个字';
      if (!form.description.trim()) return '请填写情况描述';
      if (gps.state !== 'ok' && !form.grid) return '请获取当前位置，或选择所在网格';
      return '';
    }

    // The report as multipart/form-data: the same fields, the location as lng and lat, the photos.
    function reportForm(body) {
      const fd = new FormData();
      for (const [k, v] of Object.entries(body)) {
        if (k === 'location') { fd.append('lng', String(v.lng)); fd.append('lat', String(v.lat)); }
        else fd.append(k, String(v));
      }
      for (const f of photos.value) fd.append('photos', f, f.name || 'photo.jpg');
      return fd;
    }

    async function submit() {
      error.value = check();
      if (error.value) return;
      const body = { item: form.item, title: form.title.trim(), description: form.description.trim(),
        urgency: form.urgency, source: 'patrol' };
      if (gps.state === 'ok') body.location = { lng: gps.lng, lat: gps.lat };
      if (form.grid) body.grid = form.grid;
      if (form.address.trim()) body.address = form.address.trim();
      sending.value = true;
      progress.value = 0;
      try {
        const m = photos.value.length
          ? await postForm('/api/v1/matters', reportForm(body), (p) => { progress.value = p; })
          : await api.post('/api/v1/matters', body);
        ElMessage.success(`已上报：${m.title}（${m.grid.name}）${m.photos?.length ? `，照片 ${m.photos.length} 张` : ''}`);
        Object.assign(form, emptyForm());
        photos.value = [];
        clearGps();
        await loadRecent();
      } catch (e) {
        error.value = e.code === 'outside_grids' ? '当前位置不在您的网格内，请选择所在网格后再上报' : e.message;
        reportError(e);
      } finally {
        sending.value = false;
      }
    }

    const canSelfHandle = (m) => m.full?.actions?.find((a) => a.action === 'self_handle') || null;
    const selfHandle = (m) => { current.value = { matter: m.full, action: canSelfHandle(m) }; };
    async function done() { current.value = null; await loadRecent(); }
    async function conflict() { current.value = null; await loadRecent(); }
    const openMatter = (m) => navigate(`/matters/${m.id}`);
    const gpsText = computed(() => (gps.state === 'ok'
      ? `${gps.lng.toFixed(6)}, ${gps.lat.toFixed(6)}${gps.accuracy ? `（精度约 ${Math.round(gps.accuracy)} 米）` : ''}` : ''));

    return {
      form, grids, gps, gpsText, sending, photos, progress, error, recent, recentLoading, current, locate, clearGps, submit,
      canSelfHandle, selfHandle, done, conflict, openMatter, loadRecent, formatWhen, stateTag, URGENCY_LABEL,
      Location, Refresh,
    };
  },
  render: renderReportPage,
};
