// 网格管理: the grids of the caller's scope in a table (filters: region, status, kind, name;
// keyset pages: 上一页/下一页 follow the server's cursors, and no total is counted), and the
// changes a county grid authority makes: 新建, 编辑, 重划边界, 拆分, 合并, 注销,
// with each grid's 历史 (boundary versions and lineage).
// Obvious mistakes (no name, no file, a file that is not GeoJSON) are caught here; everything
// else is the server's to judge, and its Chinese message is shown as is.
// #/grids?region=CODE filters by a region; #/grids?history=CODE opens a grid's history.
import { computed, onMounted, reactive, ref, watch } from 'vue';
import { ElMessage } from 'element-plus';
import { ArrowDown, Connection, MapLocation, Plus, Refresh, Search } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { navigate, route } from '../router.js';
import { narrow } from '../screen.js';
import { can } from '../session.js';
import {
  BoundaryInput, KIND_LABEL, MiniMap, RegionCascader, STATUS_LABEL, SUBTYPES,
  formatCount, formatTime, gridStyle, parseParts, regionsAtLevel,
} from '../geo.js';

const MAX_PEOPLE = 1000000;
const OP_LABEL = { split: '拆分', merge: '合并' };
const PART_COLORS = ['#2b6cc4', '#2f9e5b', '#c2710c', '#8e44ad', '#c0392b', '#16a2b8'];

const oldShape = (geometry) => ({ geometry, style: { color: '#8a94a6', weight: 1.5, dashArray: '5 4', fillOpacity: 0.05 } });
const newShape = (geometry, color = '#2b6cc4', label = '') => ({ geometry, label, style: { color, fillColor: color, weight: 2, fillOpacity: 0.25 } });

const peopleRule = (label) => ({
  validator: (_r, v, cb) => (v === null || v === undefined || (Number.isInteger(v) && v >= 0 && v <= MAX_PEOPLE)
    ? cb() : cb(new Error(`${label}应为 0 到 1,000,000 之间的整数`))),
  trigger: 'change',
});

// The server's message, shown where the user is looking (inside the dialog, near its buttons).
const ServerError = {
  props: { message: String },
  template: `<el-alert v-if="message" class="server-error" type="error" title="操作未成功" :description="message"
                       show-icon :closable="false" data-field="server-error" />`,
};

// The grid a dialog acts on, in one line.
const GridLine = {
  props: { grid: Object },
  setup: () => ({ KIND_LABEL }),
  template: `<div class="grid-line" v-if="grid">
    <span class="mono">{{ grid.code }}</span><b>{{ grid.name }}</b>
    <el-tag size="small" :type="grid.kind === 'dedicated' ? 'warning' : 'primary'" disable-transitions>{{ KIND_LABEL[grid.kind] }}</el-tag>
    <span class="muted">{{ grid.community && grid.community.name }}</span></div>`,
};

