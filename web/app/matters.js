// Shared pieces of the matter pages (事项受理, 事项详情, 承办收件箱, 上报事项): Chinese labels of
// states, sources, assignments and event fields; running a flow action with the version the user
// saw (a stale version is told as 已被他人处理); the matter-list item picker; the default deadline
// of a new assignment on the working-day calendar; the action dialog, whose fields are exactly the
// `required` list of the action the server offers (GET /api/v1/matters/:id answers `actions`:
// what this user may do now); and the small map of a matter.
//
// Two other modules are read behind one function each, with a fallback when the caller may not
// read them:
//   publishedItems()  GET /api/v1/matter-items?state=in_force  (the item picker; else a code field)
//   defaultDueDate()  GET /api/v1/calendar/due?from=&working_days= (else "按事项默认时限")
import { computed, onBeforeUnmount, onMounted, reactive, ref, watch } from 'vue';
import { ElMessage } from 'element-plus';
import { api, postForm } from './api.js';
import { can, reportError } from './session.js';
import { formatDateTime } from './format.js';
import { narrow } from './screen.js';
import { L, createMap, destroyMap, fitTo, followSize, gridStyle } from './geo.js';
import { PHOTO_ACTIONS, PhotoPicker } from './photos.js';
import { renderActionDialog, renderItemPicker, renderMatterMap } from './gen/matters.js';

// ---- labels ----

export const STATE_LABEL = {
  reported: '已上报', accepted: '已受理', rejected: '不予受理', in_progress: '处置中',
  done: '已办结', verified: '已核查', closed: '已结案',
};
export const STATE_TAG = {
  reported: 'warning', accepted: 'primary', rejected: 'info', in_progress: 'primary',
  done: 'success', verified: 'success', closed: 'info',
};
// The queue's state filter: "open" is every state that is not final.
export const STATE_FILTERS = [
  { value: 'open', label: '未结案（全部在办）' },
  ...Object.entries(STATE_LABEL).map(([value, label]) => ({ value, label })),
];
export const ALERTS = {
  yellow: { text: '黄牌预警', type: 'warning' },
  red: { text: '红牌超期', type: 'danger' },
};
export const ALERT_FILTERS = [
  { value: 'yellow', label: '黄牌及以上' },
  { value: 'red', label: '红牌（已超期）' },
];
// Categories of the matter list (事项清单). The list's own labels win when it answers.
export const CATEGORY_LABEL = {
  city_management: '城市管理', public_security: '社会治安', disputes: '矛盾纠纷',
  safety_hazards: '安全隐患', livelihood: '民生服务', environment: '生态环境',
  special_groups: '特殊人群', emergency: '应急处置', other: '其他事项',
};
export const SOURCE_LABEL = {
  patrol: '网格员巡查', resident: '居民反映', hotline: '12345 热线', department: '部门移交',
  assigned: '上级交办', other: '其他',
};
export const URGENCY_LABEL = { 1: '一般', 2: '紧急', 3: '特急' };
export const HANDLER_LABEL = { center: '中心本级处置', worker: '网格员自行处置', assignees: '承办单位办理' };
export const ASSIGNMENT_STATUS = {
  pending: { text: '待签收', type: 'warning' }, signed: { text: '已签收', type: 'primary' },
  returned: { text: '已退回', type: 'info' }, submitted: { text: '已提交结果', type: 'success' },
};
export const ROLE_LABEL = { lead: '牵头', co: '协办' };
// 督办 by a higher center: the highest level on record (GET /api/v1/matters answers `supervision`).
export const SUPERVISION = {
  normal: { text: '督办', type: 'primary' },
  yellow: { text: '黄牌督办', type: 'warning' },
  red: { text: '红牌督办', type: 'danger' },
};
export const SUPERVISION_LEVELS = [
  { value: 'normal', label: '普通督办' }, { value: 'yellow', label: '黄牌督办' }, { value: 'red', label: '红牌督办' },
];
export const ASSIGN_KIND_LABEL = { dispatch: '分流', assign: '交办' };

export const categoryLabel = (c) => CATEGORY_LABEL[c] || c || '—';
export const stateTag = (s) => STATE_TAG[s] || 'info';

