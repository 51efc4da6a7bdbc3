// The resident's whole path on a phone (issue 11, "What it must show"): scan the grid's notice QR
// code (the print view's QR decoded with zbarimg gives the URL) → report on the server-rendered
// page with a photo and the phone's position → the township accepts and dispatches, the
// department signs and completes, the township verifies, closes and answers (through the API) →
// the tracking page shows the result and the answer → the resident rates it; a second rating
// (from a second tab still showing the form) is refused. The township's matter page shows the
// photo, the reporter's contact masked, and offers 标记为无效信息 on a fresh resident report, which
// the resident then sees as 不予受理. No page logs an error (the CSP refuses inline script and
// style, so a violation would show here).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot, makeTempDir } from '../lib/server.mjs';
import { loginAs, startDemoServer } from '../lib/auth.mjs';
import { ensureCalendar } from '../lib/calendar.mjs';
import { launchBrowser } from '../lib/browser.mjs';

const PHONE = { width: 390, height: 844 };
const PHOTO = path.join(repoRoot, 'tests/ui/fixtures/duty-photo.png');
const TITLE = '小区门口路灯不亮（居民界面测试）';
const RESULT = '已更换路灯灯泡，恢复照明。';
const ANSWER = '您反映的路灯已修好，感谢您的监督。';

