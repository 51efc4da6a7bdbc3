// 审计日志: the auditor searches the audit trail, pages through it by cursor (上一页 / 下一页) and
// exports it, in a real browser against `wangge serve` on a demo database.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { accountFor, freshTotp, login as apiLogin, loginAs, makeDemoDb, startDemoServer } from '../lib/auth.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { formatDateTime } from '../../web/app/format.js';

let server, browser, p;

before(async () => {
  const db = await makeDemoDb();
  server = await startDemoServer({ db });
  // Some history: the operator logs in once and fails once.
  const op = accountFor(db, 'center_operator');
  assert.equal((await apiLogin(server, op.username, 'Wrong-password-99')).status, 401);
  await loginAs(server, 'center_operator');

  browser = await launchBrowser();
  p = await browser.newPage();
  p.allow('/api/v1/session');
  const a = accountFor(db, 'auditor');
  await p.page.goto(server.url + '/#/audit');
  await p.page.locator('input[name=username]').fill(a.username);
  await p.page.locator('input[name=password]').fill(a.password);
  await p.page.locator('.login-submit').click();
  await p.page.locator('input[name=code]').fill(await freshTotp(a.totp_secret));
  await p.page.locator('.login-submit').click();
  await p.waitForText('.page-title', '审计日志');
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.stop(), 0, 'wangge serve should exit cleanly on SIGTERM');
});

const rows = () => p.page.locator('.audit-table .el-table__body-wrapper .el-table__row');

