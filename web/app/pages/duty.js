// 登记履职 (#/duty): the grid worker's phone page for duty records (Art. 13). Pick the duty, the
// act and one of the worker's own grids, take photos with the phone's camera (input capture),
// add the GPS position (navigator.geolocation; optional, the record goes without it), a note,
// and send it as multipart/form-data with an upload progress bar. Below, the worker's recent
// records with a thumbnail each. The server judges everything (prohibited acts, photo type and
// size); its Chinese message is shown as is.
import { onBeforeUnmount, onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { Close, Location, Refresh } from '@element-plus/icons-vue';
import { api, postForm } from '../api.js';
import { formatDateTime } from '../format.js';
import { renderDutyPage } from '../gen/pages/duty.js';

const MAX_PHOTOS = 9;
const MAX_BYTES = 8 * 1024 * 1024;

export default {
  name: 'DutyPage',
  setup() {
    const duties = ref([]);
    const acts = ref([]);
    const grids = ref([]);
    const form = reactive({ duty: '', act: 'visit', grid: '', note: '', lng: null, lat: null });
    const files = [];               // File objects (not reactive)
    const previews = ref([]);       // [{ url }]
    const sending = ref(false);
    const progress = ref(0);
    const error = ref('');
    const locating = ref(false);
    const locateError = ref('');
    const mine = ref([]);
    const loading = ref(false);

    function addPhotos(ev) {
      error.value = '';
      for (const f of ev.target.files) {
        if (files.length >= MAX_PHOTOS) { error.value = `最多 ${MAX_PHOTOS} 张照片`; break; }
        if (f.size > MAX_BYTES) { error.value = `照片“${f.name}”超过 8 MB`; continue; }
        files.push(f);
        previews.value.push({ url: URL.createObjectURL(f) });
      }
      ev.target.value = '';
    }
    function removePhoto(i) {
      URL.revokeObjectURL(previews.value[i].url);
      files.splice(i, 1);
      previews.value.splice(i, 1);
    }
    function clearPhotos() {
      for (const p of previews.value) URL.revokeObjectURL(p.url);
      files.length = 0;
      previews.value = [];
    }

    function locate() {
      locateError.value = '';
      if (!navigator.geolocation) { locateError.value = '此设备无法定位，可不填位置'; return; }
      locating.value = true;
      navigator.geolocation.getCurrentPosition((pos) => {
        form.lng = pos.coords.longitude;
        form.lat = pos.coords.latitude;
        locating.value = false;
      }, () => {
        locateError.value = '未能获取位置（可能未授权定位），可不填位置';
        locating.value = false;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    }
    function clearLocation() { form.lng = null; form.lat = null; }

    async function loadMine() {
      loading.value = true;
      try {
        mine.value = (await api.get('/api/v1/duty-records', { mine: 1, limit: 20 })).items;
      } catch (e) {
        ElMessage.error(e.message);
      } finally {
        loading.value = false;
      }
    }

    async function submit() {
      error.value = '';
      if (!form.duty) { error.value = '请选择履职类型'; return; }
      if (!form.grid) { error.value = '请选择网格'; return; }
      const fd = new FormData();
      fd.append('duty', form.duty);
      fd.append('act', form.act);
      fd.append('grid', form.grid);
      if (form.note) fd.append('note', form.note);
      if (form.lng !== null) { fd.append('lng', String(form.lng)); fd.append('lat', String(form.lat)); }
      for (const f of files) fd.append('photos', f, f.name);
      sending.value = true;
      progress.value = 0;
      try {
        await postForm('/api/v1/duty-records', fd, (p) => { progress.value = p; });
        ElMessage.success('已登记');
        form.note = '';
        clearLocation();
        clearPhotos();
        await loadMine();
      } catch (e) {
        error.value = e.message;
      } finally {
        sending.value = false;
      }
    }

    onMounted(async () => {
      try {
        const [cat, g] = await Promise.all([
          api.get('/api/v1/duty-types'),
          api.get('/api/v1/grids', { limit: 200 }),
        ]);
        duties.value = cat.duties;
        acts.value = cat.acts.filter((a) => !a.prohibited);
        grids.value = g.items.filter((x) => x.status === 'active');
        if (grids.value.length === 1) form.grid = grids.value[0].code;
      } catch (e) {
        error.value = e.message;
      }
      await loadMine();
    });
    onBeforeUnmount(clearPhotos);

    return {
      duties, acts, grids, form, previews, sending, progress, error, locating, locateError, mine, loading,
      addPhotos, removePhoto, locate, clearLocation, submit, loadMine, formatDateTime, Close, Location, Refresh,
    };
  },
  render: renderDutyPage,
};
