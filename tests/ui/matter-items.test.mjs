// 事项清单 and 工作日历 in a real browser against `wangge serve` on the test-scale demo database
// (with its published matter list). The county operator proposes an item; the leader approves
// and publishes it, approves CG-001's pending revision and compares the two versions side by
// side; the calendar page shows the 2026 Spring Festival, warns about the missing next year,
// computes a due date, and the leader loads the next year from CSV, which clears the warning.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../lib/server.mjs';
import { loginAs, startDemoServer } from '../lib/auth.mjs';
import { launchBrowser } from '../lib/browser.mjs';

const isPath = (p, method = 'GET') => (res) => new URL(res.url()).pathname === p && res.request().method() === method;

describe('事项清单 and 工作日历', () => {
  let server, browser, clients;
  before(async () => {
    assert.ok(existsSync(path.join(repoRoot, 'web/vendor/vue.js')), 'web/vendor is missing: run scripts/web-vendor');
    server = await startDemoServer();
    clients = {
      operator: await loginAs(server, 'center_operator'),
      leader: await loginAs(server, 'center_leader'),
      worker: await loginAs(server, 'grid_worker'),
    };
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    if (server) assert.equal(await server.stop(), 0, 'wangge serve should exit cleanly');
  });

  // A page of the browser logged in as role (the session of the API client).
  async function pageAs(role) {
    const c = clients[role];
    await browser.context.clearCookies();
    await browser.context.addCookies([
      { name: 'wg_session', value: c.cookie, url: server.url },
      { name: 'wg_csrf', value: c.csrf, url: server.url },
    ]);
    return browser.newPage();
  }

  async function openList(p) {
    const [res] = await Promise.all([p.page.waitForResponse(isPath('/api/v1/matter-items')), p.page.goto(`${server.url}/#/matter-items`)]);
    return res.json();
  }

  async function openRow(p, code) {
    await p.page.locator('input[name=q]').fill(code);
    await Promise.all([p.page.waitForResponse(isPath('/api/v1/matter-items')), p.page.locator('input[name=q]').press('Enter')]);
    await p.page.locator('.mi-table tbody tr', { hasText: code }).first().click();
    await p.page.locator('.mi-drawer [data-field=state]').waitFor();
  }

  test('the operator proposes an item; the leader approves and publishes it', async () => {
    let p = await pageAs('operator');
    const list = await openList(p);
    assert.ok(list.items.length > 0);
    await p.page.locator('.mi-table tbody tr', { hasText: '占道经营' }).first().waitFor();
    await p.page.getByRole('button', { name: '提出新事项' }).click();
    const dlg = p.page.locator('.el-dialog', { hasText: '提出新事项' });
    await dlg.locator('input[name=code]').fill('UI-001');
    await dlg.locator('input[name=name]').fill('界面测试事项');
    await dlg.locator('.el-select', { has: p.page.locator('input[name=departments]') }).click();
    await p.page.locator('.el-select-dropdown__item', { hasText: '东昌府区公安分局' }).click();
    await p.page.keyboard.press('Escape');
    const [res] = await Promise.all([
      p.page.waitForResponse(isPath('/api/v1/matter-items', 'POST')),
      dlg.getByRole('button', { name: '提交审核' }).click(),
    ]);
    assert.equal(res.status(), 201, await res.text());
    const created = await res.json();
    await p.page.locator('.el-message', { hasText: '事项已提出' }).waitFor();
    console.log(`screenshot: ${await p.screenshot('matter-items-list')}`);
    p.assertNoErrors();
    await p.page.close();

    p = await pageAs('leader');
    await openList(p);
    await openRow(p, 'UI-001');
    await p.waitForText('.mi-drawer [data-field=state]', '草案');
    await Promise.all([p.page.waitForResponse(isPath(`/api/v1/matter-items/${created.id}/approve`, 'POST')),
      p.page.getByRole('button', { name: '审核通过' }).click()]);
    await p.page.getByRole('button', { name: '发布' }).click();
    await p.waitForText('.mi-drawer [data-field=state]', '现行有效');
    p.assertNoErrors();
    await p.page.close();
  });

  test('the leader approves CG-001\'s revision and compares the versions side by side', async () => {
    const p = await pageAs('leader');
    await openList(p);
    await openRow(p, 'CG-001');
    await p.page.locator('.mi-pending-card', { hasText: '第 2 版' }).waitFor();
    await p.page.getByRole('button', { name: '审核通过' }).click();
    await p.page.locator('.mi-pending-card', { hasText: '已审核待发布' }).waitFor();
    const boxes = p.page.locator('.mi-versions .el-checkbox');
    await boxes.nth(0).click();
    await boxes.nth(1).click();
    await Promise.all([p.page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/diff')),
      p.page.getByRole('button', { name: '比较所选两个版本' }).click()]);
    const row = p.page.locator('.diff-table tr[data-field="limits.handle"]');
    await row.waitFor();
    assert.equal((await row.locator('.diff-old').textContent()).trim(), '3 工作日');
    assert.equal((await row.locator('.diff-new').textContent()).trim(), '2 工作日');
    console.log(`screenshot: ${await p.screenshot('matter-items-diff')}`);
    p.assertNoErrors();
    await p.page.close();
  });

  test('the calendar page: 2026, the missing-year warning, the calculator, loading a year', async () => {
    let p = await pageAs('worker');
    await Promise.all([p.page.waitForResponse(isPath('/api/v1/calendar/years')), p.page.goto(`${server.url}/#/calendar`)]);
    const years = (await clients.worker.get('/api/v1/calendar/years')).body;
    const next = years.current_year + 1;
    if (years.current_year !== 2026) {
      await p.page.locator('.cal-year').click();
      await p.page.locator('.el-select-dropdown__item', { hasText: '2026 年' }).click();
    }
    await p.page.locator('td[data-date="2026-02-14"].cal-workday').waitFor();
    assert.equal(await p.page.locator('td[data-date="2026-02-16"]').getAttribute('class'), 'cal-holiday');
    assert.equal(await p.page.locator('td[data-date="2026-02-21"]').getAttribute('class'), 'cal-holiday');
    assert.equal(await p.page.locator('td[data-date="2026-03-07"]').getAttribute('class'), 'cal-weekend');
    assert.match(await p.page.locator('.cal-missing').textContent(), new RegExp(`${next}`));
    // No write controls for a grid worker.
    assert.equal(await p.page.getByRole('button', { name: /载入/ }).count(), 0);
    // The calculator: 5 working days from 2026-02-12 -> 2026-02-26.
    const from = p.page.locator('input[name=from]');
    await from.fill('2026-02-12');
    await from.press('Enter');
    await p.page.getByRole('button', { name: '计算' }).click();
    await p.waitForText('[data-field=due]', '2026-02-26');
    assert.match(await p.page.locator('.calc-result').textContent(), /春节调休上班/);
    console.log(`screenshot: ${await p.screenshot('calendar')}`);
    p.assertNoErrors();
    await p.page.close();

    // The leader loads next year; the warning goes.
    p = await pageAs('leader');
    await Promise.all([p.page.waitForResponse(isPath('/api/v1/calendar/years')), p.page.goto(`${server.url}/#/calendar`)]);
    await p.page.locator('.cal-missing').waitFor();
    await p.page.locator('.cal-year').click();
    await p.page.locator('.el-select-dropdown__item', { hasText: `${next} 年` }).click();
    await p.page.locator('[data-field=not-loaded]').waitFor();
    await p.page.getByRole('button', { name: `载入 ${next} 年` }).click();
    const dlg = p.page.locator('.el-dialog', { hasText: `载入 ${next} 年工作日历` });
    await dlg.locator('textarea[name=csv]').fill(`date,kind,name\n${next}-01-01,holiday,元旦\n`);
    await dlg.locator('input[name=source]').fill('界面测试');
    await Promise.all([p.page.waitForResponse(isPath(`/api/v1/calendar/${next}`, 'PUT')), dlg.getByRole('button', { name: '载入' }).click()]);
    await p.page.locator(`td[data-date="${next}-01-01"].cal-holiday`).waitFor();
    await p.page.locator('.cal-missing').waitFor({ state: 'detached' });
    p.assertNoErrors();
    await p.page.close();
  });
});
