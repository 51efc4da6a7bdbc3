// A person of the registry (实有人口) as a card, shared by 我的网格 and 人口查询: the fields as
// the server sends them (ID number, phone and birth date masked), 查看原文 through the unmask
// dialog for holders of sensitive.unmask, and the key-people categories when the server sent
// them. ReasonDialog asks for the reason that reading key people requires (person.key_read):
// the page then sends it as ?reason= and the server records it in the audit trail.
// The card's 历史记录 tab (PersonHistory) lists the person's dated records (GET
// /people/{id}/history: moves, births and deaths, workplace, tags), a keyset page at a time,
// loaded only when the tab is first opened (for a key person every read is audited). It sends
// the reason the card was read with; records of key categories are left out by the server
// without one, so a holder of person.key_read may give one there.
//
//   <person-card :person="p" :reason="r" @unmasked="(obj) => p = obj" @reason="(r) => …"><el-button>…</el-button></person-card>
//   <reason-dialog v-model="show" @confirm="(reason) => …" />
import { computed, onMounted, ref, watch } from 'vue';
import { View } from '@element-plus/icons-vue';
import { api } from './api.js';
import { can, reportError } from './session.js';
import { formatDateTime } from './format.js';
import { REASON_MAX, REASON_MIN, UnmaskDialog } from './unmask.js';
import { renderPersonCard, renderPersonHistory, renderReasonDialog } from './gen/person-card.js';

const HISTORY_PAGE = 20;

const STATUS = { present: '在住', moved_out: '已迁出', dead: '已死亡' };
export const statusLabel = (s) => STATUS[s] || s;
export const REG_TYPES = [{ value: 'huji', label: '户籍' }, { value: 'floating', label: '流动' }, { value: 'foreign', label: '境外' }];
export const CARE_TAGS = [
  { value: 'elderly_alone', label: '独居老人' }, { value: 'disabled', label: '残疾人' }, { value: 'low_income', label: '低保' },
  { value: 'extreme_poverty', label: '特困' }, { value: 'left_behind_child', label: '留守儿童' },
];
export const sexLabel = (s) => (s === 'M' ? '男' : s === 'F' ? '女' : '—');

export const ReasonDialog = {
  name: 'ReasonDialog',
  props: { modelValue: Boolean },
  emits: ['update:modelValue', 'confirm'],
  setup(props, { emit }) {
    const reason = ref('');
    const error = ref('');
    const visible = computed({ get: () => props.modelValue, set: (v) => emit('update:modelValue', v) });
    watch(() => props.modelValue, (v) => { if (v) { reason.value = ''; error.value = ''; } });
    function submit() {
      const r = reason.value.trim();
      if ([...r].length < REASON_MIN) { error.value = `请填写查看理由（至少 ${REASON_MIN} 个字）`; return; }
      if ([...r].length > REASON_MAX) { error.value = `理由不能超过 ${REASON_MAX} 个字`; return; }
      visible.value = false;
      emit('confirm', r);
    }
    return { reason, error, visible, submit, REASON_MAX };
  },
  render: renderReasonDialog,
};

// A person's dated records, oldest first. reason: the one the card was read with ('' if none).
// The server's refusals (403 key_person, 400 reason_required, 404) are shown in place.
export const PersonHistory = {
  name: 'PersonHistory',
  components: { ReasonDialog },
  props: { personId: { type: Number, required: true }, reason: { type: String, default: '' } },
  emits: ['reason'],
  setup(props, { emit }) {
    const items = ref([]);
    const next = ref(null);
    const loading = ref(false);
    const error = ref('');
    const canKey = can('person.key_read');
    const own = ref('');  // a reason given here
    const given = computed(() => own.value || props.reason);
    const reasonOpen = ref(false);
    // first: from the oldest record; else the next page, appended.
    async function load(first = true) {
      loading.value = true;
      error.value = '';
      try {
        const r = await api.get(`/api/v1/people/${props.personId}/history`,
          { reason: given.value, limit: HISTORY_PAGE, cursor: first ? null : next.value });
        items.value = first ? r.items : items.value.concat(r.items);
        next.value = r.next_cursor || null;
      } catch (e) {
        if (e.code === 'reason_required' && canKey) reasonOpen.value = true;
        if ([400, 403, 404].includes(e.status)) error.value = e.message; else reportError(e);
      } finally {
        loading.value = false;
      }
    }
    function onReason(r) {
      own.value = r;
      emit('reason', r);
      load(true);
    }
    onMounted(() => load(true));
    return { items, next, loading, error, canKey, given, reasonOpen, load, onReason };
  },
  render: renderPersonHistory,
};

export const PersonCard = {
  name: 'PersonCard',
  components: { UnmaskDialog, PersonHistory },
  props: { person: { type: Object, required: true }, reason: { type: String, default: '' } },
  emits: ['unmasked', 'reason'],
  setup(props, { emit }) {
    const unmaskOpen = ref(false);
    const unmasked = ref(false);
    // The history is read when its tab is first opened, and again for another person.
    const tab = ref('info');
    const historyShown = ref(false);
    watch(tab, (t) => { if (t === 'history') historyShown.value = true; });
    watch(() => props.person.id, () => { unmasked.value = false; tab.value = 'info'; historyShown.value = false; });
    const canUnmask = computed(() => can('sensitive.unmask') && !!(props.person.id_number || props.person.phone));
    function onUnmasked(obj) {
      unmasked.value = true;
      emit('unmasked', obj);
    }
    return { unmaskOpen, unmasked, canUnmask, onUnmasked, tab, historyShown, statusLabel, sexLabel, formatDateTime, View };
  },
  render: renderPersonCard,
};
