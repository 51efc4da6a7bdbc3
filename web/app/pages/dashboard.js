// 指挥大屏 (#/dashboard): the command center's numbers for a region — the caller's own or one of
// its children — from GET /api/v1/matters/dashboard (counters the flow keeps; docs/api-matters.md):
// cards (在办, 黄牌, 红牌, 今日上报), ECharts charts (matters by state; reported today by source and
// by category; this week per day; yellow and red held by organisation), the ranking of
// organisations by 按期结案率, and a map of the open matters by grid, clustered on the screen.
// Refreshed every 30 s.
//
// Names are user data: every chart shows text only. Tooltips are drawn by ECharts itself
// (renderMode 'richText': canvas text, no HTML) from formatter functions returning plain text,
// and the braces of ECharts' rich-text syntax are replaced in names (plainName). The map's
// cluster counts and tooltips are text nodes (textTooltip).
import { computed, nextTick, onBeforeUnmount, onMounted, ref, shallowRef } from 'vue';
import { Refresh } from '@element-plus/icons-vue';
import * as echarts from 'echarts';
import { api } from '../api.js';
import { reportError } from '../session.js';
import { narrow } from '../screen.js';
import { L, childRegions, createMap, destroyMap, fitTo, followSize, scopeRoot, textTooltip } from '../geo.js';
import { CATEGORY_LABEL, SOURCE_LABEL, STATE_LABEL } from '../matters.js';
import { renderDashboardPage } from '../gen/pages/dashboard.js';

export const REFRESH_MS = 30_000;
const STATES = ['reported', 'accepted', 'in_progress', 'done', 'verified', 'reviewing', 'closed', 'rated', 'rejected'];
const STATE_NAME = { ...STATE_LABEL, reviewing: '复核中', rated: '已评价' };
const ORG_BARS = 15;      // organisations in the yellow/red chart
const CLUSTER_PX = 64;    // the side of a cluster cell on the screen

// ECharts reads "{style|text}" in labels as rich text: names keep their braces as full-width ones.
export const plainName = (s) => String(s ?? '').replace(/\{/g, '｛').replace(/\}/g, '｝');

// Organisations by 按期结案率: only those that closed something; ties by more closings, then
// by name (Chinese collation), then by id, so the order never depends on the answer's order.
const collator = new Intl.Collator('zh-CN');
export function rankOrganisations(orgs) {
  const sorted = orgs.filter((o) => o.closed > 0)
    .sort((a, b) => b.on_time_rate - a.on_time_rate || b.closed - a.closed
      || collator.compare(a.name, b.name) || a.id - b.id);
  // Equal rate and equal closings share a rank (1, 2, 2, 4).
  return sorted.map((o) => ({
    ...o, rank: sorted.findIndex((x) => x.on_time_rate === o.on_time_rate && x.closed === o.closed) + 1,
  }));
}

// The days from `from` to `to` ("YYYY-MM-DD", local), inclusive.
function daysBetween(from, to) {
  const out = [];
  const d = new Date(`${from}T00:00:00Z`), end = new Date(`${to}T00:00:00Z`);
  for (; d <= end && out.length < 8; d.setUTCDate(d.getUTCDate() + 1)) out.push(d.toISOString().slice(0, 10));
  return out;
}
const WEEKDAY = ['日', '一', '二', '三', '四', '五', '六'];
const dayLabel = (day) => `${day.slice(5)} 周${WEEKDAY[new Date(`${day}T00:00:00Z`).getUTCDay()]}`;

const tooltip = (formatter) => ({ trigger: 'item', renderMode: 'richText', formatter });
const textColor = '#303133';

function barOption(names, values, { color = '#409eff', horizontal = false, unit = '件' } = {}) {
  const cat = { type: 'category', data: names.map(plainName), axisLabel: { interval: 0, hideOverlap: true } };
  const val = { type: 'value', minInterval: 1 };
  return {
    animation: false,
    grid: { left: horizontal ? 120 : 40, right: 24, top: 16, bottom: horizontal ? 24 : 40, containLabel: false },
    tooltip: tooltip((p) => `${plainName(p.name)}：${p.value} ${unit}`),
    xAxis: horizontal ? val : cat,
    yAxis: horizontal ? { ...cat, inverse: true } : val,
    series: [{ type: 'bar', data: values, itemStyle: { color }, barMaxWidth: 28, label: { show: true, position: horizontal ? 'right' : 'top', color: textColor } }],
  };
}

function pieOption(entries) {
  return {
    animation: false,
    tooltip: tooltip((p) => `${plainName(p.name)}：${p.value} 件（${p.percent}%）`),
    legend: { bottom: 0, type: 'scroll', formatter: (n) => plainName(n) },
    series: [{
      type: 'pie', radius: ['35%', '62%'], center: ['50%', '45%'],
      data: entries.map(([name, value]) => ({ name: plainName(name), value })),
      label: { formatter: (p) => `${plainName(p.name)} ${p.value}` },
    }],
  };
}

