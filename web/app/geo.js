// Shared pieces of the grid pages (网格地图, 网格管理, 网格检查): Leaflet maps that need no
// external tiles, reading boundary GeoJSON typed or uploaded by a clerk, the region tree loader,
// labels and number formats, and two small components (MiniMap, BoundaryInput).
//
// Maps draw grid outlines on a plain background. A tile layer is added only when one is
// configured, so by default the browser fetches nothing from outside the system. The setting is
// in web/config.json, which the server reads too (its Content-Security-Policy lets images come
// from the tiles' origin, and from nowhere else outside the system):
//   { "tileUrl": "https://{s}.tiles.example/{z}/{x}/{y}.png", "tileAttribution": "© …" }
//
// Names are text: Leaflet takes a string tooltip as HTML, so tooltips get a text node
// (textTooltip) and never a string built from data.
import { computed, onBeforeUnmount, onMounted, ref, watch } from 'vue';
import { ElMessage } from 'element-plus';
import * as L from 'leaflet';
import { UploadFilled } from '@element-plus/icons-vue';
import { api } from './api.js';
import { formatDateTime } from './format.js';
import { renderRegionCascader, renderMiniMap, renderBoundaryInput } from './gen/geo.js';

export const KIND_LABEL = { comprehensive: '综合网格', dedicated: '专属网格' };
export const SUBTYPES = ['园区', '商圈市场', '企业', '学校', '医院', '景区', '商务楼宇'];
export const STATUS_LABEL = { active: '在用', retired: '已注销' };
export const LEVEL_LABEL = { 1: '省', 2: '市', 3: '县级', 4: '乡级', 5: '村级' };

// Outline and fill of a grid by kind; the selected grid is drawn heavier.
export const KIND_STYLE = {
  comprehensive: { color: '#2b6cc4', fillColor: '#5b9cf0' },
  dedicated: { color: '#c2710c', fillColor: '#f0a640' },
};
export function gridStyle(kind, selected = false) {
  const k = KIND_STYLE[kind] || KIND_STYLE.comprehensive;
  return {
    ...k, weight: selected ? 3 : 1.2, opacity: 1,
    fillOpacity: selected ? 0.45 : 0.16,
  };
}

// ---- numbers, dates, areas ----

export function formatCount(n) {
  return n === null || n === undefined ? '—' : Number(n).toLocaleString('zh-CN');
}

// UTC seconds (the API's times) → "2026-11-28 23:01:02" in China time; null → "—".
// Times come from the API as RFC 3339 text (2026-11-28T23:00:00+08:00).
export function formatTime(t) {
  return t === null || t === undefined || t === '' ? '—' : formatDateTime(typeof t === 'number' ? t * 1000 : t);
}

// Square metres → "3,250 平方米" or "1.25 平方千米".
export function formatArea(m2) {
  if (m2 === null || m2 === undefined || Number.isNaN(Number(m2))) return '—';
  const v = Number(m2);
  if (v >= 1e6) return `${(v / 1e6).toLocaleString('zh-CN', { maximumFractionDigits: 2 })} 平方千米`;
  return `${Math.round(v).toLocaleString('zh-CN')} 平方米`;
}

// ---- GeoJSON typed or uploaded by a user ----

function geometryOf(obj, what) {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${what}不是 GeoJSON 对象`);
  if (obj.type === 'FeatureCollection') {
    const n = Array.isArray(obj.features) ? obj.features.length : 0;
    if (n !== 1) throw new Error(`${what}包含 ${n} 个要素，一个网格只能有一个边界`);
    return geometryOf(obj.features[0], what);
  }
  if (obj.type === 'Feature') {
    if (!obj.geometry) throw new Error(`${what}的要素没有几何图形`);
    return geometryOf(obj.geometry, what);
  }
  if (obj.type !== 'Polygon' && obj.type !== 'MultiPolygon') {
    throw new Error(`${what}必须是面（Polygon 或 MultiPolygon），而不是 ${String(obj.type || '未知类型')}`);
  }
  if (!Array.isArray(obj.coordinates) || obj.coordinates.length === 0) throw new Error(`${what}缺少坐标`);
  return { type: obj.type, coordinates: obj.coordinates };
}

function parseJson(text, what) {
  if (!text || !text.trim()) throw new Error(`${what}为空`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what}不是有效的 JSON，请检查格式`);
  }
}

// Text of a .geojson file or pasted GeoJSON → a Polygon/MultiPolygon geometry. Throws an Error
// with a Chinese message for what a browser can see (JSON syntax, wrong type, several
// features); geometric validity (self-intersection…) is the server's to judge.
export function parseBoundary(text, what = '边界') {
  return geometryOf(parseJson(text, what), what);
}

