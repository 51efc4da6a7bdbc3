// The registry's remaining pages (issue 12 part 10) in a real browser against `wangge serve` on
// the test-scale demo city.
// 重点人员走访: a key-people officer (a custom role holding person.key_read and duty.write, as the
// API test makes one) states a reason, pages through the due list with 加载更多, filters by grid,
// records a visit of one person and sees them leave the list; the center leader sees the list
// but may not record. In 数据核实 the officer sees key people only after giving a reason.
// 数据核实, a year after the demo was built (the server's test clock): a grid worker on a phone
// verifies a person, who leaves 待核实 for good; a person registered without a house is in 无房屋;
// a crowded house is in 房屋人数异常; verifying a person who died meanwhile shows the server's
// Chinese refusal. 单位: the county operator registers a unit (a bad credit code first, refused
// by the server under the field), and its card shows what was registered; the same code again
// is the server's duplicate message; 加载更多 pages through the units. 人口查询's 导出 Excel
// downloads an .xlsx of the filtered people.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { accountFor, clientFor, login, loginAs, makeDemoDb, startDemoServer } from '../lib/auth.mjs';
import { browserSessions, isCall, makeOfficer, param, pick, residentId, uscc } from '../lib/registry.mjs';
import { advanceClock, serverNow } from '../lib/clock.mjs';
import { unzip } from '../lib/xlsx.mjs';

let seq = 600;
const idFor = () => residentId(`37150219800808${seq++}`);
const { browserAs, closeBrowser } = browserSessions();


// A key-people officer: person.key_read to read the list, duty.write to record a visit.
async function officerOf(server) {
  return makeOfficer(server, {
    role: { name: 'visit_officer', label: '重点人员走访专管员', permissions: ['grid.read', 'registry.read', 'person.read', 'person.write', 'person.key_read', 'duty.write', 'duty.read'] },
    username: 'visit_officer1',
    display_name: '走访专管员',
  });
}

const REASON = '月度重点人员走访';