// The charts of one answer, by the chart element's key.
function chartOptions(d) {
  const byState = STATES.filter((s) => d.counts.by_state[s]).concat(Object.keys(d.counts.by_state).filter((s) => !STATES.includes(s)));
  const src = Object.entries(d.reported_today.by_source).sort((a, b) => b[1] - a[1]);
  const cat = Object.entries(d.reported_today.by_category).sort((a, b) => b[1] - a[1]);
  const days = daysBetween(d.week_from, d.today);
  const coloured = d.organisations.filter((o) => o.yellow || o.red)
    .sort((a, b) => b.red - a.red || b.yellow - a.yellow || collator.compare(a.name, b.name) || a.id - b.id)
    .slice(0, ORG_BARS);
  return {
    state: barOption(byState.map((s) => STATE_NAME[s] || s), byState.map((s) => d.counts.by_state[s])),
    source: pieOption(src.map(([k, v]) => [SOURCE_LABEL[k] || k, v])),
    category: barOption(cat.map(([k]) => CATEGORY_LABEL[k] || k), cat.map(([, v]) => v), { color: '#67c23a' }),
    week: {
      ...barOption(days.map(dayLabel), days.map((day) => d.reported_by_day[day] || 0), { color: '#909399' }),
    },
    orgs: {
      animation: false,
      grid: { left: 160, right: 32, top: 28, bottom: 24 },
      legend: { top: 0, data: ['红牌（超期）', '黄牌（预警）'] },
      tooltip: tooltip((p) => `${plainName(p.name)}\n${p.seriesName}：${p.value} 件`),
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', inverse: true, data: coloured.map((o) => plainName(o.name)), axisLabel: { width: 150, overflow: 'truncate' } },
      series: [
        { name: '红牌（超期）', type: 'bar', stack: 'a', data: coloured.map((o) => o.red), itemStyle: { color: '#f56c6c' }, barMaxWidth: 22 },
        { name: '黄牌（预警）', type: 'bar', stack: 'a', data: coloured.map((o) => o.yellow), itemStyle: { color: '#e6a23c' }, barMaxWidth: 22 },
      ],
    },
  };
}

// ---- the map: grid centres and a clustering by screen cells ----

// The centre of a grid's outline (the mean of its outer ring's vertices: enough to place a dot).
function centreOf(geometry) {
  const ring = geometry?.type === 'Polygon' ? geometry.coordinates[0]
    : geometry?.type === 'MultiPolygon' ? geometry.coordinates[0][0] : null;
  if (!ring || ring.length < 2) return null;
  const pts = ring.slice(0, -1);
  return [pts.reduce((s, p) => s + p[1], 0) / pts.length, pts.reduce((s, p) => s + p[0], 0) / pts.length];
}

// Grid centres of a region: {code → {name, latlng}} (every page of the GeoJSON endpoint).
async function gridCentres(code) {
  const out = new Map();
  for (let cursor = null, more = true; more;) {
    const page = await api.get(`/api/v1/regions/${code}/grids.geojson`, { cursor });
    for (const f of page.features) {
      const c = centreOf(f.geometry);
      if (c) out.set(f.properties.code, { name: f.properties.name, latlng: c });
    }
    [cursor, more] = [page.next_cursor, page.truncated && Boolean(page.next_cursor)];
  }
  return out;
}

// Points [{latlng, open, name}] → clusters of the points whose screen positions at the map's
// zoom fall in the same CLUSTER_PX cell: [{latlng (open-weighted mean), open, grids, names}].
export function clusterPoints(map, points) {
  const cells = new Map();
  const zoom = map.getZoom();
  for (const p of points) {
    const px = map.project(p.latlng, zoom);
    const key = `${Math.floor(px.x / CLUSTER_PX)}:${Math.floor(px.y / CLUSTER_PX)}`;
    let c = cells.get(key);
    if (!c) cells.set(key, (c = { lat: 0, lng: 0, open: 0, grids: 0, names: [] }));
    c.lat += p.latlng[0] * p.open;
    c.lng += p.latlng[1] * p.open;
    c.open += p.open;
    c.grids += 1;
    if (c.names.length < 3) c.names.push(p.name);
  }
  return [...cells.values()].map((c) => ({ ...c, latlng: [c.lat / c.open, c.lng / c.open] }));
}

function clusterIcon(c) {
  const el = document.createElement('div');
  el.className = `dash-cluster${c.grids > 1 ? ' is-cluster' : ''}${c.open >= 10 ? ' is-many' : ''}`;
  el.textContent = String(c.open);
  const size = c.open >= 100 ? 44 : c.open >= 10 ? 36 : 28;
  return L.divIcon({ html: el, className: 'dash-cluster-box', iconSize: [size, size] });
}

