// 我的网格 (#/my-grid): the grid worker's phone page for the basic-information registry (Art. 13(1);
// issue 12, docs/api-registry.md). The statistics of the chosen grid (kept current by the server
// in every registry write), its houses a page at a time (keyset "加载更多"), a house's residents
// (from the dated residence records), a person's card (masked ID and phone), registering a house
// and a person, and recording a move out (PATCH house: null) or a move in (PATCH house: id). The
// server judges every field; its Chinese message is shown in the form as it is.
// A house's card shows its current use with the day it began and its 用途记录 (GET /houses/{id}:
// use_since, use_history). 编辑 changes the address, building, unit, room and type; 变更用途 sends
// only a new use and the day it began (a dated fact, kept by the server). Both send the version
// the card was read at: when someone changed the house meanwhile the server answers 409
// version_conflict, shown with 重新加载, which reads the house again and keeps what the user
// changed in the form, to be saved over the new version.
import { onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import { Edit, Location, Plus, Refresh } from '@element-plus/icons-vue';
import { api } from '../api.js';
import { can, reportError } from '../session.js';
import { narrow } from '../screen.js';
import { CARE_TAGS, PersonCard, REG_TYPES } from '../person-card.js';
import { renderMyGridPage } from '../gen/pages/my-grid.js';

const PAGE_SIZE = 20;
const STATS = [
  { key: 'residents', label: '实有人口' }, { key: 'households', label: '户数' },
  { key: 'floating', label: '流动人口' }, { key: 'foreigners', label: '境外人员' },
  { key: 'care', label: '关怀对象' }, { key: 'key_people', label: '重点人员' },
  { key: 'houses', label: '房屋' }, { key: 'units', label: '单位' },
];
const HOUSE_TYPES = [{ value: 'dwelling', label: '住宅' }, { value: 'shop', label: '商铺' }, { value: 'office', label: '办公' },
  { value: 'factory', label: '厂房' }, { value: 'other', label: '其他' }];
const HOUSE_USES = [{ value: 'self', label: '自住' }, { value: 'rent', label: '出租' }, { value: 'vacant', label: '空置' },
  { value: 'business', label: '经营' }];
const RELATIONS = [{ value: 'head', label: '户主' }, { value: 'spouse', label: '配偶' }, { value: 'child', label: '子女' },
  { value: 'parent', label: '父母' }, { value: 'grandchild', label: '孙子女' }, { value: 'sibling', label: '兄弟姐妹' },
  { value: 'other', label: '其他' }];

// 东昌路 12 号 1 栋 2 单元 301
export function houseLine(h) {
  if (!h) return '';
  return [h.address, h.building && `${h.building} 栋`, h.unit_no && `${h.unit_no} 单元`, h.room].filter(Boolean).join(' ');
}
// The fields of a form the user left empty are not sent: the server then takes its defaults.
function trimmed(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    const t = typeof v === 'string' ? v.trim() : v;
    if (t !== '' && t !== null && t !== undefined && !(Array.isArray(t) && !t.length)) out[k] = t;
  }
  return out;
}
// 400, 404 and 409 answers are about the form: shown in it, in the server's words.
function formError(target, e) {
  if ([400, 404, 409].includes(e.status)) target.error = e.message; else reportError(e);
}
// Today in China (the server's calendar), as YYYY-MM-DD; a date picker refuses later days.
export const todayLocal = () => new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
const afterToday = (d) => {
  const z = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  return z > todayLocal();
};
// The field of the house forms an error of PATCH /houses is about ('' : above the form).
function houseField(e) {
  if (e.code === 'bad_type') return 'type';
  if (e.code === 'bad_use') return 'use';
  if (e.code === 'bad_date') return 'date';
  if (e.code === 'bad_field' && /地址|address/.test(e.message)) return 'address';
  if (e.code === 'bad_field' && /楼栋|单元|房号/.test(e.message)) return 'building';
  return '';
}
// The text of a form field as the server holds it (null and '' alike).
const plain = (v) => (v === null || v === undefined ? '' : String(v).trim());