// A deadline instant (RFC 3339) → "2026-12-01 17:30"; one at midnight is the end of the day
// before ("2026-12-01 24:00"), which is how deadlines counted in whole days end.
export function formatDue(t) {
  if (!t) return '—';
  const s = formatDateTime(t);
  if (s.length < 19) return s;
  if (s.slice(11) === '00:00:00') {
    const d = new Date(new Date(t).getTime() - 1000);
    return `${formatDateTime(d).slice(0, 10)} 24:00`;
  }
  return s.slice(0, 16);
}
export const formatWhen = (t) => (t ? formatDateTime(t).slice(0, 16) : '—');

// Today in China ("YYYY-MM-DD"), whatever the browser's zone.
export const todayLocal = () => formatDateTime(new Date()).slice(0, 10);

// ---- event fields as text ----

const FIELD_LABEL = {
  item: '事项', title: '标题', grid: '网格', source: '来源', urgency: '紧急程度', address: '地址',
  lng: '经度', lat: '纬度', due_at: '期限', reason: '理由', basis: '退回依据', note: '说明',
  result: '办理结果', message: '答复内容', explanation: '超期书面说明', requirements: '办理要求',
  due: '申请延期至', assignment: '承办单位', org: '交办给', description: '描述',
};
// Bookkeeping the timeline need not show (the deadline of a new stage is shown as 期限).
const HIDDEN_FIELDS = new Set(['extension_due_at', 'return_by', 'handler']);

function orgOfAssignment(matter, n, orgId) {
  const a = (matter?.assignments || []).find((x) => x.n === n);
  return a ? a.org.name : orgId ? `机构 ${orgId}` : `第 ${n} 个承办单位`;
}

// The fields of one timeline event as [{label, text}], every value as plain text.
export function eventLines(ev, matter) {
  const out = [];
  for (const [k, v] of Object.entries(ev.fields || {})) {
    if (HIDDEN_FIELDS.has(k) || v === null || v === undefined || v === '') continue;
    if (k === 'assignments' && Array.isArray(v)) {
      for (const a of v) {
        const parts = [`${orgOfAssignment(matter, a.n, a.org_id)}（${ROLE_LABEL[a.role] || a.role || ''}）`];
        if (a.due_at) parts.push(`期限 ${formatDue(a.due_at)}`);
        if (a.requirements) parts.push(`要求：${a.requirements}`);
        out.push({ label: ASSIGN_KIND_LABEL[a.kind] || '承办', text: parts.join('，') });
      }
    } else if (k === 'reworked' && Array.isArray(v)) {
      if (v.length) out.push({ label: '返工单位', text: v.map((a) => orgOfAssignment(matter, a.n)).join('、') });
    } else if (k === 'assignment') {
      out.push({ label: FIELD_LABEL[k], text: orgOfAssignment(matter, v) });
    } else if (k === 'source') {
      out.push({ label: FIELD_LABEL[k], text: SOURCE_LABEL[v] || String(v) });
    } else if (k === 'urgency') {
      out.push({ label: FIELD_LABEL[k], text: URGENCY_LABEL[v] || String(v) });
    } else if (k.endsWith('_at')) {
      out.push({ label: FIELD_LABEL[k] || k, text: formatDue(v) });
    } else {
      out.push({ label: FIELD_LABEL[k] || k, text: typeof v === 'object' ? JSON.stringify(v) : String(v) });
    }
  }
  return out;
}

// ---- actions ----

export const CONFLICT_TEXT = '已被他人处理，已刷新';
export const isConflict = (e) => e?.status === 409 && e?.code === 'version_conflict';

// POST /api/v1/matters/:id/actions with the version the user saw; resolves to the matter after
// the action. The caller's own assignment goes along when the action names one.
// With photos (the actions of PHOTO_ACTIONS) it goes as multipart/form-data with the same
// fields, reporting the upload's progress to onProgress(percent).
export function runAction(matter, action, fields = {}, photos = [], onProgress = undefined) {
  const body = { action: action.action, version: matter.version, ...fields };
  if (action.assignment && body.assignment === undefined) body.assignment = action.assignment;
  const path = `/api/v1/matters/${matter.id}/actions`;
  if (!photos.length) return api.post(path, body);
  const fd = new FormData();
  for (const [k, v] of Object.entries(body)) if (v !== undefined && v !== null) fd.append(k, String(v));
  for (const f of photos) fd.append('photos', f, f.name || 'photo.jpg');
  return postForm(path, fd, onProgress);
}

