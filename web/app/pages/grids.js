// 网格管理: the grids of the caller's scope in a table (filters: region, status, kind, name;
// keyset pages: 上一页/下一页 follow the server's cursors, and no total is counted), and the
// changes a county grid authority makes: 新建, 编辑, 重划边界, 拆分, 合并, 注销,
// with each grid's 历史 (boundary versions and lineage).
// Obvious mistakes (no name, no file, a file that is not GeoJSON) are caught here; everything
// else is the server's to judge, and its Chinese message is shown as is.
// #/grids?region=CODE filters by a region; #/grids?history=CODE opens a grid's history.
import { computed, onMounted, reactive, ref, watch } from 'vue';
import { ElMessage } from 'element-plus';
import { ArrowDown, Connection, MapLocation, Plus, Refresh, Search } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { navigate, route } from '../router.js';
import { narrow } from '../screen.js';
import { can } from '../session.js';
import {
  BoundaryInput, KIND_LABEL, MiniMap, RegionCascader, STATUS_LABEL, SUBTYPES,
  formatCount, formatTime, gridStyle, parseParts, regionsAtLevel,
} from '../geo.js';
import {
  renderServerError, renderGridLine, renderCreateDialog, renderEditDialog, renderRedrawDialog,
  renderSplitDialog, renderMergeDialog, renderRetireDialog, renderHistoryDrawer, renderGridsPage,
} from '../gen/pages/grids.js';

const MAX_PEOPLE = 1000000;
const OP_LABEL = { split: '拆分', merge: '合并' };
const PART_COLORS = ['#2b6cc4', '#2f9e5b', '#c2710c', '#8e44ad', '#c0392b', '#16a2b8'];

const oldShape = (geometry) => ({ geometry, style: { color: '#8a94a6', weight: 1.5, dashArray: '5 4', fillOpacity: 0.05 } });
const newShape = (geometry, color = '#2b6cc4', label = '') => ({ geometry, label, style: { color, fillColor: color, weight: 2, fillOpacity: 0.25 } });

const peopleRule = (label) => ({
  validator: (_r, v, cb) => (v === null || v === undefined || (Number.isInteger(v) && v >= 0 && v <= MAX_PEOPLE)
    ? cb() : cb(new Error(`${label}应为 0 到 1,000,000 之间的整数`))),
  trigger: 'change',
});

// The server's message, shown where the user is looking (inside the dialog, near its buttons).
const ServerError = {
  props: { message: String },
  render: renderServerError,
};

// The grid a dialog acts on, in one line.
const GridLine = {
  props: { grid: Object },
  setup: () => ({ KIND_LABEL }),
  render: renderGridLine,
};