describe('the demo as built: 重点人员走访, key people in 数据核实, 单位, 导出', () => {
  let server, officer, grid;
  const added = [];
  before(async () => {
    server = await startDemoServer({ db: await makeDemoDb() });
    officer = await officerOf(server);
    grid = (await loginAs(server, 'grid_worker')).login.grids[0].code;
    // More key people than one page holds (20), all long due.
    for (let i = 0; i < 21; i++) {
      const r = await officer.post('/api/v1/people', { name: `走访对象${String(i).padStart(2, '0')}`, id_number: idFor(), reg_type: 'huji',
        grid, date: '2026-01-05', tags: ['community_correction'] });
      assert.equal(r.status, 201, r.text);
      added.push(r.body.id);
    }
  });
  after(async () => {
    await closeBrowser();
    if (server) assert.equal(await server.stop(), 0, 'wangge serve should exit cleanly');
  });

  test('an officer states a reason, pages through the due list, records a visit and the person leaves it', async () => {
    const p = await browserAs(server, officer, { width: 390, height: 844 });
    const { page } = p;
    await page.goto(`${server.url}/#/visits`);
    await p.waitForText('.visits-page .page-title', '重点人员走访');
    // Nothing is asked of the server before the reason is given.
    const dlg = page.locator('.reason-dialog');
    await dlg.locator('textarea[name=key-reason]').fill(REASON);
    const [first] = await Promise.all([
      page.waitForResponse(isCall('GET', '/api/v1/people/visits-due')),
      dlg.locator('[data-action=confirm-reason]').click(),
    ]);
    assert.equal(first.status(), 200);
    assert.equal(param(first, 'reason'), REASON);
    const page1 = await first.json();
    assert.equal(page1.items.length, 20);
    assert.ok(page1.next_cursor, 'a second page');
    const items = page.locator('.visit-item');
    await page.waitForFunction(() => document.querySelectorAll('.visit-item').length === 20);
    // A row: name, grid, interval, last visit, due date, overdue days (highlighted).
    const it = page1.items.find((x) => added.includes(x.id));
    const row = page.locator(`.visit-item[data-id="${it.id}"]`);
    const text = await row.textContent();
    assert.match(text, new RegExp(it.name));
    assert.match(text, /每 7 天走访一次/);
    assert.match(text, /尚未走访/);
    assert.ok(it.overdue_days > 0, JSON.stringify(it));
    assert.equal((await row.locator('[data-field=overdue]').textContent()).trim(), `逾期 ${it.overdue_days} 天`);
    assert.match(await row.getAttribute('class'), /is-overdue/);
    const dueShown = (await row.locator('[data-field=due]').textContent()).trim();
    assert.equal(dueShown, it.due_at.slice(0, 10) + ' ' + it.due_at.slice(11, 19));

    // 加载更多: the rest, appended.
    const [second] = await Promise.all([
      page.waitForResponse(isCall('GET', '/api/v1/people/visits-due')),
      page.locator('[data-action=more]').click(),
    ]);
    assert.equal(param(second, 'cursor'), page1.next_cursor);
    const page2 = await second.json();
    const total = 20 + page2.items.length;
    assert.ok(total >= 23, `the demo's two due key people and the 21 added: ${total}`);
    await page.waitForFunction((n) => document.querySelectorAll('.visit-item').length === n, total);
    assert.equal(await page.locator('[data-action=more]').count(), 0);
    for (const id of added) assert.equal(await page.locator(`.visit-item[data-id="${id}"]`).count(), 1);

    // Filtered by the grid: only its people.
    const [filtered] = await Promise.all([
      page.waitForResponse((r) => isCall('GET', '/api/v1/people/visits-due')(r) && param(r, 'grid') === grid),
      pick(page, 'grid', grid),
    ]);
    const fbody = await filtered.json();
    assert.ok(fbody.items.every((x) => x.grid === grid), JSON.stringify(fbody));
    await page.waitForFunction((n) => document.querySelectorAll('.visit-item').length === n, fbody.items.length);

    // 记录走访: a duty record of duty key_group_visit for this person; the person leaves the list.
    const target = added[0];
    await page.locator(`.visit-item[data-id="${target}"] [data-action=record-visit]`).click();
    const vf = page.locator('.visit-form');
    await vf.locator('textarea[name=note]').fill('入户走访，本人在家，情况稳定');
    const [posted, reloaded] = await Promise.all([
      page.waitForResponse(isCall('POST', '/api/v1/duty-records')),
      page.waitForResponse((r) => isCall('GET', '/api/v1/people/visits-due')(r) && !param(r, 'cursor')),
      vf.locator('[data-action=save-visit]').click(),
    ]);
    assert.equal(posted.status(), 201, await posted.text());
    const record = await posted.json();
    assert.equal(record.duty, 'key_group_visit');
    assert.equal(record.grid, grid);
    assert.equal(record.note, '入户走访，本人在家，情况稳定');
    assert.ok(!(await reloaded.json()).items.some((x) => x.id === target));
    await page.locator(`.visit-item[data-id="${target}"]`).waitFor({ state: 'detached' });
    assert.ok(await items.count() > 0, 'the others are still listed');
    // And on the server: no longer due.
    const due = await officer.get(`/api/v1/people/visits-due?reason=${encodeURIComponent(REASON)}&grid=${grid}&limit=100`);
    assert.equal(due.status, 200, due.text);
    assert.ok(!due.body.items.some((x) => x.id === target));
    assert.ok(due.body.items.some((x) => x.id === added[1]), 'the others are still due');
    await p.screenshot('registry-visits-phone');
    p.assertNoErrors();
    await closeBrowser();
  });

  test('the center leader reads the list with a reason but records no visit', async () => {
    const leader = await loginAs(server, 'center_leader');
    const p = await browserAs(server, leader);
    const { page } = p;
    await page.goto(`${server.url}/#/visits`);
    const menu = (await page.locator('.app-aside .nav-menu .el-sub-menu').allTextContents()).join(' ');
    assert.match(menu, /重点人员走访/);
    // Cancelled: no list, and a way to give the reason later.
    await page.locator('.reason-dialog').getByRole('button', { name: '取消' }).click();
    await page.locator('[data-action=give-reason]').click();
    await page.locator('.reason-dialog textarea[name=key-reason]').fill(REASON);
    const [res] = await Promise.all([
      page.waitForResponse(isCall('GET', '/api/v1/people/visits-due')),
      page.locator('.reason-dialog [data-action=confirm-reason]').click(),
    ]);
    assert.equal(res.status(), 200);
    await page.locator('.visit-item').first().waitFor();
    assert.equal(await page.locator('[data-action=record-visit]').count(), 0, 'no duty.write');
    p.assertNoErrors();
    await closeBrowser();
    // Every read is in the audit trail with its reason.
    const auditor = await loginAs(server, 'auditor');
    const a = await auditor.get('/api/v1/audit?action=person.key_read&limit=100');
    assert.equal(a.status, 200, a.text);
    assert.ok(a.body.items.some((x) => x.object === 'people:visits-due' && x.detail.includes(REASON)), a.text);
  });

  test('数据核实 lists key people only with a reason', async () => {
    const p = await browserAs(server, officer);
    const { page } = p;
    await page.goto(`${server.url}/#/registry-quality`);
    await p.waitForText('.quality-page .page-title', '数据核实');
    // The 21 key people added have no house: not listed without a reason.
    const [plain] = await Promise.all([
      page.waitForResponse((r) => isCall('GET', '/api/v1/registry/quality')(r) && param(r, 'kind') === 'no_house'),
      page.locator('.quality-tabs .el-tabs__item').filter({ hasText: '无房屋' }).click(),
    ]);
    assert.equal(param(plain, 'reason'), null);
    const ids = (await plain.json()).items.map((x) => x.id);
    assert.ok(!ids.some((id) => added.includes(id)), 'no key people without a reason');
    await page.locator('[data-field=with-key]').click();
    await page.locator('.reason-dialog textarea[name=key-reason]').fill('核查重点人员居住情况');
    const [keyed] = await Promise.all([
      page.waitForResponse((r) => isCall('GET', '/api/v1/registry/quality')(r) && param(r, 'reason') === '核查重点人员居住情况'),
      page.locator('.reason-dialog [data-action=confirm-reason]').click(),
    ]);
    assert.equal(param(keyed, 'kind'), 'no_house');
    assert.ok((await keyed.json()).items.some((x) => added.includes(x.id)), 'key people with the reason');
    await page.locator(`.quality-item[data-id="${added[1]}"]`).waitFor();
    p.assertNoErrors();
    await closeBrowser();
  });

  test('单位: a bad credit code is refused under the field; the card shows the unit registered', async () => {
    const op = await loginAs(server, 'center_operator');
    const p = await browserAs(server, op);
    const { page } = p;
    p.allow(/\/api\/v1\/units$/);
    await page.goto(`${server.url}/#/units`);
    await p.waitForText('.units-page .page-title', '单位');
    await page.locator('[data-action=add-unit]').click();
    const f = page.locator('.unit-form');
    await pick(page, 'unit-grid', grid);
    await f.locator('input[name=name]').fill('界面测试商行');
    await f.locator('input[name=credit_code]').fill('91350100M000100Y44');
    await pick(page, 'kind', '商户');
    await f.locator('input[name=address]').fill('单位测试路 6 号');
    await f.locator('input[name=contact_name]').fill('李经理');
    await f.locator('input[name=contact_phone]').fill('0635-8123456');
    const [bad] = await Promise.all([
      page.waitForResponse(isCall('POST', '/api/v1/units')),
      f.locator('[data-action=save-unit]').click(),
    ]);
    assert.equal(bad.status(), 400);
    const err = (await bad.json()).error;
    assert.equal(err.code, 'bad_credit_code');
    await p.waitForText('.unit-form .credit-code-item .el-form-item__error', err.message);

    await f.locator('input[name=credit_code]').fill('91350100m000100y43');
    const [ok] = await Promise.all([
      page.waitForResponse(isCall('POST', '/api/v1/units')),
      f.locator('[data-action=save-unit]').click(),
    ]);
    assert.equal(ok.status(), 201, await ok.text());
    const unit = await ok.json();
    const card = page.locator(`.unit-drawer .unit-card[data-id="${unit.id}"]`);
    await card.waitFor();
    const field = async (k) => (await card.locator(`[data-field=${k}]`).textContent()).trim();
    assert.equal(await field('name'), '界面测试商行');
    assert.equal(await field('credit_code'), '91350100M000100Y43');
    assert.equal(await field('kind'), '商户');
    assert.equal(await field('address'), '单位测试路 6 号');
    assert.equal(await field('contact_name'), '李经理');
    assert.equal(await field('contact_phone'), '0635-8123456');
    await p.screenshot('registry-unit-card');
    await page.locator('.unit-drawer .el-drawer__close-btn').click();
    await page.locator('.unit-drawer').waitFor({ state: 'hidden' });

    // In the list of its grid.
    const [listed] = await Promise.all([
      page.waitForResponse((r) => isCall('GET', '/api/v1/units')(r) && param(r, 'grid') === grid),
      pick(page, 'grid', grid),
    ]);
    assert.ok((await listed.json()).items.some((x) => x.id === unit.id));
    await page.locator(`.unit-item[data-id="${unit.id}"]`).waitFor();

    // The same code again: the server's duplicate message, under the field.
    await page.locator('[data-action=add-unit]').click();
    await f.locator('input[name=name]').fill('界面测试商行二');
    await f.locator('input[name=credit_code]').fill('91350100M000100Y43');
    await pick(page, 'kind', '企业');
    await f.locator('input[name=address]').fill('单位测试路 8 号');
    const [dup] = await Promise.all([
      page.waitForResponse(isCall('POST', '/api/v1/units')),
      f.locator('[data-action=save-unit]').click(),
    ]);
    assert.equal(dup.status(), 409);
    await p.waitForText('.unit-form .credit-code-item .el-form-item__error', (await dup.json()).error.message);
    await f.getByRole('button', { name: '取消' }).click();

    // More units than a page holds: 加载更多 appends the next page.
    for (let i = 0; i < 20; i++) {
      const r = await op.post('/api/v1/units', { grid, name: `分页测试单位${String(i).padStart(2, '0')}`,
        credit_code: uscc(`91371500MA${String(10000000 + i).slice(1)}`), kind: 'enterprise', address: `分页路 ${i} 号` });
      assert.equal(r.status, 201, r.text);
    }
    const [first] = await Promise.all([
      page.waitForResponse((r) => isCall('GET', '/api/v1/units')(r) && param(r, 'grid') === grid),
      page.locator('[data-action=reload]').click(),
    ]);
    const b1 = await first.json();
    assert.equal(b1.items.length, 20);
    await page.waitForFunction(() => document.querySelectorAll('.unit-item').length === 20);
    const [more] = await Promise.all([
      page.waitForResponse((r) => isCall('GET', '/api/v1/units')(r) && param(r, 'cursor') === b1.next_cursor),
      page.locator('[data-action=more]').click(),
    ]);
    assert.equal((await more.json()).items.length, 1);
    await page.waitForFunction(() => document.querySelectorAll('.unit-item').length === 21);
    assert.equal(await page.locator('[data-action=more]').count(), 0);
    p.assertNoErrors();
    await closeBrowser();
  });

  test('人口查询: 导出 Excel downloads the filtered people as .xlsx', async () => {
    const op = await loginAs(server, 'center_operator');
    const p = await browserAs(server, op);
    const { page } = p;
    await page.goto(`${server.url}/#/people`);
    await p.waitForText('.page-title', '人口查询');
    await pick(page, 'grid', grid);
    const href = await page.locator('[data-action=export]').getAttribute('href');
    const url = new URL(href, server.url);
    assert.equal(url.pathname, '/api/v1/people/export.xlsx');
    assert.equal(url.searchParams.get('grid'), grid);
    // As the browser fetches it: 200, an .xlsx.
    const got = await page.evaluate(async (u) => {
      const r = await fetch(u);
      const b = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type'), magic: String.fromCharCode(b[0], b[1]) };
    }, href);
    assert.equal(got.status, 200);
    assert.equal(got.type, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    assert.equal(got.magic, 'PK');
    // Clicked: a download of the grid's people (the officer's 21 key people are not in it: no person.key_read).
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-action=export]').click(),
    ]);
    assert.match(download.suggestedFilename(), /^people-.*\.xlsx$/);
    const parts = unzip(readFileSync(await download.path()));
    const strings = (parts.get('xl/sharedStrings.xml') || Buffer.alloc(0)).toString() + (parts.get('xl/worksheets/sheet1.xml') || '').toString();
    const listed = await op.get(`/api/v1/people?grid=${grid}&limit=100`);
    assert.equal(listed.status, 200, listed.text);
    assert.ok(listed.body.items.length > 0);
    for (const x of listed.body.items) assert.ok(strings.includes(x.name), `${x.name} in the export`);
    assert.ok(!strings.includes('走访对象'), 'key people are not exported without person.key_read');
    p.assertNoErrors();
    await closeBrowser();
  });
});