// ---- 新建网格 ----
const CreateDialog = {
  components: { BoundaryInput, MiniMap, ServerError },
  props: { modelValue: Boolean, presetCommunity: String },
  emits: ['update:modelValue', 'done'],
  setup(props, { emit }) {
    const formRef = ref(null);
    const blank = () => ({ community: '', kind: 'comprehensive', subtype: '', name: '', code: '', households: 0, residents: 0, boundary: null });
    const form = reactive(blank());
    const groups = ref([]);         // [{label: township, options: [{code, name}]}]
    const communityShape = ref(null);
    const saving = ref(false);
    const serverError = ref('');

    async function loadCommunities() {
      if (groups.value.length) return;
      try {
        const [towns, villages] = await Promise.all([regionsAtLevel(4), regionsAtLevel(5)]);
        const byTown = new Map(towns.map((t) => [t.code, { label: t.name, options: [] }]));
        const other = { label: '其他', options: [] };
        for (const v of villages) (byTown.get(v.parent_code) || other).options.push(v);
        groups.value = [...byTown.values(), other].filter((g) => g.options.length);
      } catch (e) {
        serverError.value = e.message;
      }
    }
    watch(() => props.modelValue, (open) => {
      if (!open) return;
      Object.assign(form, blank(), { community: props.presetCommunity || '' });
      serverError.value = '';
      formRef.value?.clearValidate();
      loadCommunities();
    });
    watch(() => form.community, async (code) => {
      communityShape.value = null;
      if (!code) return;
      try {
        const r = await api.get(`/api/v1/regions/${code}`);
        if (form.community === code) communityShape.value = r.boundary || null;
      } catch { /* the preview simply lacks the community outline */ }
    });

    const rules = {
      community: [{ required: true, message: '请选择所属社区/村', trigger: 'change' }],
      name: [{ required: true, whitespace: true, message: '请输入网格名称', trigger: 'blur' },
        { max: 40, message: '网格名称不能超过 40 个字', trigger: 'blur' }],
      subtype: [{ validator: (_r, v, cb) => (form.kind === 'dedicated' && !v ? cb(new Error('请选择专属网格类别')) : cb()), trigger: 'change' }],
      code: [{ pattern: /^\d{15}$/, message: '网格编码应为 15 位数字（社区/村代码 12 位 + 顺序号 3 位）', trigger: 'blur' }],
      households: [peopleRule('户数')],
      residents: [peopleRule('人口数')],
      boundary: [{ validator: (_r, _v, cb) => (form.boundary ? cb() : cb(new Error('请上传边界文件或粘贴 GeoJSON'))), trigger: 'change' }],
    };
    const preview = computed(() => [communityShape.value && oldShape(communityShape.value),
      form.boundary && { ...newShape(form.boundary, gridStyle(form.kind).color), focus: true }].filter(Boolean));

    async function submit() {
      serverError.value = '';
      if (!(await formRef.value.validate().catch(() => false))) return;
      const body = {
        community: form.community, kind: form.kind, name: form.name.trim(), boundary: form.boundary,
        households: form.households ?? 0, residents: form.residents ?? 0,
      };
      if (form.kind === 'dedicated') body.subtype = form.subtype;
      if (form.code.trim()) body.code = form.code.trim();
      saving.value = true;
      try {
        const g = await api.post('/api/v1/grids', body);
        ElMessage.success(`已新建网格：${g.name}（${g.code}）`);
        emit('update:modelValue', false);
        emit('done', g);
      } catch (e) {
        serverError.value = e.message;
      } finally {
        saving.value = false;
      }
    }
    watch(() => form.boundary, () => formRef.value?.validateField('boundary').catch(() => {}));
    // A message about what was sent goes once the user changes it.
    watch(form, () => { serverError.value = ''; }, { deep: true });
    return { formRef, form, groups, rules, preview, saving, serverError, submit, SUBTYPES, narrow };
  },
  template: `
    <el-dialog :model-value="modelValue" @update:model-value="$emit('update:modelValue', $event)" title="新建网格"
               :width="narrow ? '96%' : '680px'" top="5vh" class="grid-dialog create-dialog" destroy-on-close>
      <el-form ref="formRef" :model="form" :rules="rules" :label-position="narrow ? 'top' : 'right'" label-width="110px">
        <el-form-item label="所属社区/村" prop="community">
          <el-select v-model="form.community" filterable placeholder="请选择或输入名称、代码搜索" class="full" data-field="community">
            <el-option-group v-for="g in groups" :key="g.label" :label="g.label">
              <el-option v-for="c in g.options" :key="c.code" :value="c.code" :label="c.name + '（' + c.code + '）'" />
            </el-option-group>
          </el-select>
        </el-form-item>
        <el-form-item label="网格类型" prop="kind">
          <el-radio-group v-model="form.kind">
            <el-radio value="comprehensive">综合网格</el-radio>
            <el-radio value="dedicated">专属网格</el-radio>
          </el-radio-group>
        </el-form-item>
        <el-form-item v-if="form.kind === 'dedicated'" label="专属类别" prop="subtype">
          <el-select v-model="form.subtype" placeholder="请选择" class="full">
            <el-option v-for="s in SUBTYPES" :key="s" :value="s" :label="s" />
          </el-select>
        </el-form-item>
        <el-form-item label="网格名称" prop="name">
          <el-input v-model="form.name" maxlength="40" show-word-limit placeholder="如：柳园社区第一网格" data-field="name" />
        </el-form-item>
        <el-form-item label="网格编码" prop="code">
          <el-input v-model="form.code" maxlength="15" placeholder="可不填，系统按编码规则自动分配" data-field="code" />
        </el-form-item>
        <div class="form-row">
          <el-form-item label="户数" prop="households">
            <el-input-number v-model="form.households" :min="0" :max="1000000" :step="10" controls-position="right" />
          </el-form-item>
          <el-form-item label="人口数" prop="residents">
            <el-input-number v-model="form.residents" :min="0" :max="1000000" :step="10" controls-position="right" />
          </el-form-item>
        </div>
        <el-form-item label="网格边界" prop="boundary">
          <boundary-input v-model="form.boundary" class="full" />
        </el-form-item>
        <el-form-item v-if="preview.length" label="预览">
          <mini-map :layers="preview" height="220px" class="full" />
        </el-form-item>
      </el-form>
      <server-error :message="serverError" />
      <template #footer>
        <el-button @click="$emit('update:modelValue', false)">取消</el-button>
        <el-button type="primary" :loading="saving" @click="submit">保存</el-button>
      </template>
    </el-dialog>`,
};

