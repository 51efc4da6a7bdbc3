// 网格地图 in a real browser against `wangge serve` on the test-scale demo city, logged in as the
// county centre operator (东昌府区): grids drawn per region, the grid card, and 定位; and, as the
// city-wide system administrator, the real outlines of Liaocheng's eight county-level units
// (no map tiles: the outlines alone), saved as a screenshot in the test output directory.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../lib/server.mjs';
import { loginAs, makeDemoDb, startDemoServer } from '../lib/auth.mjs';
import { launchBrowser } from '../lib/browser.mjs';

const COUNTY = '371502000000';   // 东昌府区, the operator's scope
const TOWN = '371502001000';     // 古楼街道

let server, browser, op;

before(async () => {
  assert.ok(existsSync(path.join(repoRoot, 'web/vendor/leaflet/leaflet.js')), 'web/vendor is missing: run scripts/web-vendor');
  const db = await makeDemoDb();
  server = await startDemoServer({ db });
  op = await loginAs(server, 'center_operator');
  browser = await launchBrowser();
  // The browser shares the operator's session (what the login page would have set).
  await browser.context.addCookies([
    { name: 'wg_session', value: op.cookie, url: server.url },
    { name: 'wg_csrf', value: op.csrf, url: server.url },
  ]);
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.stop(), 0, 'wangge serve should exit cleanly');
});

const isGeojson = (code) => (res) => new URL(res.url()).pathname === `/api/v1/regions/${code}/grids.geojson`;

// Opens the map page and resolves to the FeatureCollection it drew first (the scope root's).
async function openMap(p, hash = '#/map') {
  const [res] = await Promise.all([
    p.page.waitForResponse(isGeojson(COUNTY)),
    p.page.goto(server.url + '/' + hash),
  ]);
  assert.equal(res.status(), 200);
  return res.json();
}

async function waitForShapes(page, n) {
  await page.waitForFunction((want) => document.querySelectorAll('.main-map path.grid-shape').length === want, n,
    { timeout: 5000 }).catch(async () => {
    const got = await page.locator('.main-map path.grid-shape').count();
    assert.fail(`expected ${n} grid shapes on the map, found ${got}`);
  });
}

