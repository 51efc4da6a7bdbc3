// Pieces shared by the identity pages: copying to the clipboard, the permission catalog with its
// Chinese labels, a "shown once" secret box, organisation and region pickers, and paging through
// the keyset lists ({items, next_cursor}) of users, organisations, tokens and lockouts.
import { computed, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { CopyDocument } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { session } from '../session.js';
import { renderCursorPager, renderOnceSecret, renderOrgSelect, renderRegionCascader } from '../gen/pages/security-common.js';

// Copies text; falls back to a hidden textarea where the Clipboard API is missing (plain HTTP
// outside localhost).
export async function copyText(text, what = '内容') {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
    } else {
      const ta = document.createElement('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.style.position = 'fixed';
      ta.style.opacity = '0';
      document.body.appendChild(ta);
      ta.select();
      const ok = document.execCommand('copy');
      ta.remove();
      if (!ok) throw new Error('copy');
    }
    ElMessage.success(`${what}已复制`);
  } catch {
    ElMessage.warning('无法自动复制，请手动选中后复制');
  }
}

// GET /api/v1/permissions, once per page load: { permissions, builtin_roles, sensitive_fields }.
let catalogPromise = null;
export function loadCatalog() {
  if (!catalogPromise) {
    catalogPromise = api.get('/api/v1/permissions').catch((e) => { catalogPromise = null; throw e; });
  }
  return catalogPromise;
}

// Chinese label of a permission name, from a loaded catalog.
export function permLabel(catalog, name) {
  const p = catalog?.permissions?.find((x) => x.name === name);
  return p ? p.label : name;
}

// [{ family, label, items: [permission…] }] of the permissions that pass filter, in catalog order.
export function permGroups(catalog, filter = (p) => p.grantable) {
  const groups = [];
  for (const p of catalog?.permissions || []) {
    if (!filter(p)) continue;
    let g = groups.find((x) => x.family === p.family);
    if (!g) groups.push(g = { family: p.family, label: p.family_label, items: [] });
    g.items.push(p);
  }
  return groups;
}

export const ORG_KINDS = [
  { value: 'center', label: '网格化服务管理中心' },
  { value: 'department', label: '职能部门' },
  { value: 'committee', label: '村(居)民委员会' },
  { value: 'grid_team', label: '网格员队伍' },
];
export const ORG_LEVELS = [
  { value: 'city', label: '市级' },
  { value: 'county', label: '县级' },
  { value: 'township', label: '乡镇级' },
];
export const levelLabel = (v) => ORG_LEVELS.find((x) => x.value === v)?.label || '';

// A secret shown once (one-time password, API token): big monospace text, copy button, warning.
export const OnceSecret = {
  name: 'OnceSecret',
  props: { value: { type: String, required: true }, label: String, warning: String },
  setup(props) {
    return { copy: () => copyText(props.value, props.label || '内容'), CopyDocument };
  },
  render: renderOnceSecret,
};

// ---- keyset pages ----

// The lists answer {items, next_cursor} a small page at a time; there is no total to count. A
// page keeps the cursors of the pages it has seen, so 上一页 goes back without asking for counts.
// fetchPage(cursor) returns the server's answer for the page after cursor (null: the first).
export function useCursorPages(fetchPage) {
  const rows = ref([]);
  const loading = ref(false);
  const page = ref(1);
  const hasNext = ref(false);
  let cursors = [null]; // cursors[i]: the cursor of page i + 1
  async function load() {
    loading.value = true;
    try {
      const r = await fetchPage(cursors[page.value - 1]);
      rows.value = r.items;
      hasNext.value = !!r.next_cursor;
      cursors[page.value] = r.next_cursor || null;
    } finally {
      loading.value = false;
    }
  }
  // Back to the first page (a new filter, or after a change that may move rows).
  function first() {
    page.value = 1;
    cursors = [null];
    return load();
  }
  function next() {
    if (!hasNext.value || loading.value) return Promise.resolve();
    page.value += 1;
    return load();
  }
  function prev() {
    if (page.value <= 1 || loading.value) return Promise.resolve();
    page.value -= 1;
    return load();
  }
  return { rows, loading, page, hasNext, load, first, next, prev };
}

// 上一页 / 第 N 页 / 下一页 for useCursorPages.
export const CursorPager = {
  name: 'CursorPager',
  props: { page: { type: Number, required: true }, hasNext: Boolean, loading: Boolean },
  emits: ['prev', 'next'],
  render: renderCursorPager,
};

// Every item of a keyset list, a small page at a time (for pickers), up to max items.
export async function fetchAll(path, params = {}, { limit = 100, max = 2000 } = {}) {
  const items = [];
  let cursor = null;
  do {
    const r = await api.get(path, { ...params, limit, cursor });
    items.push(...r.items);
    cursor = r.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

// Organisation select: loads the organisations in the caller's scope, page by page.
export const OrgSelect = {
  name: 'OrgSelect',
  props: { modelValue: [Number, null], placeholder: { type: String, default: '请选择组织机构' },
    clearable: Boolean },
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    const orgs = ref([]);
    const loading = ref(true);
    fetchAll('/api/v1/orgs')
      .then((items) => { orgs.value = items.filter((o) => !o.disabled); })
      .catch(() => { orgs.value = []; })
      .finally(() => { loading.value = false; });
    const value = computed({ get: () => props.modelValue ?? null, set: (v) => emit('update:modelValue', v) });
    return { orgs, loading, value };
  },
  render: renderOrgSelect,
};

// Region picker: a cascader that starts at the caller's own region and loads children on demand.
export const RegionCascader = {
  name: 'RegionCascader',
  props: { modelValue: String },
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    const cascadeProps = {
      lazy: true,
      checkStrictly: true,
      emitPath: false,
      value: 'code',
      label: 'name',
      leaf: 'leaf',
      async lazyLoad(node, resolve) {
        try {
          if (node.level === 0) {
            const code = session.org?.region_code;
            const r = code ? await api.get(`/api/v1/regions/${code}`) : null;
            resolve(r ? [{ code: r.code, name: r.name, leaf: r.level >= 5 }] : []);
          } else {
            const items = []; // every keyset page of the children
            for (let cursor = null, more = true; more;) {
              const r = await api.get('/api/v1/regions', { parent: node.value, limit: 200, cursor });
              items.push(...r.items);
              [cursor, more] = [r.next_cursor, Boolean(r.next_cursor)];
            }
            resolve(items.map((x) => ({ code: x.code, name: x.name, leaf: !x.children })));
          }
        } catch {
          resolve([]);
        }
      },
    };
    const value = computed({ get: () => props.modelValue || '', set: (v) => emit('update:modelValue', v || '') });
    return { cascadeProps, value };
  },
  render: renderRegionCascader,
};
