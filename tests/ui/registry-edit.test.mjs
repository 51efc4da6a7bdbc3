// Editing the registry and reading a person's history (issue 12 part 10) in a real browser
// against `wangge serve` on the test-scale demo city.
// 我的网格 on a phone: the grid worker edits a house of their grid (address, building, type) and
// changes its use with a past date; the card then shows 出租 自 that date and 用途记录 lists both
// uses; a date before the current use's is refused under the date field. A stale version (the
// house changed through the API after the card was read) shows the server's conflict message;
// 重新加载 reads the house again and the save goes through, keeping both changes.
// 单位: the county operator edits a unit; a bad credit code is refused under the field; a stale
// version is a conflict that 重新加载 resolves.
// 历史记录: a person who moved twice lists their move_in records in order with the houses'
// addresses, a page at a time (加载更多), in 人口查询 and in 我的网格. A key person's history
// needs the reason (the center leader, logged in with TOTP), and that read is audited; records
// of a key category the person left show only with a reason; a caller without person.key_read
// gets the server's key_person refusal in the tab.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accountFor, clientFor, login, loginAs, makeDemoDb, startDemoServer } from '../lib/auth.mjs';
import { browserSessions, isCall, makeOfficer, param, pick, residentId, uscc } from '../lib/registry.mjs';

let seq = 700;
const idFor = () => residentId(`37150219790405${seq++}`);
const { browserAs, closeBrowser } = browserSessions();

// Types a date into an el-date-picker's input.
async function typeDate(input, date) {
  await input.click();
  await input.fill(date);
  await input.press('Enter');
}

// A key-people officer (a custom role, as the API test makes one): person.write with person.key_read.
async function officerOf(server) {
  return makeOfficer(server, {
    role: { name: 'key_officer', label: '重点人员专管员', permissions: ['grid.read', 'registry.read', 'person.read', 'person.write', 'person.key_read'] },
    username: 'key_officer1',
    display_name: '专管员',
  });
}

// Opens a house's card in 我的网格 (loading more pages of the list until it is there); resolves
// to the house as the card read it.
async function openHouse(page, id) {
  const item = page.locator(`.house-item[data-id="${id}"]`);
  await page.locator('.house-item').first().waitFor();
  while (!(await item.count())) {
    const more = page.locator('[data-action=more-houses]');
    assert.ok(await more.count(), `house ${id} is in the list`);
    await Promise.all([page.waitForResponse(isCall('GET', '/api/v1/houses')), more.click()]);
  }
  const [res] = await Promise.all([
    page.waitForResponse(isCall('GET', `/api/v1/houses/${id}`)),
    item.click(),
  ]);
  assert.equal(res.status(), 200);
  await page.locator(`.house-drawer .house-card[data-id="${id}"]`).waitFor();
  return res.json();
}

