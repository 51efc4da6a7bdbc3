// Grid workers (issue 9, docs/api-workers.md): the registry's refusals (bad_id_number, under_age,
// nationality) each with a Chinese message saying why; duplicates; masking and audited unmasking;
// ID and phone numbers sealed at rest (not in the database bytes); scope (a township operator
// does not see another township's workers: 404); grids with one lead, mirrored into the linked
// account's access scope, and the exit procedure; workforce records in yuan; the compliance
// report and the grid checks naming a grid without a full-time worker; the CSV and .xlsx imports
// (all or nothing, per-row errors with the line or spreadsheet row; the export, its ID numbers
// changed, imports again; a zip bomb and damaged files refused; the CLI); .xlsx exports.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { accountFor, clientFor, login, loginAs, makeDemoDb, startDemoServer } from '../lib/auth.mjs';
import { makeTempDir, runCli } from '../lib/server.mjs';
import { dataRows, SHEET, setCell, unzip, zip } from '../lib/xlsx.mjs';

const OWN_TOWN = '371502001000';
let OTHER_TOWN; // another township of 东昌府区, read from the demo tree

function residentId(first17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * w[i];
  return first17 + '10X98765432'[sum % 11];
}

let seq = 700;
// A fresh valid ID number of someone born on birth (YYYYMMDD) in 东昌府区.
const idFor = (birth = '19850615') => residentId(`371502${birth}${seq++}`);

let server, sys, sec, op, leader;

function rawBytes(db) {
  const parts = [readFileSync(db)];
  if (existsSync(`${db}-wal`)) parts.push(readFileSync(`${db}-wal`));
  return Buffer.concat(parts);
}

// A township-level center operator over region (as tests/api/grids-authority.test.mjs makes one).
async function townOperator(region, username) {
  const org = await sys.post('/api/v1/orgs', { name: `${username}网格化服务管理中心`, kind: 'center', level: 'township', region_code: region });
  assert.equal(org.status, 201, org.text);
  const u = await sys.post('/api/v1/users', { username, display_name: `${username} 操作员`, org_id: org.body.id });
  assert.equal(u.status, 201, u.text);
  assert.equal((await sec.put(`/api/v1/users/${u.body.id}/roles`, { roles: ['center_operator'] })).status, 200);
  const res = await login(server, username, u.body.one_time_password);
  assert.equal(res.status, 200, res.text);
  const c = clientFor(server, { cookie: res.cookies.wg_session, csrf: res.body.csrf_token, login: res.body });
  if (res.body.must_change_password) {
    const pw = await c.put('/api/v1/session/password', { old_password: u.body.one_time_password, new_password: 'Canal-Bridge-2026!' });
    assert.equal(pw.status, 200, pw.text);
  }
  return c;
}

const body = (extra = {}) => ({
  name: '王建国', id_number: idFor(), employment: 'full_time', region: OWN_TOWN,
  phone: '13912345678', work_phone: '0635-8123456', education: '大学本科',
  certificate_no: 'LC-2026-001', certificate_valid_to: '2027-12-31', start_date: '2026-01-05', ...extra,
});

before(async () => {
  server = await startDemoServer();
  sys = await loginAs(server, 'sysadmin');
  sec = await loginAs(server, 'secadmin');
  op = await loginAs(server, 'center_operator');
  leader = await loginAs(server, 'center_leader');
  const towns = (await op.get('/api/v1/regions?parent=371502000000&limit=50')).body.items;
  OTHER_TOWN = towns.map((t) => t.code).find((c) => c !== OWN_TOWN);
  assert.ok(OTHER_TOWN, 'a second township in 东昌府区');
});
after(async () => { if (server) assert.equal(await server.stop(), 0); });