// ---- 新建网格 ----
const CreateDialog = {
  components: { BoundaryInput, MiniMap, ServerError },
  props: { modelValue: Boolean, presetCommunity: String },
  emits: ['update:modelValue', 'done'],
  setup(props, { emit }) {
    const formRef = ref(null);
    const blank = () => ({ community: '', kind: 'comprehensive', subtype: '', name: '', code: '', households: 0, residents: 0, boundary: null });
    const form = reactive(blank());
    const groups = ref([]);         // [{label: township, options: [{code, name}]}]
    const communityShape = ref(null);
    const saving = ref(false);
    const serverError = ref('');

    async function loadCommunities() {
      if (groups.value.length) return;
      try {
        const [towns, villages] = await Promise.all([regionsAtLevel(4), regionsAtLevel(5)]);
        const byTown = new Map(towns.map((t) => [t.code, { label: t.name, options: [] }]));
        const other = { label: '其他', options: [] };
        for (const v of villages) (byTown.get(v.parent_code) || other).options.push(v);
        groups.value = [...byTown.values(), other].filter((g) => g.options.length);
      } catch (e) {
        serverError.value = e.message;
      }
    }
    watch(() => props.modelValue, (open) => {
      if (!open) return;
      Object.assign(form, blank(), { community: props.presetCommunity || '' });
      serverError.value = '';
      formRef.value?.clearValidate();
      loadCommunities();
    });
    watch(() => form.community, async (code) => {
      communityShape.value = null;
      if (!code) return;
      try {
        const r = await api.get(`/api/v1/regions/${code}`);
        if (form.community === code) communityShape.value = r.boundary || null;
      } catch { /* the preview simply lacks the community outline */ }
    });

    const rules = {
      community: [{ required: true, message: '请选择所属社区/村', trigger: 'change' }],
      name: [{ required: true, whitespace: true, message: '请输入网格名称', trigger: 'blur' },
        { max: 40, message: '网格名称不能超过 40 个字', trigger: 'blur' }],
      subtype: [{ validator: (_r, v, cb) => (form.kind === 'dedicated' && !v ? cb(new Error('请选择专属网格类别')) : cb()), trigger: 'change' }],
      code: [{ pattern: /^\d{15}$/, message: '网格编码应为 15 位数字（社区/村代码 12 位 + 顺序号 3 位）', trigger: 'blur' }],
      households: [peopleRule('户数')],
      residents: [peopleRule('人口数')],
      boundary: [{ validator: (_r, _v, cb) => (form.boundary ? cb() : cb(new Error('请上传边界文件或粘贴 GeoJSON'))), trigger: 'change' }],
    };
    const preview = computed(() => [communityShape.value && oldShape(communityShape.value),
      form.boundary && { ...newShape(form.boundary, gridStyle(form.kind).color), focus: true }].filter(Boolean));

    async function submit() {
      serverError.value = '';
      if (!(await formRef.value.validate().catch(() => false))) return;
      const body = {
        community: form.community, kind: form.kind, name: form.name.trim(), boundary: form.boundary,
        households: form.households ?? 0, residents: form.residents ?? 0,
      };
      if (form.kind === 'dedicated') body.subtype = form.subtype;
      if (form.code.trim()) body.code = form.code.trim();
      saving.value = true;
      try {
        const g = await api.post('/api/v1/grids', body);
        ElMessage.success(`已新建网格：${g.name}（${g.code}）`);
        emit('update:modelValue', false);
        emit('done', g);
      } catch (e) {
        serverError.value = e.message;
      } finally {
        saving.value = false;
      }
    }
    watch(() => form.boundary, () => formRef.value?.validateField('boundary').catch(() => {}));
    // A message about what was sent goes once the user changes it.
    watch(form, () => { serverError.value = ''; }, { deep: true });
    return { formRef, form, groups, rules, preview, saving, serverError, submit, SUBTYPES, narrow };
  },
  render: renderCreateDialog,
};

// ---- 编辑 ----
const EditDialog = {
  components: { ServerError, GridLine },
  props: { grid: Object },
  emits: ['close', 'done'],
  setup(props, { emit }) {
    const formRef = ref(null);
    const form = reactive({ name: '', subtype: '', households: 0, residents: 0 });
    const saving = ref(false);
    const serverError = ref('');
    watch(() => props.grid, (g) => {
      if (!g) return;
      Object.assign(form, { name: g.name, subtype: g.subtype || '', households: g.households, residents: g.residents });
      serverError.value = '';
    }, { immediate: true });
    const rules = {
      name: [{ required: true, whitespace: true, message: '请输入网格名称', trigger: 'blur' },
        { max: 40, message: '网格名称不能超过 40 个字', trigger: 'blur' }],
      households: [peopleRule('户数')],
      residents: [peopleRule('人口数')],
    };
    async function submit() {
      serverError.value = '';
      if (!(await formRef.value.validate().catch(() => false))) return;
      const g = props.grid, body = {};
      if (form.name.trim() !== g.name) body.name = form.name.trim();
      if (g.kind === 'dedicated' && form.subtype !== g.subtype) body.subtype = form.subtype;
      if (form.households !== g.households) body.households = form.households ?? 0;
      if (form.residents !== g.residents) body.residents = form.residents ?? 0;
      if (!Object.keys(body).length) { emit('close'); return; }
      saving.value = true;
      try {
        const out = await api.patch(`/api/v1/grids/${g.code}`, body);
        ElMessage.success(`已保存：${out.name}`);
        emit('done', out);
      } catch (e) {
        serverError.value = e.message;
      } finally {
        saving.value = false;
      }
    }
    return { formRef, form, rules, saving, serverError, submit, SUBTYPES, narrow };
  },
  render: renderEditDialog,
};