// Resolves once the element has kept the same box on the screen for a few animation frames: the
// map pans and zooms to fit after drawing, and a click aimed at a shape while the map is still
// moving lands on whatever has moved under the pointer.
async function waitUntilStill(locator) {
  await locator.evaluate((el) => new Promise((resolve, reject) => {
    let last = '', same = 0, frames = 0;
    const tick = () => {
      const r = el.getBoundingClientRect();
      const box = `${r.x},${r.y},${r.width},${r.height}`;
      same = box === last ? same + 1 : 0;
      last = box;
      if (same >= 5) resolve();
      else if (++frames > 600) reject(new Error('the map kept moving'));
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }));
}

describe('网格地图', () => {
  test('draws the grids of the scope, then of a picked region; colours by kind; no external requests', async () => {
    const p = await browser.newPage();
    const outside = [];
    p.page.on('request', (req) => { if (!req.url().startsWith(server.url)) outside.push(req.url()); });
    const fc = await openMap(p);
    const { page } = p;
    assert.equal(fc.type, 'FeatureCollection');
    assert.ok(fc.features.length > 0);
    await waitForShapes(page, fc.features.length);
    await p.waitForText('[data-field=region-name]', '东昌府区');
    await p.waitForText('[data-field=grid-count]', String(fc.features.length));
    assert.equal(await page.title(), '网格地图 - 城乡网格化服务管理信息系统');
    assert.equal((await page.locator('.nav-menu .el-menu-item.is-active').textContent()).trim(), '网格地图');
    // Every feature is drawn once, with its kind's class; dedicated grids differ from comprehensive ones.
    const codes = await page.locator('.main-map path.grid-shape').evaluateAll((els) => els.map((e) => e.dataset.code).sort());
    assert.deepEqual(codes, fc.features.map((f) => f.properties.code).sort());
    const dedicated = fc.features.filter((f) => f.properties.kind === 'dedicated').length;
    assert.ok(dedicated > 0, 'the demo county has a dedicated grid');
    assert.equal(await page.locator('.main-map path.grid-dedicated').count(), dedicated);
    const fills = new Set(await page.locator('.main-map path.grid-shape').evaluateAll((els) => els.map((e) => e.getAttribute('stroke'))));
    assert.equal(fills.size, 2, 'two outline colours, one per kind');
    // The region tree starts at the scope root, expanded.
    const tree = page.locator('.region-tree');
    await tree.locator('.el-tree-node__content', { hasText: '古楼街道' }).waitFor();
    console.log(`screenshot: ${await p.screenshot('map-county')}`);

    // Picking a township draws only its grids.
    const [res] = await Promise.all([
      page.waitForResponse(isGeojson(TOWN)),
      tree.locator('.el-tree-node__content', { hasText: '古楼街道' }).click(),
    ]);
    const town = await res.json();
    assert.ok(town.features.length > 0 && town.features.length < fc.features.length);
    await waitForShapes(page, town.features.length);
    await p.waitForText('[data-field=region-name]', '古楼街道');
    assert.equal(await page.locator('.main-map path.region-outline').count(), 1, 'the township boundary is outlined');
    assert.deepEqual(outside, [], 'no request leaves the server (no map tiles by default)');
    p.assertNoErrors();
    await page.close();
  });

  test('clicking a grid shows its card with the right code and figures', async () => {
    const p = await browser.newPage();
    const fc = await openMap(p);
    const { page } = p;
    await waitForShapes(page, fc.features.length);
    const f = fc.features.find((x) => x.properties.kind === 'dedicated');
    await waitUntilStill(page.locator(`.main-map path[data-code="${f.properties.code}"]`));
    const [res] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === `/api/v1/grids/${f.properties.code}`),
      page.locator(`.main-map path[data-code="${f.properties.code}"]`).click(),
    ]);
    const g = await res.json();
    const card = page.locator('.grid-card');
    await p.waitForText('.grid-card [data-field=code]', f.properties.code);
    await p.waitForText('.grid-card .grid-card-title', g.name);
    await p.waitForText('.grid-card [data-field=kind]', '专属网格');
    await p.waitForText('.grid-card [data-field=subtype]', g.subtype);
    await p.waitForText('.grid-card [data-field=community]', g.community.name);
    await p.waitForText('.grid-card [data-field=status]', '在用');
    await p.waitForText('.grid-card [data-field=residents]', g.residents.toLocaleString('zh-CN'));
    // The selected grid is drawn heavier.
    assert.equal(await page.locator(`.main-map path[data-code="${f.properties.code}"]`).getAttribute('stroke-width'), '3');
    console.log(`screenshot: ${await p.screenshot('map-card')}`);

    // 变更历史 leads to the grid's history on the admin page.
    await card.getByRole('button', { name: '变更历史' }).click();
    await p.waitForText('[data-field=history-code]', f.properties.code);
    assert.equal(new URL(page.url()).hash, `#/grids?history=${f.properties.code}`);
    p.assertNoErrors();
    await page.close();
  });

  test('定位: a click inside a grid finds it; outside every grid says so', async () => {
    const p = await browser.newPage();
    p.allow('/api/v1/grids/locate'); // the miss below is a 404 by design
    const fc = await openMap(p);
    const { page } = p;
    await waitForShapes(page, fc.features.length);
    await page.getByRole('button', { name: '定位' }).click();
    await p.waitForText('[data-field=locate-result]', '定位模式：请在地图上点击要查询的位置');

    const f = fc.features.find((x) => x.properties.kind === 'comprehensive');
    await waitUntilStill(page.locator(`.main-map path[data-code="${f.properties.code}"]`));
    const isLocate = (r) => new URL(r.url()).pathname === '/api/v1/grids/locate';
    const [res] = await Promise.all([
      page.waitForResponse(isLocate),
      page.locator(`.main-map path[data-code="${f.properties.code}"]`).click(),
    ]);
    assert.equal(res.status(), 200);
    const hit = await res.json();
    assert.equal(hit.code, f.properties.code, 'the server places the click in the grid clicked');
    // Same question, same answer, asked directly.
    const u = new URL(res.url());
    const direct = await op.get(`/api/v1/grids/locate${u.search}`);
    assert.equal(direct.body.code, hit.code);
    await p.waitForText('.grid-card [data-field=code]', hit.code);
    const text = await page.locator('[data-field=locate-result]').textContent();
    assert.ok(text.includes(hit.code) && text.includes(hit.name), text);
    assert.equal(await page.locator('.main-map path.locate-point').count(), 1);
    assert.equal(await page.locator(`.main-map path[data-code="${hit.code}"]`).getAttribute('stroke-width'), '3');
    console.log(`screenshot: ${await p.screenshot('map-locate')}`);

    // The map's left edge lies west of the county: no grid of the operator's there.
    const box = await page.locator('.main-map').boundingBox();
    const [miss] = await Promise.all([
      page.waitForResponse(isLocate),
      page.mouse.click(box.x + 12, box.y + box.height / 2),
    ]);
    assert.equal(miss.status(), 404);
    await p.waitForText('[data-field=locate-result]', '该位置不在任何网格内');
    assert.equal(await page.locator('.grid-card').count(), 0);
    // Leaving 定位 mode: a click on a grid opens its card again.
    await page.getByRole('button', { name: '退出定位' }).click();
    assert.equal(await page.locator('.locate-bar').count(), 0);
    await page.locator(`.main-map path[data-code="${f.properties.code}"]`).click();
    await p.waitForText('.grid-card [data-field=code]', f.properties.code);
    p.assertNoErrors();
    await page.close();
  });

  test('#/map?grid=CODE opens on that grid; the page fits a phone screen', async () => {
    const p = await browser.newPage();
    await p.page.setViewportSize({ width: 390, height: 844 });
    const code = '371502001001002';
    await p.page.goto(`${server.url}/#/map?grid=${code}`);
    await p.waitForText('.grid-card [data-field=code]', code);
    await p.waitForText('[data-field=region-name]', '古城社区居委会');
    const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    console.log(`screenshot: ${await p.screenshot('map-phone', { fullPage: true })}`);
    p.assertNoErrors();
    await p.page.close();
  });

  test('a grid worker sees only their own grids, and no change buttons on 网格管理', async () => {
    const worker = await loginAs(server, 'grid_worker');
    const mine = await worker.get('/api/v1/grids');
    assert.ok(mine.body.items.length > 0);
    assert.equal(mine.body.next_cursor, null);
    await browser.context.clearCookies();
    await browser.context.addCookies([
      { name: 'wg_session', value: worker.cookie, url: server.url },
      { name: 'wg_csrf', value: worker.csrf, url: server.url },
    ]);
    try {
      const p = await browser.newPage();
      const root = mine.body.items[0].community.code;
      const [res] = await Promise.all([
        p.page.waitForResponse(isGeojson(root)),
        p.page.goto(server.url + '/#/map'),
      ]);
      const fc = await res.json();
      assert.deepEqual(fc.features.map((f) => f.properties.code).sort(), mine.body.items.map((g) => g.code).sort());
      await waitForShapes(p.page, fc.features.length);
      // The menu offers no 网格检查 (no grid.check), and 网格管理 only reads.
      const menu = (await p.page.locator('.nav-menu .el-menu-item').allTextContents()).map((s) => s.trim());
      assert.ok(menu.includes('网格地图') && menu.includes('网格管理') && !menu.includes('网格检查'), menu.join(','));
      await p.page.goto(server.url + '/#/grids');
      await p.page.locator('.grids-table [data-action=history]').first().waitFor();
      assert.equal(await p.page.locator('[data-action=create]').count(), 0);
      assert.equal(await p.page.locator('.grids-table [data-action=edit]').count(), 0);
      assert.equal(await p.page.locator('.grids-table .el-table__body-wrapper tbody tr').count(), mine.body.items.length);
      p.assertNoErrors();
      await p.page.close();
    } finally {
      await browser.context.clearCookies();
      await browser.context.addCookies([
        { name: 'wg_session', value: op.cookie, url: server.url },
        { name: 'wg_csrf', value: op.csrf, url: server.url },
      ]);
    }
  });
});

