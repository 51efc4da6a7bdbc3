// A person of the registry (实有人口) as a card, shared by 我的网格 and 人口查询: the fields as
// the server sends them (ID number, phone and birth date masked), 查看原文 through the unmask
// dialog for holders of sensitive.unmask, and the key-people categories when the server sent
// them. ReasonDialog asks for the reason that reading key people requires (person.key_read):
// the page then sends it as ?reason= and the server records it in the audit trail.
//
//   <person-card :person="p" @unmasked="(obj) => p = obj"><el-button>…</el-button></person-card>
//   <reason-dialog v-model="show" @confirm="(reason) => …" />
import { computed, ref, watch } from 'vue';
import { View } from '@element-plus/icons-vue';
import { can } from './session.js';
import { formatDateTime } from './format.js';
import { REASON_MAX, REASON_MIN, UnmaskDialog } from './unmask.js';
import { renderPersonCard, renderReasonDialog } from './gen/person-card.js';

const STATUS = { present: '在住', moved_out: '已迁出', dead: '已死亡' };
export const statusLabel = (s) => STATUS[s] || s;
export const REG_TYPES = [{ value: 'huji', label: '户籍' }, { value: 'floating', label: '流动' }, { value: 'foreign', label: '境外' }];
export const CARE_TAGS = [
  { value: 'elderly_alone', label: '独居老人' }, { value: 'disabled', label: '残疾人' }, { value: 'low_income', label: '低保' },
  { value: 'extreme_poverty', label: '特困' }, { value: 'left_behind_child', label: '留守儿童' },
];
export const sexLabel = (s) => (s === 'M' ? '男' : s === 'F' ? '女' : '—');

export const PersonCard = {
  name: 'PersonCard',
  components: { UnmaskDialog },
  props: { person: { type: Object, required: true } },
  emits: ['unmasked'],
  setup(props, { emit }) {
    const unmaskOpen = ref(false);
    const unmasked = ref(false);
    watch(() => props.person.id, () => { unmasked.value = false; });
    const canUnmask = computed(() => can('sensitive.unmask') && !!(props.person.id_number || props.person.phone));
    function onUnmasked(obj) {
      unmasked.value = true;
      emit('unmasked', obj);
    }
    return { unmaskOpen, unmasked, canUnmask, onUnmasked, statusLabel, sexLabel, formatDateTime, View };
  },
  render: renderPersonCard,
};

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
