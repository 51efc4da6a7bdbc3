// 重点人员走访 (#/visits): the key people due for a visit (issue 12 part 5, docs/api-registry.md
// "Key-people visits"), from GET /api/v1/people/visits-due, in the caller's scope (a center its
// region, an account bound to grids its grids), a keyset page at a time ("加载更多"), filtered by
// grid. The list is sensitive personal data: the server requires a reason (?reason=) and records
// every read with it, so the page asks for the reason before it loads anything. 记录走访 posts a
// duty record with duty key_group_visit and the person (docs/api-duty.md; multipart, photos
// optional); the server then computes the next due date, so the list is reloaded and the person
// leaves it.
import { computed, onBeforeUnmount, onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { Close, EditPen, Refresh } from '@element-plus/icons-vue';
import { api, postForm } from '../api.js';
import { can, reportError } from '../session.js';
import { formatDateTime } from '../format.js';
import { ReasonDialog } from '../person-card.js';
import { renderVisitsPage } from '../gen/pages/visits.js';

const PAGE_SIZE = 20;
const MAX_PHOTOS = 9;
const MAX_BYTES = 8 * 1024 * 1024;

export default {
  name: 'VisitsPage',
  components: { ReasonDialog },
  setup() {
    // Recording needs duty.write besides person.key_read (a key-people officer's custom role).
    const perms = { record: can('duty.write') };
    const grids = ref([]);
    const grid = ref('');
    const reason = ref('');
    const rows = ref([]);
    const next = ref(null);
    const loading = ref(false);
    const error = ref('');
    // Grid names by code, for the rows (which carry the code).
    const names = computed(() => new Map(grids.value.map((g) => [g.code, g.name])));
    const gridName = (code) => names.value.get(code) || code;

    // first: from the start of the list (a new filter, or after a visit); else the next page.
    async function load(first = true) {
      if (!reason.value) return;
      error.value = '';
      loading.value = true;
      try {
        const r = await api.get('/api/v1/people/visits-due', { grid: grid.value, reason: reason.value, limit: PAGE_SIZE,
          cursor: first ? null : next.value });
        rows.value = first ? r.items : rows.value.concat(r.items);
        next.value = r.next_cursor || null;
      } catch (e) {
        if (e.status === 400) error.value = e.message; else reportError(e);
      } finally {
        loading.value = false;
      }
    }

    const reasonOpen = ref(false);
    function onReason(r) {
      reason.value = r;
      load(true);
    }

    onMounted(async () => {
      reasonOpen.value = true;
      // The grid filter needs grid.read (every built-in role with these pages holds it).
      if (can('grid.read')) try { grids.value = (await api.get('/api/v1/grids', { limit: 200 })).items; } catch { grids.value = []; }
    });

    // ---- 记录走访 ----
    const visit = reactive({ open: false, person: null, note: '', previews: [], progress: 0, error: '', busy: false });
    const files = [];
    function clearPhotos() {
      for (const p of visit.previews) URL.revokeObjectURL(p.url);
      files.length = 0;
      visit.previews = [];
    }
    function openVisit(row) {
      clearPhotos();
      Object.assign(visit, { open: true, person: row, note: '', progress: 0, error: '', busy: false });
    }
    function addPhotos(ev) {
      visit.error = '';
      for (const f of ev.target.files) {
        if (files.length >= MAX_PHOTOS) { visit.error = `最多 ${MAX_PHOTOS} 张照片`; break; }
        if (f.size > MAX_BYTES) { visit.error = `照片“${f.name}”超过 8 MB`; continue; }
        files.push(f);
        visit.previews.push({ url: URL.createObjectURL(f) });
      }
      ev.target.value = '';
    }
    function removePhoto(i) {
      URL.revokeObjectURL(visit.previews[i].url);
      files.splice(i, 1);
      visit.previews.splice(i, 1);
    }
    async function saveVisit() {
      visit.error = '';
      if (!visit.note.trim()) { visit.error = '请填写走访情况'; return; }
      const fd = new FormData();
      fd.append('duty', 'key_group_visit');
      fd.append('act', 'visit');
      fd.append('grid', visit.person.grid);
      fd.append('person', String(visit.person.id));
      fd.append('note', visit.note.trim());
      for (const f of files) fd.append('photos', f, f.name);
      visit.busy = true;
      visit.progress = 0;
      try {
        await postForm('/api/v1/duty-records', fd, (p) => { visit.progress = p; });
        visit.open = false;
        clearPhotos();
        ElMessage.success(`已记录对 ${visit.person.name} 的走访`);
        await load(true);
      } catch (e) {
        if (e.status === 403) reportError(e); else visit.error = e.message;
      } finally {
        visit.busy = false;
      }
    }
    onBeforeUnmount(clearPhotos);

    return { perms, grids, grid, reason, rows, next, loading, error, gridName, load, reasonOpen, onReason,
      visit, openVisit, addPhotos, removePhoto, saveVisit, formatDateTime, Close, EditPen, Refresh };
  },
  render: renderVisitsPage,
};