// ---- 编辑 ----
const EditDialog = {
  components: { ServerError, GridLine },
  props: { grid: Object },
  emits: ['close', 'done'],
  setup(props, { emit }) {
    const formRef = ref(null);
    const form = reactive({ name: '', subtype: '', households: 0, residents: 0 });
    const saving = ref(false);
    const serverError = ref('');
    watch(() => props.grid, (g) => {
      if (!g) return;
      Object.assign(form, { name: g.name, subtype: g.subtype || '', households: g.households, residents: g.residents });
      serverError.value = '';
    }, { immediate: true });
    const rules = {
      name: [{ required: true, whitespace: true, message: '请输入网格名称', trigger: 'blur' },
        { max: 40, message: '网格名称不能超过 40 个字', trigger: 'blur' }],
      households: [peopleRule('户数')],
      residents: [peopleRule('人口数')],
    };
    async function submit() {
      serverError.value = '';
      if (!(await formRef.value.validate().catch(() => false))) return;
      const g = props.grid, body = {};
      if (form.name.trim() !== g.name) body.name = form.name.trim();
      if (g.kind === 'dedicated' && form.subtype !== g.subtype) body.subtype = form.subtype;
      if (form.households !== g.households) body.households = form.households ?? 0;
      if (form.residents !== g.residents) body.residents = form.residents ?? 0;
      if (!Object.keys(body).length) { emit('close'); return; }
      saving.value = true;
      try {
        const out = await api.patch(`/api/v1/grids/${g.code}`, body);
        ElMessage.success(`已保存：${out.name}`);
        emit('done', out);
      } catch (e) {
        serverError.value = e.message;
      } finally {
        saving.value = false;
      }
    }
    return { formRef, form, rules, saving, serverError, submit, SUBTYPES, narrow };
  },
  template: `
    <el-dialog :model-value="!!grid" @update:model-value="$emit('close')" title="编辑网格信息"
               :width="narrow ? '96%' : '560px'" class="grid-dialog edit-dialog">
      <grid-line :grid="grid" />
      <el-form ref="formRef" :model="form" :rules="rules" :label-position="narrow ? 'top' : 'right'" label-width="90px">
        <el-form-item label="网格名称" prop="name"><el-input v-model="form.name" maxlength="40" show-word-limit /></el-form-item>
        <el-form-item v-if="grid && grid.kind === 'dedicated'" label="专属类别">
          <el-select v-model="form.subtype" class="full"><el-option v-for="s in SUBTYPES" :key="s" :value="s" :label="s" /></el-select>
        </el-form-item>
        <div class="form-row">
          <el-form-item label="户数" prop="households"><el-input-number v-model="form.households" :min="0" :max="1000000" controls-position="right" /></el-form-item>
          <el-form-item label="人口数" prop="residents"><el-input-number v-model="form.residents" :min="0" :max="1000000" controls-position="right" /></el-form-item>
        </div>
      </el-form>
      <server-error :message="serverError" />
      <template #footer>
        <el-button @click="$emit('close')">取消</el-button>
        <el-button type="primary" :loading="saving" @click="submit">保存</el-button>
      </template>
    </el-dialog>`,
};

// Loads a grid with its boundary when a dialog opens on a table row (rows carry no boundary).
function useFullGrid(props) {
  const full = ref(null);
  const loadError = ref('');
  watch(() => props.grid, async (g) => {
    full.value = null;
    loadError.value = '';
    if (!g) return;
    try {
      const x = await api.get(`/api/v1/grids/${g.code}`);
      if (props.grid && props.grid.code === x.code) full.value = x;
    } catch (e) {
      loadError.value = e.message;
    }
  }, { immediate: true });
  return { full, loadError };
}

// ---- 重划边界 ----
const RedrawDialog = {
  components: { BoundaryInput, MiniMap, ServerError, GridLine },
  props: { grid: Object },
  emits: ['close', 'done'],
  setup(props, { emit }) {
    const { full, loadError } = useFullGrid(props);
    const boundary = ref(null);
    const reason = ref('');
    const saving = ref(false);
    const serverError = ref('');
    const formError = ref('');
    watch(() => props.grid, () => { boundary.value = null; reason.value = ''; serverError.value = ''; formError.value = ''; });
    watch(boundary, (b) => { serverError.value = ''; if (b) formError.value = ''; });
    const preview = computed(() => [full.value && oldShape(full.value.boundary), boundary.value && newShape(boundary.value)].filter(Boolean));
    async function submit() {
      serverError.value = '';
      if (!boundary.value) { formError.value = '请上传新的边界文件或粘贴 GeoJSON'; return; }
      saving.value = true;
      try {
        const body = { boundary: boundary.value };
        if (reason.value.trim()) body.reason = reason.value.trim();
        const g = await api.post(`/api/v1/grids/${props.grid.code}/redraw`, body);
        ElMessage.success(`已重划边界：${g.name}，现为第 ${g.version} 版`);
        emit('done', g);
      } catch (e) {
        serverError.value = e.message;
      } finally {
        saving.value = false;
      }
    }
    return { full, loadError, boundary, reason, saving, serverError, formError, preview, submit, narrow };
  },
  template: `
    <el-dialog :model-value="!!grid" @update:model-value="$emit('close')" title="重划网格边界"
               :width="narrow ? '96%' : '640px'" top="5vh" class="grid-dialog redraw-dialog">
      <grid-line :grid="grid" />
      <el-alert v-if="loadError" type="error" :title="loadError" :closable="false" show-icon />
      <p class="dialog-note">网格编码保持不变，原边界作为历史版本保留。</p>
      <el-form label-position="top">
        <el-form-item label="新边界" required :error="formError"><boundary-input v-model="boundary" class="full" /></el-form-item>
        <el-form-item label="调整原因"><el-input v-model="reason" maxlength="200" placeholder="选填，如：道路改建后按新路界调整" /></el-form-item>
        <el-form-item label="预览（虚线为现边界）"><mini-map :layers="preview" height="220px" class="full" /></el-form-item>
      </el-form>
      <server-error :message="serverError" />
      <template #footer>
        <el-button @click="$emit('close')">取消</el-button>
        <el-button type="primary" :loading="saving" @click="submit">确认重划</el-button>
      </template>
    </el-dialog>`,
};