export default {
  name: 'DashboardPage',
  setup() {
    const regions = ref([]);      // the caller's region and its children
    const region = ref('');
    const data = shallowRef(null);
    const loading = ref(false);
    const error = ref('');
    const updated = ref('');
    const mapEl = ref(null);
    const chartEls = { state: ref(null), source: ref(null), category: ref(null), week: ref(null), orgs: ref(null) };
    const charts = {};
    let map = null, clusterLayer = null, unfollow = () => {}, timer = null, seq = 0;
    let centres = new Map(), centresOf = '';

    const cards = computed(() => {
      const d = data.value;
      if (!d) return [];
      const today = Object.values(d.reported_today.by_source).reduce((s, n) => s + n, 0);
      return [
        { key: 'open', label: '在办事项', value: d.counts.open },
        { key: 'yellow', label: '黄牌预警', value: d.counts.yellow, cls: 'is-warn' },
        { key: 'red', label: '红牌超期', value: d.counts.red, cls: 'is-bad' },
        { key: 'today', label: '今日上报', value: today },
      ];
    });
    const ranking = computed(() => (data.value ? rankOrganisations(data.value.organisations) : []));
    const todayEmpty = computed(() => data.value && !Object.keys(data.value.reported_today.by_source).length);
    const orgsEmpty = computed(() => data.value && !data.value.organisations.some((o) => o.yellow || o.red));
    // The organisations' bars keep their thickness: the chart grows with their number.
    const orgsHeight = computed(() => {
      const n = data.value ? Math.min(ORG_BARS, data.value.organisations.filter((o) => o.yellow || o.red).length) : 0;
      return `${Math.max(160, 60 + 30 * n)}px`;
    });
    const percent = (r) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`);

    function drawCharts(d) {
      const opts = chartOptions(d);
      for (const [k, el] of Object.entries(chartEls)) {
        if (!el.value) continue;
        if (!charts[k] || charts[k].getDom() !== el.value) {
          charts[k]?.dispose();
          charts[k] = echarts.init(el.value, null, { renderer: 'canvas', locale: 'ZH' });
        }
        charts[k].setOption(opts[k], { notMerge: true });
        charts[k].resize();
      }
    }

    function drawClusters() {
      if (!map || !clusterLayer || !data.value) return;
      clusterLayer.clearLayers();
      const points = [];
      for (const g of data.value.open_by_grid) {
        const c = centres.get(g.code);
        if (c) points.push({ latlng: c.latlng, open: g.open, name: g.name });
      }
      for (const c of clusterPoints(map, points)) {
        const text = c.grids > 1
          ? `${c.grids} 个网格，在办 ${c.open} 件（${c.names.join('、')}${c.grids > c.names.length ? '等' : ''}）`
          : `${c.names[0]}：在办 ${c.open} 件`;
        L.marker(c.latlng, { icon: clusterIcon(c), keyboard: false })
          .bindTooltip(textTooltip(text), { direction: 'top' })
          .on('click', () => { if (c.grids > 1) map.setView(c.latlng, Math.min(map.getZoom() + 2, 18)); })
          .addTo(clusterLayer);
      }
    }

    async function load() {
      const s = ++seq;
      loading.value = true;
      try {
        const code = region.value;
        const [d, grids] = await Promise.all([
          api.get('/api/v1/matters/dashboard', { region: code }),
          centresOf === code ? centres : gridCentres(code),
        ]);
        if (s !== seq) return;
        const fresh = centresOf !== code;
        data.value = d;
        centres = grids;
        centresOf = code;
        error.value = '';
        updated.value = new Date().toLocaleTimeString('zh-CN', { hour12: false });
        await nextTick();
        drawCharts(d);
        if (fresh && map && centres.size) {
          const b = L.latLngBounds([...centres.values()].map((c) => c.latlng));
          if (b.isValid()) map.fitBounds(b, { padding: [24, 24], maxZoom: 15, animate: false });
        }
        drawClusters();
      } catch (e) {
        if (s === seq) { error.value = e.message; reportError(e); }
      } finally {
        if (s === seq) loading.value = false;
      }
    }

    const resize = () => { for (const c of Object.values(charts)) c.resize(); };

    onMounted(async () => {
      map = createMap(mapEl.value);
      clusterLayer = L.layerGroup().addTo(map);
      map.on('zoomend', drawClusters);
      unfollow = followSize(map, mapEl.value);
      window.addEventListener('resize', resize);
      try {
        const root = await scopeRoot();
        if (!root) throw new Error('没有可查看的行政区划');
        const kids = root.level < 4 ? await childRegions(root.code) : [];
        regions.value = [root, ...kids];
        region.value = root.code;
        await load();
      } catch (e) {
        error.value = e.message;
        reportError(e);
      }
      timer = setInterval(() => { if (!document.hidden) load(); }, REFRESH_MS);
    });
    onBeforeUnmount(() => {
      seq++;
      clearInterval(timer);
      window.removeEventListener('resize', resize);
      for (const c of Object.values(charts)) c.dispose();
      unfollow();
      destroyMap(map);
      map = null;
    });

    const pick = () => load();
    return {
      regions, region, data, loading, error, updated, cards, ranking, todayEmpty, orgsEmpty, orgsHeight, percent, mapEl,
      stateEl: chartEls.state, sourceEl: chartEls.source, categoryEl: chartEls.category, weekEl: chartEls.week,
      orgsEl: chartEls.orgs, load, pick, narrow, fitTo, Refresh,
    };
  },
  render: renderDashboardPage,
};