export default {
  name: 'MyGridPage',
  components: { PersonCard },
  setup() {
    const perms = { house: can('registry.write'), person: can('person.write') && can('person.read') };
    const grids = ref([]);
    const grid = ref('');
    const stats = ref(null);
    const statsLoading = ref(false);
    const houses = ref([]);
    const housesNext = ref(null);
    const housesLoading = ref(false);

    async function loadStats() {
      if (!grid.value) return;
      statsLoading.value = true;
      try { stats.value = await api.get(`/api/v1/grids/${encodeURIComponent(grid.value)}/statistics`); }
      catch (e) { reportError(e); }
      finally { statsLoading.value = false; }
    }
    // first: from the start of the list; else the next page, appended.
    async function loadHouses(first = true) {
      if (!grid.value) return;
      housesLoading.value = true;
      try {
        const r = await api.get('/api/v1/houses', { grid: grid.value, limit: PAGE_SIZE, cursor: first ? null : housesNext.value });
        houses.value = first ? r.items : houses.value.concat(r.items);
        housesNext.value = r.next_cursor || null;
      } catch (e) { reportError(e); }
      finally { housesLoading.value = false; }
    }
    const reload = () => Promise.all([loadStats(), loadHouses(true)]);

    onMounted(async () => {
      statsLoading.value = true;
      try {
        grids.value = (await api.get('/api/v1/grids', { limit: 200 })).items.filter((g) => g.status === 'active');
        if (grids.value.length) grid.value = grids.value[0].code;
      } catch (e) { reportError(e); }
      statsLoading.value = false;
      await reload();
    });

    // ---- a house and its residents ----
    const houseCard = reactive({ open: false, house: null, residents: [], loading: false });
    async function loadResidents() {
      houseCard.loading = true;
      try { houseCard.residents = (await api.get(`/api/v1/houses/${houseCard.house.id}/residents`)).items; }
      catch (e) { reportError(e); }
      finally { houseCard.loading = false; }
    }
    // The house as GET /houses/{id} answers it (with use_since, use_history, version), into the
    // card and the list.
    function showHouse(h) {
      if (houseCard.house && houseCard.house.id === h.id) houseCard.house = h;
      const i = houses.value.findIndex((x) => x.id === h.id);
      if (i >= 0) houses.value.splice(i, 1, h);
    }
    async function loadHouse(id) {
      const h = await api.get(`/api/v1/houses/${id}`);
      showHouse(h);
      return h;
    }
    function openHouseCard(h) {
      Object.assign(houseCard, { open: true, house: h, residents: [] });
      loadHouse(h.id).catch(reportError);
      loadResidents();
    }

    // ---- edit a house; change its use (both: the version read, 409 → 重新加载) ----
    const EDIT_FIELDS = ['address', 'building', 'unit_no', 'room', 'type'];
    const editBlank = () => ({ open: false, kind: 'edit', address: '', building: '', unit_no: '', room: '', type: '', orig: {}, version: 0,
      errors: {}, error: '', info: '', conflict: false, busy: false, reloading: false });
    const editDlg = reactive(editBlank());
    const useDlg = reactive({ ...editBlank(), kind: 'use', use: '', date: '' });
    function openHouseEdit() {
      const h = houseCard.house;
      const orig = Object.fromEntries(EDIT_FIELDS.map((k) => [k, plain(h[k])]));
      Object.assign(editDlg, editBlank(), orig, { open: true, orig, version: h.version });
    }
    function openUseChange() {
      const h = houseCard.house;
      Object.assign(useDlg, editBlank(), { kind: 'use', open: true, use: h.use, date: todayLocal(), orig: { use: h.use }, version: h.version });
    }
    // A refused save: a stale version offers 重新加载; the rest goes under its field or above the form.
    function editError(dlg, e) {
      if (e.status === 409 && e.code === 'version_conflict') {
        dlg.error = e.message;
        dlg.conflict = true;
      } else if ([400, 403, 404, 409].includes(e.status)) {
        const f = houseField(e);
        if (f && (dlg.kind === 'use' ? ['use', 'date'] : EDIT_FIELDS).includes(f)) dlg.errors = { [f]: e.message };
        else dlg.error = e.message;
      } else reportError(e);
    }
    // 重新加载: the house as it is now; what the user changed in the form stays, the rest follows
    // the house, and the next save is made over the new version.
    async function reloadEdit(dlg) {
      dlg.reloading = true;
      try {
        const h = await loadHouse(houseCard.house.id);
        const fields = dlg.kind === 'use' ? [] : EDIT_FIELDS;
        for (const k of fields) if (plain(dlg[k]) === dlg.orig[k]) dlg[k] = plain(h[k]);
        dlg.orig = dlg.kind === 'use' ? { use: h.use } : Object.fromEntries(EDIT_FIELDS.map((k) => [k, plain(h[k])]));
        Object.assign(dlg, { version: h.version, error: '', errors: {}, conflict: false, info: '已加载最新信息，请核对后再次保存' });
      } catch (e) { reportError(e); }
      finally { dlg.reloading = false; }
    }
    async function patchHouse(dlg, body, done) {
      dlg.error = '';
      dlg.info = '';
      dlg.errors = {};
      dlg.busy = true;
      try {
        const h = await api.patch(`/api/v1/houses/${houseCard.house.id}`, { version: dlg.version, ...body });
        showHouse(h);
        dlg.open = false;
        ElMessage.success(done);
      } catch (e) { editError(dlg, e); }
      finally { dlg.busy = false; }
    }
    function saveHouseEdit() {
      if (!editDlg.address.trim()) { editDlg.errors = { address: '请填写地址' }; return; }
      // Only what changed: the server records which fields were changed.
      const body = {};
      for (const k of EDIT_FIELDS) {
        const v = plain(editDlg[k]);
        if (v !== editDlg.orig[k]) body[k] = v === '' ? null : v;
      }
      if (!Object.keys(body).length) { editDlg.open = false; ElMessage.info('没有修改'); return; }
      patchHouse(editDlg, body, '已保存房屋信息');
    }
    function saveUseChange() {
      useDlg.errors = {};
      if (useDlg.use === useDlg.orig.use) { useDlg.errors = { use: '请选择与当前不同的用途' }; return; }
      if (!useDlg.date) { useDlg.errors = { date: '请选择起始日期' }; return; }
      patchHouse(useDlg, { use: useDlg.use, date: useDlg.date }, '已变更用途');
    }

    // ---- a person ----
    const personCard = reactive({ open: false, person: null });
    async function openPersonCard(id) {
      try {
        personCard.person = await api.get(`/api/v1/people/${id}`);
        personCard.open = true;
      } catch (e) { reportError(e); }
    }

    // After a change: the counters, the list (a house's resident count) and the open house.
    async function refreshAfterChange() {
      await reload();
      if (houseCard.open && houseCard.house) {
        await loadHouse(houseCard.house.id).catch(reportError);
        await loadResidents();
      }
    }

    // ---- register a house ----
    const houseBlank = () => ({ open: false, address: '', building: '', unit_no: '', room: '', type: 'dwelling', use: 'self', date: '', error: '', busy: false,
      lng: null, lat: null, locating: false, locateError: '' });
    const houseDlg = reactive(houseBlank());
    const openHouse = () => Object.assign(houseDlg, houseBlank(), { open: true });
    async function saveHouse() {
      houseDlg.error = '';
      if (!houseDlg.address.trim()) { houseDlg.error = '请填写地址'; return; }
      houseDlg.busy = true;
      try {
        // Standing at the house with its position taken: the server finds the grid from it (and
        // keeps the position); otherwise the grid shown on the page.
        const located = houseDlg.lng !== null;
        const h = await api.post('/api/v1/houses', {
          ...trimmed({ grid: located ? '' : grid.value, address: houseDlg.address, building: houseDlg.building,
            unit_no: houseDlg.unit_no, room: houseDlg.room, type: houseDlg.type, use: houseDlg.use, date: houseDlg.date }),
          ...(located ? { location: { lng: houseDlg.lng, lat: houseDlg.lat } } : {}),
        });
        houseDlg.open = false;
        ElMessage.success(`已登记房屋 ${houseLine(h)}${located ? `（网格 ${h.grid}）` : ''}`);
        await reload();
      } catch (e) { formError(houseDlg, e); }
      finally { houseDlg.busy = false; }
    }

    function locateHouse() {
      houseDlg.locateError = '';
      if (!navigator.geolocation) { houseDlg.locateError = '此设备无法定位，将按所选网格登记'; return; }
      houseDlg.locating = true;
      navigator.geolocation.getCurrentPosition((pos) => {
        houseDlg.lng = pos.coords.longitude;
        houseDlg.lat = pos.coords.latitude;
        houseDlg.locating = false;
      }, () => {
        houseDlg.locateError = '未能获取位置（可能未授权定位），将按所选网格登记';
        houseDlg.locating = false;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    }
    function clearHouseLocation() { houseDlg.lng = null; houseDlg.lat = null; }

    // ---- register a person (in a house, or in the grid) ----
    const personBlank = () => ({ open: false, house: null, name: '', reg_type: 'huji', id_number: '', passport: '', nationality: '',
      sex: '', birth_date: '', phone: '', household_no: '', relation: '', tags: [], date: '', error: '', busy: false });
    const personDlg = reactive(personBlank());
    const openPerson = (house) => Object.assign(personDlg, personBlank(), { open: true, house });
    async function savePerson() {
      personDlg.error = '';
      if (!personDlg.name.trim()) { personDlg.error = '请填写姓名'; return; }
      const foreign = personDlg.reg_type === 'foreign';
      if (!foreign && !personDlg.id_number.trim()) { personDlg.error = '请填写身份证号码'; return; }
      if (foreign && !personDlg.passport.trim()) { personDlg.error = '请填写护照号码'; return; }
      const body = trimmed({ name: personDlg.name, reg_type: personDlg.reg_type, phone: personDlg.phone,
        household_no: personDlg.household_no, relation: personDlg.relation, tags: personDlg.tags, date: personDlg.date });
      if (foreign) Object.assign(body, trimmed({ passport: personDlg.passport, nationality: personDlg.nationality.toUpperCase(),
        sex: personDlg.sex, birth_date: personDlg.birth_date }));
      else body.id_number = personDlg.id_number.trim().toUpperCase();
      if (personDlg.house) body.house = personDlg.house.id; else body.grid = grid.value;
      personDlg.busy = true;
      try {
        await api.post('/api/v1/people', body);
        personDlg.open = false;
        ElMessage.success(`已登记 ${body.name}`);
        await refreshAfterChange();
      } catch (e) { formError(personDlg, e); }
      finally { personDlg.busy = false; }
    }

    // ---- move out (the open person) / move in (to the open house, a person found by ID number) ----
    const moveDlg = reactive({ open: false, out: true, name: '', house: null, id_number: '', date: '', error: '', busy: false });
    function openMoveOut() {
      Object.assign(moveDlg, { open: true, out: true, name: personCard.person.name, house: null, id_number: '', date: '', error: '' });
    }
    function openMoveIn(house) {
      Object.assign(moveDlg, { open: true, out: false, name: '', house, id_number: '', date: '', error: '' });
    }
    async function saveMove() {
      moveDlg.error = '';
      let id;
      moveDlg.busy = true;
      try {
        if (moveDlg.out) id = personCard.person.id;
        else {
          const idn = moveDlg.id_number.trim().toUpperCase();
          if (!idn) { moveDlg.error = '请填写身份证号码'; return; }
          const found = (await api.get('/api/v1/people', { id_number: idn, limit: 1 })).items;
          if (!found.length) { moveDlg.error = '未找到该身份证号码的人员，请先登记人员'; return; }
          id = found[0].id;
        }
        const body = { house: moveDlg.out ? null : moveDlg.house.id };
        if (moveDlg.date) body.date = moveDlg.date;
        await api.patch(`/api/v1/people/${id}`, body);
        moveDlg.open = false;
        ElMessage.success(moveDlg.out ? '已登记迁出' : '已登记迁入');
        if (personCard.open && personCard.person?.id === id) personCard.person = await api.get(`/api/v1/people/${id}`);
        await refreshAfterChange();
      } catch (e) { formError(moveDlg, e); }
      finally { moveDlg.busy = false; }
    }

    return { perms, grids, grid, stats, statsLoading, houses, housesNext, housesLoading, reload, loadHouses,
      houseCard, openHouseCard, personCard, openPersonCard, houseDlg, openHouse, saveHouse, locateHouse, clearHouseLocation, Location,
      editDlg, useDlg, openHouseEdit, openUseChange, saveHouseEdit, saveUseChange, reloadEdit, afterToday,
      personDlg, openPerson, savePerson, moveDlg, openMoveOut, openMoveIn, saveMove,
      houseLine, narrow, STATS, REG_TYPES, CARE_TAGS, HOUSE_TYPES, HOUSE_USES, RELATIONS, Edit, Plus, Refresh };
  },
  render: renderMyGridPage,
};
