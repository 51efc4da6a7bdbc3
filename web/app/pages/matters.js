// 事项受理 (#/matters): the centers' queue of matters in their scope, newest first, filtered by
// state (or every open state), category, item, grid and deadline colour; keyset pages added with
// 加载更多; reported matters can be accepted in bulk (one action per matter, in turn, each with
// the version listed: the failures are reported per row). A click opens #/matters/:id, the
// matter page (matter.js), which this module routes to.
import { computed, onMounted, onUnmounted, reactive, ref } from 'vue';
import { Refresh, Search } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { navigate, route } from '../router.js';
import { can, reportError } from '../session.js';
import { narrow } from '../screen.js';
import { onMatterChange } from '../stream.js';
import {
  ALERTS, ALERT_FILTERS, CATEGORY_LABEL, STATE_FILTERS, categoryLabel, formatDue, formatWhen, isConflict, runAction,
  stateTag, ItemPicker, SUPERVISION,
} from '../matters.js';
import MatterDetail from './matter.js';
import { renderMatterQueue, renderMattersPage } from '../gen/pages/matters.js';

const PAGE_SIZE = 20;

// Categories offered by the filter: the labels known here, one entry per label.
const CATEGORIES = Object.entries(CATEGORY_LABEL).filter(([k, v], i, all) => all.findIndex(([, x]) => x === v) === i)
  .map(([value, label]) => ({ value, label }));

export const MatterQueue = {
  name: 'MatterQueue',
  components: { ItemPicker },
  setup() {
    const filter = reactive({
      state: route.query.state || 'open', category: '', item: '', grid: '', alert: route.query.alert || '',
    });
    const rows = ref([]);
    const next = ref(null);
    const loading = ref(false);
    const selected = ref([]);
    const bulk = reactive({ running: false, done: 0, total: 0, failures: [] });
    const canAccept = can('matter.accept');
    let seq = 0;

    const query = () => ({
      state: filter.state, category: filter.category, item: filter.item.trim(), grid: filter.grid.trim(),
      alert: filter.alert, limit: PAGE_SIZE,
    });
    // The first page of the search (more: the next page, added below).
    async function load(more = false) {
      const s = ++seq;
      loading.value = true;
      try {
        const res = await api.get('/api/v1/matters', { ...query(), cursor: more ? next.value : '' });
        if (s !== seq) return;
        rows.value = more ? rows.value.concat(res.items) : res.items;
        next.value = res.next_cursor;
      } catch (e) {
        if (s === seq) reportError(e);
      } finally {
        if (s === seq) loading.value = false;
      }
    }
    const search = () => load(false);
    const loadMore = () => load(true);
    function reset() {
      Object.assign(filter, { state: 'open', category: '', item: '', grid: '', alert: '' });
      search();
    }
    onMounted(search);

    // Live updates (stream.js): a new matter (or a reset) reloads the first page; a change to a
    // listed matter refetches that row. Changes arriving together are handled once.
    const LIST_FIELDS = ['state', 'state_label', 'version', 'due_at', 'alert', 'owner', 'updated_at'];
    let pending = null;
    function applyChanges(changes) {
      if (changes.some((c) => c.kind === 'new' || c.kind === 'reset')) { search(); return; }
      for (const id of new Set(changes.map((c) => c.matter))) {
        const row = rows.value.find((r) => r.id === id);
        const c = changes.filter((x) => x.matter === id).pop();
        if (!row || row.version >= c.version) continue;
        api.get(`/api/v1/matters/${id}`).then((m) => {
          const i = rows.value.findIndex((r) => r.id === id);
          if (i < 0 || rows.value[i].version >= m.version) return;
          const next = { ...rows.value[i] };
          for (const k of LIST_FIELDS) next[k] = m[k];
          rows.value[i] = next;
        }).catch(() => {});
      }
    }
    const unsubscribe = onMatterChange((c) => {
      if (!pending) {
        pending = [];
        setTimeout(() => { const list = pending; pending = null; applyChanges(list); }, 100);
      }
      pending.push(c);
    });
    onUnmounted(unsubscribe);

    const selectable = (row) => canAccept && row.state === 'reported';
    const onSelect = (list) => { selected.value = list; };
    const openRow = (row) => navigate(`/matters/${row.id}`);

    // Accepts the selected reported matters one after another, each with its listed version.
    async function bulkAccept() {
      const list = selected.value.slice();
      Object.assign(bulk, { running: true, done: 0, total: list.length, failures: [] });
      for (const row of list) {
        try {
          const m = await runAction(row, { action: 'accept' });
          const i = rows.value.findIndex((r) => r.id === row.id);
          if (i >= 0) {
            rows.value[i] = { ...rows.value[i], state: m.state, state_label: m.state_label, version: m.version,
              due_at: m.due_at, alert: m.alert, owner: m.owner, updated_at: m.updated_at };
          }
        } catch (e) {
          bulk.failures.push({ id: row.id, title: row.title,
            message: isConflict(e) ? '已被他人处理，请刷新后查看' : e.message });
        }
        bulk.done++;
      }
      bulk.running = false;
      selected.value = [];
    }

    const alertOf = (a) => ALERTS[a] || null;
    return {
      filter, rows, next, loading, selected, bulk, canAccept, search, loadMore, reset, selectable, onSelect, openRow,
      bulkAccept, alertOf, narrow, formatDue, formatWhen, stateTag, categoryLabel, STATE_FILTERS, ALERT_FILTERS,
      CATEGORIES, SUPERVISION, Refresh, Search,
    };
  },
  render: renderMatterQueue,
};

// #/matters is the queue, #/matters/:id one matter.
export default {
  name: 'MattersPage',
  components: { MatterQueue, MatterDetail },
  setup() {
    const matterId = computed(() => {
      const m = /^\/matters\/(\d+)$/.exec(route.path);
      return m ? m[1] : '';
    });
    return { matterId };
  },
  render: renderMattersPage,
};
