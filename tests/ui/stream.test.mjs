// Live updates in the browser (issue 11, "What it must show"): browsers logged in at two levels
// — the township center and the county center above it — and a third as a department the
// matter is not handed to, each on the queue (#/matters). A matter the grid worker reports shows
// up in the township's and the county's queues through the stream within a second, without a
// reload, and not in the department's; the township accepts it in its browser (bulk accept) and
// the county's queue shows the new state within a second. A browser away from the queue counts
// the changes in the header's badge, which clears when the queue is opened.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../lib/server.mjs';
import { loginAs, startDemoServer } from '../lib/auth.mjs';
import { ensureCalendar } from '../lib/calendar.mjs';
import { launchBrowser } from '../lib/browser.mjs';

const TITLE = '实时更新：路灯不亮（界面测试）';
const isPath = (p, method = 'GET') => (res) => new URL(res.url()).pathname === p && res.request().method() === method;

describe('live updates: a change made in one browser appears in the queues whose scope includes it', () => {
  let server, clients, grid;
  const browsers = {};

  // A browser of its own for client (its cookies), on hash, with the stream open.
  async function browserFor(name, hash) {
    const b = await launchBrowser();
    const p = await b.newPage();
    await b.context.addCookies([
      { name: 'wg_session', value: clients[name].cookie, url: server.url },
      { name: 'wg_csrf', value: clients[name].csrf, url: server.url },
    ]);
    const streamOpen = p.page.waitForResponse(isPath('/api/v1/stream'));
    const listed = p.page.waitForResponse(isPath('/api/v1/matters'));
    await p.page.goto(`${server.url}/${hash}`);
    assert.equal((await streamOpen).status(), 200);
    if (hash === '#/matters') await listed;
    browsers[name] = { ...b, ...p };
    return browsers[name];
  }
  const row = (b, text) => b.page.locator('.matters-table .el-table__body-wrapper tbody tr', { hasText: text });

  before(async () => {
    assert.ok(existsSync(path.join(repoRoot, 'web/vendor/vue.js')), 'web/vendor is missing: run scripts/web-vendor');
    server = await startDemoServer({ args: ['--enable-internal'] });
    await ensureCalendar(server);
    const names = ['worker', 'township', 'operator', 'handler2', 'leader'];
    const list = await Promise.all(names.map((n) => loginAs(server, n)));
    clients = Object.fromEntries(names.map((n, i) => [n, list[i]]));
    [grid] = (await clients.worker.get('/api/v1/grids?limit=10')).body.items;
    await browserFor('township', '#/matters');
    await browserFor('operator', '#/matters');
    await browserFor('handler2', '#/matters');
  });
  after(async () => {
    for (const b of Object.values(browsers)) await b.close();
    if (server) assert.equal(await server.stop(), 0);
  });

  test('a report appears in the township and county queues within a second, not the department\'s', async () => {
    const t0 = Date.now();
    const r = await clients.worker.post('/api/v1/matters', {
      item: 'CG-001', title: TITLE, description: '夜间路灯不亮，行人看不清路。', grid: grid.code,
    });
    assert.equal(r.status, 201, r.text);
    await Promise.all([
      row(browsers.township, TITLE).waitFor({ timeout: 1000 }),
      row(browsers.operator, TITLE).waitFor({ timeout: 1000 }),
    ]);
    const took = Date.now() - t0;
    assert.ok(took < 1000, `took ${took} ms`);
    console.log(`a report reached two queues in ${took} ms`);
    // The department's queue was not told (give a misrouted event time to arrive).
    await browsers.handler2.page.waitForTimeout(500);
    assert.equal(await row(browsers.handler2, TITLE).count(), 0);
    for (const b of Object.values(browsers)) b.assertNoErrors();
  });

  test('the township accepts it in its browser; the county\'s queue shows it accepted within a second', async () => {
    const t = browsers.township;
    await row(t, TITLE).locator('.el-checkbox').first().click();
    const [res] = await Promise.all([
      t.page.waitForResponse((x) => /\/api\/v1\/matters\/\d+\/actions$/.test(new URL(x.url()).pathname)),
      t.page.locator('[data-action=bulk-accept]').click(),
    ]);
    assert.equal(res.status(), 200, await res.text());
    const t0 = Date.now();
    await row(browsers.operator, TITLE).filter({ hasText: '已受理' }).waitFor({ timeout: 1000 });
    console.log(`the acceptance reached the county's queue in ${Date.now() - t0} ms`);
    assert.equal(await row(browsers.handler2, TITLE).count(), 0);
    for (const b of Object.values(browsers)) b.assertNoErrors();
  });

  test('away from the queue, the header counts the changes; opening the queue clears it', async () => {
    const b = await browserFor('leader', '#/calendar');
    const badge = b.page.locator('[data-action=live-changes]');
    assert.equal(await badge.count(), 0);
    const r = await clients.worker.post('/api/v1/matters', {
      item: 'CG-001', title: `${TITLE}（二）`, description: '又一处路灯不亮。', grid: grid.code,
    });
    assert.equal(r.status, 201, r.text);
    await badge.waitFor({ timeout: 1000 });
    assert.equal((await b.page.locator('.live-badge .el-badge__content').textContent()).trim(), '1');
    await badge.click();
    await row(b, `${TITLE}（二）`).waitFor();
    assert.equal(await badge.count(), 0);
    b.assertNoErrors();
  });
});