// Loads a grid with its boundary when a dialog opens on a table row (rows carry no boundary).
function useFullGrid(props) {
  const full = ref(null);
  const loadError = ref('');
  watch(() => props.grid, async (g) => {
    full.value = null;
    loadError.value = '';
    if (!g) return;
    try {
      const x = await api.get(`/api/v1/grids/${g.code}`);
      if (props.grid && props.grid.code === x.code) full.value = x;
    } catch (e) {
      loadError.value = e.message;
    }
  }, { immediate: true });
  return { full, loadError };
}

// ---- 重划边界 ----
const RedrawDialog = {
  components: { BoundaryInput, MiniMap, ServerError, GridLine },
  props: { grid: Object },
  emits: ['close', 'done'],
  setup(props, { emit }) {
    const { full, loadError } = useFullGrid(props);
    const boundary = ref(null);
    const reason = ref('');
    const saving = ref(false);
    const serverError = ref('');
    const formError = ref('');
    watch(() => props.grid, () => { boundary.value = null; reason.value = ''; serverError.value = ''; formError.value = ''; });
    watch(boundary, (b) => { serverError.value = ''; if (b) formError.value = ''; });
    const preview = computed(() => [full.value && oldShape(full.value.boundary), boundary.value && newShape(boundary.value)].filter(Boolean));
    async function submit() {
      serverError.value = '';
      if (!boundary.value) { formError.value = '请上传新的边界文件或粘贴 GeoJSON'; return; }
      saving.value = true;
      try {
        const body = { boundary: boundary.value };
        if (reason.value.trim()) body.reason = reason.value.trim();
        const g = await api.post(`/api/v1/grids/${props.grid.code}/redraw`, body);
        ElMessage.success(`已重划边界：${g.name}，现为第 ${g.version} 版`);
        emit('done', g);
      } catch (e) {
        serverError.value = e.message;
      } finally {
        saving.value = false;
      }
    }
    return { full, loadError, boundary, reason, saving, serverError, formError, preview, submit, narrow };
  },
  render: renderRedrawDialog,
};

// ---- 拆分 ----
const SplitDialog = {
  components: { BoundaryInput, MiniMap, ServerError, GridLine },
  props: { grid: Object },
  emits: ['close', 'done'],
  setup(props, { emit }) {
    const { full, loadError } = useFullGrid(props);
    const count = ref(2);
    const parts = ref([]);
    const saving = ref(false);
    const serverError = ref('');
    const formError = ref('');
    const bulkNote = ref('');
    const newPart = () => ({ name: '', boundary: null, key: Math.random() });
    watch(() => props.grid, () => {
      count.value = 2; parts.value = [newPart(), newPart()];
      serverError.value = ''; formError.value = ''; bulkNote.value = '';
    }, { immediate: true });
    watch(count, (n) => {
      const p = parts.value.slice(0, n);
      while (p.length < n) p.push(newPart());
      parts.value = p;
    });
    // One FeatureCollection with every part (names from properties.name).
    async function onBulk(file) {
      try {
        const list = parseParts(await file.raw.text(), `文件“${file.name}”`);
        if (list.length < 2 || list.length > 50) throw new Error(`文件包含 ${list.length} 个要素，拆分需要 2 到 50 个部分`);
        count.value = list.length;
        parts.value = list.map((x) => ({ name: x.name, boundary: x.geometry, key: Math.random() }));
        bulkNote.value = `已从“${file.name}”读取 ${list.length} 个部分`;
        formError.value = '';
      } catch (e) {
        bulkNote.value = '';
        formError.value = e.message;
      }
    }
    watch(parts, () => { serverError.value = ''; }, { deep: true });
    const preview = computed(() => [full.value && oldShape(full.value.boundary),
      ...parts.value.map((p, i) => p.boundary && newShape(p.boundary, PART_COLORS[i % PART_COLORS.length], p.name || `第 ${i + 1} 部分`))].filter(Boolean));
    async function submit() {
      serverError.value = '';
      formError.value = '';
      for (const [i, p] of parts.value.entries()) {
        if (!p.name.trim()) { formError.value = `第 ${i + 1} 部分：请输入网格名称`; return; }
        if (!p.boundary) { formError.value = `第 ${i + 1} 部分：请上传边界文件或粘贴 GeoJSON`; return; }
      }
      saving.value = true;
      try {
        const out = await api.post(`/api/v1/grids/${props.grid.code}/split`,
          { parts: parts.value.map((p) => ({ name: p.name.trim(), boundary: p.boundary })) });
        ElMessage.success(`已拆分为 ${out.created.length} 个网格：${out.created.map((g) => g.code).join('、')}`);
        emit('done', out);
      } catch (e) {
        serverError.value = e.message;
      } finally {
        saving.value = false;
      }
    }
    return { full, loadError, count, parts, saving, serverError, formError, bulkNote, onBulk, preview, submit, narrow, PART_COLORS };
  },
  render: renderSplitDialog,
};