// ---- 拆分 ----
const SplitDialog = {
  components: { BoundaryInput, MiniMap, ServerError, GridLine },
  props: { grid: Object },
  emits: ['close', 'done'],
  setup(props, { emit }) {
    const { full, loadError } = useFullGrid(props);
    const count = ref(2);
    const parts = ref([]);
    const saving = ref(false);
    const serverError = ref('');
    const formError = ref('');
    const bulkNote = ref('');
    const newPart = () => ({ name: '', boundary: null, key: Math.random() });
    watch(() => props.grid, () => {
      count.value = 2; parts.value = [newPart(), newPart()];
      serverError.value = ''; formError.value = ''; bulkNote.value = '';
    }, { immediate: true });
    watch(count, (n) => {
      const p = parts.value.slice(0, n);
      while (p.length < n) p.push(newPart());
      parts.value = p;
    });
    // One FeatureCollection with every part (names from properties.name).
    async function onBulk(file) {
      try {
        const list = parseParts(await file.raw.text(), `文件“${file.name}”`);
        if (list.length < 2 || list.length > 50) throw new Error(`文件包含 ${list.length} 个要素，拆分需要 2 到 50 个部分`);
        count.value = list.length;
        parts.value = list.map((x) => ({ name: x.name, boundary: x.geometry, key: Math.random() }));
        bulkNote.value = `已从“${file.name}”读取 ${list.length} 个部分`;
        formError.value = '';
      } catch (e) {
        bulkNote.value = '';
        formError.value = e.message;
      }
    }
    watch(parts, () => { serverError.value = ''; }, { deep: true });
    const preview = computed(() => [full.value && oldShape(full.value.boundary),
      ...parts.value.map((p, i) => p.boundary && newShape(p.boundary, PART_COLORS[i % PART_COLORS.length], p.name || `第 ${i + 1} 部分`))].filter(Boolean));
    async function submit() {
      serverError.value = '';
      formError.value = '';
      for (const [i, p] of parts.value.entries()) {
        if (!p.name.trim()) { formError.value = `第 ${i + 1} 部分：请输入网格名称`; return; }
        if (!p.boundary) { formError.value = `第 ${i + 1} 部分：请上传边界文件或粘贴 GeoJSON`; return; }
      }
      saving.value = true;
      try {
        const out = await api.post(`/api/v1/grids/${props.grid.code}/split`,
          { parts: parts.value.map((p) => ({ name: p.name.trim(), boundary: p.boundary })) });
        ElMessage.success(`已拆分为 ${out.created.length} 个网格：${out.created.map((g) => g.code).join('、')}`);
        emit('done', out);
      } catch (e) {
        serverError.value = e.message;
      } finally {
        saving.value = false;
      }
    }
    return { full, loadError, count, parts, saving, serverError, formError, bulkNote, onBulk, preview, submit, narrow, PART_COLORS };
  },
  template: `
    <el-dialog :model-value="!!grid" @update:model-value="$emit('close')" title="拆分网格"
               :width="narrow ? '96%' : '760px'" top="4vh" class="grid-dialog split-dialog">
      <grid-line :grid="grid" />
      <el-alert v-if="loadError" type="error" :title="loadError" :closable="false" show-icon />
      <p class="dialog-note">各部分不得相互重叠，合起来须完整覆盖原网格。拆分后原网格注销，编码不再使用；新网格沿用原网格的社区和类型，编码自动分配，户数和人口数按面积分摊。</p>
      <div class="split-head">
        <span>拆分为</span>
        <el-input-number v-model="count" :min="2" :max="50" size="small" controls-position="right" data-field="part-count" />
        <span>个部分</span>
        <el-upload :auto-upload="false" :show-file-list="false" accept=".geojson,.json" :on-change="onBulk" class="bulk-upload">
          <el-button size="small">从一个文件读取全部部分</el-button>
        </el-upload>
        <span v-if="bulkNote" class="muted">{{ bulkNote }}</span>
      </div>
      <div class="split-parts">
        <div v-for="(p, i) in parts" :key="p.key" class="split-part" :data-part="i + 1">
          <div class="split-part-head">
            <span class="part-no" :style="{ background: PART_COLORS[i % PART_COLORS.length] }">{{ i + 1 }}</span>
            <el-input v-model="p.name" maxlength="40" placeholder="新网格名称" data-field="part-name" />
          </div>
          <boundary-input v-model="p.boundary" :tip="false" file-label="拖入或点击选择本部分的 GeoJSON 文件" />
        </div>
      </div>
      <div v-if="formError" class="form-error" data-field="form-error">{{ formError }}</div>
      <div class="preview-label">预览（虚线为原网格）</div>
      <mini-map :layers="preview" height="240px" />
      <server-error :message="serverError" />
      <template #footer>
        <el-button @click="$emit('close')">取消</el-button>
        <el-button type="primary" :loading="saving" @click="submit">确认拆分</el-button>
      </template>
    </el-dialog>`,
};

