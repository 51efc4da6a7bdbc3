// 网格检查: pick a community, township or county, run GET /api/v1/grids/checks and list the
// findings grouped by type (网格重叠, 空白区域, 超出社区边界, 规模超出指导范围, 社区未登记边界),
// naming the grids and the area; a finding clicked is drawn on a small map with the grids
// involved and the community's boundary.
import { computed, nextTick, onMounted, ref } from 'vue';
import { CircleCheck, Search } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { navigate } from '../router.js';
import { narrow } from '../screen.js';
import { MiniMap, RegionCascader, formatArea, formatCount, gridStyle, scopeRoot } from '../geo.js';
import { renderChecksPage } from '../gen/pages/checks.js';

// Display order and tag colour of each finding type; unknown types follow, with the server's label.
const TYPES = {
  overlap: { tag: 'danger', order: 1 },
  gap: { tag: 'warning', order: 2 },
  outside: { tag: 'danger', order: 3 },
  size: { tag: 'warning', order: 4 },
  no_boundary: { tag: 'info', order: 5 },
  no_worker: { tag: 'warning', order: 6 },
};

export default {
  name: 'ChecksPage',
  components: { MiniMap, RegionCascader },
  setup() {
    const region = ref('');
    const rootName = ref('');
    const result = ref(null);
    const running = ref(false);
    const error = ref('');
    const picked = ref(null);       // the finding shown on the map
    const layers = ref([]);
    const openGroups = ref([]);
    const mapCard = ref(null);
    const grids = new Map();        // code → grid with boundary (cached for this page)
    const communities = new Map();  // code → region with boundary

    async function run() {
      if (!region.value) { error.value = '请先选择检查范围'; return; }
      running.value = true;
      error.value = '';
      picked.value = null;
      layers.value = [];
      try {
        const r = await api.get('/api/v1/grids/checks', { region: region.value });
        r.findings.forEach((f, i) => { f.id = i; });
        result.value = r;
        openGroups.value = groups.value.map((g) => g.type);
      } catch (e) {
        error.value = e.message;
        result.value = null;
      } finally {
        running.value = false;
      }
    }

    const groups = computed(() => {
      if (!result.value) return [];
      const by = new Map();
      for (const f of result.value.findings) {
        if (!by.has(f.type)) by.set(f.type, { type: f.type, label: f.label, tag: TYPES[f.type]?.tag || 'info', items: [] });
        by.get(f.type).items.push(f);
      }
      return [...by.values()].sort((a, b) => (TYPES[a.type]?.order ?? 99) - (TYPES[b.type]?.order ?? 99));
    });

    async function cached(map, key, url) {
      if (!map.has(key)) map.set(key, api.get(url).catch(() => null));
      return map.get(key);
    }

    async function show(f) {
      picked.value = f;
      const [community, ...gs] = await Promise.all([
        cached(communities, f.community.code, `/api/v1/regions/${f.community.code}`),
        ...f.grids.map((c) => cached(grids, c, `/api/v1/grids/${c}`)),
      ]);
      if (picked.value !== f) return;
      const out = [];
      if (community && community.boundary) {
        out.push({ geometry: community.boundary, label: community.name, style: { color: '#7a8699', weight: 1.5, dashArray: '6 4', fillOpacity: 0.03 } });
      }
      for (const g of gs.filter(Boolean)) {
        out.push({ geometry: g.boundary, label: `${g.name}（${g.code}）`, style: { ...gridStyle(g.kind), weight: 1.5, fillOpacity: 0.12 } });
      }
      if (f.geometry) {
        out.push({ geometry: f.geometry, label: `${f.label}：${formatArea(f.area_m2)}`, className: 'finding-shape', focus: true, style: { color: '#d93026', fillColor: '#f56c6c', weight: 2, fillOpacity: 0.55 } });
      }
      layers.value = out;
      if (narrow.value) { await nextTick(); mapCard.value?.$el?.scrollIntoView({ behavior: 'smooth', block: 'start' }); }
    }

    onMounted(async () => {
      try {
        const root = await scopeRoot();
        if (root) { region.value = root.code; rootName.value = root.name; await run(); }
      } catch (e) {
        error.value = e.message;
      }
    });

    const t = computed(() => result.value && result.value.thresholds);
    const problemCount = computed(() => (result.value ? result.value.findings.length : 0));
    const openGrid = (code) => navigate('/map', { grid: code });
    return {
      region, rootName, result, running, error, picked, layers, openGroups, groups, mapCard, t, problemCount,
      run, show, openGrid, narrow, formatArea, formatCount, Search, CircleCheck,
      rowClass: ({ row }) => (picked.value && picked.value.id === row.id ? 'is-picked' : ''),
    };
  },
  render: renderChecksPage,
};