// How each field an action requires is asked for.
const TEXT_FIELDS = {
  reason: '理由', basis: '退回依据', note: '进展说明', result: '办理结果', message: '答复内容',
  explanation: '超期书面说明', requirements: '办理要求',
};
// Labels that depend on the action.
const ACTION_FIELD_LABEL = {
  reject: { reason: '不予受理理由' }, escalate: { reason: '上报上级理由' },
  request_extension: { reason: '延期理由', due: '申请延期至' }, deny_extension: { reason: '不予延期理由' },
  rework: { reason: '返工原因' }, self_handle: { result: '处置结果' },
  supervise: { message: '督办意见', level: '督办级别' }, remind: { message: '催办内容' },
};
const FIELD_HINT = {
  basis: '说明不属于本单位职责的依据（如法规条款、职责清单），须在退回时限内退回。',
  explanation: '已超过办理期限：须先向交办的中心书面说明原因，再提交办理结果（第十九条）。',
  message: '上报人将看到此答复。',
};
// Hints that depend on the action.
const ACTION_FIELD_HINT = {
  supervise: { message: '持有该事项的中心和在办的承办单位将看到督办，并计入其督办次数。' },
  remind: { message: '持有该事项的中心和在办的承办单位将看到催办，并计入其催办次数。' },
};

export function fieldLabel(action, name) {
  return ACTION_FIELD_LABEL[action]?.[name] || TEXT_FIELDS[name] || FIELD_LABEL[name] || name;
}

// ---- the matter list (事项清单) ----

// The items in force today (GET /api/v1/matter-items?state=in_force; docs/api-matter-items.md):
// {code, name, category, category_label, worker_role, limits: {handle: {amount, unit}}, ...}.
// Resolves to null when the list cannot be read (the caller lacks matter_item.read): the pickers
// then show a free code field.
let itemsPromise = null;
export function publishedItems() {
  if (!itemsPromise) {
    itemsPromise = (async () => {
      const items = [];
      for (let cursor = null, pages = 0; pages < 20; pages++) {
        const res = await api.get('/api/v1/matter-items', { state: 'in_force', limit: 200, cursor });
        items.push(...(Array.isArray(res) ? res : res.items || []));
        cursor = res.next_cursor;
        if (!cursor) break;
      }
      return items;
    })().catch((e) => {
      if (e.status === 404 || e.status === 403) return null;
      itemsPromise = null;
      throw e;
    });
  }
  return itemsPromise;
}

// The handling limit of an item in working days, or 0 when it is not counted in working days.
export function handleWorkingDays(item) {
  const h = item?.limits?.handle || item?.handle || null;
  const amount = h ? (h.amount ?? h.value ?? h[0]) : item?.handle_amount;
  const unit = h ? (h.unit ?? h[1]) : item?.handle_unit;
  if (!amount) return 0;
  return unit === undefined || unit === 'working_days' || unit === 'days' || unit === 0 ? Number(amount) : 0;
}

// The default deadline date of a new assignment: the item's handling limit counted on the
// working-day calendar from today (GET /api/v1/calendar/due, the function the server counts
// with). null when the limit is in working hours or cannot be read: the dialog then says
// 按事项默认时限 and the server applies the item's limit.
export async function defaultDueDate(itemCode) {
  try {
    const items = await publishedItems();
    const days = handleWorkingDays(items && items.find((i) => i.code === itemCode));
    if (!days) return null;
    const r = await api.get('/api/v1/calendar/due', { from: todayLocal(), working_days: days });
    return r.due || null;
  } catch (e) {
    if (e.status !== 404) reportError(e);
    return null;
  }
}

