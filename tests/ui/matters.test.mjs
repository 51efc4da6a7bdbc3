// The life of a matter in the browser (issue 10): the grid worker reports on the phone page with
// the phone's GPS → the township center accepts it in the queue (bulk accept) and dispatches it
// to two departments (分流: the police lead, city management co-handles) → both sign in their
// inbox; city management returns it with a basis → the clock passes the deadline → the police
// explain the overdue in writing and submit the result → the township verifies (a stale page is
// refused and reloaded: 已被他人处理) and closes. The matter page's timeline shows every step.
//
// Photos: the worker takes a photo with the report (a photo over 8 MB is refused on the phone
// with a Chinese message; one is removed before sending), the township sees its thumbnail on the
// matter page and opens it larger, and the police attach a photo to their result.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../lib/server.mjs';
import { loginAs, startDemoServer } from '../lib/auth.mjs';
import { ensureCalendar } from '../lib/calendar.mjs';
import { advanceClock } from '../lib/clock.mjs';
import { launchBrowser } from '../lib/browser.mjs';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 860 };
const TITLE = '人行道占道经营（界面测试）';
const BASIS = '不属于本局职责：依据《城市管理执法办法》第八条，应由公安机关处理';
const EXPLANATION = '当事人多次拒不配合，需联合执法，已超过办理期限。';
const RESULT = '已联合取缔摊位，恢复通行。';
const OTHER = '消防通道堵塞（界面测试）';
// Markup typed by a user is shown as text.
const DESCRIPTION = '早市摊位占用人行道，行人绕行机动车道。<img src=x data-xss=1><b>粗体</b>';

const PHOTO = path.join(repoRoot, 'tests/ui/fixtures/duty-photo.png');
const photoSize = () => readFileSync(PHOTO).length;

const isPath = (p, method = 'GET') => (res) => new URL(res.url()).pathname === p && res.request().method() === method;
const isAction = (id) => isPath(`/api/v1/matters/${id}/actions`, 'POST');

