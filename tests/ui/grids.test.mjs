// 网格管理 and 网格检查 in a real browser against `wangge serve` on the test-scale demo city,
// logged in as the county centre operator (东昌府区, a county grid authority: Art. 7).
// 网格管理: table, filters, 新建 from an uploaded GeoJSON file (with the browser's own checks and
// the server's Chinese refusal of a bow-tie), 拆分, 合并, 注销 and 历史.
// 网格检查: an overlap and a gap planted through the API are listed and drawn.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTempDir, repoRoot } from '../lib/server.mjs';
import { loginAs, makeDemoDb, startDemoServer } from '../lib/auth.mjs';
import { launchBrowser } from '../lib/browser.mjs';

const COMMUNITY = '371502001001';  // 古城社区居委会
// Where the grids made here go: a 0.03° × 0.02° box around the middle of COMMUNITY (its outline
// is generated, so it is read from the server in setup()), on a 1e-4° grid.
let X0 = 0, Y0 = 0;
const at = (dx, dy) => [Math.round((X0 + dx) * 1e4) / 1e4, Math.round((Y0 + dy) * 1e4) / 1e4];

const rect = (x0, y0, x1, y1) => ({ type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] });
const area = (m2) => (m2 >= 1e6 ? `${(m2 / 1e6).toLocaleString('zh-CN', { maximumFractionDigits: 2 })} 平方千米`
  : `${Math.round(m2).toLocaleString('zh-CN')} 平方米`);

// A server on a fresh demo database, a browser sharing the operator's session, a temp folder.
async function setup() {
  assert.ok(existsSync(path.join(repoRoot, 'web/vendor/vue.js')), 'web/vendor is missing: run scripts/web-vendor');
  const db = await makeDemoDb();
  const server = await startDemoServer({ db });
  const op = await loginAs(server, 'center_operator');
  const ring = (await op.get(`/api/v1/regions/${COMMUNITY}`)).body.boundary.coordinates[0];
  X0 = ring.reduce((s, c) => s + c[0], 0) / ring.length - 0.015;
  Y0 = ring.reduce((s, c) => s + c[1], 0) / ring.length - 0.01;
  const browser = await launchBrowser();
  await browser.context.addCookies([
    { name: 'wg_session', value: op.cookie, url: server.url },
    { name: 'wg_csrf', value: op.csrf, url: server.url },
  ]);
  const dir = makeTempDir('wangge-gweb-');
  const file = (name, content) => {
    const f = path.join(dir, name);
    writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
    return f;
  };
  return {
    server, op, browser, file,
    async close() {
      await browser.close();
      assert.equal(await server.stop(), 0, 'wangge serve should exit cleanly');
    },
  };
}

const isPath = (p, method = 'GET') => (res) => new URL(res.url()).pathname === p && res.request().method() === method;

