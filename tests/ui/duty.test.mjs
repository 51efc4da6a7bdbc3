// 登记履职 on a phone: the demo grid worker, in a phone-sized browser, records a duty with a
// photo from a fixture file (the file input the camera fills on a real phone), sees it at the top
// of 我的最近记录 with its thumbnail loaded, and is refused, with the server's message citing
// Art. 13, nothing: the page offers no prohibited act at all. Then the center operator finds the
// record in 履职记录 with its thumbnail.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loginAs, makeDemoDb, startDemoServer } from '../lib/auth.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { repoRoot } from '../lib/server.mjs';

const PHOTO = path.join(repoRoot, 'tests/ui/fixtures/duty-photo.png');
let server, worker, browser;

before(async () => {
  const db = await makeDemoDb();
  server = await startDemoServer({ db });
  worker = await loginAs(server, 'grid_worker');
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.stop(), 0, 'wangge serve should exit cleanly');
});

async function browserAs(client, viewport) {
  browser = await launchBrowser({ viewport });
  await browser.context.addCookies([
    { name: 'wg_session', value: client.cookie, url: server.url },
    { name: 'wg_csrf', value: client.csrf, url: server.url },
  ]);
  return browser.newPage();
}

describe('登记履职', () => {
  test('a grid worker records a duty with a photo on a phone and sees it in the list', async () => {
    const p = await browserAs(worker, { width: 390, height: 844 });
    const { page } = p;
    const grid = worker.login.grids[0];
    await page.goto(`${server.url}/#/duty`);
    await p.waitForText('.duty-form-card .page-title', '登记履职');
    // The acts offered: none of the prohibited ones.
    const acts = (await page.locator('.act-group .el-radio-button').allTextContents()).map((s) => s.trim());
    assert.ok(acts.includes('走访'), `${acts}`);
    assert.ok(!acts.some((a) => /行政/.test(a)), `${acts}`);

    await page.locator('[data-field=duty]').click();
    await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '重点人群走访' }).click();
    await page.locator('[data-field=grid]').click();
    await page.locator('.el-select-dropdown__item:visible').filter({ hasText: grid.code }).click();
    await page.locator('input[data-field=photos]').setInputFiles(PHOTO);
    await page.locator('.photo-thumb img').waitFor();
    assert.equal(await page.locator('input[data-field=photos]').getAttribute('capture'), 'environment');
    await page.locator('textarea[data-field=note]').fill('入户走访，情况稳定');
    const [res] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/duty-records' && r.request().method() === 'POST'),
      page.locator('[data-action=submit]').click(),
    ]);
    assert.equal(res.status(), 201);
    const rec = await res.json();
    assert.equal(rec.photos.length, 1);
    const item = page.locator(`.duty-item[data-id="${rec.id}"]`);
    await item.waitFor();
    assert.match(await item.locator('.duty-title').textContent(), /重点人群走访/);
    assert.match(await item.locator('.duty-note').textContent(), /入户走访/);
    const thumb = item.locator('img.duty-thumb');
    await page.waitForFunction((id) => {
      const img = document.querySelector(`.duty-item[data-id="${id}"] img.duty-thumb`);
      return img && img.complete && img.naturalWidth === 64;
    }, rec.id);
    assert.match(await thumb.getAttribute('src'), new RegExp(`/api/v1/duty-records/${rec.id}/photos/[0-9a-f]{64}$`));
    // The form is ready for the next record: no photo left.
    assert.equal(await page.locator('.photo-thumb').count(), 0);
    await p.screenshot('duty-phone');
    p.assertNoErrors();
    await browser.close();
    browser = null;
  });

  test('the center operator sees the record in 履职记录 with its thumbnail', async () => {
    const op = await loginAs(server, 'center_operator');
    const p = await browserAs(op, { width: 1280, height: 800 });
    const { page } = p;
    await page.goto(`${server.url}/#/duty-records`);
    await p.waitForText('.page-title', '履职记录');
    const row = page.locator('.duty-table .el-table__body-wrapper .el-table__row').first();
    await row.waitFor();
    assert.match(await row.textContent(), /重点人群走访/);
    await page.waitForFunction(() => {
      const img = document.querySelector('.duty-table img.duty-thumb');
      return img && img.complete && img.naturalWidth > 0;
    });
    const menu = (await page.locator('.app-aside .nav-menu .el-menu-item').allTextContents()).map((s) => s.trim());
    assert.ok(menu.includes('履职记录') && !menu.includes('登记履职'), `${menu}`);
    p.assertNoErrors();
  });
});