describe('事项 in the browser: report → accept → dispatch → sign / return → overdue → submit → verify → close', () => {
  let server, browser, p, page, clients, matterId, otherId, grid;

  // The browser acts as user (a client from loginAs): its session cookie replaces the last one.
  async function actAs(client, viewport = DESKTOP) {
    await browser.context.clearCookies();
    await browser.context.addCookies([
      { name: 'wg_session', value: client.cookie, url: server.url },
      { name: 'wg_csrf', value: client.csrf, url: server.url },
    ]);
    await page.setViewportSize(viewport);
  }
  async function loginAll() {
    const names = ['worker', 'township', 'handler', 'handler2', 'sysadmin'];
    const list = await Promise.all(names.map((n) => loginAs(server, n)));
    clients = Object.fromEntries(names.map((n, i) => [n, list[i]]));
  }
  // Opens hash and resolves to the JSON of the first answer matching pred.
  async function open(hash, pred) {
    await page.goto('about:blank'); // a new document: a hash change alone would keep the last user's app
    const [res] = await Promise.all([page.waitForResponse(pred), page.goto(`${server.url}/${hash}`)]);
    assert.ok(res.ok(), `${res.url()}: ${res.status()}`);
    return res.json();
  }
  // Clicks the button of an action (within scope), fills the dialog, submits; resolves to the
  // matter the server answered.
  async function act(scope, action, fill = {}, photos = []) {
    await scope.locator(`[data-action=${action}]`).first().click();
    const dialog = page.locator(`.action-dialog[data-action=${action}]`);
    await dialog.waitFor();
    for (const [field, text] of Object.entries(fill)) await dialog.locator(`[data-field=${field}] textarea, textarea[data-field=${field}]`).fill(text);
    if (photos.length) {
      await dialog.locator('input[data-field=photos]').setInputFiles(photos);
      await dialog.locator('[data-field=photo-preview]').nth(photos.length - 1).waitFor();
    }
    const [res] = await Promise.all([
      page.waitForResponse(isAction(matterId)),
      dialog.locator('[data-action=submit-action]').click(),
    ]);
    assert.equal(res.status(), 200, await res.text());
    await dialog.waitFor({ state: 'hidden' });
    return res.json();
  }
  // The entries of the side menu (desktop width).
  async function menuTexts() {
    await page.locator('.app-aside .nav-menu').waitFor();
    return (await page.locator('.app-aside .nav-menu .el-menu-item').allTextContents()).map((s) => s.trim());
  }
  const inboxRow = () => page.locator('.inbox-table .el-table__body-wrapper tbody tr', { hasText: TITLE });

  before(async () => {
    assert.ok(existsSync(path.join(repoRoot, 'web/vendor/vue.js')), 'web/vendor is missing: run scripts/web-vendor');
    server = await startDemoServer({ args: ['--enable-internal'] });
    await ensureCalendar(server);
    await loginAll();
    [grid] = (await clients.worker.get('/api/v1/grids?limit=10')).body.items;
    browser = await launchBrowser({ viewport: PHONE });
    p = await browser.newPage();
    page = p.page;
  });
  after(async () => {
    await browser?.close();
    if (server) assert.equal(await server.stop(), 0);
  });

  test('the grid worker reports on the phone page with GPS', async () => {
    // The phone stands in the middle of the worker's first grid.
    const g = (await clients.sysadmin.get(`/api/v1/grids/${grid.code}`)).body;
    const ring = (g.boundary.type === 'Polygon' ? g.boundary.coordinates[0] : g.boundary.coordinates[0][0]).slice(0, -1);
    const lng = ring.reduce((s, q) => s + q[0], 0) / ring.length;
    const lat = ring.reduce((s, q) => s + q[1], 0) / ring.length;
    await browser.context.grantPermissions(['geolocation'], { origin: server.url });
    await browser.context.setGeolocation({ longitude: lng, latitude: lat, accuracy: 12 });
    await actAs(clients.worker, PHONE);
    await open('#/report', isPath('/api/v1/matters'));

    // The item: the published list when it answers, else its code.
    const select = page.locator('[data-field=item-select]');
    const code = page.locator('input[data-field=item-code]');
    await select.or(code).first().waitFor();
    if (await select.count()) {
      await select.click();
      await page.locator('.el-select-dropdown__item:visible', { hasText: 'CG-001' }).click();
    } else {
      await code.fill('CG-001');
    }
    await page.locator('input[data-field=title]').fill(TITLE);
    await page.locator('textarea[data-field=description]').fill(DESCRIPTION);
    await page.locator('[data-action=locate]').click();
    await page.locator('[data-field=gps]').waitFor();
    await page.locator('input[data-field=address]').fill('杨寨路 12 号门前');
    // A photo from the camera; one over 8 MB is refused on the phone, before any upload; a
    // second photo is removed again before sending.
    const input = page.locator('input[data-field=photos]');
    await input.setInputFiles(PHOTO);
    await page.locator('[data-field=photo-preview]').first().waitFor();
    await input.setInputFiles({ name: '超大照片.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(8 * 1024 * 1024 + 1, 0xff) });
    assert.match(await page.locator('[data-field=photo-error]').textContent(), /超大照片\.jpg.*超过 8 MB/);
    await input.setInputFiles(PHOTO);
    await page.locator('[data-field=photo-preview]').nth(1).waitFor();
    await page.locator('[data-field=photo-preview]').nth(1).locator('[data-action=remove-photo]').click();
    await page.locator('[data-field=photo-preview]').nth(1).waitFor({ state: 'detached' });
    assert.equal(await page.locator('[data-field=photo-preview]').count(), 1);
    // The report button is a large touch target.
    const box = await page.locator('[data-action=report]').boundingBox();
    assert.ok(box.height >= 44 && box.width >= 300, JSON.stringify(box));
    const [res] = await Promise.all([
      page.waitForResponse(isPath('/api/v1/matters', 'POST')),
      page.locator('[data-action=report]').click(),
    ]);
    assert.equal(res.status(), 201, await res.text());
    const m = await res.json();
    matterId = m.id;
    assert.equal(m.grid.code, grid.code);
    assert.ok(Math.abs(m.location.lng - lng) < 1e-6 && Math.abs(m.location.lat - lat) < 1e-6);
    // Sent as multipart with the one photo left; the report event lists it.
    assert.match(res.request().headers()['content-type'], /^multipart\/form-data/);
    assert.equal(m.photos.length, 1);
    assert.equal(m.photos[0].size, photoSize());
    assert.equal(m.photos[0].mime, 'image/png');
    assert.deepEqual(m.timeline[0].photos.map((x) => x.hash), [m.photos[0].hash]);
    assert.equal(await page.locator('[data-field=photo-preview]').count(), 0); // cleared after sending
    // It is listed among the recent matters, reported; CG-001 lets the worker resolve it on the spot.
    const item = page.locator(`.recent-item[data-id="${m.id}"]`);
    await item.waitFor();
    assert.equal((await item.locator('[data-field=recent-state]').textContent()).trim(), '已上报');
    await item.locator('[data-action=self_handle]').waitFor();
    console.log(`screenshot: ${await p.screenshot('matters-report-phone', { fullPage: true })}`);

    // Without GPS: one of my grids is chosen. A report-only item offers no self-handling.
    if (await code.count()) await code.fill('CG-004');
    else {
      await select.click();
      await page.locator('.el-select-dropdown__item:visible', { hasText: 'CG-004' }).click();
    }
    await page.locator('input[data-field=title]').fill(OTHER);
    await page.locator('textarea[data-field=description]').fill('楼道堆放杂物，堵塞消防通道。');
    await page.locator('[data-field=grid]').click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: grid.name }).click();
    const [res2] = await Promise.all([
      page.waitForResponse(isPath('/api/v1/matters', 'POST')),
      page.locator('[data-action=report]').click(),
    ]);
    assert.equal(res2.status(), 201, await res2.text());
    const other = await res2.json();
    otherId = other.id;
    assert.equal(other.location, null);
    assert.equal(other.grid.code, grid.code);
    const item2 = page.locator(`.recent-item[data-id="${other.id}"]`);
    await item2.waitFor();
    assert.equal(await item2.locator('[data-action=self_handle]').count(), 0);
    p.assertNoErrors();
  });

  test('the township accepts it in the queue (bulk) and dispatches it to two departments', async () => {
    await actAs(clients.township);
    const list = await open('#/matters', isPath('/api/v1/matters'));
    const menu = await menuTexts();
    for (const want of ['事项受理', '承办收件箱', '上报事项']) assert.ok(menu.includes(want), `menu lacks ${want}: ${menu}`);
    assert.ok(list.items.some((x) => x.id === matterId));
    const row = page.locator('.matters-table .el-table__body-wrapper tbody tr', { hasText: TITLE });
    await row.waitFor();
    assert.equal((await row.locator('[data-col=state]').textContent()).trim(), '已上报');
    // Both reported matters are selected; meanwhile the other one is accepted elsewhere, so
    // its listed version is stale: one success, one failure reported on its row.
    const otherRow = page.locator('.matters-table .el-table__body-wrapper tbody tr', { hasText: OTHER });
    await row.locator('.el-checkbox').click();
    await otherRow.locator('.el-checkbox').click();
    const stale = list.items.find((x) => x.id === otherId);
    const r = await clients.township.post(`/api/v1/matters/${otherId}/actions`, { action: 'accept', version: stale.version });
    assert.equal(r.status, 200, r.text);
    p.allow(`/api/v1/matters/${otherId}/actions`);
    const answers = [];
    page.on('response', (x) => { if (/\/actions$/.test(new URL(x.url()).pathname)) answers.push(x.status()); });
    await page.locator('[data-action=bulk-accept]').click();
    await page.locator('.bulk-result', { hasText: '成功 1 件，失败 1 件' }).waitFor();
    assert.deepEqual(answers.sort(), [200, 409]);
    assert.match(await page.locator('[data-field=bulk-failure]').textContent(), new RegExp(`${OTHER}.*已被他人处理`));
    await row.locator('[data-col=state]', { hasText: '已受理' }).waitFor();

    // The matter page: fields, the map with the grid and the marker, the dispatch dialog.
    await Promise.all([page.waitForResponse(isPath(`/api/v1/matters/${matterId}`)), row.locator('[data-col=title]').click()]);
    await p.waitForText('[data-field=state]', '已受理');
    await page.locator('.matter-map .matter-marker').waitFor();
    assert.equal((await page.locator('[data-field=description]').textContent()).trim(), DESCRIPTION);
    assert.equal(await page.locator('[data-xss], [data-field=description] b').count(), 0);
    await page.locator('.matter-map .matter-grid-shape').waitFor();
    // The worker's photo: a thumbnail of our own URL, loaded (the township may see it), that
    // opens larger; on the report event in the timeline too.
    const thumb = page.locator('.matter-photos img').first();
    await thumb.waitFor();
    assert.match(await thumb.getAttribute('src'), new RegExp(`/api/v1/matters/${matterId}/photos/[0-9a-f]{64}$`));
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await thumb.elementHandle());
    assert.equal(await page.locator('.timeline-event[data-action=report] .timeline-photos img').count(), 1);
    await thumb.click();
    const viewer = page.locator('.el-image-viewer__wrapper img.el-image-viewer__img');
    await viewer.waitFor();
    assert.equal(await viewer.getAttribute('src'), await thumb.getAttribute('src'));
    console.log(`screenshot: ${await p.screenshot('matters-photo-viewer')}`);
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    await page.locator('[data-action=dispatch]').click();
    const dialog = page.locator('.action-dialog[data-action=dispatch]');
    await dialog.waitFor();
    const police = clients.handler.login.org.name, city = clients.handler2.login.org.name;
    await dialog.locator('[data-field=departments]').click();
    for (const name of [city, police]) await page.locator('.el-select-dropdown__item:visible', { hasText: name }).click();
    await dialog.locator('.page-hint').first().click(); // closes the dropdown
    await page.locator('.el-select-dropdown__item:visible').first().waitFor({ state: 'hidden' });
    const rows = dialog.locator('.dispatch-row');
    assert.equal(await rows.count(), 2);
    // The first chosen leads until another is made lead; the default deadline is the item's
    // handling limit counted on the working-day calendar, shown as a date.
    assert.equal((await rows.nth(0).locator('[data-field=role]').textContent()).trim(), '牵头');
    await rows.nth(1).locator('[data-action=make-lead]').click();
    await rows.nth(1).locator('[data-field=role]', { hasText: '牵头' }).waitFor();
    assert.equal((await rows.nth(0).locator('[data-field=role]').textContent()).trim(), '协办');
    const shown = (await rows.nth(1).locator('[data-field=default-due]').textContent()).trim();
    const [, date] = shown.match(/^(\d{4}-\d{2}-\d{2})（按事项时限计算）$/) || [];
    assert.ok(date, shown);
    const items = (await clients.township.get('/api/v1/matter-items?q=CG-001')).body.items;
    const days = items.find((i) => i.code === 'CG-001').limits.handle.amount;
    const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
    const expected = await clients.township.get(`/api/v1/calendar/due?from=${today}&working_days=${days}`);
    assert.equal(date, expected.body.due);
    // The co-handler's deadline is set to a date (typed into the date picker).
    const due = new Date(Date.now() + 30 * 86400e3 + 8 * 3600e3).toISOString().slice(0, 10);
    await rows.nth(0).locator('.dispatch-due input').fill(due);
    await rows.nth(0).locator('.dispatch-due input').press('Enter');
    await rows.nth(0).locator('[data-field=default-due]', { hasText: `${due}（已指定）` }).waitFor();
    console.log(`screenshot: ${await p.screenshot('matters-dispatch')}`);
    const [d] = await Promise.all([
      page.waitForResponse(isAction(matterId)),
      dialog.locator('[data-action=submit-action]').click(),
    ]);
    assert.equal(d.status(), 200, await d.text());
    const sent = JSON.parse(d.request().postData());
    assert.deepEqual(sent.departments.map((x) => [x.org, x.role]),
      [[clients.handler2.login.org.id, 'co'], [clients.handler.login.org.id, 'lead']]);
    assert.deepEqual(sent.departments.map((x) => x.due), [due, undefined]);
    await p.waitForText('[data-field=state]', '处置中');
    const orgs = (await page.locator('.assignments-table [data-col=org]').allTextContents()).map((s) => s.trim());
    assert.deepEqual(orgs, [city, police]);
    p.assertNoErrors();
  });

  test('both departments sign in their inbox; city management returns it with a basis', async () => {
    for (const who of ['handler', 'handler2']) {
      await actAs(clients[who]);
      await open('#/inbox', isPath('/api/v1/matters'));
      // A department's menu: its inbox and reporting, not the centers' queue.
      const menu = await menuTexts();
      assert.ok(menu.includes('承办收件箱') && !menu.includes('事项受理'), `${menu}`);
      await inboxRow().waitFor();
      assert.equal((await inboxRow().locator('[data-col=status]').textContent()).trim(), '待签收');
      const m = await act(inboxRow(), 'sign');
      assert.equal(m.assignments.find((a) => a.org.id === clients[who].login.org.id).status, 'signed');
      await inboxRow().locator('[data-col=status]', { hasText: '已签收' }).waitFor();
    }
    console.log(`screenshot: ${await p.screenshot('matters-inbox')}`);
    const m = await act(inboxRow(), 'return', { basis: BASIS });
    assert.equal(m.assignments.find((a) => a.org.id === clients.handler2.login.org.id).status, 'returned');
    p.assertNoErrors();
  });

  test('past the deadline the police explain in writing, then submit the result', async () => {
    await advanceClock(server, 10 * 86400);
    await loginAll(); // the sessions ended with the clock's move
    const tick = await clients.sysadmin.post('/api/v1/internal/tick', {});
    assert.equal(tick.status, 200, tick.text);
    await actAs(clients.handler);
    await open('#/inbox', isPath('/api/v1/matters'));
    await inboxRow().waitFor();
    await inboxRow().locator('[data-col=overdue]').waitFor();
    // Art. 19: the explanation is offered; the result needs it first (the server says so).
    await act(inboxRow(), 'explain_overdue', { explanation: EXPLANATION });
    // The matter page: the assignment is overdue and explained; submit from there.
    await Promise.all([page.waitForResponse(isPath(`/api/v1/matters/${matterId}`)), inboxRow().locator('[data-action=open-matter]').click()]);
    await page.locator('.assignments-table [data-col=explained]').waitFor();
    assert.equal(await page.locator('.assignments-table [data-col=overdue]').count(), 1);
    await p.waitForText('[data-field=alert]', '红牌超期');
    // The result with a photo as evidence (multipart), shown on its timeline event.
    const m = await act(page.locator('[data-field=actions]'), 'submit', { result: RESULT }, [PHOTO]);
    assert.equal(m.state, 'done');
    assert.equal(m.timeline.at(-1).photos.length, 1);
    await page.locator('.timeline-event[data-action=submit] .timeline-photos img').waitFor();
    await p.waitForText('[data-field=state]', '已办结');
    p.assertNoErrors();
  });

  test('the township verifies (a stale page is reloaded) and closes; the timeline shows every step', async () => {
    await actAs(clients.township);
    // The live stream would reload the page at once when someone else acts (stream.test.mjs
    // shows that); without it the page stays stale, which is what this step is about.
    await page.route('**/api/v1/stream', (route) => route.abort());
    p.allow('/api/v1/stream');
    const shown = await open(`#/matters/${matterId}`, isPath(`/api/v1/matters/${matterId}`));
    await p.waitForText('[data-field=state]', '已办结');
    // Someone else verifies meanwhile: the page's version is stale.
    const r = await clients.township.post(`/api/v1/matters/${matterId}/actions`, { action: 'verify', version: shown.version });
    assert.equal(r.status, 200, r.text);
    p.allow(`/api/v1/matters/${matterId}/actions`);
    await page.locator('[data-action=verify]').click();
    const dialog = page.locator('.action-dialog[data-action=verify]');
    const [stale] = await Promise.all([
      page.waitForResponse(isAction(matterId)),
      dialog.locator('[data-action=submit-action]').click(),
    ]);
    assert.equal(stale.status(), 409);
    await page.locator('.el-message', { hasText: '已被他人处理，已刷新' }).waitFor();
    await p.waitForText('[data-field=state]', '已核查');
    const m = await act(page.locator('[data-field=actions]'), 'close');
    assert.equal(m.state, 'closed');
    await p.waitForText('[data-field=state]', '已结案');

    // Newest first on the page: every step, with who did it and what they wrote.
    const steps = await page.locator('.timeline-event').evaluateAll((els) => els.map((e) => e.dataset.action));
    assert.deepEqual(steps.reverse(), ['report', 'accept', 'dispatch', 'sign', 'sign', 'return', 'explain_overdue', 'submit', 'verify', 'close']);
    const text = async (action) => (await page.locator(`.timeline-event[data-action=${action}]`).allTextContents()).join('\n');
    assert.match(await text('report'), /郑网格（古城社区网格员队伍）/);
    assert.match(await text('dispatch'), new RegExp(`${clients.handler.login.org.name}（牵头）`));
    assert.match(await text('dispatch'), new RegExp(`${clients.handler2.login.org.name}（协办）`));
    assert.ok((await text('return')).includes(BASIS));
    assert.ok((await text('explain_overdue')).includes(EXPLANATION));
    assert.ok((await text('submit')).includes(RESULT));
    assert.match(await text('close'), /王街道/);
    // What is left: answering the reporter.
    const left = await page.locator('[data-field=actions] [data-action]').evaluateAll((els) => els.map((e) => e.dataset.action));
    assert.deepEqual(left, ['feedback']);
    console.log(`screenshot: ${await p.screenshot('matters-closed', { fullPage: true })}`);
    p.assertNoErrors();
  });
});