describe('审计日志', () => {
  test('the auditor\'s menu holds only the audit log', async () => {
    const menu = (await p.page.locator('.app-aside .nav-menu .el-menu-item, .app-aside .nav-menu .el-sub-menu__title')
      .allTextContents()).map((s) => s.trim());
    assert.ok(menu.includes('审计日志'));
    assert.ok(!menu.includes('安全管理') && !menu.includes('角色'), `${menu}`);
  });

  test('search by user and action shows the login events, newest first, in China time', async () => {
    const { page } = p;
    await rows().first().waitFor();
    await page.locator('input[name=user]').fill('operator');
    await page.locator('.action-select').click();
    await page.locator('.el-select-dropdown__item:visible').filter({ hasText: /^登录session\.login$/ }).click();
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/audit?') && r.url().includes('user=operator')),
      page.getByRole('button', { name: '查询' }).click(),
    ]);
    const body = await res.json();
    assert.equal(body.items.length, 2);
    assert.equal(body.next_cursor, null, 'one page: no next cursor');
    assert.equal(body.total, undefined, 'no count');
    assert.equal(new URL(res.url()).searchParams.get('offset'), null, 'no offset');
    assert.equal(await page.locator('.cursor-pager').count(), 0, 'no pager for a single page');
    assert.ok(new URL(res.url()).searchParams.get('action') === 'session.login');
    await page.waitForFunction(() => document.querySelectorAll('.audit-table .el-table__body-wrapper .el-table__row').length === 2);
    const texts = await rows().allTextContents();
    assert.match(texts[0], /operator.*登录.*成功/);
    assert.match(texts[1], /operator.*登录.*失败/);
    assert.ok(texts[0].includes(formatDateTime(body.items[0].at)), 'time in Asia/Shanghai');
    assert.ok(texts[0].includes('127.0.0.1'), 'source address');
    // The organisation by name (org_name), and the details in Chinese.
    assert.ok(texts[0].includes(accountFor(server.db, 'center_operator').organisation), texts[0]);
    assert.ok(texts[1].includes('密码错误') && !texts[1].includes('wrong password'), texts[1]);
    console.log(`screenshot: ${await p.screenshot('audit-search')}`);

    // Outcome filter.
    await page.locator('.outcome-select').click();
    await page.locator('.el-select-dropdown__item:visible').filter({ hasText: /^失败$/ }).click();
    await page.getByRole('button', { name: '查询' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.audit-table .el-table__body-wrapper .el-table__row').length === 1);
    assert.match(await rows().first().textContent(), /失败/);
    p.assertNoErrors();
  });

  test('a date range before the demo finds nothing; 重置 shows everything again', async () => {
    const { page } = p;
    await page.getByRole('button', { name: '重置' }).click();
    await page.locator('.range-picker input').first().fill('2020-01-01');
    await page.locator('.range-picker input').nth(1).fill('2020-01-31');
    await page.keyboard.press('Enter');
    await page.locator('input[name=user]').click(); // close the picker
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/audit?') && r.url().includes('from=2020-01-01')),
      page.getByRole('button', { name: '查询' }).click(),
    ]);
    const q = new URL(res.url()).searchParams;
    assert.equal(q.get('to'), '2020-02-01', 'the end day is included');
    await page.getByText('没有符合条件的审计记录').waitFor();
    await page.getByRole('button', { name: '重置' }).click();
    await rows().first().waitFor();
    p.assertNoErrors();
  });

  test('导出 CSV downloads the search through the export route, and the export is itself recorded', async () => {
    const { page } = p;
    await page.locator('input[name=user]').fill('operator');
    await page.getByRole('button', { name: '查询' }).click();
    const href = await page.locator('.export-button').getAttribute('href');
    assert.match(href, /\/api\/v1\/audit\/export\?user=operator$/);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('.export-button').click(),
    ]);
    assert.match(download.suggestedFilename(), /^audit-.*\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.ok(csv.includes('session.login'), csv.slice(0, 300));
    assert.ok(!csv.includes('auditor'), 'only the searched user');

    await page.locator('input[name=user]').fill('auditor');
    await page.getByRole('button', { name: '查询' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('.audit-table .el-table__row')]
      .some((tr) => tr.textContent.includes('导出审计日志')));
    p.assertNoErrors();
  });

  test('上一页 / 下一页 page through a search by cursor, newest first', async () => {
    const { page } = p;
    // 60 refusals of the grid worker (no audit.read), on top of its login: two pages of 50.
    const worker = accountFor(server.db, 'grid_worker');
    const w = await loginAs(server, 'grid_worker');
    for (let i = 0; i < 60; i++) assert.equal((await w.get('/api/v1/audit')).status, 403);
    const isList = (r) => r.url().includes('/api/v1/audit?') && r.url().includes(`user=${worker.username}`);

    await page.getByRole('button', { name: '重置' }).click();
    await page.locator('input[name=user]').fill(worker.username);
    const [first] = await Promise.all([page.waitForResponse(isList), page.getByRole('button', { name: '查询' }).click()]);
    const one = await first.json();
    assert.equal(one.items.length, 50);
    assert.equal(typeof one.next_cursor, 'string');
    assert.equal(new URL(first.url()).searchParams.get('cursor'), null);
    await p.waitForText('.cursor-pager .pager-page', '第 1 页');
    assert.ok(await page.locator('.cursor-pager .pager-prev').isDisabled());
    await page.waitForFunction(() => document.querySelectorAll('.audit-table .el-table__body-wrapper .el-table__row').length === 50);
    const firstTexts = await rows().allTextContents();

    const [second] = await Promise.all([page.waitForResponse(isList), page.locator('.cursor-pager .pager-next').click()]);
    assert.equal(new URL(second.url()).searchParams.get('cursor'), one.next_cursor);
    const two = await second.json();
    assert.equal(two.items.length, 11, 'the other ten refusals and the login');
    assert.equal(two.next_cursor, null);
    const ids = [...one.items, ...two.items].map((x) => x.id);
    assert.equal(new Set(ids).size, 61, 'no record twice');
    assert.ok(ids.every((id, i) => i === 0 || id < ids[i - 1]), 'newest first across pages');
    await p.waitForText('.cursor-pager .pager-page', '第 2 页');
    await page.waitForFunction(() => document.querySelectorAll('.audit-table .el-table__body-wrapper .el-table__row').length === 11);
    assert.ok(await page.locator('.cursor-pager .pager-next').isDisabled());
    assert.match(await rows().last().textContent(), /登录.*成功/);
    console.log(`screenshot: ${await p.screenshot('audit-page2')}`);

    const [back] = await Promise.all([page.waitForResponse(isList), page.locator('.cursor-pager .pager-prev').click()]);
    assert.equal(new URL(back.url()).searchParams.get('cursor'), null);
    await p.waitForText('.cursor-pager .pager-page', '第 1 页');
    await page.waitForFunction(() => document.querySelectorAll('.audit-table .el-table__body-wrapper .el-table__row').length === 50);
    assert.deepEqual(await rows().allTextContents(), firstTexts);
    // A new search starts from the first page again.
    await page.locator('.cursor-pager .pager-next').click();
    await p.waitForText('.cursor-pager .pager-page', '第 2 页');
    await page.getByRole('button', { name: '查询' }).click();
    await p.waitForText('.cursor-pager .pager-page', '第 1 页');
    p.assertNoErrors();
  });

  test('on a phone-width screen the audit page fits', async () => {
    const { page } = p;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await p.waitForText('.page-title', '审计日志');
    await rows().first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    console.log(`screenshot: ${await p.screenshot('audit-phone')}`);
    await page.setViewportSize({ width: 1280, height: 800 });
    p.assertNoErrors();
  });
});