// ---- 合并 ----
const MergeDialog = {
  components: { MiniMap, ServerError },
  props: { grids: Array },
  emits: ['close', 'done'],
  setup(props, { emit }) {
    const name = ref('');
    const code = ref('');
    const shapes = ref([]);
    const saving = ref(false);
    const serverError = ref('');
    const formError = ref('');
    watch(() => props.grids, async (list) => {
      name.value = ''; code.value = ''; serverError.value = ''; formError.value = ''; shapes.value = [];
      if (!list) return;
      const got = await Promise.all(list.map((g) => api.get(`/api/v1/grids/${g.code}`).catch(() => null)));
      if (props.grids === list) shapes.value = got.filter(Boolean).map((g, i) => newShape(g.boundary, PART_COLORS[i % PART_COLORS.length], g.name));
    }, { immediate: true });
    const sameCommunity = computed(() => new Set((props.grids || []).map((g) => g.community.code)).size === 1);
    const sameKind = computed(() => new Set((props.grids || []).map((g) => g.kind)).size === 1);
    async function submit() {
      serverError.value = '';
      formError.value = '';
      if (!name.value.trim()) { formError.value = '请输入合并后的网格名称'; return; }
      if (code.value.trim() && !/^\d{15}$/.test(code.value.trim())) { formError.value = '网格编码应为 15 位数字'; return; }
      saving.value = true;
      try {
        const body = { codes: props.grids.map((g) => g.code), name: name.value.trim() };
        if (code.value.trim()) body.code = code.value.trim();
        const out = await api.post('/api/v1/grids/merge', body);
        const g = out.created[0];
        ElMessage.success(`已合并为新网格：${g.name}（${g.code}）`);
        emit('done', out);
      } catch (e) {
        serverError.value = e.message;
      } finally {
        saving.value = false;
      }
    }
    return { name, code, shapes, saving, serverError, formError, sameCommunity, sameKind, submit, narrow };
  },
  render: renderMergeDialog,
};

// ---- 注销 ----
const RetireDialog = {
  components: { ServerError, GridLine },
  props: { grid: Object },
  emits: ['close', 'done'],
  setup(props, { emit }) {
    const reason = ref('');
    const saving = ref(false);
    const serverError = ref('');
    const formError = ref('');
    watch(() => props.grid, () => { reason.value = ''; serverError.value = ''; formError.value = ''; });
    async function submit() {
      serverError.value = '';
      if (!reason.value.trim()) { formError.value = '请填写注销原因'; return; }
      formError.value = '';
      saving.value = true;
      try {
        const g = await api.post(`/api/v1/grids/${props.grid.code}/retire`, { reason: reason.value.trim() });
        ElMessage.success(`已注销网格：${g.name}（${g.code}）`);
        emit('done', g);
      } catch (e) {
        serverError.value = e.message;
      } finally {
        saving.value = false;
      }
    }
    return { reason, saving, serverError, formError, submit, narrow };
  },
  render: renderRetireDialog,
};

// ---- 历史 ----
const HistoryDrawer = {
  components: { MiniMap },
  props: { code: String },
  emits: ['close', 'open'],
  setup(props) {
    const data = ref(null);
    const error = ref('');
    const version = ref(null);
    watch(() => props.code, async (code) => {
      data.value = null; error.value = ''; version.value = null;
      if (!code) return;
      try {
        const h = await api.get(`/api/v1/grids/${code}/history`);
        if (props.code !== code) return;
        data.value = h;
        version.value = h.versions.length ? h.versions[h.versions.length - 1].version : null;
      } catch (e) {
        error.value = e.message;
      }
    }, { immediate: true });
    const shown = computed(() => {
      const v = data.value && data.value.versions.find((x) => x.version === version.value);
      return v ? [newShape(v.boundary, gridStyle(data.value.grid.kind).color, `第 ${v.version} 版`)] : [];
    });
    const lineage = computed(() => {
      if (!data.value) return [];
      const l = data.value.lineage;
      const gen = (x) => (x.depth > 1 ? `（隔 ${x.depth - 1} 代）` : '');
      return [...l.up.map((x) => ({ ...x, dir: '来源' + gen(x) })), ...l.down.map((x) => ({ ...x, dir: '去向' + gen(x) }))];
    });
    const toMap = () => navigate('/map', { grid: props.code });
    return { data, error, version, shown, lineage, toMap, narrow, formatTime, formatCount, STATUS_LABEL, OP_LABEL, MapLocation };
  },
  render: renderHistoryDrawer,
};

