// 单位 (#/units): the registry's units (单位: enterprises, shops, schools …; issue 12,
// docs/api-registry.md "Units"): the list in the caller's scope, filtered by grid, a keyset page
// at a time ("加载更多"); a unit's card; registering one. The unified social credit code is judged
// by the server alone (GB 32100 check character, duplicates): its Chinese message is shown under
// the field it is about, the others' above the form.
import { computed, onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { Plus, Refresh } from '@element-plus/icons-vue';
import { api } from '../api.js';
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
// The field each error code of POST /units is about; the rest go above the form.
const FIELD_OF = { bad_credit_code: 'credit_code', duplicate: 'credit_code', bad_name: 'name', bad_kind: 'kind', bad_grid: 'grid' };

export default {
  name: 'UnitsPage',
  setup() {
    const perms = { write: can('registry.write') };
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

    const blank = () => ({ open: false, grid: '', name: '', credit_code: '', kind: '', address: '', contact_name: '', contact_phone: '',
      error: '', errors: {}, busy: false });
    const form = reactive(blank());
    function openForm() {
      Object.assign(form, blank(), { open: true, grid: grid.value || (activeGrids.value.length === 1 ? activeGrids.value[0].code : '') });
    }
    async function save() {
      form.error = '';
      form.errors = {};
      const missing = {};
      if (!form.grid) missing.grid = '请选择网格';
      if (!form.name.trim()) missing.name = '请填写单位名称';
      if (!form.credit_code.trim()) missing.credit_code = '请填写统一社会信用代码';
      if (!form.kind) missing.kind = '请选择单位类型';
      if (!form.address.trim()) missing.address = '请填写地址';
      if (Object.keys(missing).length) { form.errors = missing; return; }
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
        if ([400, 404, 409].includes(e.status)) {
          const field = FIELD_OF[e.code];
          if (field) form.errors = { [field]: e.message }; else form.error = e.message;
        } else reportError(e);
      } finally {
        form.busy = false;
      }
    }

    onMounted(async () => {
      load(true);
      if (canGrids) try { grids.value = (await api.get('/api/v1/grids', { limit: 200 })).items; } catch { grids.value = []; }
    });

    return { perms, grids, activeGrids, grid, gridName, rows, next, loading, load, card, openCard, form, openForm, save,
      narrow, formatDateTime, kindLabel, KINDS, Plus, Refresh };
  },
  render: renderUnitsPage,
};