// ---- 合并 ----
const MergeDialog = {
  components: { MiniMap, ServerError },
  props: { grids: Array },
  emits: ['close', 'done'],
  setup(props, { emit }) {
    const name = ref('');
    const code = ref('');
    const shapes = ref([]);
    const saving = ref(false);
    const serverError = ref('');
    const formError = ref('');
    watch(() => props.grids, async (list) => {
      name.value = ''; code.value = ''; serverError.value = ''; formError.value = ''; shapes.value = [];
      if (!list) return;
      const got = await Promise.all(list.map((g) => api.get(`/api/v1/grids/${g.code}`).catch(() => null)));
      if (props.grids === list) shapes.value = got.filter(Boolean).map((g, i) => newShape(g.boundary, PART_COLORS[i % PART_COLORS.length], g.name));
    }, { immediate: true });
    const sameCommunity = computed(() => new Set((props.grids || []).map((g) => g.community.code)).size === 1);
    const sameKind = computed(() => new Set((props.grids || []).map((g) => g.kind)).size === 1);
    async function submit() {
      serverError.value = '';
      formError.value = '';
      if (!name.value.trim()) { formError.value = '请输入合并后的网格名称'; return; }
      if (code.value.trim() && !/^\d{15}$/.test(code.value.trim())) { formError.value = '网格编码应为 15 位数字'; return; }
      saving.value = true;
      try {
        const body = { codes: props.grids.map((g) => g.code), name: name.value.trim() };
        if (code.value.trim()) body.code = code.value.trim();
        const out = await api.post('/api/v1/grids/merge', body);
        const g = out.created[0];
        ElMessage.success(`已合并为新网格：${g.name}（${g.code}）`);
        emit('done', out);
      } catch (e) {
        serverError.value = e.message;
      } finally {
        saving.value = false;
      }
    }
    return { name, code, shapes, saving, serverError, formError, sameCommunity, sameKind, submit, narrow };
  },
  template: `
    <el-dialog :model-value="!!grids" @update:model-value="$emit('close')" title="合并网格"
               :width="narrow ? '96%' : '600px'" top="6vh" class="grid-dialog merge-dialog">
      <p class="dialog-note">将以下 {{ grids ? grids.length : 0 }} 个网格合并为一个新网格。它们须属于同一社区、同一类型且相互连接；合并后原网格注销，户数和人口数相加。</p>
      <el-alert v-if="grids && (!sameCommunity || !sameKind)" type="warning" show-icon :closable="false"
                title="所选网格不属于同一社区或类型不同，服务器将拒绝合并" />
      <div class="merge-list">
        <el-tag v-for="g in grids" :key="g.code" disable-transitions>{{ g.name }}（{{ g.code }}）</el-tag>
      </div>
      <el-form label-position="top">
        <el-form-item label="新网格名称" required><el-input v-model="name" maxlength="40" show-word-limit data-field="merge-name" /></el-form-item>
        <el-form-item label="新网格编码"><el-input v-model="code" maxlength="15" placeholder="可不填，系统自动分配" /></el-form-item>
      </el-form>
      <div v-if="formError" class="form-error" data-field="form-error">{{ formError }}</div>
      <mini-map :layers="shapes" height="200px" />
      <server-error :message="serverError" />
      <template #footer>
        <el-button @click="$emit('close')">取消</el-button>
        <el-button type="primary" :loading="saving" @click="submit">确认合并</el-button>
      </template>
    </el-dialog>`,
};

// ---- 注销 ----
const RetireDialog = {
  components: { ServerError, GridLine },
  props: { grid: Object },
  emits: ['close', 'done'],
  setup(props, { emit }) {
    const reason = ref('');
    const saving = ref(false);
    const serverError = ref('');
    const formError = ref('');
    watch(() => props.grid, () => { reason.value = ''; serverError.value = ''; formError.value = ''; });
    async function submit() {
      serverError.value = '';
      if (!reason.value.trim()) { formError.value = '请填写注销原因'; return; }
      formError.value = '';
      saving.value = true;
      try {
        const g = await api.post(`/api/v1/grids/${props.grid.code}/retire`, { reason: reason.value.trim() });
        ElMessage.success(`已注销网格：${g.name}（${g.code}）`);
        emit('done', g);
      } catch (e) {
        serverError.value = e.message;
      } finally {
        saving.value = false;
      }
    }
    return { reason, saving, serverError, formError, submit, narrow };
  },
  template: `
    <el-dialog :model-value="!!grid" @update:model-value="$emit('close')" title="注销网格"
               :width="narrow ? '96%' : '520px'" class="grid-dialog retire-dialog">
      <grid-line :grid="grid" />
      <el-alert type="warning" show-icon :closable="false" title="注销后网格不再参与定位和统计，其编码永不重复使用。此操作不可撤销。" />
      <el-form label-position="top" class="retire-form">
        <el-form-item label="注销原因" required :error="formError">
          <el-input v-model="reason" type="textarea" :rows="3" maxlength="200" show-word-limit
                    placeholder="如：所在区域整体拆迁" data-field="retire-reason" />
        </el-form-item>
      </el-form>
      <server-error :message="serverError" />
      <template #footer>
        <el-button @click="$emit('close')">取消</el-button>
        <el-button type="danger" :loading="saving" @click="submit">确认注销</el-button>
      </template>
    </el-dialog>`,
};