export default {
  name: 'GridsPage',
  components: { RegionCascader, CreateDialog, EditDialog, RedrawDialog, SplitDialog, MergeDialog, RetireDialog, HistoryDrawer },
  setup() {
    const filters = reactive({ region: route.query.region || '', status: 'active', kind: '', q: '' });
    const regionLevel = ref(null);
    const rows = ref([]);
    // Keyset pages: cursors[i] opens page i + 1 (null: the first); nextCursor opens the next one.
    const cursors = ref([null]);
    const nextCursor = ref(null);
    const page = ref(1);
    const pageSize = ref(20);
    const loading = ref(false);
    const error = ref('');
    const selection = ref([]);
    const creating = ref(false);
    const editing = ref(null), redrawing = ref(null), splitting = ref(null), retiring = ref(null);
    const merging = ref(null);
    const historyCode = ref(route.query.history || '');

    let seq = 0;
    async function load() {
      const my = ++seq;
      loading.value = true;
      try {
        const res = await api.get('/api/v1/grids', {
          region: filters.region, status: filters.status, kind: filters.kind, q: filters.q.trim(),
          limit: pageSize.value, cursor: cursors.value[page.value - 1],
        });
        if (my !== seq) return;
        rows.value = res.items;
        nextCursor.value = res.next_cursor;
        error.value = '';
      } catch (e) {
        if (my === seq) { error.value = e.message; rows.value = []; nextCursor.value = null; }
      } finally {
        if (my === seq) loading.value = false;
      }
    }
    function search() { cursors.value = [null]; page.value = 1; load(); }
    function reset() { Object.assign(filters, { region: '', status: 'active', kind: '', q: '' }); regionLevel.value = null; search(); }
    function nextPage() {
      if (!nextCursor.value) return;
      cursors.value[page.value] = nextCursor.value;
      page.value++;
      load();
    }
    function prevPage() { if (page.value > 1) { page.value--; load(); } }
    watch(pageSize, search);
    onMounted(load);

    const tableRef = ref(null);
    function done() { tableRef.value?.clearSelection(); editing.value = redrawing.value = splitting.value = retiring.value = merging.value = null; load(); }
    function act(cmd, row) {
      if (cmd === 'edit') editing.value = row;
      else if (cmd === 'redraw') redrawing.value = row;
      else if (cmd === 'split') splitting.value = row;
      else if (cmd === 'retire') retiring.value = row;
      else if (cmd === 'history') historyCode.value = row.code;
      else if (cmd === 'map') navigate('/map', { grid: row.code });
    }
    const startMerge = () => { merging.value = [...selection.value]; };
    // Opened from another page (#/grids?history=CODE): closing it also drops that from the address,
    // so a reload does not reopen it.
    function closeHistory() {
      historyCode.value = '';
      if (route.query.history) window.history.replaceState(window.history.state, '', '#/grids');
    }
    const onPicked = (r) => { regionLevel.value = r ? r.level : null; };
    const presetCommunity = computed(() => (regionLevel.value === 5 ? filters.region : ''));

    return {
      tableRef, filters, rows, nextCursor, page, pageSize, loading, error, selection, creating, editing, redrawing,
      splitting, retiring, merging, historyCode, presetCommunity, search, reset, load, done, act, nextPage, prevPage,
      startMerge, closeHistory, onPicked, narrow, formatCount, formatTime, STATUS_LABEL,
      Plus, Search, Refresh, Connection, ArrowDown,
      selectable: (row) => row.status === 'active',
      canWrite: computed(() => can('grid.write')),
    };
  },
  render: renderGridsPage,
};
