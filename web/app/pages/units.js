// 单位 (#/units): the registry's units (单位: enterprises, shops, schools …; issue 12,
// docs/api-registry.md "Units"): the list in the caller's scope, filtered by grid, a keyset page
// at a time ("加载更多"); a unit's card; registering one and editing it (the same form; PATCH
// sends only the fields changed and the version the card was read at: a stale one is 409
// version_conflict, shown with 重新加载, which reads the unit again and keeps what the user
// changed). The unified social credit code is judged by the server alone (GB 32100 check
// character, duplicates): its Chinese message is shown under the field it is about, the others'
// above the form.
import { computed, onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { Download, Edit, Plus, Refresh } from '@element-plus/icons-vue';
import { api, apiUrl } from '../api.js';
import { can, reportError } from '../session.js';
import { narrow } from '../screen.js';
import { formatDateTime } from '../format.js';
import { renderUnitsPage } from '../gen/pages/units.js';

const PAGE_SIZE = 20;
const KINDS = [
  { value: 'enterprise', label: '企业' }, { value: 'shop', label: '商户' }, { value: 'school', label: '学校' },
  { value: 'hospital', label: '医院' }, { value: 'social_org', label: '社会组织' }, { value: 'government', label: '机关事业单位' },
  { value: 'other', label: '其他' },
];
// The label of a kind, from the code: the server's kind_label of `shop` says 商铺 (the house type's
// label, registry_label() finds it first), while a unit of kind shop is a 商户.
const kindLabel = (u) => KINDS.find((k) => k.value === u.kind)?.label || u.kind_label;
// The field each error code of POST and PATCH /units is about; the rest go above the form.
const FIELD_OF = { bad_credit_code: 'credit_code', duplicate: 'credit_code', bad_name: 'name', bad_kind: 'kind', bad_grid: 'grid' };
// bad_field names its field in its message (地址 address; 联系人 …, 联系电话 …).
function fieldOf(e) {
  if (FIELD_OF[e.code]) return FIELD_OF[e.code];
  if (e.code === 'bad_field' && /地址|address/.test(e.message)) return 'address';
  if (e.code === 'bad_field' && /联系/.test(e.message)) return 'contact_phone';
  return '';
}
// The fields an edit may change, and their text as the server holds them (null and '' alike).
const EDIT_FIELDS = ['name', 'credit_code', 'kind', 'address', 'contact_name', 'contact_phone'];
const plain = (v) => (v === null || v === undefined ? '' : String(v).trim());

export default {
  name: 'UnitsPage',
  setup() {
    const perms = { write: can('registry.write'), export: can('registry.export') };
    const grids = ref([]);
    const activeGrids = computed(() => grids.value.filter((g) => g.status === 'active'));
    const names = computed(() => new Map(grids.value.map((g) => [g.code, g.name])));
    const gridName = (code) => names.value.get(code) || code;
    const grid = ref('');
    const canGrids = can('grid.read');
    const rows = ref([]);
    const next = ref(null);
    const loading = ref(false);

    // first: from the start of the list; else the next page, appended.
    async function load(first = true) {
      loading.value = true;
      try {
        const r = await api.get('/api/v1/units', { grid: grid.value, limit: PAGE_SIZE, cursor: first ? null : next.value });
        rows.value = first ? r.items : rows.value.concat(r.items);
        next.value = r.next_cursor || null;
      } catch (e) { reportError(e); }
      finally { loading.value = false; }
    }

    const card = reactive({ open: false, unit: null });
    async function openCard(id) {
      try {
        card.unit = await api.get(`/api/v1/units/${id}`);
        card.open = true;
      } catch (e) { reportError(e); }
    }

    // edit: the id of the unit edited (0: a new one); orig: its fields as read, version: its version.
    const blank = () => ({ open: false, edit: 0, orig: {}, version: 0, grid: '', name: '', credit_code: '', kind: '', address: '',
      contact_name: '', contact_phone: '', error: '', info: '', errors: {}, conflict: false, busy: false, reloading: false });
    const form = reactive(blank());
    function openForm() {
      Object.assign(form, blank(), { open: true, grid: grid.value || (activeGrids.value.length === 1 ? activeGrids.value[0].code : '') });
    }
    const fieldsOf = (u) => Object.fromEntries(EDIT_FIELDS.map((k) => [k, plain(u[k])]));
    function openEdit() {
      const orig = fieldsOf(card.unit);
      Object.assign(form, blank(), orig, { open: true, edit: card.unit.id, orig, version: card.unit.version });
    }
    // The unit as the server answered it, into the card and the list.
    function showUnit(u) {
      if (card.unit && card.unit.id === u.id) card.unit = u;
      const i = rows.value.findIndex((x) => x.id === u.id);
      if (i >= 0) rows.value.splice(i, 1, u);
    }
    // 重新加载 after a conflict: what the user changed stays, the rest follows the unit as it is now.
    async function reloadEdit() {
      form.reloading = true;
      try {
        const u = await api.get(`/api/v1/units/${form.edit}`);
        showUnit(u);
        for (const k of EDIT_FIELDS) if (plain(form[k]) === form.orig[k]) form[k] = plain(u[k]);
        Object.assign(form, { orig: fieldsOf(u), version: u.version, error: '', errors: {}, conflict: false,
          info: '已加载最新信息，请核对后再次保存' });
      } catch (e) { reportError(e); }
      finally { form.reloading = false; }
    }
    function refused(e) {
      if (e.status === 409 && e.code === 'version_conflict') {
        form.error = e.message;
        form.conflict = true;
      } else if ([400, 404, 409].includes(e.status)) {
        const field = fieldOf(e);
        if (field && !(field === 'grid' && form.edit)) form.errors = { [field]: e.message }; else form.error = e.message;
      } else reportError(e);
    }
    async function saveEdit() {
      // Only what changed: the audit trail names the fields changed.
      const body = {};
      for (const k of EDIT_FIELDS) {
        let v = plain(form[k]);
        if (k === 'credit_code') v = v.toUpperCase();
        if (v !== form.orig[k]) body[k] = v === '' ? null : v;
      }
      if (!Object.keys(body).length) { form.open = false; ElMessage.info('没有修改'); return; }
      form.busy = true;
      try {
        const u = await api.patch(`/api/v1/units/${form.edit}`, { version: form.version, ...body });
        showUnit(u);
        form.open = false;
        ElMessage.success(`已保存单位 ${u.name}`);
      } catch (e) { refused(e); }
      finally { form.busy = false; }
    }
    async function save() {
      form.error = '';
      form.info = '';
      form.errors = {};
      const missing = {};
      if (!form.edit && !form.grid) missing.grid = '请选择网格';
      if (!form.name.trim()) missing.name = '请填写单位名称';
      if (!form.credit_code.trim()) missing.credit_code = '请填写统一社会信用代码';
      if (!form.kind) missing.kind = '请选择单位类型';
      if (!form.address.trim()) missing.address = '请填写地址';
      if (Object.keys(missing).length) { form.errors = missing; return; }
      if (form.edit) { await saveEdit(); return; }
      const body = { grid: form.grid, name: form.name.trim(), credit_code: form.credit_code.trim().toUpperCase(), kind: form.kind,
        address: form.address.trim() };
      if (form.contact_name.trim()) body.contact_name = form.contact_name.trim();
      if (form.contact_phone.trim()) body.contact_phone = form.contact_phone.trim();
      form.busy = true;
      try {
        const u = await api.post('/api/v1/units', body);
        form.open = false;
        ElMessage.success(`已登记单位 ${u.name}`);
        await load(true);
        await openCard(u.id);
      } catch (e) {
        refused(e);
      } finally {
        form.busy = false;
      }
    }

    // The exports of what the list shows (registry.export): the server scopes, caps and audits
    // them; the grid filter goes along.
    const exportQuery = () => (grid.value ? { grid: grid.value } : {});
    const exportUrl = computed(() => apiUrl('/api/v1/units/export.xlsx', exportQuery()));
    const housesExportUrl = computed(() => apiUrl('/api/v1/houses/export.xlsx', exportQuery()));

    onMounted(async () => {
      load(true);
      if (canGrids) try { grids.value = (await api.get('/api/v1/grids', { limit: 200 })).items; } catch { grids.value = []; }
    });

    return { perms, grids, activeGrids, grid, gridName, rows, next, loading, load, card, openCard, form, openForm, save,
      openEdit, reloadEdit, narrow, formatDateTime, kindLabel, KINDS, Edit, Plus, Refresh, Download, exportUrl,
      housesExportUrl };
  },
  render: renderUnitsPage,
};
