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
  template: `
    <el-card class="page-card checks-page" shadow="never">
      <template #header>
        <div class="card-head"><h1 class="page-title">网格检查</h1></div>
      </template>
      <el-form class="filter-bar" :inline="!narrow" :label-position="narrow ? 'top' : 'left'" @submit.prevent="run">
        <el-form-item label="检查范围">
          <region-cascader v-model="region" :placeholder="rootName || '选择社区/村、乡镇或县'" />
        </el-form-item>
        <el-form-item>
          <el-button type="primary" :icon="Search" :loading="running" @click="run" data-action="run-check">开始检查</el-button>
        </el-form-item>
      </el-form>
      <p class="page-hint">选择社区/村时检查该社区；选择乡镇（街道）或县（市、区）时逐个检查其下每个社区/村：网格之间是否重叠、社区内是否有空白区域、网格是否超出社区边界、综合网格规模是否在指导范围内。</p>
      <el-alert v-if="error" type="error" :title="error" show-icon :closable="false" class="table-error" />
      <el-skeleton v-if="running && !result" :rows="5" animated />
      <template v-if="result">
        <div class="check-summary" data-field="check-summary">
          <div class="stat"><div class="stat-label">检查范围</div><div class="stat-value" data-field="check-region">{{ result.region.name }}</div></div>
          <div class="stat"><div class="stat-label">社区/村</div><div class="stat-value">{{ formatCount(result.communities) }}</div></div>
          <div class="stat"><div class="stat-label">在用网格</div><div class="stat-value">{{ formatCount(result.grids) }}</div></div>
          <div class="stat" :class="problemCount ? 'is-bad' : 'is-good'"><div class="stat-label">发现问题</div><div class="stat-value" data-field="problem-count">{{ problemCount }}</div></div>
        </div>
        <p v-if="t" class="page-hint">规模指导范围：综合网格人口 {{ formatCount(t.residents_min) }}～{{ formatCount(t.residents_max) }} 人，或 {{ formatCount(t.households_min) }}～{{ formatCount(t.households_max) }} 户（满足其一即可）。</p>
        <el-result v-if="!problemCount" icon="success" title="未发现问题" sub-title="所选范围内的网格无重叠、无空白、未越界，规模均在指导范围内。" class="check-ok" />
        <div v-else class="check-body">
          <el-collapse v-model="openGroups" class="check-groups">
            <el-collapse-item v-for="g in groups" :key="g.type" :name="g.type" :data-type="g.type" class="check-group">
              <template #title>
                <span class="group-title">{{ g.label }}</span>
                <el-tag :type="g.tag" size="small" round disable-transitions class="group-count">{{ g.items.length }}</el-tag>
              </template>
              <el-table :data="g.items" size="small" border highlight-current-row :row-class-name="rowClass"
                        class="findings-table" @row-click="show">
                <el-table-column label="社区/村" width="90" show-overflow-tooltip><template #default="{ row }">{{ row.community.name }}</template></el-table-column>
                <el-table-column label="涉及网格" width="140">
                  <template #default="{ row }">
                    <span v-if="!row.grids.length" class="muted">—</span>
                    <div v-for="c in row.grids" :key="c"><el-link type="primary" underline="never" class="mono" @click.stop="openGrid(c)">{{ c }}</el-link></div>
                  </template>
                </el-table-column>
                <el-table-column v-if="g.type === 'size'" label="人口 / 户数" width="110" align="right">
                  <template #default="{ row }">{{ formatCount(row.residents) }} / {{ formatCount(row.households) }}</template>
                </el-table-column>
                <el-table-column v-else label="面积" width="110" align="right"><template #default="{ row }"><span data-col="area">{{ formatArea(row.area_m2) }}</span></template></el-table-column>
                <el-table-column label="说明" min-width="200"><template #default="{ row }"><span data-col="message">{{ row.message }}</span></template></el-table-column>
              </el-table>
            </el-collapse-item>
          </el-collapse>
          <el-card ref="mapCard" class="check-map" shadow="never">
            <template #header><span class="side-title">位置示意</span></template>
            <div v-if="picked" class="picked-text" data-field="picked-message">{{ picked.message }}</div>
            <div v-else class="muted picked-text">点击左侧的问题，在地图上查看其位置</div>
            <mini-map :layers="layers" :height="narrow ? '280px' : '380px'" />
            <div class="map-legend small">
              <span><i class="swatch swatch-finding"></i>问题区域</span>
              <span><i class="swatch swatch-comprehensive"></i>相关网格</span>
              <span><i class="swatch swatch-region"></i>社区边界</span>
            </div>
          </el-card>
        </div>
      </template>
    </el-card>`,
};