// ---- 历史 ----
const HistoryDrawer = {
  components: { MiniMap },
  props: { code: String },
  emits: ['close', 'open'],
  setup(props) {
    const data = ref(null);
    const error = ref('');
    const version = ref(null);
    watch(() => props.code, async (code) => {
      data.value = null; error.value = ''; version.value = null;
      if (!code) return;
      try {
        const h = await api.get(`/api/v1/grids/${code}/history`);
        if (props.code !== code) return;
        data.value = h;
        version.value = h.versions.length ? h.versions[h.versions.length - 1].version : null;
      } catch (e) {
        error.value = e.message;
      }
    }, { immediate: true });
    const shown = computed(() => {
      const v = data.value && data.value.versions.find((x) => x.version === version.value);
      return v ? [newShape(v.boundary, gridStyle(data.value.grid.kind).color, `第 ${v.version} 版`)] : [];
    });
    const lineage = computed(() => {
      if (!data.value) return [];
      const l = data.value.lineage;
      const gen = (x) => (x.depth > 1 ? `（隔 ${x.depth - 1} 代）` : '');
      return [...l.up.map((x) => ({ ...x, dir: '来源' + gen(x) })), ...l.down.map((x) => ({ ...x, dir: '去向' + gen(x) }))];
    });
    const toMap = () => navigate('/map', { grid: props.code });
    return { data, error, version, shown, lineage, toMap, narrow, formatTime, formatCount, STATUS_LABEL, OP_LABEL, MapLocation };
  },
  template: `
    <el-drawer :model-value="!!code" @update:model-value="$emit('close')" :size="narrow ? '100%' : '680px'"
               :title="data ? '网格历史：' + data.grid.name : '网格历史'" class="history-drawer">
      <el-alert v-if="error" type="error" :title="error" show-icon :closable="false" />
      <el-skeleton v-else-if="!data" :rows="6" animated />
      <template v-else>
        <el-descriptions :column="narrow ? 1 : 2" size="small" border class="history-grid">
          <el-descriptions-item label="网格编码"><span class="mono" data-field="history-code">{{ data.grid.code }}</span></el-descriptions-item>
          <el-descriptions-item label="状态">
            <el-tag size="small" :type="data.grid.status === 'active' ? 'success' : 'info'" disable-transitions data-field="history-status">{{ STATUS_LABEL[data.grid.status] }}</el-tag>
          </el-descriptions-item>
          <el-descriptions-item label="网格类型">{{ data.grid.kind_label }}<template v-if="data.grid.subtype">（{{ data.grid.subtype }}）</template></el-descriptions-item>
          <el-descriptions-item label="所属社区">{{ data.grid.community.name }}</el-descriptions-item>
          <el-descriptions-item label="生效时间">{{ formatTime(data.grid.valid_from) }}</el-descriptions-item>
          <el-descriptions-item label="失效时间">{{ formatTime(data.grid.valid_to) }}</el-descriptions-item>
          <el-descriptions-item v-if="data.grid.retire_reason" label="注销原因" :span="2">{{ data.grid.retire_reason }}</el-descriptions-item>
        </el-descriptions>
        <h3 class="section-title">边界版本</h3>
        <el-table :data="data.versions" size="small" border highlight-current-row class="versions-table"
                  :row-class-name="({ row }) => row.version === version ? 'is-shown' : ''" @row-click="(row) => (version = row.version)">
          <el-table-column label="版本" width="70"><template #default="{ row }">第 {{ row.version }} 版</template></el-table-column>
          <el-table-column label="生效时间" min-width="150"><template #default="{ row }">{{ formatTime(row.valid_from) }}</template></el-table-column>
          <el-table-column label="失效时间" min-width="150"><template #default="{ row }">{{ row.valid_to ? formatTime(row.valid_to) : '现行' }}</template></el-table-column>
          <el-table-column label="原因" prop="reason" min-width="120" show-overflow-tooltip />
        </el-table>
        <mini-map :layers="shown" height="220px" class="history-map" />
        <h3 class="section-title">沿革</h3>
        <el-empty v-if="!lineage.length" :image-size="60" description="该网格没有拆分或合并记录" />
        <el-table v-else :data="lineage" size="small" border class="lineage-table">
          <el-table-column label="关系" width="110" prop="dir" />
          <el-table-column label="网格" min-width="190">
            <template #default="{ row }">
              <el-link type="primary" underline="never" @click="$emit('open', row.code)">{{ row.name }}</el-link>
              <div class="mono muted">{{ row.code }}</div>
            </template>
          </el-table-column>
          <el-table-column label="变更" width="70"><template #default="{ row }">{{ OP_LABEL[row.op] || row.op }}</template></el-table-column>
          <el-table-column label="状态" width="80"><template #default="{ row }">{{ STATUS_LABEL[row.status] || row.status }}</template></el-table-column>
          <el-table-column label="时间" min-width="150"><template #default="{ row }">{{ formatTime(row.at) }}</template></el-table-column>
        </el-table>
        <div class="drawer-actions"><el-button :icon="MapLocation" @click="toMap">在地图上查看</el-button></div>
      </template>
    </el-drawer>`,
};