describe('网格管理', () => {
  let ctx;
  before(async () => { ctx = await setup(); });
  after(async () => { await ctx?.close(); });

  // Opens #/grids; resolves to the first list answer.
  async function openGrids(p, hash = '#/grids') {
    const [res] = await Promise.all([
      p.page.waitForResponse(isPath('/api/v1/grids')),
      p.page.goto(ctx.server.url + '/' + hash),
    ]);
    return res.json();
  }

  // Types a name into the filter and runs 查询; resolves to the list answer.
  async function searchName(p, q) {
    await p.page.locator('input[data-field=filter-q]').fill(q);
    const [res] = await Promise.all([
      p.page.waitForResponse(isPath('/api/v1/grids')),
      p.page.getByRole('button', { name: '查询' }).click(),
    ]);
    const body = await res.json();
    await p.page.waitForFunction((n) => document.querySelectorAll('.grids-table .el-table__body-wrapper tbody tr').length === n
      || (n === 0 && document.querySelector('.grids-table .el-table__empty-text')), body.items.length);
    return body;
  }

  const rowOf = (page, code) => page.locator('.grids-table .el-table__body-wrapper tbody tr', { has: page.locator(`[data-col=code]:text-is("${code}")`) });

  async function rowAction(page, code, action) {
    const row = rowOf(page, code);
    if (action === 'edit' || action === 'history') {
      await row.locator(`[data-action=${action}]`).click();
      return;
    }
    await row.locator('[data-action=more]').click();
    await page.locator(`.el-dropdown-menu__item[data-action=${action}]:visible`).click();
  }

  test('lists the grids of the scope with filters and keyset paging', async () => {
    // Enough grids for a second page of 20: twelve small ones in a community far east of the
    // demo grids (named without 测试, which the later tests search for).
    const comm = '371502001090';
    let r = await ctx.op.post('/api/v1/regions', { code: comm, name: '翻页社区', boundary: rect(118.0, 37.0, 118.12, 37.01) });
    assert.equal(r.status, 201, r.text);
    for (let i = 0; i < 12; i++) {
      r = await ctx.op.post('/api/v1/grids', { community: comm, name: `翻页网格${i + 1}`, boundary: rect(118.0 + 0.01 * i, 37.0, 118.01 + 0.01 * i, 37.01) });
      assert.equal(r.status, 201, r.text);
    }
    const all = (await ctx.op.get('/api/v1/grids?limit=200')).body.items.map((g) => g.code);
    assert.ok(all.length > 20 && all.length <= 40, `${all.length} grids`);

    const p = await ctx.browser.newPage();
    const list = await openGrids(p);
    const { page } = p;
    assert.equal(list.total, undefined);
    assert.deepEqual(list.items.map((g) => g.code), all.slice(0, 20));
    await page.locator('.grids-table .el-table__body-wrapper tbody tr').first().waitFor();
    const codes = async () => (await page.locator('.grids-table [data-col=code]').allTextContents()).map((x) => x.trim());
    assert.deepEqual(await codes(), all.slice(0, 20));
    await p.waitForText('[data-field=page-no]', '第 1 页');
    assert.ok(await page.locator('[data-action=prev-page]').isDisabled());
    const headers = (await page.locator('.grids-table .el-table__header-wrapper th').allTextContents()).map((s) => s.trim()).filter(Boolean);
    assert.deepEqual(headers, ['网格编码', '网格名称', '类型', '社区/村', '户数', '人口数', '状态', '操作']);
    console.log(`screenshot: ${await p.screenshot('grids-list')}`);

    // 下一页 follows the cursor; the last page has no 下一页; 上一页 comes back.
    const [next] = await Promise.all([
      page.waitForResponse(isPath('/api/v1/grids')),
      page.locator('[data-action=next-page]').click(),
    ]);
    assert.equal(new URL(next.url()).searchParams.get('cursor'), list.next_cursor);
    await p.waitForText('[data-field=page-no]', '第 2 页');
    await page.waitForFunction((n) => document.querySelectorAll('.grids-table [data-col=code]').length === n, all.length - 20);
    assert.deepEqual(await codes(), all.slice(20));
    assert.ok(await page.locator('[data-action=next-page]').isDisabled());
    await Promise.all([
      page.waitForResponse(isPath('/api/v1/grids')),
      page.locator('[data-action=prev-page]').click(),
    ]);
    await p.waitForText('[data-field=page-no]', '第 1 页');
    await page.waitForFunction((n) => document.querySelectorAll('.grids-table [data-col=code]').length === n, 20);
    assert.deepEqual(await codes(), all.slice(0, 20));

    const found = await searchName(p, '古城');
    assert.ok(found.items.length > 0);
    for (const g of found.items) assert.match(g.name, /古城/);
    const names = await page.locator('.grids-table .el-table__body-wrapper tbody tr td:nth-child(3)').allTextContents();
    assert.deepEqual(names.map((s) => s.trim()), found.items.map((g) => g.name));
    await p.waitForText('[data-field=page-no]', '第 1 页');
    p.assertNoErrors();
    await page.close();
  });

  let created; // the grid made by the next test

  test('新建网格: the browser catches the obvious, the server refuses a bow-tie in Chinese, a good file makes a grid', async () => {
    const p = await ctx.browser.newPage();
    p.allow(/\/api\/v1\/grids$/); // the bow-tie is answered 400 by design
    await openGrids(p);
    const { page } = p;
    const posts = [];
    page.on('request', (r) => { if (r.method() === 'POST') posts.push(r.url()); });
    const dialog = page.locator('.create-dialog');
    await page.locator('[data-action=create]').click();
    await dialog.waitFor();

    // Nothing filled in: three messages, no request.
    await dialog.getByRole('button', { name: '保存' }).click();
    const errors = dialog.locator('.el-form-item__error');
    await page.waitForFunction(() => document.querySelectorAll('.create-dialog .el-form-item__error').length >= 3);
    const texts = (await errors.allTextContents()).map((s) => s.trim());
    for (const want of ['请选择所属社区/村', '请输入网格名称', '请上传边界文件或粘贴 GeoJSON']) assert.ok(texts.includes(want), `${want} in ${texts}`);
    assert.deepEqual(posts, []);

    // A file that is not JSON is caught in the browser.
    await dialog.locator('input[type=file]').setInputFiles(ctx.file('broken.geojson', '{"type": "Polygon", "coordinates": [[[115.8'));
    await p.waitForText('.create-dialog [data-field=boundary-error]', '文件“broken.geojson”不是有效的 JSON，请检查格式');
    // So is a point.
    await dialog.locator('input[type=file]').setInputFiles(ctx.file('point.json', { type: 'Point', coordinates: [115.8, 36.7] }));
    await p.waitForText('.create-dialog [data-field=boundary-error]', '文件“point.json”必须是面（Polygon 或 MultiPolygon），而不是 Point');

    // Community (searched by name), name, and a self-intersecting bow-tie.
    await dialog.locator('.el-form-item', { hasText: '所属社区/村' }).locator('.el-select').click();
    await page.keyboard.type('古城');
    await page.locator('.el-select-dropdown__item:visible', { hasText: `古城社区居委会（${COMMUNITY}）` }).click();
    await dialog.locator('input[data-field=name]').fill('测试新建网格');
    const bowtie = { type: 'Polygon', coordinates: [[at(0, 0), at(0.03, 0.02), at(0.03, 0), at(0, 0.02), at(0, 0)]] };
    await dialog.locator('input[type=file]').setInputFiles(ctx.file('bowtie.geojson', { type: 'Feature', properties: {}, geometry: bowtie }));
    await dialog.locator('[data-field=boundary-ok]').waitFor();
    const [bad] = await Promise.all([
      page.waitForResponse(isPath('/api/v1/grids', 'POST')),
      dialog.getByRole('button', { name: '保存' }).click(),
    ]);
    assert.equal(bad.status(), 400);
    const err = (await bad.json()).error;
    assert.equal(err.code, 'bad_boundary');
    assert.match(err.message, /^边界无效：.*自相交/);
    await p.waitForText('.create-dialog [data-field=server-error] .el-alert__description', err.message);
    console.log(`screenshot: ${await p.screenshot('grids-create-error')}`);

    // A good rectangle, uploaded: the grid is made and shows in the table.
    const boundary = rect(...at(0, 0), ...at(0.03, 0.02));
    await dialog.locator('input[type=file]').setInputFiles(ctx.file('good.geojson', { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: boundary }] }));
    await p.waitForText('.create-dialog [data-field=boundary-ok]', '已读取“good.geojson”：单个面，5 个顶点 清除');
    await dialog.locator('.mini-map path').first().waitFor();
    console.log(`screenshot: ${await p.screenshot('grids-create')}`);
    const [ok] = await Promise.all([
      page.waitForResponse(isPath('/api/v1/grids', 'POST')),
      dialog.getByRole('button', { name: '保存' }).click(),
    ]);
    assert.equal(ok.status(), 201);
    created = await ok.json();
    assert.equal(created.name, '测试新建网格');
    assert.equal(created.community.code, COMMUNITY);
    assert.equal(created.code, `${COMMUNITY}003`, 'the lowest sequence never used');
    assert.deepEqual(created.boundary, boundary);
    await dialog.waitFor({ state: 'hidden' });
    await searchName(p, '测试新建');
    await rowOf(page, created.code).waitFor();
    p.clearErrors(); // the 400 above
    p.assertNoErrors();
    await page.close();
  });

  test('拆分, 合并 and 注销, with the history and lineage they leave', async () => {
    assert.ok(created, 'needs the grid made by the previous test');
    const p = await ctx.browser.newPage();
    await openGrids(p);
    const { page } = p;
    await searchName(p, '测试');

    // 拆分 into three strips, one file each.
    await rowAction(page, created.code, 'split');
    const split = page.locator('.split-dialog');
    await split.waitFor();
    await split.locator('[data-field=part-count] .el-input-number__increase').click();
    await split.locator('.split-part').nth(2).waitFor();
    const xs = [0, 0.01, 0.02, 0.03];
    for (let i = 0; i < 3; i++) {
      const part = split.locator(`.split-part[data-part="${i + 1}"]`);
      // A missing name is caught before anything is sent.
      if (i === 0) {
        await split.getByRole('button', { name: '确认拆分' }).click();
        await p.waitForText('.split-dialog [data-field=form-error]', '第 1 部分：请输入网格名称');
      }
      await part.locator('input[data-field=part-name]').fill(`测试拆分${i + 1}`);
      await part.locator('input[type=file]').setInputFiles(ctx.file(`part${i + 1}.geojson`, rect(...at(xs[i], 0), ...at(xs[i + 1], 0.02))));
      await part.locator('[data-field=boundary-ok]').waitFor();
    }
    await page.waitForFunction(() => document.querySelectorAll('.split-dialog .mini-map path').length === 4);
    console.log(`screenshot: ${await p.screenshot('grids-split')}`);
    const [res] = await Promise.all([
      page.waitForResponse(isPath(`/api/v1/grids/${created.code}/split`, 'POST')),
      split.getByRole('button', { name: '确认拆分' }).click(),
    ]);
    assert.equal(res.status(), 201);
    const out = await res.json();
    assert.deepEqual(out.retired, [created.code]);
    const parts = out.created;
    assert.deepEqual(parts.map((g) => g.name), ['测试拆分1', '测试拆分2', '测试拆分3']);
    await split.waitFor({ state: 'hidden' });
    const after = await searchName(p, '测试');
    assert.deepEqual(after.items.map((g) => g.code).sort(), parts.map((g) => g.code).sort(), 'the old grid left the active list');

    // 合并 the first two strips.
    for (const g of parts.slice(0, 2)) await rowOf(page, g.code).locator('.el-checkbox').click();
    await page.locator('[data-action=merge]').click();
    const merge = page.locator('.merge-dialog');
    await merge.waitFor();
    await merge.getByRole('button', { name: '确认合并' }).click();
    await p.waitForText('.merge-dialog [data-field=form-error]', '请输入合并后的网格名称');
    await merge.locator('input[data-field=merge-name]').fill('测试合并网格');
    const [mres] = await Promise.all([
      page.waitForResponse(isPath('/api/v1/grids/merge', 'POST')),
      merge.getByRole('button', { name: '确认合并' }).click(),
    ]);
    assert.equal(mres.status(), 201);
    const merged = (await mres.json()).created[0];
    assert.equal(merged.households, parts[0].households + parts[1].households);
    await merge.waitFor({ state: 'hidden' });
    await searchName(p, '测试');
    await rowOf(page, merged.code).waitFor();

    // 注销 the third: a reason is required.
    const last = parts[2];
    await rowAction(page, last.code, 'retire');
    const retire = page.locator('.retire-dialog');
    await retire.waitFor();
    await retire.getByRole('button', { name: '确认注销' }).click();
    await p.waitForText('.retire-dialog .el-form-item__error', '请填写注销原因');
    await retire.locator('textarea[data-field=retire-reason]').fill('测试：区域并入相邻网格');
    const [rres] = await Promise.all([
      page.waitForResponse(isPath(`/api/v1/grids/${last.code}/retire`, 'POST')),
      retire.getByRole('button', { name: '确认注销' }).click(),
    ]);
    assert.equal(rres.status(), 200);
    assert.equal((await rres.json()).status, 'retired');
    await retire.waitFor({ state: 'hidden' });
    const active = await searchName(p, '测试');
    assert.deepEqual(active.items.map((g) => g.code), [merged.code]);
    // Under 已注销: the old grid, the merged strips and the retired one.
    await page.locator('[data-field=filter-status]').click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: '已注销' }).click();
    const retired = await searchName(p, '测试');
    assert.deepEqual(retired.items.map((g) => g.code).sort(), [created.code, ...parts.map((g) => g.code)].sort());
    assert.equal((await rowOf(page, last.code).locator('[data-col=status]').textContent()).trim(), '已注销');

    // 历史 of the merged grid: its parents, and their parent two generations up.
    await searchName(p, '测试合并');
    await page.locator('[data-field=filter-status]').click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: '在用' }).click();
    await searchName(p, '测试合并');
    await rowAction(page, merged.code, 'history');
    await p.waitForText('[data-field=history-code]', merged.code);
    const lineage = page.locator('.lineage-table .el-table__body-wrapper tbody tr');
    await lineage.first().waitFor();
    const rows = (await lineage.allTextContents()).map((s) => s.replace(/\s+/g, ''));
    assert.equal(rows.length, 3, rows.join('\n'));
    assert.ok(rows.some((r) => r.includes(created.code) && r.includes('拆分')), rows.join('\n'));
    assert.ok(rows.some((r) => r.includes(parts[0].code) && r.includes('合并')), rows.join('\n'));
    assert.equal(await page.locator('.history-drawer .mini-map path').count(), 1);
    console.log(`screenshot: ${await p.screenshot('grids-history')}`);
    // A parent's history opens from the lineage.
    await page.locator('.lineage-table .el-link', { hasText: '测试新建网格' }).click();
    await p.waitForText('[data-field=history-code]', created.code);
    await p.waitForText('[data-field=history-status]', '已注销');
    p.assertNoErrors();
    await page.close();
  });

  test('编辑 changes the figures; 重划边界 keeps the code and adds a version', async () => {
    const p = await ctx.browser.newPage();
    await openGrids(p);
    const { page } = p;
    const list = await searchName(p, '测试合并');
    const g = list.items[0];
    await rowAction(page, g.code, 'edit');
    const edit = page.locator('.edit-dialog');
    await edit.waitFor();
    await edit.locator('.el-form-item', { hasText: '人口数' }).locator('input').fill('1234');
    const [eres] = await Promise.all([
      page.waitForResponse(isPath(`/api/v1/grids/${g.code}`, 'PATCH')),
      edit.getByRole('button', { name: '保存' }).click(),
    ]);
    assert.equal(eres.status(), 200);
    assert.equal((await eres.json()).residents, 1234);
    await edit.waitFor({ state: 'hidden' });

    await rowAction(page, g.code, 'redraw');
    const redraw = page.locator('.redraw-dialog');
    await redraw.waitFor();
    await redraw.getByRole('button', { name: '确认重划' }).click();
    await p.waitForText('.redraw-dialog .el-form-item__error', '请上传新的边界文件或粘贴 GeoJSON');
    // Pasted this time.
    await redraw.locator('.el-radio-button', { hasText: '粘贴 GeoJSON' }).click();
    await redraw.locator('.boundary-text textarea').fill(JSON.stringify(rect(...at(0, 0), ...at(0.02, 0.015))));
    await redraw.locator('.boundary-text textarea').blur();
    await redraw.locator('[data-field=boundary-ok]').waitFor();
    const [rres] = await Promise.all([
      page.waitForResponse(isPath(`/api/v1/grids/${g.code}/redraw`, 'POST')),
      redraw.getByRole('button', { name: '确认重划' }).click(),
    ]);
    assert.equal(rres.status(), 200);
    const r = await rres.json();
    assert.equal(r.code, g.code);
    assert.equal(r.version, g.version + 1);
    await redraw.waitFor({ state: 'hidden' });
    await rowAction(page, g.code, 'history');
    await page.locator('.versions-table .el-table__body-wrapper tbody tr').nth(1).waitFor();
    assert.equal(await page.locator('.versions-table .el-table__body-wrapper tbody tr').count(), 2);
    p.assertNoErrors();
    await page.close();
  });

  test('on a phone-width screen the page fits and the dialogs too', async () => {
    const p = await ctx.browser.newPage();
    await p.page.setViewportSize({ width: 390, height: 844 });
    await openGrids(p);
    const { page } = p;
    await page.locator('.grids-table .el-table__body-wrapper tbody tr').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    console.log(`screenshot: ${await p.screenshot('grids-phone', { fullPage: true })}`);
    await page.locator('[data-action=create]').click();
    await page.locator('.create-dialog').waitFor();
    console.log(`screenshot: ${await p.screenshot('grids-phone-create')}`);
    p.assertNoErrors();
    await page.close();
  });
});

