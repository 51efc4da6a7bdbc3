// 数据核实 (#/registry-quality): the registry's data-quality lists (issue 12 part 6,
// docs/api-registry.md "Data quality"), from GET /api/v1/registry/quality, one tab per kind:
// 待核实 (present people not verified for the server's threshold of months), 重复 (people sharing
// an ID number), 无房屋 (present people in no house) and 房屋人数异常 (houses with more residents
// than the threshold). Scoped by the server: a grid worker's lists are their grids, which makes
// 待核实 their to-verify list; built for a phone. 核实 on a person sends PATCH verify: true (the
// record was checked with the person now); on 待核实 the person then leaves the list, on the
// other tabs the row stays (the problem it shows is still there) and says 已核实. Key people are
// in the people lists only for holders of person.key_read who give a reason.
import { computed, onMounted, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { Refresh } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { can, reportError } from '../session.js';
import { formatDateTime } from '../format.js';
import { ReasonDialog } from '../person-card.js';
import { renderRegistryQualityPage } from '../gen/pages/registry-quality.js';

const PAGE_SIZE = 20;
const KINDS = [
  { value: 'unverified', label: '待核实' }, { value: 'duplicates', label: '重复' },
  { value: 'no_house', label: '无房屋' }, { value: 'crowded', label: '房屋人数异常' },
];
const EMPTY = {
  unverified: '没有待核实的人员', duplicates: '没有身份证号码重复的人员',
  no_house: '没有无居住房屋的在住人员', crowded: '没有居住人数异常的房屋',
};

export default {
  name: 'RegistryQualityPage',
  components: { ReasonDialog },
  setup() {
    const perms = { verify: can('person.write'), key: can('person.key_read') };
    const kind = ref('unverified');
    const grids = ref([]);
    const grid = ref('');
    const rows = ref([]);
    const next = ref(null);
    const threshold = ref(null);
    const loading = ref(false);
    const error = ref('');
    const busy = ref(0);
    // Grid names by code, for the rows (which carry the code).
    const names = computed(() => new Map(grids.value.map((g) => [g.code, g.name])));
    const gridName = (code) => names.value.get(code) || code;
    const isPeople = computed(() => kind.value !== 'crowded');
    const emptyText = computed(() => EMPTY[kind.value]);
    const hint = computed(() => {
      if (kind.value === 'unverified') return threshold.value ? `超过 ${threshold.value} 个月未核实的在住人员（登记即算一次核实）。与本人核对信息后点“核实”。` : '';
      if (kind.value === 'duplicates') return '身份证号码与他人相同的人员，应查明后更正。';
      if (kind.value === 'no_house') return '在住但未登记居住房屋的人员。';
      return threshold.value ? `现住人数超过 ${threshold.value} 人的房屋，可能登记有误或存在群租。` : '';
    });

    // The reason for key people, asked once; sent only while 含重点人员 is ticked.
    const withKey = ref(false);
    const keyReason = ref('');
    const reasonOpen = ref(false);
    function onWithKey(v) {
      if (v && !keyReason.value) { withKey.value = false; reasonOpen.value = true; return; }
      load(true);
    }
    function onReason(r) {
      keyReason.value = r;
      withKey.value = true;
      load(true);
    }

    // Answers are matched to the request that is current, so a slow answer of a tab left behind
    // does not fill the tab now shown.
    let seq = 0;
    async function load(first = true) {
      const mine = ++seq;
      error.value = '';
      loading.value = true;
      if (first) { rows.value = []; next.value = null; }
      try {
        const r = await api.get('/api/v1/registry/quality', { kind: kind.value, grid: grid.value,
          reason: withKey.value && isPeople.value ? keyReason.value : '', limit: PAGE_SIZE, cursor: first ? null : next.value });
        if (mine !== seq) return;
        rows.value = first ? r.items : rows.value.concat(r.items);
        next.value = r.next_cursor || null;
        threshold.value = r.threshold ?? null;
      } catch (e) {
        if (mine === seq) { if (e.status === 400) error.value = e.message; else reportError(e); }
      } finally {
        if (mine === seq) loading.value = false;
      }
    }

    async function verify(row) {
      error.value = '';
      busy.value = row.id;
      try {
        await api.patch(`/api/v1/people/${row.id}`, { verify: true });
        ElMessage.success(`已核实 ${row.name}`);
        if (kind.value === 'unverified') rows.value = rows.value.filter((r) => r.id !== row.id);
        else rows.value = rows.value.map((r) => (r.id === row.id ? { ...r, verified: true, verified_at: new Date().toISOString() } : r));
      } catch (e) {
        if ([400, 404, 409].includes(e.status)) error.value = `${row.name}：${e.message}`; else reportError(e);
      } finally {
        busy.value = 0;
      }
    }

    onMounted(async () => {
      load(true);
      // The grid filter needs grid.read (every built-in role with these pages holds it).
      if (can('grid.read')) try { grids.value = (await api.get('/api/v1/grids', { limit: 200 })).items; } catch { grids.value = []; }
    });

    return { perms, kind, grids, grid, rows, next, loading, error, busy, gridName, isPeople, emptyText, hint,
      withKey, reasonOpen, onWithKey, onReason, load, verify, formatDateTime, KINDS, Refresh };
  },
  render: renderRegistryQualityPage,
};
