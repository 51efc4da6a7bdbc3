// 承办收件箱 (#/inbox): what was dispatched (分流) or assigned down (交办) to the user's
// organisation and is still open there (GET /api/v1/matters?mine=1), newest first, with the
// organisation's own assignment (lead or co-handler, status, deadline, overdue) and the actions it
// may take now — sign, return with a basis, progress, extension, overdue explanation, result —
// right from the list (the same dialog as the matter page), or on the matter page.
import { onMounted, ref } from 'vue';
import { Refresh } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { navigate } from '../router.js';
import { reportError, session } from '../session.js';
import { narrow } from '../screen.js';
import {
  ActionDialog, ALERTS, ASSIGNMENT_STATUS, ROLE_LABEL, SUPERVISION, categoryLabel, formatDue, formatWhen, stateTag,
} from '../matters.js';
import { renderInboxPage } from '../gen/pages/inbox.js';

const PAGE_SIZE = 20;

export default {
  name: 'InboxPage',
  components: { ActionDialog },
  setup() {
    const rows = ref([]);      // [{ ...list item, matter (full, with actions), mine (assignment) }]
    const next = ref(null);
    const loading = ref(false);
    const current = ref(null); // { row, action } of the open dialog
    let seq = 0;

    // The full matter of each row: its assignments and the actions this user may take.
    function withDetail(m) {
      const mine = (m.assignments || []).filter((a) => a.org.id === session.org?.id);
      const open = mine.find((a) => a.status === 'pending' || a.status === 'signed');
      return { ...m, matter: m, mine: open || mine[mine.length - 1] || null };
    }
    async function detail(item) {
      return withDetail(await api.get(`/api/v1/matters/${item.id}`));
    }

    async function load(more = false) {
      const s = ++seq;
      loading.value = true;
      try {
        const res = await api.get('/api/v1/matters', { mine: 1, limit: PAGE_SIZE, cursor: more ? next.value : '' });
        const full = await Promise.all(res.items.map(detail));
        if (s !== seq) return;
        rows.value = more ? rows.value.concat(full) : full;
        next.value = res.next_cursor;
      } catch (e) {
        if (s === seq) reportError(e);
      } finally {
        if (s === seq) loading.value = false;
      }
    }
    onMounted(() => load());

    // After an action, the row shows the matter the server answered (it leaves the inbox on the
    // next refresh once nothing is open for us).
    function replace(m) {
      const i = rows.value.findIndex((r) => r.id === m.id);
      if (i >= 0) rows.value[i] = withDetail(m);
    }
    const open = (row, action) => { current.value = { row, action }; };
    function done(m) { current.value = null; replace(m); }
    async function conflict() {
      const row = current.value?.row;
      current.value = null;
      if (!row) return;
      try { replace((await detail(row)).matter); } catch (e) { reportError(e); }
    }
    const openMatter = (row) => navigate(`/matters/${row.id}`);
    const alertOf = (a) => ALERTS[a] || null;

    return {
      rows, next, loading, current, load, open, done, conflict, openMatter, alertOf, narrow, formatDue, formatWhen,
      stateTag, categoryLabel, ASSIGNMENT_STATUS, ROLE_LABEL, SUPERVISION, Refresh,
    };
  },
  render: renderInboxPage,
};