// The item picker: a searchable list of the published items, or a code field while the list
// cannot be read. v-model is the item code.
export const ItemPicker = {
  name: 'ItemPicker',
  props: { modelValue: String, size: { type: String, default: 'default' } },
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    const items = ref(null);
    const loaded = ref(false);
    onMounted(async () => {
      try { items.value = await publishedItems(); } catch (e) { reportError(e); }
      loaded.value = true;
    });
    const groups = computed(() => {
      const out = [];
      for (const it of items.value || []) {
        const label = it.category_label || categoryLabel(it.category);
        let g = out.find((x) => x.label === label);
        if (!g) out.push(g = { label, items: [] });
        g.items.push(it);
      }
      return out;
    });
    const set = (v) => emit('update:modelValue', (v || '').trim());
    return { items, loaded, groups, set };
  },
  render: renderItemPicker,
};

// ---- the action dialog ----

// One dialog for every action: `action` is an entry of the matter's `actions` (null: closed).
// It asks for exactly the fields the action requires (text as a textarea, dates with a date
// picker, the assignment preset), with the dispatch (分流) and assignment down (交办) forms for
// those two, and submits with the matter's version. Emits done(matter) after success and
// conflict() after a stale version (the page reloads and says so).
export const ActionDialog = {
  name: 'ActionDialog',
  props: { matter: Object, action: Object },
  emits: ['done', 'conflict', 'close'],
  setup(props, { emit }) {
    const form = reactive({});
    const error = ref('');
    const busy = ref(false);
    const photos = ref([]); // evidence with self_handle, progress, submit
    const progress = ref(0);
    // Dispatch: the chosen departments, the lead, per-department deadline overrides and
    // requirements; the default deadline (a date, or null: the item's default limit).
    const deps = ref([]);
    const lead = ref(null);
    const depDue = reactive({});
    const depReq = reactive({});
    const defaultDue = ref(null);
    const defaultDueLoading = ref(false);

    const name = computed(() => props.action?.action || '');
    const required = computed(() => props.action?.required || []);
    const textFields = computed(() => required.value.filter((f) => TEXT_FIELDS[f]));
    const options = computed(() => props.action?.options || []);
    const openAssignments = computed(() => (props.matter?.assignments || []).filter((a) => a.status === 'pending' || a.status === 'signed'));
    // approve/deny an extension: the assignments that asked for one.
    const extensionAssignments = computed(() => (props.matter?.assignments || []).filter((a) => a.extension_due_at));
    const myAssignment = computed(() => (props.matter?.assignments || []).find((a) => a.n === props.action?.assignment) || null);
    const depName = (id) => options.value.find((o) => o.id === id)?.name || `机构 ${id}`;
    const today = todayLocal();
    const pastDate = (d) => formatDateTime(d).slice(0, 10) < today;

    function reset() {
      for (const k of Object.keys(form)) delete form[k];
      for (const f of required.value) form[f] = '';
      if (required.value.includes('assignment')) form.assignment = extensionAssignments.value[0]?.n ?? null;
      if (name.value === 'assign') { form.org = null; form.due = ''; }
      if (required.value.includes('level')) form.level = 'normal';
      deps.value = [];
      lead.value = null;
      for (const k of Object.keys(depDue)) delete depDue[k];
      for (const k of Object.keys(depReq)) delete depReq[k];
      error.value = '';
      photos.value = [];
      progress.value = 0;
      defaultDue.value = null;
      if ((name.value === 'dispatch' || name.value === 'assign') && props.matter) {
        defaultDueLoading.value = true;
        defaultDueDate(props.matter.item).then((d) => { defaultDue.value = d; }).finally(() => { defaultDueLoading.value = false; });
      }
    }
    watch(() => props.action, (a) => { if (a) reset(); }, { immediate: true });
    // The first department chosen leads unless another is marked; a removed lead passes it on.
    watch(deps, (list) => {
      if (!list.includes(lead.value)) lead.value = list[0] ?? null;
    });

    function check() {
      if (name.value === 'dispatch') {
        if (!deps.value.length) return '请选择承办部门';
        if (!deps.value.includes(lead.value)) return '请指定一个牵头部门';
        return '';
      }
      if (name.value === 'assign' && !form.org) return '请选择交办的下级中心';
      for (const f of required.value) {
        if (f === 'departments' || f === 'org') continue;
        const v = form[f];
        if (v === '' || v === null || v === undefined || (typeof v === 'string' && !v.trim())) {
          return f === 'assignment' ? '请选择承办单位' : `请填写${fieldLabel(name.value, f)}`;
        }
      }
      return '';
    }

    function body() {
      if (name.value === 'dispatch') {
        return {
          departments: deps.value.map((id) => {
            const d = { org: id, role: id === lead.value ? 'lead' : 'co' };
            if (depDue[id]) d.due = depDue[id];
            if (depReq[id] && depReq[id].trim()) d.requirements = depReq[id].trim();
            return d;
          }),
        };
      }
      const out = {};
      for (const f of required.value) out[f] = typeof form[f] === 'string' ? form[f].trim() : form[f];
      if (name.value === 'assign' && form.due) out.due = form.due;
      return out;
    }

    async function submit() {
      error.value = check();
      if (error.value) return;
      busy.value = true;
      try {
        progress.value = 0;
        const m = await runAction(props.matter, props.action, body(), takesPhotos.value ? photos.value : [],
          (p) => { progress.value = p; });
        ElMessage.success(`${props.action.label}：已完成`);
        emit('done', m);
      } catch (e) {
        if (isConflict(e)) {
          ElMessage.warning(CONFLICT_TEXT);
          emit('conflict');
        } else {
          error.value = e.message;
          reportError(e);
        }
      } finally {
        busy.value = false;
      }
    }

    const takesPhotos = computed(() => PHOTO_ACTIONS.has(name.value));
    const label = (f) => fieldLabel(name.value, f);
    const hint = (f) => ACTION_FIELD_HINT[name.value]?.[f] ?? FIELD_HINT[f] ?? '';
    const close = () => { if (!busy.value) emit('close'); };
    return {
      form, error, busy, deps, lead, depDue, depReq, defaultDue, defaultDueLoading, name, required, textFields,
      options, openAssignments, extensionAssignments, myAssignment, depName, pastDate, submit, close, label, hint,
      narrow, formatDue, ROLE_LABEL, ASSIGNMENT_STATUS, photos, progress, takesPhotos,
      SUPERVISION_LEVELS,
    };
  },
  components: { PhotoPicker },
  render: renderActionDialog,
};