describe('a resident reports by the notice QR code, follows and rates the matter', () => {
  let server, browser, p, page, c, grid, reportUrl, code, matter;

  async function act(who, action, extra = {}) {
    const r = await c[who].post(`/api/v1/matters/${matter.id}/actions`, { action, version: matter.version, ...extra });
    assert.equal(r.status, 200, `${who} ${action}: ${r.text}`);
    matter = r.body;
  }

  before(async () => {
    server = await startDemoServer({ args: ['--enable-internal'] });
    await ensureCalendar(server);
    const names = ['township', 'handler', 'sysadmin'];
    const list = await Promise.all(names.map((n) => loginAs(server, n)));
    c = Object.fromEntries(names.map((n, i) => [n, list[i]]));
    [grid] = (await c.township.get('/api/v1/grids?limit=1')).body.items;
    browser = await launchBrowser({ viewport: PHONE });
    p = await browser.newPage();
    p.allow('/favicon.ico'); // the public pages name no icon; chromium asks anyway
    page = p.page;
  });
  after(async () => {
    await browser?.close();
    if (server) assert.equal(await server.stop(), 0);
  });

  test('the notice board\'s QR code leads to the grid\'s report page', async () => {
    await page.goto(`${server.url}/public/grids/${grid.code}/print`);
    const dir = makeTempDir('wangge-resident-qr-');
    const png = path.join(dir, 'qr.png');
    await page.setViewportSize({ width: 800, height: 1200 });
    await page.locator('svg.qr').screenshot({ path: png });
    await page.setViewportSize(PHONE);
    reportUrl = execFileSync('zbarimg', ['--raw', '-q', png], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    assert.equal(new URL(reportUrl).pathname, `/public/report/${grid.code}`);
    p.assertNoErrors();
  });

  test('the resident reports with a photo and the phone\'s position, and gets a tracking code', async () => {
    const g = (await c.sysadmin.get(`/api/v1/grids/${grid.code}`)).body;
    const ring = (g.boundary.type === 'Polygon' ? g.boundary.coordinates[0] : g.boundary.coordinates[0][0]).slice(0, -1);
    const lng = ring.reduce((s, q) => s + q[0], 0) / ring.length;
    const lat = ring.reduce((s, q) => s + q[1], 0) / ring.length;
    await browser.context.grantPermissions(['geolocation'], { origin: server.url });
    await browser.context.setGeolocation({ longitude: lng, latitude: lat, accuracy: 15 });

    await page.goto(reportUrl);
    assert.equal(await page.locator('h1').textContent(), grid.name);
    await page.locator('#item').selectOption('CG-006');
    await page.locator('#title').fill(TITLE);
    await page.locator('#description').fill('小区东门的路灯一周没亮，晚上出行不便。<b>请尽快处理</b>');
    await page.locator('#address').fill('古城路 1 号东门');
    await page.locator('#photo1').setInputFiles(PHOTO);
    await page.locator('#contact').fill('13911112222');
    // The script adds "use my location": the position goes into the hidden fields.
    await page.locator('#locate').click();
    await p.waitForText('#locate-status', '已获取您的位置（精度约 15 米）。');
    assert.equal(Number(await page.locator('#lng').inputValue()).toFixed(4), lng.toFixed(4));
    await p.screenshot('resident-report-form');
    await Promise.all([page.waitForURL(reportUrl), page.locator('button[type=submit]').click()]);
    await page.locator('#tracking-code').waitFor();
    assert.equal(await page.locator('h1').textContent(), '请记下查询码');
    code = (await page.locator('#tracking-code').textContent()).replaceAll('-', '');
    assert.match(code, /^[2-9A-HJ-NP-Z]{16}$/);
    await p.screenshot('resident-tracking-code');
    await page.locator('#track-link').click();
    await page.waitForURL(`${server.url}/public/track/${code}`);
    assert.equal((await page.locator('#state').textContent()).trim(), '已上报');
    assert.match(await page.locator('#steps').textContent(), /您反映的问题已提交/);
    p.assertNoErrors();
  });

  test('the township sees the photo and the contact masked on the matter page', async () => {
    const list = (await c.township.get('/api/v1/matters?state=reported&limit=20')).body.items;
    matter = (await c.township.get(`/api/v1/matters/${list.find((m) => m.title === TITLE).id}`)).body;
    assert.equal(matter.source, 'resident');
    assert.equal(matter.photos.length, 1);
    assert.ok(matter.location, 'the phone\'s position is kept');
    await browser.context.addCookies([
      { name: 'wg_session', value: c.township.cookie, url: server.url },
      { name: 'wg_csrf', value: c.township.csrf, url: server.url },
    ]);
    await page.goto(`${server.url}/#/matters/${matter.id}`);
    await p.waitForText('[data-field=contact]', '139****2222');
    assert.ok(await page.locator('[data-action=mark_spam]').count(), 'the center may mark it as spam');
    assert.equal((await page.locator('[data-action=mark_spam]').first().textContent()).trim(), '标记为无效信息');
    // Leave the staff page before the staff cookie goes: its live stream would otherwise reload
    // the matter without a session when the township acts on it next.
    await page.goto('about:blank');
    await browser.context.clearCookies();
    p.assertNoErrors();
  });

  test('the township and the department take it to closed and answer the resident', async () => {
    await act('township', 'accept');
    await act('township', 'dispatch', { departments: [{ org: c.handler.login.org.id }] });
    await act('handler', 'sign');
    await act('handler', 'submit', { result: RESULT });
    await act('township', 'verify');
    await act('township', 'close');
    await act('township', 'feedback', { message: ANSWER });
    assert.equal(matter.state, 'closed');
  });

  test('the tracking page shows the result and the answer; the resident rates once', async () => {
    await page.goto(`${server.url}/public/track/${code}`);
    assert.equal((await page.locator('#state').textContent()).trim(), '已结案');
    const steps = await page.locator('#steps').textContent();
    for (const s of ['已受理，正在安排办理', '已转交相关部门办理', '已办理完毕，等待核查', '已办结', ANSWER]) assert.ok(steps.includes(s), s);
    assert.match(await page.locator('.facts').textContent(), new RegExp(RESULT));
    assert.doesNotMatch(await page.content(), new RegExp(c.handler.login.user.display_name), 'no staff names');
    await p.screenshot('resident-track-closed');

    // A second tab still showing the rating form.
    const second = await browser.newPage();
    second.allow('/favicon.ico');
    await second.page.goto(`${server.url}/public/track/${code}`);

    await page.locator('input[name=rating][value="1"]').check();
    await page.locator('#comment').fill('处理很及时');
    await Promise.all([page.waitForURL(`${server.url}/public/track/${code}/rate`), page.locator('form.rate button[type=submit]').click()]);
    assert.match(await page.locator('.notice').first().textContent(), /感谢您的评价/);
    assert.match(await page.locator('.facts').textContent(), /您的评价满意/);
    assert.equal(await page.locator('form.rate').count(), 0, 'rated: no form any more');

    second.allow(`/public/track/${code}/rate`);
    await second.page.locator('input[name=rating][value="3"]').check();
    await Promise.all([second.page.waitForURL(`${server.url}/public/track/${code}/rate`), second.page.locator('form.rate button[type=submit]').click()]);
    assert.equal(await second.page.locator('h1').textContent(), '已经评价过');
    assert.match(await second.page.locator('.message').textContent(), /只能评价一次/);
    await second.page.close();
    assert.equal((await c.township.get(`/api/v1/matters/${matter.id}`)).body.state, 'rated');
    p.assertNoErrors();
  });

  test('a report the center marks as spam reads 不予受理 to the resident', async () => {
    await page.goto(reportUrl);
    await page.locator('#item').selectOption('CG-003');
    await page.locator('#title').fill('广告（无效信息测试）');
    await page.locator('#description').fill('加微信领红包');
    await page.locator('#contact').fill('00000000');
    await Promise.all([page.waitForURL(reportUrl), page.locator('button[type=submit]').click()]);
    const spamCode = (await page.locator('#tracking-code').textContent()).replaceAll('-', '');
    const list = (await c.township.get('/api/v1/matters?state=reported&limit=20')).body.items;
    const m = list.find((x) => x.title === '广告（无效信息测试）');
    const r = await c.township.post(`/api/v1/matters/${m.id}/actions`, { action: 'mark_spam', version: m.version, reason: '与网格事项无关的广告' });
    assert.equal(r.status, 200, r.text);
    await page.goto(`${server.url}/public/track/${spamCode}`);
    assert.match(await page.locator('#steps').textContent(), /经核实，不予受理/);
    p.assertNoErrors();
  });
});
