// The reason dialog for seeing sensitive personal data in full (R4). Sensitive fields arrive
// masked; a user holding sensitive.unmask states why, and the dialog fetches the object again
// with ?unmask=1&reason=… (the server records every unmasking with its reason in the audit trail).
//
//   <unmask-dialog v-model="show" :path="'/api/v1/users/' + id" subject="张三 的身份证号和电话"
//                  @loaded="(obj) => detail = obj" />
import { computed, ref, watch } from 'vue';
import { api } from './api.js';
import { reportError } from './session.js';
import { renderUnmaskDialog } from './gen/unmask.js';

export const REASON_MIN = 2;   // sensitive_reason_ok in src/domain/sensitive.c: 2..200 characters
export const REASON_MAX = 200;
const PRESETS = ['核实当事人身份', '处置事项需联系当事人', '核对账号登记信息'];

export const UnmaskDialog = {
  name: 'UnmaskDialog',
  props: {
    modelValue: Boolean,
    path: { type: String, required: true }, // the object's GET address
    subject: { type: String, default: '敏感个人信息' },
  },
  emits: ['update:modelValue', 'loaded'],
  setup(props, { emit }) {
    const reason = ref('');
    const error = ref('');
    const busy = ref(false);
    const visible = computed({ get: () => props.modelValue, set: (v) => emit('update:modelValue', v) });
    watch(() => props.modelValue, (v) => { if (v) { reason.value = ''; error.value = ''; } });

    async function submit() {
      const r = reason.value.trim();
      if ([...r].length < REASON_MIN) { error.value = `请填写查看理由（至少 ${REASON_MIN} 个字）`; return; }
      if ([...r].length > REASON_MAX) { error.value = `理由不能超过 ${REASON_MAX} 个字`; return; }
      error.value = '';
      busy.value = true;
      try {
        const obj = await api.get(props.path, { unmask: 1, reason: r });
        emit('loaded', obj);
        visible.value = false;
      } catch (e) {
        if (e.code === 'reason_required') error.value = e.message;
        else { reportError(e); if (e.status === 403) visible.value = false; }
      } finally {
        busy.value = false;
      }
    }
    return { reason, error, busy, visible, submit, PRESETS, REASON_MAX };
  },
  render: renderUnmaskDialog,
};

export default UnmaskDialog;