// ---- the map of a matter ----

// A small map with the matter's grid outline and its location. Tiles are drawn only when
// configured (geo.js): offline, the outline and the marker still show.
export const MatterMap = {
  name: 'MatterMap',
  props: { location: Object, gridCode: String, height: { type: String, default: '260px' } },
  setup(props) {
    const el = ref(null);
    const note = ref('');
    let map = null, group = null, unfollow = () => {};
    async function draw() {
      if (!map) return;
      group.clearLayers();
      let outline = null;
      if (props.gridCode && can('grid.read')) {
        try {
          const g = await api.get(`/api/v1/grids/${props.gridCode}`);
          if (!map) return;
          if (g.boundary) {
            outline = L.geoJSON(g.boundary, { style: () => ({ ...gridStyle(g.kind, true), className: 'matter-grid-shape' }), interactive: false });
            group.addLayer(outline);
          }
        } catch { /* the marker alone still says where */ }
      }
      const loc = props.location;
      if (loc && Number.isFinite(loc.lat) && Number.isFinite(loc.lng)) {
        L.circleMarker([loc.lat, loc.lng], {
          radius: 8, color: '#fff', weight: 2, fillColor: '#e53935', fillOpacity: 1,
          className: 'matter-marker', interactive: false,
        }).addTo(group);
      }
      note.value = loc ? '' : '未提供坐标：显示所在网格';
      map.invalidateSize();
      if (outline) fitTo(map, outline, 17, 0.3);
      else if (loc) map.setView([loc.lat, loc.lng], 16, { animate: false });
    }
    onMounted(() => {
      map = createMap(el.value);
      group = L.featureGroup().addTo(map);
      unfollow = followSize(map, el.value);
      draw();
    });
    onBeforeUnmount(() => { unfollow(); destroyMap(map); map = null; });
    watch(() => [props.location, props.gridCode], draw);
    return { el, note };
  },
  render: renderMatterMap,
};
