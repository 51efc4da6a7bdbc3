// 人口查询 (#/people): the centers' search of the basic-information registry (issue 12,
// docs/api-registry.md) by ID number (exact, through the server's blind index), grid,
// registration type, tag and status, a keyset page at a time; a person's card with masked ID
// number and phone, 查看原文 through the unmask dialog (a reason, audited). Key people are
// sensitive: only holders of person.key_read see them, and only after stating a reason, which
// goes with the request as ?reason= and is recorded by the server with every read (the card's
// 历史记录 tab sends the same reason). 导出 Excel
// (person.export) downloads the people of the filters as .xlsx, masked as the list is.
import { computed, onMounted, reactive, ref } from 'vue';
import { Download, Search } from '@element-plus/icons-vue';
import { api, apiUrl } from '../api.js';
import { can, reportError } from '../session.js';
import { narrow } from '../screen.js';
import { CARE_TAGS, PersonCard, REG_TYPES, ReasonDialog, sexLabel, statusLabel } from '../person-card.js';
import { CursorPager, useCursorPages } from './security-common.js';
import { renderPeoplePage } from '../gen/pages/people.js';

const PAGE_SIZE = 20;

export default {
  name: 'PeoplePage',
  components: { PersonCard, ReasonDialog, CursorPager },
  setup() {
    const perms = { key: can('person.key_read'), export: can('person.export') };
    const filter = reactive({ id_number: '', grid: '', reg_type: '', tag: '', status: '', withKey: false });
    const grids = ref([]);
    const error = ref('');
    // The reason given for key people in this page (lists and cards), asked once.
    const keyReason = ref('');
    const query = () => ({
      id_number: filter.id_number.trim().toUpperCase(), grid: filter.grid, reg_type: filter.reg_type,
      tag: filter.tag, status: filter.status, reason: filter.withKey ? keyReason.value : '',
    });
    // 导出 Excel: the same filters as the list, as they stand in the form (a plain link download;
    // the server caps the rows and records every export).
    const exportUrl = computed(() => apiUrl('/api/v1/people/export.xlsx', query()));
    const pages = useCursorPages((cursor) => api.get('/api/v1/people', { ...query(), limit: PAGE_SIZE, cursor }));
    const { rows, loading, page, hasNext } = pages;
    const run = (p) => { error.value = ''; return p.catch((e) => { if (e.status === 400) error.value = e.message; else reportError(e); }); };
    const search = () => run(pages.first());
    const nextPage = () => run(pages.next());
    const prevPage = () => run(pages.prev());
    onMounted(async () => {
      try { grids.value = (await api.get('/api/v1/grids', { limit: 200 })).items; } catch { grids.value = []; }
    });

    // ---- the reason for key people ----
    const reasonOpen = ref(false);
    let afterReason = null;
    function askReason(then) { afterReason = then; reasonOpen.value = true; }
    function onReason(r) {
      keyReason.value = r;
      const then = afterReason;
      afterReason = null;
      then?.();
    }
    function onWithKey(v) {
      if (v && !keyReason.value) {
        filter.withKey = false;
        askReason(() => { filter.withKey = true; });
      }
    }

    // ---- the card ----
    const card = ref(null);
    const cardOpen = ref(false);
    // The reason the open card was read with: its 历史记录 tab sends it too.
    const cardReason = ref('');
    async function fetchCard(id, reason) {
      try {
        card.value = await api.get(`/api/v1/people/${id}`, { reason });
        cardReason.value = reason || '';
        cardOpen.value = true;
      } catch (e) {
        if (e.code === 'reason_required' && perms.key) askReason(() => fetchCard(id, keyReason.value));
        else reportError(e);
      }
    }
    // A reason given in the 历史记录 tab serves the rest of the page too.
    function onHistoryReason(r) { keyReason.value = r; }
    function openCard(row) {
      // A key person's card needs the reason; ask before the request rather than after a refusal.
      if (row.key_person && perms.key && !keyReason.value) askReason(() => fetchCard(row.id, keyReason.value));
      else fetchCard(row.id, row.key_person ? keyReason.value : '');
    }

    return { perms, filter, grids, error, rows, loading, page, hasNext, search, nextPage, prevPage,
      reasonOpen, onReason, onWithKey, card, cardOpen, cardReason, onHistoryReason, openCard, narrow, sexLabel, statusLabel,
      REG_TYPES, CARE_TAGS, Search, Download, exportUrl };
  },
  render: renderPeoplePage,
};