// A FeatureCollection (or one geometry) → [{name, geometry}], for the parts of a split.
export function parseParts(text, what = '文件') {
  const obj = parseJson(text, what);
  const feats = obj && obj.type === 'FeatureCollection' && Array.isArray(obj.features) ? obj.features : [obj];
  return feats.map((f, i) => ({
    name: (f && f.properties && typeof f.properties.name === 'string') ? f.properties.name : '',
    geometry: geometryOf(f, `${what}第 ${i + 1} 个要素`),
  }));
}

export function countVertices(geometry) {
  if (!geometry) return 0;
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let n = 0;
  for (const poly of polys || []) for (const ring of poly || []) n += Array.isArray(ring) ? ring.length : 0;
  return n;
}

export function describeGeometry(geometry) {
  if (!geometry) return '';
  const parts = geometry.type === 'MultiPolygon' ? `${geometry.coordinates.length} 个面` : '单个面';
  return `${parts}，${countVertices(geometry)} 个顶点`;
}

// ---- the region tree, within the caller's scope ----

// The top of what the caller may see: regions are listed by code, and a subtree's root has the
// smallest code in it (its lower digits are zeros).
export async function scopeRoot() {
  const res = await api.get('/api/v1/regions', { limit: 1 });
  return res.items[0] || null;
}

// Every page of a region list (keyset pages: follow next_cursor to the end).
async function allRegions(query) {
  const items = [];
  for (let cursor = null; ;) {
    const res = await api.get('/api/v1/regions', { ...query, limit: 200, cursor });
    items.push(...res.items);
    if (!res.next_cursor) return items;
    cursor = res.next_cursor;
  }
}

export const childRegions = (code) => allRegions({ parent: code });
export const regionsAtLevel = (level) => allRegions({ level });

// A region as an el-tree / el-cascader node. The API's `children` (a count) is renamed, since
// both components read a `children` field as the list of child nodes.
export function regionNode(r) {
  const { children, ...rest } = r;
  return { ...rest, childCount: children, leaf: !children };
}

// A region picker over the scope's tree (any level may be picked); v-model is the region code
// ('' for none).
export const RegionCascader = {
  name: 'RegionCascader',
  props: { modelValue: String, placeholder: { type: String, default: '选择行政区划' } },
  emits: ['update:modelValue', 'picked'],
  setup(props, { emit }) {
    const cascader = ref(null);
    const cprops = {
      lazy: true, checkStrictly: true, emitPath: false, value: 'code', label: 'name', leaf: 'leaf',
      async lazyLoad(node, resolve) {
        try {
          if (node.level === 0) {
            const r = await scopeRoot();
            resolve(r ? [regionNode(r)] : []);
          } else {
            resolve((await childRegions(node.value)).map(regionNode));
          }
        } catch (e) {
          ElMessage.error(e.message);
          resolve([]);
        }
      },
    };
    function changed(v) {
      emit('update:modelValue', v || '');
      const node = cascader.value?.getCheckedNodes()?.[0];
      emit('picked', node ? node.data : null);
    }
    // A lazy cascader cannot show a value whose branch is not loaded yet (one set from the
    // address, say): its name is shown in the placeholder's place until then.
    const presetName = ref('');
    watch(() => props.modelValue, async (code) => {
      presetName.value = '';
      if (!code) return;
      try {
        const r = await api.get(`/api/v1/regions/${code}`);
        if (props.modelValue === code) {
          presetName.value = r.name;
          emit('picked', regionNode(r));
        }
      } catch { /* the placeholder stays */ }
    }, { immediate: true });
    return { cascader, cprops, changed, presetName };
  },
  render: renderRegionCascader,
};

// ---- Leaflet ----

// The site's settings (web/config.json), fetched once; {} when there are none.
let configPromise = null;
export function siteConfig() {
  if (!configPromise) {
    configPromise = fetch('config.json', { headers: { accept: 'application/json' } })
      .then((r) => (r.ok ? r.json() : {}))
      .then((c) => (c && typeof c === 'object' ? c : {}))
      .catch(() => ({}));
  }
  return configPromise;
}

// Leaflet's attribution control takes HTML: the configured text goes in escaped.
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// A Leaflet tooltip (or popup) content that is text: a function Leaflet calls when it opens,
// returning a text node. Leaflet inserts a string content as HTML; never pass it one built
// from data.
export function textTooltip(text) {
  return () => document.createTextNode(String(text ?? ''));
}

const removedMaps = new WeakSet();

