// 网格地图: the region tree on the left, the grids of the chosen region on a map (outlines on a
// plain background, coloured by kind; retired grids are not drawn) with the outlines of the
// region and of its child regions (the counties of a city, the townships of a county: the map
// shows where they lie even without map tiles), a card for the clicked grid, and 定位: click a
// point, the server says which grid covers it.
// #/map?grid=CODE opens the map on that grid's community with the grid selected.
import { computed, nextTick, onBeforeUnmount, onMounted, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { Aim, Clock, Close, Grid as GridIcon } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { navigate, route } from '../router.js';
import { narrow } from '../screen.js';
import {
  L, KIND_LABEL, STATUS_LABEL, childRegions, createMap, destroyMap, fitTo, followSize, formatCount, formatTime,
  gridStyle, regionNode, scopeRoot, textTooltip,
} from '../geo.js';
import { renderMapPage } from '../gen/pages/map.js';

// A region's grids for the map: the server answers pages of at most 1,000 features ("truncated"
// while more follow); the map follows next_cursor to the last one.
async function regionGrids(code) {
  const fc = { type: 'FeatureCollection', features: [] };
  for (let cursor = null, more = true; more;) {
    const page = await api.get(`/api/v1/regions/${code}/grids.geojson`, { cursor });
    fc.features.push(...page.features);
    [cursor, more] = [page.next_cursor, page.truncated && Boolean(page.next_cursor)];
  }
  return fc;
}

// The child regions of code that have a boundary, with it (one request each, so at most
// MAX_CHILD_OUTLINES: a township's villages, not a city's thousands).
const MAX_CHILD_OUTLINES = 100;
async function childOutlines(code) {
  const kids = (await childRegions(code)).filter((c) => c.has_boundary);
  if (kids.length > MAX_CHILD_OUTLINES) return [];
  return Promise.all(kids.map((c) => api.get(`/api/v1/regions/${c.code}`)));
}

export default {
  name: 'MapPage',
  setup() {
    const mapEl = ref(null);
    const root = ref(null);
    const region = ref(null);        // the region shown
    const stats = ref({ total: 0, comprehensive: 0, dedicated: 0 });
    const loading = ref(false);
    const error = ref('');
    const card = ref(null);          // the clicked grid (without its boundary)
    const locating = ref(false);
    const locateResult = ref(null);  // { ok, text }

    // Leaflet objects stay outside Vue's reactivity.
    let map = null, gridLayer = null, regionLayer = null, childLayer = null, pointLayer = null, unfollow = () => {};
    const byCode = new Map();        // grid code → its polygon layer
    let selected = null, regionSeq = 0, cardSeq = 0;

    function styleOf(feature, isSelected = false) {
      return { ...gridStyle(feature.properties.kind, isSelected), className: `grid-shape grid-${feature.properties.kind}` };
    }

    function highlight(code) {
      if (selected && byCode.has(selected)) {
        const old = byCode.get(selected);
        old.setStyle(gridStyle(old.feature.properties.kind, false));
      }
      selected = code;
      const layer = code && byCode.get(code);
      if (layer) {
        layer.setStyle(gridStyle(layer.feature.properties.kind, true));
        layer.bringToFront();
      }
    }

    async function selectGrid(code) {
      const seq = ++cardSeq;
      highlight(code);
      card.value = { code, name: byCode.get(code)?.feature.properties.name || code, loading: true };
      try {
        const { boundary, ...g } = await api.get(`/api/v1/grids/${code}`);
        if (seq === cardSeq) {
          card.value = g;
          // On a phone the card sits under the map: bring it into sight.
          if (narrow.value) nextTick(() => document.querySelector('.grid-card')?.scrollIntoView({ behavior: 'smooth', block: 'nearest' }));
        }
        return { ...g, boundary };
      } catch (e) {
        if (seq === cardSeq) card.value = null;
        ElMessage.error(e.message);
        return null;
      }
    }

    function closeCard() {
      cardSeq++;
      card.value = null;
      highlight(null);
    }

    async function showRegion(r) {
      const seq = ++regionSeq;
      loading.value = true;
      region.value = r;
      try {
        const [fc, full, kids] = await Promise.all([
          regionGrids(r.code),
          api.get(`/api/v1/regions/${r.code}`),
          childOutlines(r.code),
        ]);
        if (seq !== regionSeq || !map) return;
        error.value = '';
        region.value = full;
        closeCard();
        byCode.clear();
        gridLayer.clearLayers();
        regionLayer.clearLayers();
        childLayer.clearLayers();
        pointLayer.clearLayers();
        if (full.boundary) regionLayer.addData(full.boundary);
        for (const k of kids) {
          childLayer.addData({ type: 'Feature', geometry: k.boundary, properties: { code: k.code, name: k.name } });
        }
        gridLayer.addData(fc);
        const s = { total: 0, comprehensive: 0, dedicated: 0 };
        for (const f of fc.features) { s.total++; s[f.properties.kind] = (s[f.properties.kind] || 0) + 1; }
        stats.value = s;
        // A city, county or township is shown whole; a village by its grids.
        fitTo(map, full.boundary && full.level < 5 ? regionLayer : fc.features.length ? gridLayer : regionLayer);
      } catch (e) {
        if (seq === regionSeq) error.value = e.message;
      } finally {
        if (seq === regionSeq) loading.value = false;
      }
    }

    // el-tree lazy loading: the first level is the caller's scope root.
    async function loadNode(node, resolve) {
      try {
        if (node.level === 0) resolve(root.value ? [regionNode(root.value)] : []);
        else resolve((await childRegions(node.data.code)).map(regionNode));
      } catch (e) {
        ElMessage.error(e.message);
        resolve([]);
      }
    }

    async function locate(latlng) {
      const lng = latlng.lng.toFixed(7), lat = latlng.lat.toFixed(7);
      pointLayer.clearLayers();
      L.circleMarker(latlng, {
        radius: 6, color: '#fff', weight: 2, fillColor: '#e53935', fillOpacity: 1,
        className: 'locate-point', interactive: false,
      }).addTo(pointLayer);
      try {
        const hit = await api.get('/api/v1/grids/locate', { lng, lat });
        if (!byCode.has(hit.code)) {
          // Outside the region on show: add the grid to the map, so it can be seen and clicked.
          const g = await api.get(`/api/v1/grids/${hit.code}`);
          gridLayer.addData({ type: 'Feature', id: g.code, geometry: g.boundary,
            properties: { code: g.code, name: g.name, kind: g.kind, status: g.status } });
        }
        locateResult.value = { ok: true, text: `该位置属于：${hit.name}（${hit.code}），${hit.community.name}` };
        await selectGrid(hit.code);
      } catch (e) {
        highlight(null);
        card.value = null;
        locateResult.value = { ok: false, text: e.message };
        if (e.code !== 'not_found') ElMessage.error(e.message);
      }
    }

    function toggleLocate() {
      locating.value = !locating.value;
      locateResult.value = null;
      if (!locating.value) pointLayer.clearLayers();
    }

    onMounted(async () => {
      map = createMap(mapEl.value);
      regionLayer = L.geoJSON(null, {
        interactive: false,
        style: () => ({ color: '#7a8699', weight: 1.5, dashArray: '6 4', fill: false, className: 'region-outline' }),
      }).addTo(map);
      childLayer = L.geoJSON(null, {
        interactive: false,
        style: () => ({ color: '#4a5a70', weight: 1.2, fill: false, className: 'child-outline' }),
        onEachFeature(f, layer) {
          layer.on('add', () => layer.getElement()?.setAttribute('data-code', f.properties.code));
        },
      }).addTo(map);
      gridLayer = L.geoJSON(null, {
        style: (f) => styleOf(f),
        onEachFeature(f, layer) {
          byCode.set(f.properties.code, layer);
          // The code on the SVG path too: handy for tests and for people reading the page.
          layer.on('add', () => layer.getElement()?.setAttribute('data-code', f.properties.code));
          layer.bindTooltip(textTooltip(f.properties.name), { sticky: true, direction: 'top', className: 'grid-tooltip' });
          layer.on('click', (ev) => {
            if (locating.value) return; // the map's click handler locates
            L.DomEvent.stopPropagation(ev);
            selectGrid(f.properties.code);
          });
        },
      }).addTo(map);
      pointLayer = L.layerGroup().addTo(map);
      map.on('click', (ev) => { if (locating.value) locate(ev.latlng); });
      unfollow = followSize(map, mapEl.value);

      try {
        root.value = await scopeRoot();
      } catch (e) {
        error.value = e.message;
        return;
      }
      if (!root.value) { error.value = '您的账号没有可查看的行政区划'; return; }
      const want = route.query.grid;
      if (want) {
        try {
          const g = await api.get(`/api/v1/grids/${want}`);
          await showRegion({ code: g.community.code, name: g.community.name });
          await selectGrid(want);
          return;
        } catch (e) {
          ElMessage.error(e.message);
        }
      }
      await showRegion(root.value);
    });
    onBeforeUnmount(() => { unfollow(); destroyMap(map); map = null; });

    const pickRegion = (data) => showRegion(data);
    const openHistory = () => navigate('/grids', { history: card.value.code });
    const openAdmin = () => navigate('/grids', { region: card.value.community.code });

    return {
      mapEl, root, region, stats, loading, error, card, locating, locateResult, narrow,
      loadNode, pickRegion, toggleLocate, closeCard, openHistory, openAdmin,
      KIND_LABEL, STATUS_LABEL, formatCount, formatTime, Aim, Clock, Close, GridIcon,
      treeProps: { label: 'name', isLeaf: 'leaf' },
      defaultExpanded: computed(() => (root.value ? [root.value.code] : [])),
    };
  },
  render: renderMapPage,
};