export default {
  name: 'GridsPage',
  components: { RegionCascader, CreateDialog, EditDialog, RedrawDialog, SplitDialog, MergeDialog, RetireDialog, HistoryDrawer },
  setup() {
    const filters = reactive({ region: route.query.region || '', status: 'active', kind: '', q: '' });
    const regionLevel = ref(null);
    const rows = ref([]);
    // Keyset pages: cursors[i] opens page i + 1 (null: the first); nextCursor opens the next one.
    const cursors = ref([null]);
    const nextCursor = ref(null);
    const page = ref(1);
    const pageSize = ref(20);
    const loading = ref(false);
    const error = ref('');
    const selection = ref([]);
    const creating = ref(false);
    const editing = ref(null), redrawing = ref(null), splitting = ref(null), retiring = ref(null);
    const merging = ref(null);
    const historyCode = ref(route.query.history || '');

    let seq = 0;
    async function load() {
      const my = ++seq;
      loading.value = true;
      try {
        const res = await api.get('/api/v1/grids', {
          region: filters.region, status: filters.status, kind: filters.kind, q: filters.q.trim(),
          limit: pageSize.value, cursor: cursors.value[page.value - 1],
        });
        if (my !== seq) return;
        rows.value = res.items;
        nextCursor.value = res.next_cursor;
        error.value = '';
      } catch (e) {
        if (my === seq) { error.value = e.message; rows.value = []; nextCursor.value = null; }
      } finally {
        if (my === seq) loading.value = false;
      }
    }
    function search() { cursors.value = [null]; page.value = 1; load(); }
    function reset() { Object.assign(filters, { region: '', status: 'active', kind: '', q: '' }); regionLevel.value = null; search(); }
    function nextPage() {
      if (!nextCursor.value) return;
      cursors.value[page.value] = nextCursor.value;
      page.value++;
      load();
    }
    function prevPage() { if (page.value > 1) { page.value--; load(); } }
    watch(pageSize, search);
    onMounted(load);

    const tableRef = ref(null);
    function done() { tableRef.value?.clearSelection(); editing.value = redrawing.value = splitting.value = retiring.value = merging.value = null; load(); }
    function act(cmd, row) {
      if (cmd === 'edit') editing.value = row;
      else if (cmd === 'redraw') redrawing.value = row;
      else if (cmd === 'split') splitting.value = row;
      else if (cmd === 'retire') retiring.value = row;
      else if (cmd === 'history') historyCode.value = row.code;
      else if (cmd === 'map') navigate('/map', { grid: row.code });
    }
    const startMerge = () => { merging.value = [...selection.value]; };
    // Opened from another page (#/grids?history=CODE): closing it also drops that from the address,
    // so a reload does not reopen it.
    function closeHistory() {
      historyCode.value = '';
      if (route.query.history) window.history.replaceState(window.history.state, '', '#/grids');
    }
    const onPicked = (r) => { regionLevel.value = r ? r.level : null; };
    const presetCommunity = computed(() => (regionLevel.value === 5 ? filters.region : ''));

    return {
      tableRef, filters, rows, nextCursor, page, pageSize, loading, error, selection, creating, editing, redrawing,
      splitting, retiring, merging, historyCode, presetCommunity, search, reset, load, done, act, nextPage, prevPage,
      startMerge, closeHistory, onPicked, narrow, formatCount, formatTime, STATUS_LABEL,
      Plus, Search, Refresh, Connection, ArrowDown,
      selectable: (row) => row.status === 'active',
      canWrite: computed(() => can('grid.write')),
    };
  },
  template: `
    <el-card class="page-card grids-page" shadow="never">
      <template #header>
        <div class="card-head">
          <h1 class="page-title">网格管理</h1>
          <div v-if="canWrite" class="head-actions">
            <el-button :icon="Connection" :disabled="selection.length < 2" @click="startMerge" data-action="merge">
              合并所选<template v-if="selection.length">（{{ selection.length }}）</template></el-button>
            <el-button type="primary" :icon="Plus" @click="creating = true" data-action="create">新建网格</el-button>
          </div>
        </div>
      </template>
      <el-form class="filter-bar grid-filters" :class="{ 'is-narrow': narrow }" :inline="!narrow" :label-position="narrow ? 'top' : 'left'" @submit.prevent="search">
        <el-form-item label="行政区划" class="filter-region">
          <region-cascader v-model="filters.region" placeholder="全部" @picked="onPicked" />
        </el-form-item>
        <el-form-item label="状态">
          <el-select v-model="filters.status" class="filter-select" data-field="filter-status">
            <el-option value="active" label="在用" /><el-option value="retired" label="已注销" /><el-option value="all" label="全部" />
          </el-select>
        </el-form-item>
        <el-form-item label="类型">
          <el-select v-model="filters.kind" class="filter-select" placeholder="全部">
            <el-option value="" label="全部" /><el-option value="comprehensive" label="综合网格" /><el-option value="dedicated" label="专属网格" />
          </el-select>
        </el-form-item>
        <el-form-item label="网格名称">
          <el-input v-model="filters.q" clearable placeholder="输入名称关键字" maxlength="30" class="filter-q" data-field="filter-q" @keyup.enter="search" />
        </el-form-item>
        <el-form-item class="filter-buttons">
          <el-button type="primary" :icon="Search" @click="search">查询</el-button>
          <el-button :icon="Refresh" @click="reset">重置</el-button>
        </el-form-item>
      </el-form>
      <el-alert v-if="error" type="error" :title="error" show-icon :closable="false" class="table-error" />
      <el-table ref="tableRef" :data="rows" v-loading="loading" border stripe row-key="code" class="grids-table"
                empty-text="没有符合条件的网格" @selection-change="(s) => (selection = s)">
        <el-table-column v-if="canWrite" type="selection" width="44" :selectable="selectable" />
        <el-table-column label="网格编码" width="142"><template #default="{ row }"><span class="mono" data-col="code">{{ row.code }}</span></template></el-table-column>
        <el-table-column label="网格名称" prop="name" min-width="160" show-overflow-tooltip />
        <el-table-column label="类型" width="124">
          <template #default="{ row }">
            <el-tag size="small" :type="row.kind === 'dedicated' ? 'warning' : 'primary'" disable-transitions>{{ row.kind_label }}</el-tag>
            <span v-if="row.subtype" class="subtype">{{ row.subtype }}</span>
          </template>
        </el-table-column>
        <el-table-column label="社区/村" min-width="80" show-overflow-tooltip><template #default="{ row }">{{ row.community.name }}</template></el-table-column>
        <el-table-column label="户数" width="66" align="right"><template #default="{ row }">{{ formatCount(row.households) }}</template></el-table-column>
        <el-table-column label="人口数" width="74" align="right"><template #default="{ row }">{{ formatCount(row.residents) }}</template></el-table-column>
        <el-table-column label="状态" width="72">
          <template #default="{ row }"><el-tag size="small" :type="row.status === 'active' ? 'success' : 'info'" disable-transitions data-col="status">{{ STATUS_LABEL[row.status] }}</el-tag></template>
        </el-table-column>
        <el-table-column label="操作" :width="canWrite ? 140 : 70" :fixed="narrow ? false : 'right'">
          <template #default="{ row }">
            <div class="row-actions">
              <template v-if="row.status === 'active' && canWrite">
                <el-button link type="primary" size="small" data-action="edit" @click="act('edit', row)">编辑</el-button>
                <el-button link type="primary" size="small" data-action="history" @click="act('history', row)">历史</el-button>
                <el-dropdown trigger="click" @command="(c) => act(c, row)">
                  <el-button link type="primary" size="small" data-action="more">更多<el-icon class="el-icon--right"><component :is="ArrowDown" /></el-icon></el-button>
                  <template #dropdown>
                    <el-dropdown-menu>
                      <el-dropdown-item command="redraw" data-action="redraw">重划边界</el-dropdown-item>
                      <el-dropdown-item command="split" data-action="split">拆分</el-dropdown-item>
                      <el-dropdown-item command="map" data-action="map">在地图上查看</el-dropdown-item>
                      <el-dropdown-item command="retire" data-action="retire" divided class="danger-item">注销</el-dropdown-item>
                    </el-dropdown-menu>
                  </template>
                </el-dropdown>
              </template>
              <el-button v-else link type="primary" size="small" data-action="history" @click="act('history', row)">历史</el-button>
            </div>
          </template>
        </el-table-column>
      </el-table>
      <div class="table-footer keyset-pager">
        <el-select v-if="!narrow" v-model="pageSize" class="page-size" :size="narrow ? 'small' : 'default'" data-field="page-size">
          <el-option v-for="n in [20, 50, 100]" :key="n" :value="n" :label="n + ' 条/页'" />
        </el-select>
        <el-button :disabled="page <= 1 || loading" @click="prevPage" data-action="prev-page">上一页</el-button>
        <span class="page-no" data-field="page-no">第 {{ page }} 页</span>
        <el-button :disabled="!nextCursor || loading" @click="nextPage" data-action="next-page">下一页</el-button>
      </div>
      <create-dialog v-model="creating" :preset-community="presetCommunity" @done="load" />
      <edit-dialog :grid="editing" @close="editing = null" @done="done" />
      <redraw-dialog :grid="redrawing" @close="redrawing = null" @done="done" />
      <split-dialog :grid="splitting" @close="splitting = null" @done="done" />
      <merge-dialog :grids="merging" @close="merging = null" @done="done" />
      <retire-dialog :grid="retiring" @close="retiring = null" @done="done" />
      <history-drawer :code="historyCode" @close="closeHistory" @open="(c) => (historyCode = c)" />
    </el-card>`,
};
