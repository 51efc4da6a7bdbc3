// 指挥大屏 and the supervision dialogs in a real browser (issue 11), on a demo with 500 generated
// matters. The center leader (TOTP) opens the dashboard: the cards show the API's numbers, every
// chart draws a canvas (no console error, no CSP violation), the map shows clusters whose numbers
// add up to the open matters by grid, and an organisation whose name carries markup is shown as
// text in the ranking. Then the county operator supervises a township matter with a red card
// through the 督办 dialog, and the township center sees the 红牌督办 tag in its queue.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTempDir, repoRoot, runCli } from '../lib/server.mjs';
import { loginAs, startDemoServer, testEnv } from '../lib/auth.mjs';
import { launchBrowser } from '../lib/browser.mjs';

const TOWNSHIP_ORG = 5; // 古楼街道网格化服务管理中心 in the demo
const MARKUP_NAME = '古楼街道<img src=x data-xss=1><b>中心</b>';
const isPath = (p, method = 'GET') => (res) => new URL(res.url()).pathname === p && res.request().method() === method;

describe('指挥大屏 and 督办 in the browser', () => {
  let server, browser, p, page, leader, county, township, worker, sys;

  async function actAs(client) {
    await browser.context.clearCookies();
    await browser.context.addCookies([
      { name: 'wg_session', value: client.cookie, url: server.url },
      { name: 'wg_csrf', value: client.csrf, url: server.url },
    ]);
  }
  async function open(hash, pred) {
    await page.goto('about:blank');
    const [res] = await Promise.all([page.waitForResponse(pred), page.goto(`${server.url}/${hash}`)]);
    assert.ok(res.ok(), `${res.url()}: ${res.status()}`);
    return res.json();
  }
  const cspViolations = () => page.evaluate(() => window.__cspViolations || []);

  before(async () => {
    assert.ok(existsSync(path.join(repoRoot, 'web/vendor/echarts.js')), 'web/vendor is missing: run scripts/web-vendor');
    const db = path.join(makeTempDir('wangge-dashui-'), 'wangge.db');
    const made = await runCli(['demo', '--db', db, '--matters', '500'], { env: testEnv });
    assert.equal(made.code, 0, made.stderr);
    server = await startDemoServer({ db });
    [leader, county, township, worker, sys] = await Promise.all(
      ['leader', 'operator', 'township', 'worker', 'sysadmin'].map((n) => loginAs(server, n)));
    const r = await sys.patch(`/api/v1/orgs/${TOWNSHIP_ORG}`, { name: MARKUP_NAME });
    assert.equal(r.status, 200, r.text);
    // Tall enough for the whole dashboard in one screenshot (the app scrolls inside its frame).
    browser = await launchBrowser({ viewport: { width: 1400, height: 1900 } });
    p = await browser.newPage();
    page = p.page;
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
  });
  after(async () => {
    await browser?.close();
    if (server) assert.equal(await server.stop(), 0);
  });

  test('the leader opens the dashboard: cards, charts, ranking, clustered map', async () => {
    await actAs(leader);
    const d = await open('#/dashboard', isPath('/api/v1/matters/dashboard'));
    assert.equal(d.region, leader.login.org.region_code);
    assert.equal(await page.locator('.app-aside .nav-menu .el-menu-item', { hasText: '指挥大屏' }).count(), 1, 'the menu entry');
    const today = Object.values(d.reported_today.by_source).reduce((s, n) => s + n, 0);
    for (const [card, want] of [['open', d.counts.open], ['yellow', d.counts.yellow], ['red', d.counts.red], ['today', today]]) {
      await p.waitForText(`[data-card=${card}] [data-field=value]`, want.toLocaleString('zh-CN'));
    }
    // Every chart with data has drawn a canvas.
    const charts = ['state', 'week', ...(d.organisations.some((o) => o.yellow || o.red) ? ['orgs'] : []), ...(today ? ['source', 'category'] : [])];
    for (const c of charts) await page.locator(`[data-chart=${c}] canvas`).first().waitFor();
    // The map: clusters whose numbers add up to the open matters of the grids.
    await page.locator('.dash-cluster').first().waitFor();
    const clusters = (await page.locator('.dash-cluster').allTextContents()).map(Number);
    assert.equal(clusters.reduce((s, n) => s + n, 0), d.open_by_grid.reduce((s, g) => s + g.open, 0));
    assert.ok(clusters.length <= d.open_by_grid.length);
    // The ranking: by on-time rate, the markup name as text.
    const ranked = d.organisations.filter((o) => o.closed > 0);
    await page.locator('.dash-ranking tbody tr').nth(ranked.length - 1).waitFor();
    const rates = (await page.locator('.dash-ranking [data-col=rate]').allTextContents()).map((t) => parseFloat(t));
    assert.deepEqual(rates, rates.slice().sort((a, b) => b - a), 'ranked by 按期结案率');
    const names = await page.locator('.dash-ranking [data-col=name]').allTextContents();
    assert.ok(names.includes(MARKUP_NAME), `the township center's name as text: ${names.join(' | ')}`);
    assert.equal(await page.locator('[data-xss]').count(), 0, 'no markup from data in the page');
    assert.deepEqual(await cspViolations(), []);
    await p.screenshot('dashboard-county');
    p.assertNoErrors();
  });

  test('the region picker shows a township; the numbers follow', async () => {
    await page.locator('[data-field=region]').click();
    const [res] = await Promise.all([
      page.waitForResponse((r) => isPath('/api/v1/matters/dashboard')(r) && new URL(r.url()).searchParams.get('region') === township.login.org.region_code),
      page.locator('.el-select-dropdown__item', { hasText: '古楼街道' }).first().click(),
    ]);
    const d = await res.json();
    await p.waitForText('[data-card=open] [data-field=value]', d.counts.open.toLocaleString('zh-CN'));
    await page.locator('[data-chart=state] canvas').first().waitFor();
    assert.deepEqual(await cspViolations(), []);
    await p.screenshot('dashboard-township');
    p.assertNoErrors();
  });

  test('the county operator gives a township matter a red card; the township sees 督办 in its queue', async () => {
    const grid = (await worker.get('/api/v1/grids?limit=1')).body.items[0];
    const made = await worker.post('/api/v1/matters', {
      item: 'CG-001', title: '占道堆放杂物（督办测试）', description: '楼道口堆放杂物。', grid: grid.code,
    });
    assert.equal(made.status, 201, made.text);
    const id = made.body.id;
    await actAs(county);
    const m = await open(`#/matters/${id}`, isPath(`/api/v1/matters/${id}`));
    assert.ok(m.actions.some((a) => a.action === 'supervise'), 'the county may supervise');
    await page.locator('[data-action=supervise]').first().click();
    const dialog = page.locator('.action-dialog[data-action=supervise]');
    await dialog.waitFor();
    await dialog.locator('[data-level=red]').click();
    // Submitting without a message is refused in the dialog.
    await dialog.locator('[data-action=submit-action]').click();
    await dialog.locator('[data-field=action-error]').waitFor();
    await dialog.locator('textarea[data-field=message], [data-field=message] textarea').fill('三日内办结并报告');
    const [res] = await Promise.all([
      page.waitForResponse(isPath(`/api/v1/matters/${id}/actions`, 'POST')),
      dialog.locator('[data-action=submit-action]').click(),
    ]);
    assert.equal(res.status(), 200, await res.text());
    assert.equal((await res.json()).supervision, 'red');
    await dialog.waitFor({ state: 'hidden' });
    await p.waitForText('[data-field=supervision]', '红牌督办');
    // 催办 too: the count shows on the page.
    await page.locator('[data-action=remind]').first().click();
    const remind = page.locator('.action-dialog[data-action=remind]');
    await remind.waitFor();
    await remind.locator('textarea[data-field=message], [data-field=message] textarea').fill('请加快办理');
    await Promise.all([
      page.waitForResponse(isPath(`/api/v1/matters/${id}/actions`, 'POST')),
      remind.locator('[data-action=submit-action]').click(),
    ]);
    await p.waitForText('[data-field=reminders]', '1');
    p.assertNoErrors();

    await actAs(township);
    await open('#/matters', isPath('/api/v1/matters'));
    const row = page.locator('.el-table__body-wrapper tbody tr', { hasText: '占道堆放杂物（督办测试）' });
    await row.waitFor();
    assert.equal((await row.locator('[data-col=supervision]').textContent()).trim(), '红牌督办');
    await p.screenshot('queue-supervision');
    p.assertNoErrors();
  });
});