describe('网格检查', () => {
  let ctx, overlapGrid, gapCommunity;
  before(async () => {
    ctx = await setup();
    const { op } = ctx;
    // An overlap: a small grid inside 湖南社区's first grid.
    const tl = await op.get('/api/v1/regions/371502001002/grids.geojson');
    const ring = tl.body.features[0].geometry.coordinates[0];
    const cx = ring.reduce((s, c) => s + c[0], 0) / ring.length, cy = ring.reduce((s, c) => s + c[1], 0) / ring.length;
    const res = await op.post('/api/v1/grids', {
      community: '371502001002', name: '测试重叠网格', households: 400, residents: 1000,
      boundary: rect(cx - 0.002, cy - 0.002, cx + 0.002, cy + 0.002),
    });
    assert.equal(res.status, 201, res.text);
    overlapGrid = res.body.code;
    // A gap: 侯营社区 loses its first grid.
    gapCommunity = '371502100001';
    const xl = await op.get(`/api/v1/regions/${gapCommunity}/grids.geojson`);
    const gone = xl.body.features[0].properties.code;
    assert.equal((await op.post(`/api/v1/grids/${gone}/retire`, { reason: '测试留出空白' })).status, 200);
  });
  after(async () => { await ctx?.close(); });

  test('lists the planted overlap and gap, grouped, and draws a finding on the map', async () => {
    const p = await ctx.browser.newPage();
    const [res] = await Promise.all([
      p.page.waitForResponse(isPath('/api/v1/grids/checks')),
      p.page.goto(ctx.server.url + '/#/checks'),
    ]);
    const { page } = p;
    const checks = await res.json();
    assert.equal(checks.region.code, '371502000000', 'the scope root is checked at first');
    assert.equal(checks.counts.overlap, 1);
    assert.equal(checks.counts.gap, 1);
    await p.waitForText('[data-field=check-region]', '东昌府区');
    await p.waitForText('[data-field=problem-count]', String(checks.findings.length));

    const overlap = checks.findings.find((f) => f.type === 'overlap');
    assert.ok(overlap.grids.includes(overlapGrid));
    const og = page.locator('.check-group[data-type=overlap]');
    await p.waitForText('.check-group[data-type=overlap] .group-title', '网格重叠');
    await p.waitForText('.check-group[data-type=overlap] .group-count', '1');
    const orow = og.locator('.findings-table tbody tr');
    assert.equal(await orow.count(), 1);
    const otext = await orow.textContent();
    assert.ok(otext.includes(overlapGrid) && otext.includes('湖南社区居委会'), otext);
    assert.equal((await orow.locator('[data-col=area]').textContent()).trim(), area(overlap.area_m2));
    assert.equal((await orow.locator('[data-col=message]').textContent()).trim(), overlap.message);
    assert.ok(overlap.message.includes('测试重叠网格'), overlap.message);

    const gap = checks.findings.find((f) => f.type === 'gap');
    assert.equal(gap.community.code, gapCommunity);
    await p.waitForText('.check-group[data-type=gap] .group-title', '空白区域');
    const grow = page.locator('.check-group[data-type=gap] .findings-table tbody tr');
    assert.equal((await grow.locator('[data-col=area]').textContent()).trim(), area(gap.area_m2));
    // Groups come in a fixed order: overlaps first.
    const order = await page.locator('.check-group').evaluateAll((els) => els.map((e) => e.dataset.type));
    assert.equal(order[0], 'overlap');

    // Clicking the overlap draws it (in red) with the two grids and the community.
    await orow.locator('[data-col=message]').click();
    await p.waitForText('[data-field=picked-message]', overlap.message);
    await page.locator('.check-map path.finding-shape').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.check-map .mini-map path').length === 4);
    console.log(`screenshot: ${await p.screenshot('checks-desktop', { fullPage: true })}`);

    // One community alone: pick 湖南社区 in the cascader and run again.
    await page.locator('.region-cascader').click();
    const panel = page.locator('.el-cascader-panel:visible');
    await panel.locator('.el-cascader-node', { hasText: '东昌府区' }).click();
    await panel.locator('.el-cascader-node', { hasText: '古楼街道' }).click();
    await panel.locator('.el-cascader-node', { hasText: '湖南社区居委会' }).click();
    await page.keyboard.press('Escape');
    const [res2] = await Promise.all([
      page.waitForResponse(isPath('/api/v1/grids/checks')),
      page.locator('[data-action=run-check]').click(),
    ]);
    const one = await res2.json();
    assert.equal(one.region.code, '371502001002');
    // The planted grid overlaps, and being new it has no full-time worker yet (Art. 10).
    assert.deepEqual(one.findings.map((f) => f.type), ['overlap', 'no_worker']);
    assert.equal(one.findings[1].grids[0].code ?? one.findings[1].grid?.code ?? overlapGrid, overlapGrid);
    await p.waitForText('[data-field=check-region]', '湖南社区居委会');
    await p.waitForText('[data-field=problem-count]', '2');
    assert.equal(await page.locator('.check-group').count(), 2);
    p.assertNoErrors();
    await page.close();
  });

  test('a region without problems says so; the page fits a phone screen', async () => {
    const p = await ctx.browser.newPage();
    await p.page.setViewportSize({ width: 390, height: 844 });
    await p.page.goto(ctx.server.url + '/#/checks');
    await p.page.locator('.check-group').first().waitFor();
    const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    console.log(`screenshot: ${await p.screenshot('checks-phone', { fullPage: true })}`);
    // 古城社区 is untouched here.
    await p.page.locator('.region-cascader').click();
    const panel = p.page.locator('.el-cascader-panel:visible');
    await panel.locator('.el-cascader-node', { hasText: '东昌府区' }).click();
    await panel.locator('.el-cascader-node', { hasText: '古楼街道' }).click();
    await panel.locator('.el-cascader-node', { hasText: '古城社区居委会' }).click();
    await p.page.keyboard.press('Escape');
    await Promise.all([
      p.page.waitForResponse(isPath('/api/v1/grids/checks')),
      p.page.locator('[data-action=run-check]').click(),
    ]);
    await p.waitForText('.check-ok .el-result__title', '未发现问题');
    p.assertNoErrors();
    await p.page.close();
  });
});