describe('refusals with their reason', () => {
  test('a bad check character is 400 bad_id_number, in Chinese', async () => {
    const good = idFor();
    const bad = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
    const r = await op.post('/api/v1/workers', body({ id_number: bad }));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'bad_id_number');
    assert.match(r.body.error.message, /身份证号码无效.*校验位/);
  });

  test('a date that does not exist (2023-02-29) is 400 bad_id_number', async () => {
    const r = await op.post('/api/v1/workers', body({ id_number: residentId('37150220230229123') }));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'bad_id_number');
    assert.match(r.body.error.message, /出生日期/);
  });

  test('under 18 on the start date is 400 under_age citing Art. 11', async () => {
    // Born 2008-03-01: 17 on 2026-02-28, 18 on 2026-03-01.
    const id = residentId('37150220080301132');
    let r = await op.post('/api/v1/workers', body({ id_number: id, start_date: '2026-02-28' }));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'under_age');
    assert.match(r.body.error.message, /年满十八周岁/);
    assert.match(r.body.error.message, /第十一条/);
    assert.match(r.body.error.message, /2008-03-01/);
    r = await op.post('/api/v1/workers', body({ id_number: id, start_date: '2026-03-01', name: '刘成年' }));
    assert.equal(r.status, 201, r.text);
  });

  test('a foreign nationality is 400 nationality citing Art. 11', async () => {
    const r = await op.post('/api/v1/workers', body({ nationality: 'USA' }));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'nationality');
    assert.match(r.body.error.message, /中华人民共和国国籍/);
    assert.match(r.body.error.message, /第十一条/);
  });

  test('a part-time worker needs the Art. 12 source; unknown fields are refused', async () => {
    let r = await op.post('/api/v1/workers', body({ employment: 'part_time' }));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'bad_source');
    r = await op.post('/api/v1/workers', body({ salary: 1 }));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'unknown_field');
  });

  test('the same ID number twice is 409, also as a 15-digit old number', async () => {
    const id18 = residentId('37150219800101003');
    let r = await op.post('/api/v1/workers', body({ id_number: '371502800101003', name: '旧号码' }));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.sex, 'M');
    r = await op.post('/api/v1/workers', body({ id_number: id18, name: '新号码' }));
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.error.code, 'duplicate');
  });
});