describe('editing houses and units, a person\'s history', () => {
  let server, worker, op, leader, officer, grid;
  before(async () => {
    server = await startDemoServer({ db: await makeDemoDb() });
    worker = await loginAs(server, 'grid_worker');
    op = await loginAs(server, 'center_operator');
    leader = await loginAs(server, 'center_leader');
    officer = await officerOf(server);
    grid = worker.login.grids[0].code;
  });
  after(async () => {
    await closeBrowser();
    if (server) assert.equal(await server.stop(), 0, 'wangge serve should exit cleanly');
  });

  test('a grid worker on a phone edits a house and changes its use from a past date', async () => {
    const made = await worker.post('/api/v1/houses', { grid, address: '编辑测试路 1 号', room: '101', type: 'dwelling', use: 'self', date: '2025-03-01' });
    assert.equal(made.status, 201, made.text);
    const id = made.body.id;
    const p = await browserAs(server, worker, { width: 390, height: 844 });
    const { page } = p;
    p.allow(`/api/v1/houses/${id}`);  // the one refusal provoked below (a date before the current use's)
    await page.goto(`${server.url}/#/my-grid`);
    await p.waitForText('.registry-page .page-title', '我的网格');
    const h0 = await openHouse(page, id);
    assert.equal(h0.version, 1);
    const card = page.locator(`.house-drawer .house-card[data-id="${id}"]`);
    await p.waitForText('.house-drawer .house-card [data-field=use]', '自住 自 2025-03-01');

    // 编辑: address, building, type; only what changed is sent, with the version read.
    await card.locator('[data-action=edit-house]').click();
    const ef = page.locator('.house-edit-form');
    assert.equal(await ef.locator('input[name=address]').inputValue(), '编辑测试路 1 号');
    assert.equal(await ef.locator('input[name=room]').inputValue(), '101');
    await ef.locator('input[name=address]').fill('编辑测试路 2 号');
    await ef.locator('input[name=building]').fill('5');
    await ef.locator('[data-field=house-type] .el-radio-button').filter({ hasText: '商铺' }).click();
    const [edited] = await Promise.all([
      page.waitForResponse(isCall('PATCH', `/api/v1/houses/${id}`)),
      ef.locator('[data-action=save-house-edit]').click(),
    ]);
    assert.equal(edited.status(), 200, await edited.text());
    assert.deepEqual(JSON.parse(edited.request().postData()), { version: 1, address: '编辑测试路 2 号', building: '5', type: 'shop' });
    await ef.waitFor({ state: 'hidden' });
    await p.waitForText('.house-drawer .el-drawer__title', '编辑测试路 2 号 5 栋 101');
    await p.waitForText('.house-drawer .house-card [data-field=type]', '商铺');
    assert.match(await page.locator(`.house-item[data-id="${id}"]`).textContent(), /编辑测试路 2 号 5 栋 101/);

    // 变更用途 to 出租 from a past date: only use and date (and the version) are sent.
    await card.locator('[data-action=change-use]').click();
    const uf = page.locator('.house-use-form');
    await p.waitForText('.house-use-form [data-field=use-now]', '当前用途：自住（自 2025-03-01）');
    await uf.locator('[data-field=new-use] .el-radio-button').filter({ hasText: '出租' }).click();
    await typeDate(uf.locator('input[name=use_date]'), '2026-06-01');
    const [changed] = await Promise.all([
      page.waitForResponse(isCall('PATCH', `/api/v1/houses/${id}`)),
      uf.locator('[data-action=save-use]').click(),
    ]);
    assert.equal(changed.status(), 200, await changed.text());
    assert.deepEqual(JSON.parse(changed.request().postData()), { version: 2, use: 'rent', date: '2026-06-01' });
    await uf.waitFor({ state: 'hidden' });
    await p.waitForText('.house-drawer .house-card [data-field=use]', '出租 自 2026-06-01');
    const uses = await card.locator('[data-field=use-history] .use-item').allTextContents();
    assert.equal(uses.length, 2, uses.join(' | '));
    assert.match(uses[0], /^出租\s+自 2026-06-01\s*当前$/);
    assert.match(uses[1], /^自住\s+自 2025-03-01$/);
    assert.match(await page.locator(`.house-item[data-id="${id}"]`).textContent(), /出租/);
    await p.screenshot('registry-house-card-phone');

    // A change dated before the current use began: the server's message under the date.
    await card.locator('[data-action=change-use]').click();
    await uf.locator('[data-field=new-use] .el-radio-button').filter({ hasText: '空置' }).click();
    await typeDate(uf.locator('input[name=use_date]'), '2026-05-01');
    const [bad] = await Promise.all([
      page.waitForResponse(isCall('PATCH', `/api/v1/houses/${id}`)),
      uf.locator('[data-action=save-use]').click(),
    ]);
    assert.equal(bad.status(), 400);
    const err = (await bad.json()).error;
    assert.equal(err.code, 'bad_date');
    await p.waitForText('.house-use-form .use-date-item .el-form-item__error', err.message);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scroll');
    await p.screenshot('registry-house-use-phone');
    await uf.getByRole('button', { name: '取消' }).click();

    // On the server: as the page showed it.
    const h = await worker.get(`/api/v1/houses/${id}`);
    assert.equal(h.status, 200, h.text);
    assert.equal(h.body.address, '编辑测试路 2 号');
    assert.equal(h.body.building, '5');
    assert.equal(h.body.room, '101');
    assert.equal(h.body.type, 'shop');
    assert.equal(h.body.use, 'rent');
    assert.equal(h.body.use_since, '2026-06-01');
    assert.equal(h.body.version, 3);
    assert.deepEqual(h.body.use_history.map((u) => [u.use, u.since]), [['self', '2025-03-01'], ['rent', '2026-06-01']]);
    p.assertNoErrors();
    await closeBrowser();
  });

  test('a stale version shows the conflict; 重新加载 lets the save go through', async () => {
    const made = await worker.post('/api/v1/houses', { grid, address: '冲突测试路 3 号', building: '1', room: '201', type: 'dwelling', use: 'self', date: '2025-01-10' });
    assert.equal(made.status, 201, made.text);
    const id = made.body.id;
    const p = await browserAs(server, worker, { width: 390, height: 844 });
    const { page } = p;
    p.allow(`/api/v1/houses/${id}`);  // the conflicts provoked below
    await page.goto(`${server.url}/#/my-grid`);
    await openHouse(page, id);
    const card = page.locator(`.house-drawer .house-card[data-id="${id}"]`);
    await card.locator('[data-action=edit-house]').click();
    const ef = page.locator('.house-edit-form');
    await ef.locator('input[name=room]').fill('202');

    // Someone else changes the house after the page read it.
    const other = await op.patch(`/api/v1/houses/${id}`, { version: 1, building: '9' });
    assert.equal(other.status, 200, other.text);
    const [stale] = await Promise.all([
      page.waitForResponse(isCall('PATCH', `/api/v1/houses/${id}`)),
      ef.locator('[data-action=save-house-edit]').click(),
    ]);
    assert.equal(stale.status(), 409);
    const err = (await stale.json()).error;
    assert.equal(err.code, 'version_conflict');
    assert.match(err.message, /[\u4e00-\u9fff]/);
    await p.waitForText('.house-edit-form .form-error .el-alert__title', err.message);
    assert.equal((await worker.get(`/api/v1/houses/${id}`)).body.room, '201', 'nothing changed');
    await p.screenshot('registry-house-conflict-phone');

    // 重新加载: the house as it is now (building 9 from the other change), the room typed kept.
    const [reread] = await Promise.all([
      page.waitForResponse(isCall('GET', `/api/v1/houses/${id}`)),
      ef.locator('[data-action=reload-house]').click(),
    ]);
    assert.equal((await reread.json()).version, 2);
    await ef.locator('.form-error').waitFor({ state: 'detached' });
    assert.equal(await ef.locator('input[name=building]').inputValue(), '9');
    assert.equal(await ef.locator('input[name=room]').inputValue(), '202');
    const [saved] = await Promise.all([
      page.waitForResponse(isCall('PATCH', `/api/v1/houses/${id}`)),
      ef.locator('[data-action=save-house-edit]').click(),
    ]);
    assert.equal(saved.status(), 200, await saved.text());
    assert.deepEqual(JSON.parse(saved.request().postData()), { version: 2, room: '202' });
    await p.waitForText('.house-drawer .el-drawer__title', '冲突测试路 3 号 9 栋 202');

    // The same for a change of use.
    await card.locator('[data-action=change-use]').click();
    const uf = page.locator('.house-use-form');
    await uf.locator('[data-field=new-use] .el-radio-button').filter({ hasText: '空置' }).click();
    assert.equal((await op.patch(`/api/v1/houses/${id}`, { version: 3, use: 'rent', date: '2025-06-01' })).status, 200);
    const [stale2] = await Promise.all([
      page.waitForResponse(isCall('PATCH', `/api/v1/houses/${id}`)),
      uf.locator('[data-action=save-use]').click(),
    ]);
    assert.equal(stale2.status(), 409);
    await p.waitForText('.house-use-form .form-error .el-alert__title', (await stale2.json()).error.message);
    await Promise.all([
      page.waitForResponse(isCall('GET', `/api/v1/houses/${id}`)),
      uf.locator('[data-action=reload-house]').click(),
    ]);
    await p.waitForText('.house-use-form [data-field=use-now]', '当前用途：出租（自 2025-06-01）');
    const [saved2] = await Promise.all([
      page.waitForResponse(isCall('PATCH', `/api/v1/houses/${id}`)),
      uf.locator('[data-action=save-use]').click(),
    ]);
    assert.equal(saved2.status(), 200, await saved2.text());
    await p.waitForText('.house-drawer .house-card [data-field=use]', `空置 自 ${JSON.parse(saved2.request().postData()).date}`);

    const h = await worker.get(`/api/v1/houses/${id}`);
    assert.equal(h.body.building, '9');
    assert.equal(h.body.room, '202');
    assert.equal(h.body.use, 'vacant');
    assert.equal(h.body.version, 5);
    assert.deepEqual(h.body.use_history.map((u) => u.use), ['self', 'rent', 'vacant']);
    p.assertNoErrors();
    await closeBrowser();
  });

  test('单位: the operator edits a unit; a bad credit code is refused under the field; a conflict reloads', async () => {
    const code = uscc('91371500MA0E77701');
    const made = await op.post('/api/v1/units', { grid, name: '编辑测试公司', credit_code: code, kind: 'enterprise', address: '单位编辑路 1 号',
      contact_name: '赵经理', contact_phone: '0635-8000001' });
    assert.equal(made.status, 201, made.text);
    const id = made.body.id;
    const p = await browserAs(server, op);
    const { page } = p;
    p.allow(`/api/v1/units/${id}`);  // the refusals provoked below
    await page.goto(`${server.url}/#/units`);
    await pick(page, 'grid', grid);
    const item = page.locator(`.unit-item[data-id="${id}"]`);
    await item.waitFor();
    await item.click();
    const card = page.locator(`.unit-drawer .unit-card[data-id="${id}"]`);
    await card.waitFor();
    await page.locator('.unit-drawer [data-action=edit-unit]').click();
    const f = page.locator('.unit-form');
    assert.equal(await f.locator('input[name=credit_code]').inputValue(), code);
    await f.locator('input[name=name]').fill('编辑测试有限公司');
    await f.locator('input[name=credit_code]').fill(code.slice(0, 17) + (code[17] === '1' ? '2' : '1'));
    await f.locator('input[name=contact_phone]').fill('0635-8000002');
    const [bad] = await Promise.all([
      page.waitForResponse(isCall('PATCH', `/api/v1/units/${id}`)),
      f.locator('[data-action=save-unit]').click(),
    ]);
    assert.equal(bad.status(), 400);
    const err = (await bad.json()).error;
    assert.equal(err.code, 'bad_credit_code');
    await p.waitForText('.unit-form .credit-code-item .el-form-item__error', err.message);
    assert.equal((await op.get(`/api/v1/units/${id}`)).body.name, '编辑测试公司', 'nothing changed');

    // Another unit's code: the server's duplicate message, under the field too.
    const otherCode = uscc('91371500MA0E77702');
    assert.equal((await op.post('/api/v1/units', { grid, name: '另一家公司', credit_code: otherCode, kind: 'shop', address: '单位编辑路 2 号' })).status, 201);
    await f.locator('input[name=credit_code]').fill(otherCode);
    const [dup] = await Promise.all([
      page.waitForResponse(isCall('PATCH', `/api/v1/units/${id}`)),
      f.locator('[data-action=save-unit]').click(),
    ]);
    assert.equal(dup.status(), 409);
    assert.equal((await dup.json()).error.code, 'duplicate');
    await p.waitForText('.unit-form .credit-code-item .el-form-item__error', (await dup.json()).error.message);

    // Its own code back (lower case: sent upper case), a new kind; saved.
    await f.locator('input[name=credit_code]').fill(code.toLowerCase());
    await pick(page, 'kind', '商户');
    const [ok] = await Promise.all([
      page.waitForResponse(isCall('PATCH', `/api/v1/units/${id}`)),
      f.locator('[data-action=save-unit]').click(),
    ]);
    assert.equal(ok.status(), 200, await ok.text());
    assert.deepEqual(JSON.parse(ok.request().postData()), { version: 1, name: '编辑测试有限公司', kind: 'shop', contact_phone: '0635-8000002' });
    await f.waitFor({ state: 'hidden' });
    const field = async (k) => (await card.locator(`[data-field=${k}]`).textContent()).trim();
    await p.waitForText(`.unit-card[data-id="${id}"] [data-field=name]`, '编辑测试有限公司');
    assert.equal(await field('kind'), '商户');
    assert.equal(await field('contact_phone'), '0635-8000002');
    assert.equal(await field('credit_code'), code);
    assert.match(await item.textContent(), /编辑测试有限公司/);

    // A stale version: the conflict message; 重新加载 keeps the typed address, takes the rest.
    await page.locator('.unit-drawer [data-action=edit-unit]').click();
    await f.locator('input[name=address]').fill('单位编辑路 9 号');
    await f.locator('input[name=contact_name]').fill('');
    assert.equal((await op.patch(`/api/v1/units/${id}`, { version: 2, name: '编辑测试集团' })).status, 200);
    const [stale] = await Promise.all([
      page.waitForResponse(isCall('PATCH', `/api/v1/units/${id}`)),
      f.locator('[data-action=save-unit]').click(),
    ]);
    assert.equal(stale.status(), 409);
    assert.equal((await stale.json()).error.code, 'version_conflict');
    await p.waitForText('.unit-form .form-error .el-alert__title', (await stale.json()).error.message);
    await Promise.all([
      page.waitForResponse(isCall('GET', `/api/v1/units/${id}`)),
      f.locator('[data-action=reload-unit]').click(),
    ]);
    // The form is filled from the answer after it arrives: wait for the render.
    await page.waitForFunction(() => document.querySelector('.unit-form input[name=name]')?.value === '编辑测试集团');
    assert.equal(await f.locator('input[name=name]').inputValue(), '编辑测试集团');
    assert.equal(await f.locator('input[name=address]').inputValue(), '单位编辑路 9 号');
    const [saved] = await Promise.all([
      page.waitForResponse(isCall('PATCH', `/api/v1/units/${id}`)),
      f.locator('[data-action=save-unit]').click(),
    ]);
    assert.equal(saved.status(), 200, await saved.text());
    assert.deepEqual(JSON.parse(saved.request().postData()), { version: 3, address: '单位编辑路 9 号', contact_name: null });
    await p.waitForText(`.unit-card[data-id="${id}"] [data-field=contact_name]`, '—');
    await p.screenshot('registry-unit-edited');

    const u = await op.get(`/api/v1/units/${id}`);
    assert.equal(u.status, 200, u.text);
    assert.equal(u.body.name, '编辑测试集团');
    assert.equal(u.body.credit_code, code);
    assert.equal(u.body.kind, 'shop');
    assert.equal(u.body.address, '单位编辑路 9 号');
    assert.equal(u.body.contact_name, null);
    assert.equal(u.body.contact_phone, '0635-8000002');
    assert.equal(u.body.version, 4);
    p.assertNoErrors();
    await closeBrowser();
  });

  test('历史记录: a person who moved lists the moves in order, a page at a time', async () => {
    const addrs = ['历史测试路 1 号', '历史测试路 2 号', '历史测试路 3 号'];
    const houses = [];
    for (const address of addrs) {
      const r = await worker.post('/api/v1/houses', { grid, address, type: 'dwelling', use: 'rent', date: '2019-01-01' });
      assert.equal(r.status, 201, r.text);
      houses.push(r.body.id);
    }
    const idNumber = idFor();
    const made = await worker.post('/api/v1/people', { name: '迁居测试', id_number: idNumber, reg_type: 'floating', house: houses[0], date: '2020-01-15' });
    assert.equal(made.status, 201, made.text);
    const pid = made.body.id;
    assert.equal((await worker.patch(`/api/v1/people/${pid}`, { house: houses[1], date: '2023-05-01' })).status, 200);
    assert.equal((await worker.patch(`/api/v1/people/${pid}`, { house: houses[2], date: '2025-02-01' })).status, 200);
    // More records than a page holds (20): changes of the phone number.
    for (let i = 0; i < 20; i++) {
      const r = await worker.patch(`/api/v1/people/${pid}`, { phone: `1391234${String(5000 + i)}` });
      assert.equal(r.status, 200, r.text);
    }

    const p = await browserAs(server, op);
    const { page } = p;
    await page.goto(`${server.url}/#/people`);
    await page.locator('input[name=id_number]').fill(idNumber);
    await Promise.all([
      page.waitForResponse((r) => isCall('GET', '/api/v1/people')(r) && param(r, 'id_number') === idNumber),
      page.locator('[data-action=search]').click(),
    ]);
    const row = page.locator('.people-table .el-table__body-wrapper .el-table__row').first();
    await row.waitFor();
    await row.locator('[data-action=open-person]').click();
    const card = page.locator(`.person-drawer .person-card[data-id="${pid}"]`);
    await card.waitFor();
    const [first] = await Promise.all([
      page.waitForResponse(isCall('GET', `/api/v1/people/${pid}/history`)),
      card.locator('#tab-history').click(),
    ]);
    assert.equal(first.status(), 200);
    assert.equal(param(first, 'reason'), null);
    const b1 = await first.json();
    assert.equal(b1.items.length, 20);
    assert.ok(b1.next_cursor);
    const items = card.locator('.history-item');
    await page.waitForFunction(() => document.querySelectorAll('.person-card .history-item').length === 20);
    // The three moves first, in date order, each with its house's address.
    const moves = card.locator('.history-item[data-kind=move_in]');
    assert.equal(await moves.count(), 3);
    for (const [i, [date, address]] of [['2020-01-15', addrs[0]], ['2023-05-01', addrs[1]], ['2025-02-01', addrs[2]]].entries()) {
      const m = items.nth(i);
      assert.equal(await m.getAttribute('data-kind'), 'move_in');
      assert.equal((await m.locator('[data-field=date]').textContent()).trim(), date);
      assert.equal((await m.locator('[data-field=label]').textContent()).trim(), '迁入');
      assert.equal((await m.locator('[data-field=house]').textContent()).trim(), address);
    }
    // A change names the field, never its value.
    const ch = card.locator('.history-item[data-kind=changed]').first();
    assert.doesNotMatch(await ch.textContent(), /1391234/);

    // 加载更多: the rest, appended.
    const [second] = await Promise.all([
      page.waitForResponse(isCall('GET', `/api/v1/people/${pid}/history`)),
      card.locator('[data-action=more-history]').click(),
    ]);
    assert.equal(param(second, 'cursor'), b1.next_cursor);
    const b2 = await second.json();
    assert.equal(b2.items.length, 3);
    await page.waitForFunction(() => document.querySelectorAll('.person-card .history-item').length === 23);
    assert.equal(await card.locator('[data-action=more-history]').count(), 0);
    const shown = await items.evaluateAll((els) => els.map((e) => Number(e.dataset.id)));
    const api = await op.get(`/api/v1/people/${pid}/history?limit=100`);
    assert.equal(api.status, 200, api.text);
    assert.deepEqual(shown, api.body.items.map((x) => x.id), 'the page shows the records in the server\'s order');
    await p.screenshot('registry-person-history');
    p.assertNoErrors();
    await closeBrowser();

    // In 我的网格 too: the worker's view of a resident.
    const w = await browserAs(server, worker, { width: 390, height: 844 });
    await w.page.goto(`${server.url}/#/my-grid`);
    await openHouse(w.page, houses[2]);
    const res = w.page.locator(`.house-drawer .resident-item[data-id="${pid}"]`);
    await res.waitFor();
    await res.click();
    const wcard = w.page.locator(`.person-drawer .person-card[data-id="${pid}"]`);
    await wcard.waitFor();
    await Promise.all([
      w.page.waitForResponse(isCall('GET', `/api/v1/people/${pid}/history`)),
      wcard.locator('#tab-history').click(),
    ]);
    await w.page.waitForFunction(() => document.querySelectorAll('.person-drawer .history-item').length === 20);
    assert.equal((await wcard.locator('.history-item[data-kind=move_in] [data-field=house]').allTextContents()).map((s) => s.trim()).join('|'),
      addrs.join('|'));
    await w.screenshot('registry-person-history-phone');
    w.assertNoErrors();
    await closeBrowser();
  });

  test('a key person\'s history needs the reason; without person.key_read it is refused in the tab', async () => {
    const REASON = '核查重点人员居住变动';
    // A demo key person (社区矫正对象), found by the leader with a reason.
    const keyList = await leader.get(`/api/v1/people?reason=${encodeURIComponent(REASON)}&tag=community_correction&limit=5`);
    assert.equal(keyList.status, 200, keyList.text);
    const kp = keyList.body.items[0];
    assert.ok(kp, 'the demo has a 社区矫正对象');

    const p = await browserAs(server, leader);
    const { page } = p;
    await page.goto(`${server.url}/#/people`);
    await pick(page, 'grid', kp.grid);
    await page.locator('[data-field=with-key]').click();
    await page.locator('.reason-dialog textarea[name=key-reason]').fill(REASON);
    await page.locator('.reason-dialog [data-action=confirm-reason]').click();
    await page.locator('.reason-dialog').waitFor({ state: 'hidden' });
    await Promise.all([
      page.waitForResponse((r) => isCall('GET', '/api/v1/people')(r) && param(r, 'reason') === REASON),
      page.locator('[data-action=search]').click(),
    ]);
    const row = page.locator('.people-table .el-table__body-wrapper .el-table__row').filter({ hasText: kp.name }).first();
    await row.waitFor();
    const [got] = await Promise.all([
      page.waitForResponse(isCall('GET', `/api/v1/people/${kp.id}`)),
      row.locator('[data-action=open-person]').click(),
    ]);
    assert.equal(param(got, 'reason'), REASON);
    const card = page.locator(`.person-drawer .person-card[data-id="${kp.id}"]`);
    await card.waitFor();
    const [hist] = await Promise.all([
      page.waitForResponse(isCall('GET', `/api/v1/people/${kp.id}/history`)),
      card.locator('#tab-history').click(),
    ]);
    assert.equal(hist.status(), 200);
    assert.equal(param(hist, 'reason'), REASON, 'the reason the card was read with');
    const entered = (await hist.json()).items.find((x) => x.kind === 'tag_enter' && x.tag === 'community_correction');
    assert.ok(entered, 'the key category is in the history');
    const it = card.locator(`.history-item[data-id="${entered.id}"]`);
    await it.waitFor();
    assert.equal((await it.locator('[data-field=tag]').textContent()).trim(), '社区矫正对象');
    assert.equal((await it.locator('[data-field=date]').textContent()).trim(), entered.date);
    assert.equal(await card.locator('[data-action=history-reason]').count(), 0, 'the reason was given');
    p.assertNoErrors();
    await closeBrowser();
    const auditor = await loginAs(server, 'auditor');
    const a = await auditor.get('/api/v1/audit?action=person.key_read&limit=100');
    assert.equal(a.status, 200, a.text);
    assert.ok(a.body.items.some((x) => x.object === `person:${kp.id}` && x.detail.includes('变动记录') && x.detail.includes(REASON)), a.text);
  });

  test('records of a key category the person left show only with a reason', async () => {
    const idNumber = idFor();
    const made = await officer.post('/api/v1/people', { name: '解除矫正测试', id_number: idNumber, reg_type: 'huji', grid, date: '2024-01-10',
      tags: ['community_correction'] });
    assert.equal(made.status, 201, made.text);
    const pid = made.body.id;
    assert.equal((await officer.patch(`/api/v1/people/${pid}`, { tags_leave: ['community_correction'], date: '2025-01-10' })).status, 200);

    const p = await browserAs(server, leader);
    const { page } = p;
    await page.goto(`${server.url}/#/people`);
    await page.locator('input[name=id_number]').waitFor();
    // Not a key person now: the card opens without a reason.
    await page.locator('input[name=id_number]').fill(idNumber);
    await Promise.all([
      page.waitForResponse((r) => isCall('GET', '/api/v1/people')(r) && param(r, 'id_number') === idNumber),
      page.locator('[data-action=search]').click(),
    ]);
    const row = page.locator('.people-table .el-table__body-wrapper .el-table__row').first();
    await row.waitFor();
    await row.locator('[data-action=open-person]').click();
    const card = page.locator(`.person-drawer .person-card[data-id="${pid}"]`);
    await card.waitFor();
    const [plain] = await Promise.all([
      page.waitForResponse(isCall('GET', `/api/v1/people/${pid}/history`)),
      card.locator('#tab-history').click(),
    ]);
    assert.equal(param(plain, 'reason'), null);
    assert.deepEqual((await plain.json()).items.map((x) => x.kind), ['registered']);
    await card.locator('.history-item').first().waitFor();
    assert.equal(await card.locator('.history-item').count(), 1);
    // 说明理由并显示: the same list with the category's records.
    await card.locator('[data-action=history-reason]').click();
    await page.locator('.reason-dialog textarea[name=key-reason]').fill('核实矫正解除情况');
    const [keyed] = await Promise.all([
      page.waitForResponse((r) => isCall('GET', `/api/v1/people/${pid}/history`)(r) && param(r, 'reason') === '核实矫正解除情况'),
      page.locator('.reason-dialog [data-action=confirm-reason]').click(),
    ]);
    assert.deepEqual((await keyed.json()).items.map((x) => x.kind), ['registered', 'tag_enter', 'tag_leave']);
    await page.waitForFunction(() => document.querySelectorAll('.person-card .history-item').length === 3);
    assert.equal((await card.locator('.history-item[data-kind=tag_leave] [data-field=tag]').textContent()).trim(), '社区矫正对象');
    p.assertNoErrors();
    await closeBrowser();

    // The operator (no person.key_read) had the card open when the person became a key person
    // again: the tab shows the server's refusal.
    const o = await browserAs(server, op);
    o.allow(`/api/v1/people/${pid}/history`);
    await o.page.goto(`${server.url}/#/people`);
    await o.page.locator('input[name=id_number]').fill(idNumber);
    await Promise.all([
      o.page.waitForResponse((r) => isCall('GET', '/api/v1/people')(r) && param(r, 'id_number') === idNumber),
      o.page.locator('[data-action=search]').click(),
    ]);
    const orow = o.page.locator('.people-table .el-table__body-wrapper .el-table__row').first();
    await orow.waitFor();
    await orow.locator('[data-action=open-person]').click();
    const ocard = o.page.locator(`.person-drawer .person-card[data-id="${pid}"]`);
    await ocard.waitFor();
    assert.equal((await officer.patch(`/api/v1/people/${pid}`, { tags_enter: ['drug_rehab'] })).status, 200);
    const [refused] = await Promise.all([
      o.page.waitForResponse(isCall('GET', `/api/v1/people/${pid}/history`)),
      ocard.locator('#tab-history').click(),
    ]);
    assert.equal(refused.status(), 403);
    const err = (await refused.json()).error;
    assert.equal(err.code, 'key_person');
    await o.waitForText('.person-drawer .person-history .form-error .el-alert__title', err.message);
    assert.equal(await ocard.locator('.history-item').count(), 0);
    assert.equal(await ocard.locator('[data-action=history-reason]').count(), 0, 'no reason to give without person.key_read');
    o.assertNoErrors();
    await closeBrowser();
  });
});