describe('单位: the exports of units and houses', () => {
  let server;
  before(async () => { server = await startDemoServer(); });
  after(async () => {
    await closeBrowser();
    if (server) assert.equal(await server.stop(), 0, 'wangge serve should exit cleanly');
  });

  test('the operator downloads a grid\'s units and houses; a grid worker has no export buttons', async () => {
    const op = await loginAs(server, 'center_operator');
    const worker = await loginAs(server, 'grid_worker');
    const grid = worker.login.grids[0].code;
    let p = await browserAs(server, op);
    await p.page.goto(`${server.url}/#/units`);
    await p.waitForText('.page-title', '单位');
    await pick(p.page, 'grid', grid);
    for (const [action, path, file, want] of [
      ['export-units', '/api/v1/units/export.xlsx', /^units-.*\.xlsx$/, null],
      ['export-houses', '/api/v1/houses/export.xlsx', /^houses-.*\.xlsx$/, 'houses'],
    ]) {
      const href = await p.page.locator(`[data-action=${action}]`).getAttribute('href');
      const url = new URL(href, server.url);
      assert.equal(url.pathname, path);
      assert.equal(url.searchParams.get('grid'), grid);
      const [download] = await Promise.all([p.page.waitForEvent('download'), p.page.locator(`[data-action=${action}]`).click()]);
      assert.match(download.suggestedFilename(), file);
      const parts = unzip(readFileSync(await download.path()));
      const text = (parts.get('xl/sharedStrings.xml') || Buffer.alloc(0)).toString() + (parts.get('xl/worksheets/sheet1.xml') || '').toString();
      if (want === 'houses') {
        const listed = await op.get(`/api/v1/houses?grid=${grid}&limit=50`);
        assert.ok(listed.body.items.length > 0, listed.text);
        for (const h of listed.body.items) assert.ok(text.includes(h.address), `${h.address} in the export`);
      } else {
        assert.ok(text.includes('统一社会信用代码'), 'the units sheet has its header');
      }
    }
    p.assertNoErrors();
    await closeBrowser();
    // The grid worker (no registry.export) sees the page without the buttons.
    p = await browserAs(server, worker);
    await p.page.goto(`${server.url}/#/units`);
    await p.waitForText('.page-title', '单位');
    assert.equal(await p.page.locator('[data-action=export-units]').count(), 0);
    assert.equal(await p.page.locator('[data-action=export-houses]').count(), 0);
    p.assertNoErrors();
    await closeBrowser();
  });
});