describe('the registry', () => {
  let worker;
  const id = residentId('37150219900512233');

  test('create answers the worker masked, with derived sex and age', async () => {
    const r = await op.post('/api/v1/workers', body({ id_number: id, phone: '13687654321', name: '陈静' }));
    assert.equal(r.status, 201, r.text);
    worker = r.body;
    assert.equal(worker.sex, 'M');
    assert.equal(worker.id_number, `3${'*'.repeat(16)}${id[17]}`);
    assert.equal(worker.phone, '136****4321');
    assert.equal(worker.work_phone, '0635-8123456');
    assert.equal(worker.birth_date, null);
    assert.ok(worker.age >= 35, JSON.stringify(worker));
    assert.equal(worker.masked, true);
    assert.equal(worker.status, 'active');
    assert.equal(worker.status_label, '在岗');
    assert.match(worker.created_at, /\+08:00$/);
  });

  test('the database file holds neither the ID number nor the phone in clear', () => {
    const bytes = rawBytes(server.db);
    assert.equal(bytes.indexOf(Buffer.from(id)), -1, 'ID number in clear');
    assert.equal(bytes.indexOf(Buffer.from('13687654321')), -1, 'phone in clear');
  });

  test('unmasking needs sensitive.unmask and a reason, and is recorded', async () => {
    let r = await op.get(`/api/v1/workers/${worker.id}?unmask=1&reason=${encodeURIComponent('核对身份')}`);
    assert.equal(r.status, 403, r.text);
    r = await leader.get(`/api/v1/workers/${worker.id}?unmask=1`);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'reason_required');
    r = await leader.get(`/api/v1/workers/${worker.id}?unmask=1&reason=${encodeURIComponent('核对身份信息')}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.id_number, id);
    assert.equal(r.body.phone, '13687654321');
    assert.equal(r.body.birth_date, '1990-05-12');
    const auditor = await loginAs(server, 'auditor');
    const a = await auditor.get('/api/v1/audit?action=sensitive.unmask&limit=50');
    assert.ok(a.body.items.some((x) => x.object === `worker:${worker.id}` && /核对身份信息/.test(x.detail)), a.text);
  });

  test('PATCH with a stale version is 409; with the current one it changes', async () => {
    let r = await op.patch(`/api/v1/workers/${worker.id}`, { education: '研究生', version: worker.version + 5 });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.error.code, 'version_conflict');
    r = await op.patch(`/api/v1/workers/${worker.id}`, { education: '研究生', status: 'suspended', version: worker.version });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.education, '研究生');
    assert.equal(r.body.status_label, '停岗');
    assert.equal(r.body.version, worker.version + 1);
    r = await op.patch(`/api/v1/workers/${worker.id}`, { status: 'active' });
    assert.equal(r.status, 200, r.text);
    worker = r.body;
  });

  test('a township operator sees its own township only: another\'s worker is 404', async () => {
    const town = await townOperator(OTHER_TOWN, 'op.town2');
    let r = await town.get(`/api/v1/workers/${worker.id}`);
    assert.equal(r.status, 404, r.text);
    r = await town.patch(`/api/v1/workers/${worker.id}`, { education: '高中' });
    assert.equal(r.status, 404, r.text);
    r = await town.get('/api/v1/workers?limit=200');
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.items.every((x) => x.region.code.startsWith(OTHER_TOWN.slice(0, 9))), r.text);
    assert.ok(!r.body.items.some((x) => x.id === worker.id));
    // Creating a worker for another township is 404 too.
    r = await town.post('/api/v1/workers', body({ name: '越权登记' }));
    assert.equal(r.status, 404, r.text);
  });

  test('the list pages by cursor without repeats and filters', async () => {
    const seen = new Set();
    let cursor = null, pages = 0;
    do {
      const r = await op.get(`/api/v1/workers?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200, r.text);
      for (const x of r.body.items) {
        assert.ok(!seen.has(x.id), `worker ${x.id} twice`);
        seen.add(x.id);
        assert.ok(x.region.code.startsWith('371502'), x.region.code);
      }
      cursor = r.body.next_cursor;
      pages++;
    } while (cursor && pages < 100);
    assert.ok(seen.has(worker.id));
    assert.ok(pages > 1);
    let r = await op.get('/api/v1/workers?employment=part_time&limit=200');
    assert.ok(r.body.items.every((x) => x.employment === 'part_time'));
    r = await op.get('/api/v1/workers?cert_before=2027-01-01&limit=200');
    assert.ok(r.body.items.every((x) => !x.certificate_valid_to || x.certificate_valid_to < '2027-01-01'));
    r = await op.get('/api/v1/workers?cursor=nonsense');
    assert.equal(r.status, 400);
    r = await op.get('/api/v1/workers?status=gone');
    assert.equal(r.status, 400);
  });

  test('grids: one lead per grid; the linked account\'s scope follows; exit ends both', async () => {
    // A grid of the operator's town, and its current lead from the demo staffing.
    const grids = (await op.get(`/api/v1/grids?region=${OWN_TOWN}&limit=5`)).body.items;
    const g = grids[grids.length - 1];
    const leads = (await op.get(`/api/v1/workers?grid=${g.code}&limit=50`)).body.items
      .filter((x) => x.grids.some((y) => y.code === g.code && y.lead));
    let r = await op.put(`/api/v1/workers/${worker.id}/grids`, { grids: [{ code: g.code, lead: true }] });
    if (leads.length) {
      assert.equal(r.status, 409, r.text);
      assert.equal(r.body.error.code, 'lead_taken');
    }
    r = await op.put(`/api/v1/workers/${worker.id}/grids`, { grids: [{ code: g.code, lead: false }] });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.grids.map((x) => x.code), [g.code]);
    r = await op.put(`/api/v1/workers/${worker.id}/grids`, { grids: [{ code: '371521001001001', lead: false }] });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'bad_grid');

    // The demo grid-worker account is linked to its worker, which leads the account's grids.
    const acct = accountFor(server.db, 'grid_worker');
    const mine = (await op.get('/api/v1/workers?limit=200')).body.items.find((x) => x.user_id === acct.user_id);
    assert.ok(mine, 'the grid worker account has a worker record');
    let u = await sys.get(`/api/v1/users/${acct.user_id}`);
    assert.deepEqual(u.body.grids.map((x) => x.code).sort(), mine.grids.map((x) => x.code).sort());
    // Assigning one grid fewer narrows the account's scope in the same write.
    r = await op.put(`/api/v1/workers/${mine.id}/grids`, { grids: [{ code: mine.grids[0].code, lead: true }] });
    assert.equal(r.status, 200, r.text);
    u = await sys.get(`/api/v1/users/${acct.user_id}`);
    assert.deepEqual(u.body.grids.map((x) => x.code), [mine.grids[0].code]);
    // The exit procedure: assignments end, the account loses its grid bindings, not its login.
    r = await op.post(`/api/v1/workers/${mine.id}/exit`, { date: '2026-06-30' });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'bad_reason');
    r = await op.post(`/api/v1/workers/${mine.id}/exit`, { date: '2026-06-30', reason: '个人原因辞职' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'exited');
    assert.equal(r.body.exit_reason, '个人原因辞职');
    assert.deepEqual(r.body.grids, []);
    u = await sys.get(`/api/v1/users/${acct.user_id}`);
    assert.deepEqual(u.body.grids, []);
    assert.equal(u.body.disabled, false);
    r = await op.patch(`/api/v1/workers/${mine.id}`, { education: '高中' });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.error.code, 'worker_exited');
  });

  test('records: training hours and pay in yuan with two decimals', async () => {
    let r = await op.post(`/api/v1/workers/${worker.id}/records`, { kind: 'training', date: '2026-03-02', topic: '网格员业务培训', hours: 2.5, organiser: '东昌府区网格中心' });
    assert.equal(r.status, 201, r.text);
    r = await op.post(`/api/v1/workers/${worker.id}/records`, { kind: 'pay', date: '2026-04-05', amount: '3250.50', period_from: '2026-03-01', period_to: '2026-03-31' });
    assert.equal(r.status, 201, r.text);
    r = await op.post(`/api/v1/workers/${worker.id}/records`, { kind: 'pay', date: '2026-04-05', amount: '12.345', period_from: '2026-03-01', period_to: '2026-03-31' });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'bad_amount');
    r = await op.get(`/api/v1/workers/${worker.id}/records`);
    assert.equal(r.status, 200, r.text);
    const pay = r.body.items.find((x) => x.kind === 'pay');
    assert.equal(pay.amount, '3250.50');
    assert.equal(r.body.items.find((x) => x.kind === 'training').hours, '2.5');
    r = await op.post(`/api/v1/workers/${worker.id}/attestations`, { item: 'health', note: '体检合格' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.items[0].item, 'health');
  });
});

