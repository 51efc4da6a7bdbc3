// 事项详情 (#/matters/:id): the matter's header (state, deadline colour), its fields, a small map
// with the location and the grid outline, the assignments (who handles it, lead or co-handler,
// status, deadline, overdue), the timeline of events (who, which organisation, when, and the
// fields as text, with the photos each event attached), the matter's photos as thumbnails that
// open larger, the supervision (督办 level, 催办 count), and one button per action this user may
// take now (the server's `actions`):
// each opens the action dialog, which submits with the version shown. After an action the page
// shows the matter the server answered; a stale version reloads it and says so.
import { computed, onMounted, onUnmounted, ref } from 'vue';
import { ArrowLeft, Refresh } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { navigate } from '../router.js';
import { reportError } from '../session.js';
import { narrow } from '../screen.js';
import { onMatterChange } from '../stream.js';
import { formatDateTime } from '../format.js';
import {
  ActionDialog, ALERTS, ASSIGNMENT_STATUS, SUPERVISION, ASSIGN_KIND_LABEL, HANDLER_LABEL, MatterMap, ROLE_LABEL, SOURCE_LABEL,
  STATE_LABEL, URGENCY_LABEL, categoryLabel, eventLines, formatDue, formatWhen, stateTag,
} from '../matters.js';
import { PhotoGallery } from '../photos.js';
import { renderMatterDetail } from '../gen/pages/matter.js';

// Button colour of an action: the way forward is primary, refusals and send-backs are warnings.
const ACTION_TYPE = {
  accept: 'primary', dispatch: 'primary', sign: 'primary', submit: 'primary', self_handle: 'primary',
  verify: 'success', close: 'success', approve_extension: 'success',
  reject: 'danger', return: 'warning', rework: 'warning', deny_extension: 'warning', escalate: 'warning',
  explain_overdue: 'danger', mark_spam: 'danger', supervise: 'danger', remind: 'warning',
};

export default {
  name: 'MatterDetail',
  components: { ActionDialog, MatterMap, PhotoGallery },
  props: { id: { type: String, required: true } },
  setup(props) {
    const matter = ref(null);
    const loading = ref(false);
    const error = ref('');
    const current = ref(null); // the action whose dialog is open
    const contact = ref(null); // the resident reporter's contact, masked

    async function load() {
      loading.value = true;
      try {
        matter.value = await api.get(`/api/v1/matters/${props.id}`);
        error.value = '';
        // A resident's contact: personal data, shown masked (GET .../contact).
        contact.value = matter.value.source === 'resident'
          ? (await api.get(`/api/v1/matters/${props.id}/contact`)).contact : null;
      } catch (e) {
        error.value = e.status === 404 ? '事项不存在，或不在您的查看范围内' : e.message;
        if (e.status !== 404) reportError(e);
      } finally {
        loading.value = false;
      }
    }
    onMounted(load);
    // Live updates (stream.js): reload when this matter moved on (or the stream was reset).
    onUnmounted(onMatterChange((c) => {
      if (c.kind === 'reset' || (String(c.matter) === props.id && (!matter.value || c.version > matter.value.version))) load();
    }));

    const open = (a) => { current.value = a; };
    function done(m) { current.value = null; matter.value = m; }
    function conflict() { current.value = null; load(); }

    const alert = computed(() => ALERTS[matter.value?.alert] || null);
    const timeline = computed(() => (matter.value?.timeline || []).slice().reverse());
    const stateText = (s) => STATE_LABEL[s] || s || '（新建）';
    const back = () => (history.length > 1 ? history.back() : navigate('/matters'));

    return {
      matter, contact, loading, error, current, load, open, done, conflict, alert, timeline, back, narrow, stateText,
      eventLines, formatDue, formatWhen, formatDateTime, stateTag, categoryLabel, ACTION_TYPE, ASSIGNMENT_STATUS,
      ASSIGN_KIND_LABEL, ROLE_LABEL, SOURCE_LABEL, URGENCY_LABEL, HANDLER_LABEL, SUPERVISION, ArrowLeft, Refresh,
    };
  },
  render: renderMatterDetail,
};