describe('a year after the demo: 数据核实', () => {
  let server, worker, op, grid;
  before(async () => {
    // A year after the demo: every record is due for verification. Passwords would have expired.
    server = await startDemoServer({ db: await makeDemoDb(), args: ['--enable-internal'], env: { WANGGE_PASSWORD_MAX_AGE_DAYS: '0' } });
    await advanceClock(server, 361 * 86400);
    worker = await loginAs(server, 'grid_worker');
    op = await loginAs(server, 'center_operator');
    grid = worker.login.grids[0].code;
  });
  after(async () => {
    await closeBrowser();
    if (server) assert.equal(await server.stop(), 0, 'wangge serve should exit cleanly');
  });

  test('a grid worker on a phone verifies people, sees 无房屋 and 房屋人数异常, and the server\'s refusal', async () => {
    // Setup through the API: a person with no house, a crowded house.
    const lone = await worker.post('/api/v1/people', { name: '无房测试', id_number: idFor(), reg_type: 'floating', grid });
    assert.equal(lone.status, 201, lone.text);
    const h = await worker.post('/api/v1/houses', { grid, address: '群租测试路 1 号', type: 'dwelling', use: 'rent' });
    assert.equal(h.status, 201, h.text);
    for (let i = 0; i < 13; i++) {
      const r = await worker.post('/api/v1/people', { name: `租户${i}`, id_number: idFor(), reg_type: 'floating', house: h.body.id });
      assert.equal(r.status, 201, r.text);
    }

    const p = await browserAs(server, worker, { width: 390, height: 844 });
    const { page } = p;
    p.allow(/\/api\/v1\/people\/\d+$/);  // the one refusal provoked below
    const [res] = await Promise.all([
      page.waitForResponse(isCall('GET', '/api/v1/registry/quality')),
      page.goto(`${server.url}/#/registry-quality`),
    ]);
    assert.equal(res.status(), 200);
    assert.equal(param(res, 'kind'), 'unverified');
    const body = await res.json();
    const own = new Set(worker.login.grids.map((g) => g.code));
    assert.ok(body.items.length > 0, 'a year on, the demo people are to verify');
    assert.ok(body.items.every((x) => own.has(x.grid)), 'only the worker\'s grids');
    await page.waitForFunction((n) => document.querySelectorAll('.quality-item').length === n, body.items.length);
    await p.waitForText('[data-field=hint]', '超过 12 个月未核实的在住人员（登记即算一次核实）。与本人核对信息后点“核实”。');
    let rows = body.items;
    if (body.next_cursor) {
      const [more] = await Promise.all([
        page.waitForResponse((r) => isCall('GET', '/api/v1/registry/quality')(r) && param(r, 'cursor') === body.next_cursor),
        page.locator('[data-action=more]').click(),
      ]);
      rows = rows.concat((await more.json()).items);
      await page.waitForFunction((n) => document.querySelectorAll('.quality-item').length === n, rows.length);
    }
    // The page fits the phone: nothing wider than the screen.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scroll');
    await page.evaluate(() => window.scrollTo(0, 0));
    await p.screenshot('registry-quality-phone');

    // 核实: the row leaves, and stays gone after a reload.
    const v = rows[0];
    const [patched] = await Promise.all([
      page.waitForResponse(isCall('PATCH', `/api/v1/people/${v.id}`)),
      page.locator(`.quality-item[data-id="${v.id}"] [data-action=verify]`).click(),
    ]);
    assert.equal(patched.status(), 200, await patched.text());
    assert.equal(patched.request().postData(), JSON.stringify({ verify: true }));
    await page.locator(`.quality-item[data-id="${v.id}"]`).waitFor({ state: 'detached' });
    const [again] = await Promise.all([
      page.waitForResponse((r) => isCall('GET', '/api/v1/registry/quality')(r) && !param(r, 'cursor')),
      page.locator('[data-action=reload]').click(),
    ]);
    assert.ok(!(await again.json()).items.some((x) => x.id === v.id), 'verified: not to verify any more');
    await page.waitForFunction(() => document.querySelectorAll('.quality-item').length > 0);
    assert.equal(await page.locator(`.quality-item[data-id="${v.id}"]`).count(), 0);

    // A person who died since the list was loaded: the server's Chinese refusal, the row stays.
    const d = rows[1];
    const local = new Date(serverNow(server) * 1000 + 8 * 3600 * 1000).toISOString().slice(0, 10);
    const died = await worker.patch(`/api/v1/people/${d.id}`, { died: local, date: local });
    assert.equal(died.status, 200, died.text);
    const [refused] = await Promise.all([
      page.waitForResponse(isCall('PATCH', `/api/v1/people/${d.id}`)),
      page.locator(`.quality-item[data-id="${d.id}"] [data-action=verify]`).click(),
    ]);
    assert.equal(refused.status(), 409);
    const msg = (await refused.json()).error.message;
    assert.match(msg, /[\u4e00-\u9fff]/);
    await p.waitForText('.quality-page .form-error .el-alert__title', `${d.name}：${msg}`);
    assert.equal(await page.locator(`.quality-item[data-id="${d.id}"]`).count(), 1);

    // 无房屋: the person registered without a house; 核实 keeps the row (it still has no house).
    const [nh] = await Promise.all([
      page.waitForResponse((r) => isCall('GET', '/api/v1/registry/quality')(r) && param(r, 'kind') === 'no_house'),
      page.locator('.quality-tabs .el-tabs__item').filter({ hasText: '无房屋' }).click(),
    ]);
    assert.ok((await nh.json()).items.some((x) => x.id === lone.body.id));
    const loneRow = page.locator(`.quality-item[data-id="${lone.body.id}"]`);
    await loneRow.waitFor();
    assert.match(await loneRow.textContent(), /无居住房屋/);
    const [lv] = await Promise.all([
      page.waitForResponse(isCall('PATCH', `/api/v1/people/${lone.body.id}`)),
      loneRow.locator('[data-action=verify]').click(),
    ]);
    assert.equal(lv.status(), 200);
    await loneRow.locator('[data-field=verified]').waitFor();

    // 房屋人数异常, filtered by the grid: the house with 13 residents.
    await pick(page, 'grid', grid);
    const [cr] = await Promise.all([
      page.waitForResponse((r) => isCall('GET', '/api/v1/registry/quality')(r) && param(r, 'kind') === 'crowded'),
      page.locator('.quality-tabs .el-tabs__item').filter({ hasText: '房屋人数异常' }).click(),
    ]);
    assert.equal(param(cr, 'grid'), grid);
    assert.deepEqual((await cr.json()).items.map((x) => x.id), [h.body.id]);
    const house = page.locator(`.quality-item[data-id="${h.body.id}"]`);
    await house.waitFor();
    assert.match(await house.textContent(), /群租测试路 1 号/);
    assert.equal((await house.locator('[data-field=residents]').textContent()).trim(), '13');
    assert.equal(await house.locator('[data-action=verify]').count(), 0, 'houses are not verified here');

    // 重复: the UNIQUE constraint keeps it empty.
    const [dupes] = await Promise.all([
      page.waitForResponse((r) => isCall('GET', '/api/v1/registry/quality')(r) && param(r, 'kind') === 'duplicates'),
      page.locator('.quality-tabs .el-tabs__item').filter({ hasText: '重复' }).click(),
    ]);
    assert.deepEqual((await dupes.json()).items, []);
    await page.locator('.quality-page .el-empty').waitFor();
    p.assertNoErrors();

    // The worker may not export people: no button on 人口查询.
    await page.goto(`${server.url}/#/people`);
    await p.waitForText('.page-title', '人口查询');
    assert.equal(await page.locator('[data-action=export]').count(), 0);
    await closeBrowser();
  });

  test('the county operator sees the quality lists of the whole county, not only one grid', async () => {
    const r = await op.get('/api/v1/registry/quality?kind=unverified&limit=100');
    assert.equal(r.status, 200, r.text);
    const p = await browserAs(server, op);
    const { page } = p;
    const [res] = await Promise.all([
      page.waitForResponse(isCall('GET', '/api/v1/registry/quality')),
      page.goto(`${server.url}/#/registry-quality`),
    ]);
    const items = (await res.json()).items;
    assert.equal(items.length, 20, 'a full page');
    assert.ok(new Set(items.map((x) => x.grid)).size > 1, 'several grids');
    await page.locator('[data-action=more]').waitFor();
    p.assertNoErrors();
    await closeBrowser();
  });
});