describe('staffing compliance (Art. 10)', () => {
  let grid;

  // Before the tests below change the county's staffing.
  test('the demo city shows a few exceptions and a few failing grids, not zero and not all', async () => {
    const r = await sys.get('/api/v1/workers/compliance?region=371500000000');
    assert.equal(r.status, 403, 'the system administrator does not read workers');
    const lead = await leader.get('/api/v1/workers/compliance?region=371502000000');
    assert.equal(lead.status, 200, lead.text);
    const t = lead.body.totals;
    assert.ok(t.failing > 0 && t.failing < t.grids / 2, JSON.stringify(t));
    assert.ok(t.exceptions > 0 && t.exceptions < t.grids / 2, JSON.stringify(t));
    // The exceptions are dated village grids staffed part-time.
    for (const g of lead.body.exceptions) {
      assert.ok(g.rural && g.active_workers > 0, JSON.stringify(g));
      assert.match(g.exception.valid_from, /^\d{4}-01-01$/);
      assert.match(g.exception.valid_to, /^\d{4}-12-31$/);
    }
  });

  test('a grid without a full-time worker fails in the report and in the grid checks', async () => {
    // A new grid in a new community of the town: nobody serves it.
    const community = `${OWN_TOWN.slice(0, 9)}080`;
    const rect = (x0, y0, x1, y1) => ({ type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] });
    let r = await op.post('/api/v1/regions', { code: community, name: '配备测试社区', boundary: rect(119.0, 30.0, 119.1, 30.1) });
    assert.equal(r.status, 201, r.text);
    r = await op.post('/api/v1/grids', { community, name: '配备测试网格', boundary: rect(119.0, 30.0, 119.1, 30.1) });
    assert.equal(r.status, 201, r.text);
    grid = r.body.code;
    r = await op.get('/api/v1/workers/compliance?region=371502000000');
    assert.equal(r.status, 200, r.text);
    const rep = r.body;
    assert.ok(rep.failing.some((g) => g.code === grid), 'the new grid fails');
    const t = rep.totals;
    assert.equal(t.grids, t.compliant + t.exceptions + t.failing);
    assert.ok(t.compliant > 0 && t.failing > 0, JSON.stringify(t));
    const town = rep.townships.find((x) => x.code === OWN_TOWN);
    assert.ok(town && town.failing >= 1, JSON.stringify(rep.townships));
    r = await op.get(`/api/v1/grids/checks?region=${community}`);
    assert.equal(r.status, 200, r.text);
    const f = r.body.findings.find((x) => x.type === 'no_worker');
    assert.ok(f, r.text);
    assert.deepEqual(f.grids, [grid]);
    assert.equal(r.body.counts.no_worker, 1);
    // A full-time worker on the grid makes it compliant.
    const w = await op.post('/api/v1/workers', body({ name: '赵专职' }));
    assert.equal(w.status, 201, w.text);
    r = await op.put(`/api/v1/workers/${w.body.id}/grids`, { grids: [{ code: grid, lead: true }] });
    assert.equal(r.status, 200, r.text);
    r = await op.get('/api/v1/workers/compliance?region=371502000000');
    assert.ok(!r.body.failing.some((g) => g.code === grid));
  });

  test('exceptions: only for village grids, marked and cleared', async () => {
    let r = await op.put(`/api/v1/grids/${grid}/staffing-exception`, { reason: '测试例外原因' });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'not_rural');
    const rep = (await op.get('/api/v1/workers/compliance?region=371502000000')).body;
    const village = [...rep.failing, ...rep.exceptions].find((g) => g.rural);
    assert.ok(village, 'the demo county has village grids short of a full-time worker');
    r = await op.put(`/api/v1/grids/${village.code}/staffing-exception`, { reason: '行政村暂不具备条件', valid_from: '2026-01-01' });
    assert.equal(r.status, 200, r.text);
    r = await op.get('/api/v1/workers/compliance?region=371502000000');
    assert.ok(r.body.exceptions.some((g) => g.code === village.code), r.text);
    r = await op.del(`/api/v1/grids/${village.code}/staffing-exception`);
    assert.equal(r.status, 200, r.text);
  });

  test('the report as .xlsx: a zip, an attachment, audited', async () => {
    const res = await fetch(`${server.url}/api/v1/workers/compliance.xlsx?region=371502000000`, { headers: { cookie: `wg_session=${op.cookie}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition'), /^attachment; filename="staffing-/);
    const b = Buffer.from(await res.arrayBuffer());
    assert.equal(b.subarray(0, 2).toString(), 'PK');
  });
});

describe('import and export', () => {
  const csvPost = (text) => op.request('POST', '/api/v1/workers/import', text, { 'content-type': 'text/csv' });
  const xlsxPost = (body) => op.request('POST', '/api/v1/workers/import', body, { 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });

  test('one bad row: nothing is written, every bad row named with its line', async () => {
    const a = idFor('19800101'), b = idFor('19810202');
    const csv = '\ufeff姓名,身份证号码,用工类型,兼职来源,所属区划代码,到岗日期\r\n' +
      `导入甲,${a},专职,,${OWN_TOWN},2026-01-01\r\n` +
      `导入乙,${b.slice(0, 17)}${b[17] === '1' ? '2' : '1'},兼职,志愿者,${OWN_TOWN},2026-01-01\r\n` +
      `导入丙,${residentId('37150220100101123')},兼职,志愿者,${OWN_TOWN},2026-01-01\r\n`;
    let r = await csvPost(csv);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'import_failed');
    assert.deepEqual(r.body.error.rows.map((x) => [x.line, x.code]), [[3, 'bad_id_number'], [4, 'under_age']]);
    r = await op.get('/api/v1/workers?limit=200');
    assert.ok(!r.body.items.some((x) => x.name === '导入甲'), 'the good row was not written');
    // Fixed, the same file imports.
    const ok = '姓名,身份证号码,用工类型,兼职来源,所属区划代码,到岗日期\n' +
      `导入甲,${a},专职,,${OWN_TOWN},2026-01-01\n导入乙,${b},兼职,志愿者,${OWN_TOWN},2026-01-01\n`;
    r = await csvPost(ok);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.created, 2);
    // CSV text sent as a workbook is not a workbook.
    r = await xlsxPost(ok);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'bad_xlsx');
    assert.match(r.body.error.message, /不是 ZIP/);
  });

  // The export of the own township, its ID and phone numbers (masked in the export) replaced by
  // fresh ones, as a person would fill them in: {files: Map, sheet: xml, rows: [row numbers]}.
  async function exportedWorkbook() {
    const res = await fetch(`${server.url}/api/v1/workers/export.xlsx?region=${OWN_TOWN}`, { headers: { cookie: `wg_session=${op.cookie}` } });
    assert.equal(res.status, 200);
    const files = unzip(Buffer.from(await res.arrayBuffer()));
    let sheet = files.get(SHEET).toString();
    const rows = dataRows(sheet, 'C');
    assert.ok(rows.length >= 2, `the township has workers to export: ${rows.length}`);
    for (const row of rows) {
      sheet = setCell(sheet, `C${row}`, idFor('19880808'));
      if (dataRows(sheet, 'F').includes(row)) sheet = setCell(sheet, `F${row}`, `1390000${String(row).padStart(4, '0')}`);
    }
    return { files, sheet, rows };
  }
  const workbook = ({ files, sheet }) => zip([...files].map(([n, b]) => [n, n === SHEET ? sheet : b]));
  const townWorkers = async () => (await op.get(`/api/v1/workers?region=${OWN_TOWN}&limit=200`)).body.items;

  test('.xlsx round trip: the export, its ID numbers changed, imports; dates typed into Excel count', async () => {
    const before = (await townWorkers()).length;
    const wb = await exportedWorkbook();
    // One row renamed, with its start date as Excel stores a typed date (a serial day number).
    wb.sheet = setCell(wb.sheet, `B${wb.rows[0]}`, '表格导入甲');
    wb.sheet = setCell(wb.sheet, `O${wb.rows[0]}`, 45658);
    const r = await xlsxPost(workbook(wb));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.created, wb.rows.length);
    const after = await townWorkers();
    assert.equal(after.length, before + wb.rows.length);
    const w = after.find((x) => x.name === '表格导入甲');
    assert.ok(w, 'the renamed row was imported');
    assert.equal(w.start_date, '2025-01-01');
    // The same file again: every ID number is now a duplicate, each on its row.
    const again = await xlsxPost(workbook(wb));
    assert.equal(again.status, 400, again.text);
    assert.deepEqual(again.body.error.rows.map((x) => x.line), wb.rows);
    assert.ok(again.body.error.rows.every((x) => x.code === 'duplicate'), again.text);
  });

  test('.xlsx with bad rows: 400 with their spreadsheet row numbers, nothing written', async () => {
    const before = (await townWorkers()).length;
    const wb = await exportedWorkbook();
    const [a, b] = [wb.rows[0], wb.rows[wb.rows.length - 1]];
    const good = idFor('19900101');
    wb.sheet = setCell(wb.sheet, `C${a}`, good.slice(0, 17) + (good[17] === '1' ? '2' : '1'));
    wb.sheet = setCell(wb.sheet, `H${b}`, '临时工');
    const r = await xlsxPost(workbook(wb));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'import_failed');
    assert.deepEqual(r.body.error.rows.map((x) => [x.line, x.code]), [[a, 'bad_id_number'], [b, 'bad_employment']]);
    assert.match(r.body.error.rows[0].message, /校验/);
    assert.equal((await townWorkers()).length, before, 'nothing was written');
  });

  test('.xlsx that is not a workbook: a zip bomb, a damaged file, a workbook sent as CSV', async () => {
    const wb = await exportedWorkbook();
    // 30 MB of spaces deflate to about 30 KB: refused before inflating.
    const bomb = zip([...wb.files].map(([n, b]) => [n, n === SHEET ? Buffer.alloc(30 * 1024 * 1024, 0x20) : b]));
    assert.ok(bomb.length < 200 * 1024, `the bomb is small: ${bomb.length}`);
    let r = await xlsxPost(bomb);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'bad_xlsx');
    assert.match(r.body.error.message, /压缩炸弹|过大/);
    const good = workbook(wb);
    r = await xlsxPost(good.subarray(0, good.length - 100));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'bad_xlsx');
    assert.match(r.body.error.message, /损坏|不完整/);
    r = await csvPost(good);
    assert.equal(r.status, 415, r.text);
    assert.match(r.body.error.message, /Excel/);
    r = await op.request('POST', '/api/v1/workers/import', 'x', { 'content-type': 'application/json' });
    assert.equal(r.status, 415, r.text);
  });

  test('wangge import workers FILE.xlsx: rows refused with their numbers, then imported', async () => {
    const dir = makeTempDir('wangge-xlsx-');
    const db = await makeDemoDb();
    const wb = await exportedWorkbook();
    const file = path.join(dir, 'workers.xlsx');
    const bad = { ...wb, sheet: setCell(wb.sheet, `N${wb.rows[0]}`, null) };
    bad.sheet = setCell(bad.sheet, `M${wb.rows[0]}`, '371599999000');
    writeFileSync(file, workbook(bad));
    let r = await runCli(['import', 'workers', '--db', db, file]);
    assert.notEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`第 ${wb.rows[0]} 行`));
    assert.match(r.stderr, /nothing imported/);
    writeFileSync(file, workbook(wb));
    r = await runCli(['import', 'workers', '--db', db, file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`imported ${wb.rows.length} worker`));
  });

  test('the list export is a zip with masked numbers, audited', async () => {
    const res = await fetch(`${server.url}/api/v1/workers/export.xlsx?employment=full_time`, { headers: { cookie: `wg_session=${op.cookie}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition'), /attachment; filename="workers-/);
    const b = Buffer.from(await res.arrayBuffer());
    assert.equal(b.subarray(0, 2).toString(), 'PK');
    const auditor = await loginAs(server, 'auditor');
    const a = await auditor.get('/api/v1/audit?action=worker.export&limit=5');
    assert.ok(a.body.items.length >= 1, a.text);
    assert.match(a.body.items[0].detail, /脱敏/);
  });
});