// A map in el: the demo city's neighbourhood until something is drawn, metric scale, Chinese
// button titles, and tiles only when configured (added once the settings have arrived).
export function createMap(el, { center = [36.45, 115.98], zoom = 8 } = {}) {
  const map = L.map(el, { center, zoom, zoomSnap: 0.25, zoomControl: false, attributionControl: false });
  L.control.zoom({ zoomInTitle: '放大', zoomOutTitle: '缩小' }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  siteConfig().then(({ tileUrl, tileAttribution }) => {
    if (!tileUrl || typeof tileUrl !== 'string' || removedMaps.has(map)) return;
    L.control.attribution({ prefix: false }).addTo(map);
    const attribution = typeof tileAttribution === 'string' ? escapeHtml(tileAttribution) : '';
    L.tileLayer(tileUrl, { attribution, maxZoom: 19 }).addTo(map).bringToBack();
  });
  return map;
}

// Keeps a map's size right when its box changes (a dialog opening, the phone turning).
export function followSize(map, el) {
  if (typeof ResizeObserver === 'undefined') return () => {};
  const ro = new ResizeObserver(() => map.invalidateSize());
  ro.observe(el);
  return () => ro.disconnect();
}

// Fits the view to a layer without animation (the data just arrived: nothing to animate from).
export function fitTo(map, layer, maxZoom = 16, pad = 0) {
  const b = layer && layer.getBounds && layer.getBounds();
  if (b && b.isValid()) map.fitBounds(pad ? b.pad(pad) : b, { padding: [24, 24], maxZoom, animate: false });
}

// Removes a map. Leaflet 1.9 ends a zoom animation from a 250 ms timer that does not check
// whether the map was removed meanwhile (leaving the page right after a zoom would throw):
// end a running animation first, so that timer finds nothing to do.
export function destroyMap(map) {
  if (!map) return;
  removedMaps.add(map);
  if (map._animatingZoom) map._onZoomTransitionEnd();
  map.remove();
}

export { L };

// A small map showing a few shapes: layers is [{geometry, style, className, label, focus}],
// fitted to the layers marked focus (with some surroundings), else to all of them.
// Used for previews (an uploaded boundary), history versions and check findings.
export const MiniMap = {
  name: 'MiniMap',
  props: {
    layers: { type: Array, default: () => [] },
    height: { type: String, default: '260px' },
  },
  setup(props) {
    const el = ref(null);
    let map = null, group = null, unfollow = () => {};
    function draw() {
      if (!map) return;
      group.clearLayers();
      const focus = L.featureGroup();
      for (const l of props.layers) {
        if (!l || !l.geometry) continue;
        const layer = L.geoJSON(l.geometry, {
          style: () => ({ weight: 1.5, fillOpacity: 0.2, ...(l.style || {}), className: l.className || '' }),
          interactive: !!l.label,
        });
        if (l.label) layer.bindTooltip(textTooltip(l.label), { sticky: true });
        group.addLayer(layer);
        if (l.focus) focus.addLayer(L.geoJSON(l.geometry));
      }
      if (group.getLayers().length) {
        map.invalidateSize();
        if (focus.getLayers().length) fitTo(map, focus, 18, 1.5);
        else fitTo(map, group, 18);
      }
    }
    onMounted(() => {
      map = createMap(el.value);
      group = L.featureGroup().addTo(map);
      unfollow = followSize(map, el.value);
      draw();
    });
    onBeforeUnmount(() => { unfollow(); destroyMap(map); map = null; });
    watch(() => props.layers, draw, { deep: false });
    return { el };
  },
  render: renderMiniMap,
};

// A boundary typed or uploaded: v-model is the parsed geometry (null until valid). Shows what
// was read, or why it cannot be used, under the box.
export const BoundaryInput = {
  name: 'BoundaryInput',
  props: {
    modelValue: Object,
    fileLabel: { type: String, default: '将 GeoJSON 文件拖到此处，或点击选择文件' },
    tip: { type: Boolean, default: true },
  },
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    const mode = ref('file');
    const text = ref('');
    const fileName = ref('');
    const error = ref('');
    function take(src, label) {
      try {
        const g = parseBoundary(src, label);
        error.value = '';
        emit('update:modelValue', g);
      } catch (e) {
        error.value = e.message;
        emit('update:modelValue', null);
      }
    }
    async function onFile(file) {
      fileName.value = file.name;
      if (file.size > 8 * 1024 * 1024) {
        error.value = '文件超过 8 MB，请简化边界后再上传';
        emit('update:modelValue', null);
        return;
      }
      take(await file.raw.text(), `文件“${file.name}”`);
    }
    function onPaste() {
      if (!text.value.trim()) { error.value = ''; emit('update:modelValue', null); return; }
      take(text.value, '粘贴的内容');
    }
    function clear() {
      fileName.value = ''; text.value = ''; error.value = '';
      emit('update:modelValue', null);
    }
    watch(mode, clear);
    const summary = computed(() => (props.modelValue ? describeGeometry(props.modelValue) : ''));
    return { mode, text, fileName, error, onFile, onPaste, clear, summary, UploadFilled };
  },
  render: renderBoundaryInput,
};