describe('the demo city', () => {
  test('shows the real outlines of the eight county-level units, without map tiles', async () => {
    const admin = await loginAs(server, 'sysadmin'); // scope: 聊城市
    const counties = JSON.parse(readFileSync(path.join(repoRoot, 'data/liaocheng/counties.geojson'), 'utf8'))
      .features.map((f) => f.properties.code).sort();
    assert.equal(counties.length, 8);
    await browser.context.clearCookies();
    await browser.context.addCookies([
      { name: 'wg_session', value: admin.cookie, url: server.url },
      { name: 'wg_csrf', value: admin.csrf, url: server.url },
    ]);
    try {
      const p = await browser.newPage();
      const outside = [];
      p.page.on('request', (req) => { if (!req.url().startsWith(server.url)) outside.push(req.url()); });
      await p.page.setViewportSize({ width: 1280, height: 900 });
      await p.page.goto(server.url + '/#/map');
      const { page } = p;
      await p.waitForText('[data-field=region-name]', '聊城市');
      await page.waitForFunction(() => document.querySelectorAll('.main-map path.child-outline').length === 8,
        null, { timeout: 10000 });
      const drawn = await page.locator('.main-map path.child-outline').evaluateAll((els) => els.map((e) => {
        const r = e.getBoundingClientRect();
        return { code: e.dataset.code, w: r.width, h: r.height, d: e.getAttribute('d').length };
      }));
      assert.deepEqual(drawn.map((x) => x.code).sort(), counties, 'one outline per county-level unit');
      for (const x of drawn) {
        assert.ok(x.w > 40 && x.h > 40, `${x.code} is drawn large enough to see (${x.w}×${x.h})`);
        assert.ok(x.d > 200, `${x.code} is a real outline, not a box`);
      }
      assert.equal(await page.locator('.main-map path.region-outline').count(), 1, 'the city outline');
      assert.equal(await page.locator('.main-map img.leaflet-tile').count(), 0, 'no map tiles');
      assert.deepEqual(outside, [], 'no request leaves the server');
      await waitUntilStill(page.locator('.main-map path.region-outline'));
      const out = process.env.WANGGE_TEST_OUTPUT || path.join(repoRoot, 'build', 'test-output');
      mkdirSync(out, { recursive: true });
      const file = path.join(out, 'liaocheng-map.png');
      await page.locator('.map-main').screenshot({ path: file });
      assert.ok(statSync(file).size > 10000);
      console.log(`screenshot: ${file}`);
      p.assertNoErrors();
      await page.close();
    } finally {
      await browser.context.clearCookies();
      await browser.context.addCookies([
        { name: 'wg_session', value: op.cookie, url: server.url },
        { name: 'wg_csrf', value: op.csrf, url: server.url },
      ]);
    }
  });
});
