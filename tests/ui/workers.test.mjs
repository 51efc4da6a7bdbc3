// 网格员 in a real browser against `wangge serve` on the test-scale demo city, logged in as the
// county centre operator: the list, 登记网格员 refused for an under-18 ID number with the server's
// Chinese reason, then registered; 分配网格 (a grid of its township, as lead or not); 办理离岗
// ends the assignment. 导入 lists the refused rows of a bad file and writes nothing. 配备情况 shows
// the counts and the failing grids.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../lib/server.mjs';
import { loginAs, startDemoServer } from '../lib/auth.mjs';
import { launchBrowser } from '../lib/browser.mjs';

function residentId(first17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * w[i];
  return first17 + '10X98765432'[sum % 11];
}

const isPath = (p, method = 'GET') => (res) => new URL(res.url()).pathname === p && res.request().method() === method;

let server, op, browser;

before(async () => {
  assert.ok(existsSync(path.join(repoRoot, 'web/vendor/vue.js')), 'web/vendor is missing: run scripts/web-vendor');
  server = await startDemoServer();
  op = await loginAs(server, 'center_operator');
  browser = await launchBrowser();
  await browser.context.addCookies([
    { name: 'wg_session', value: op.cookie, url: server.url },
    { name: 'wg_csrf', value: op.csrf, url: server.url },
  ]);
});
after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.stop(), 0);
});

// Picks the first option of the el-select inside the form item labelled label.
async function pickFirst(page, dialog, label) {
  await dialog.locator('.el-form-item', { hasText: label }).locator('.el-select').click();
  await page.locator('.el-select-dropdown:visible .el-select-dropdown__item').first().click();
}

describe('网格员', () => {
  test('登记: an under-18 ID is refused with the reason; an adult is registered, assigned a grid and exits', async () => {
    const p = await browser.newPage();
    const { page } = p;
    p.allow('/api/v1/workers'); // the refused POST answers 400 on purpose
    const [list] = await Promise.all([
      page.waitForResponse(isPath('/api/v1/workers')),
      page.goto(`${server.url}/#/workers`),
    ]);
    assert.equal(list.status(), 200);
    await page.locator('.workers-table .el-table__body-wrapper tbody tr').first().waitFor();

    await page.locator('[data-action=add-worker]').click();
    const form = page.locator('.worker-form');
    await form.locator('input[name=name]').fill('孙小明');
    // Born 2015-01-01: under 18 on any start date this decade.
    await form.locator('input[name=id_number]').fill(residentId('37150220150101123'));
    await pickFirst(page, form, '所属乡镇');
    await form.locator('input[name=work_phone]').fill('0635-8000001');
    const [refused] = await Promise.all([
      page.waitForResponse(isPath('/api/v1/workers', 'POST')),
      form.locator('[data-action=save-worker]').click(),
    ]);
    assert.equal(refused.status(), 400);
    await form.locator('.form-error').waitFor();
    const msg = await form.locator('.form-error').textContent();
    assert.match(msg, /年满十八周岁/);
    assert.match(msg, /第十一条/);
    console.log(`screenshot: ${await p.screenshot('workers-under-age')}`);

    // An adult: registered, the card opens.
    await form.locator('input[name=id_number]').fill(residentId('37150219880808123'));
    const [created] = await Promise.all([
      page.waitForResponse(isPath('/api/v1/workers', 'POST')),
      form.locator('[data-action=save-worker]').click(),
    ]);
    assert.equal(created.status(), 201);
    const worker = await created.json();
    const card = page.locator('.worker-card');
    await p.waitForText('.worker-card [data-field=name]', '孙小明');
    assert.match(await card.locator('[data-field=id_number]').textContent(), /^3\*{16}/);

    // 分配网格: the first grid of its township, not as lead (the demo lead keeps it).
    await card.locator('[data-action=assign-grids]').click();
    const dlg = page.locator('.grids-dialog');
    await dlg.locator('.grid-option .el-checkbox').first().click();
    const [assigned] = await Promise.all([
      page.waitForResponse(isPath(`/api/v1/workers/${worker.id}/grids`, 'PUT')),
      dlg.locator('[data-action=save-grids]').click(),
    ]);
    assert.equal(assigned.status(), 200, await assigned.text());
    const after1 = await assigned.json();
    assert.equal(after1.grids.length, 1);
    await card.locator('.worker-grid').first().waitFor();

    // 办理离岗.
    await card.locator('[data-action=exit-worker]').click();
    const exit = page.locator('.exit-dialog');
    await exit.locator('textarea[name=reason]').fill('调往其他岗位');
    const [exited] = await Promise.all([
      page.waitForResponse(isPath(`/api/v1/workers/${worker.id}/exit`, 'POST')),
      exit.locator('[data-action=confirm-exit]').click(),
    ]);
    assert.equal(exited.status(), 200, await exited.text());
    await page.waitForFunction(() => document.querySelector('.worker-card [data-field=status]')?.textContent.trim() === '离岗');
    assert.equal(await card.locator('.worker-grid').count(), 0);
    const r = await op.get(`/api/v1/workers/${worker.id}`);
    assert.equal(r.body.status, 'exited');
    assert.deepEqual(r.body.grids, []);
    console.log(`screenshot: ${await p.screenshot('workers-exited')}`);
    p.assertNoErrors();
    await page.close();
  });

  test('导入: a file with bad rows lists them with their line and reason and writes nothing; the template downloads', async () => {
    const p = await browser.newPage();
    const { page } = p;
    p.allow('/api/v1/workers/import'); // the refused import answers 400 on purpose
    await page.goto(`${server.url}/#/workers`);
    await page.locator('.workers-table .el-table__body-wrapper tbody tr').first().waitFor();
    const before = (await op.get('/api/v1/workers?region=371502001000&status=&limit=200')).body.items.length;
    await page.locator('[data-action=import-workers]').click();
    const dlg = page.locator('.import-dialog');
    // The template: a CSV of the header row.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dlg.locator('[data-action=import-template]').click(),
    ]);
    assert.equal(download.suggestedFilename(), '网格员导入模板.csv');
    // One good row (line 2) and two bad ones (lines 3 and 4).
    const good = residentId('37150219900303124');
    const badId = good.slice(0, 17) + (good[17] === '1' ? '2' : '1');
    const csv = '\ufeff姓名,身份证号码,用工类型,兼职来源,所属区划代码\r\n' +
      `导入好,${residentId('37150219900303123')},专职,,371502001000\r\n` +
      `导入坏,${badId},专职,,371502001000\r\n` +
      `导入童,${residentId('37150220150101124')},兼职,志愿者,371502001000\r\n`;
    await dlg.locator('[data-field=import-file]').setInputFiles({ name: '网格员.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    const [res] = await Promise.all([
      page.waitForResponse(isPath('/api/v1/workers/import', 'POST')),
      dlg.locator('[data-action=run-import]').click(),
    ]);
    assert.equal(res.status(), 400);
    const rows = dlg.locator('.import-errors .el-table__body-wrapper tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    assert.equal((await rows.nth(0).locator('td').first().textContent()).trim(), '3');
    assert.equal((await rows.nth(1).locator('td').first().textContent()).trim(), '4');
    assert.match(await rows.nth(1).textContent(), /十八周岁/);
    assert.match(await dlg.locator('.import-error').textContent(), /未导入任何数据/);
    console.log(`screenshot: ${await p.screenshot('workers-import-errors')}`);
    const after = (await op.get('/api/v1/workers?region=371502001000&status=&limit=200')).body.items.length;
    assert.equal(after, before, 'nothing was written');
    p.assertNoErrors();
    await page.close();
  });

  test('配备情况: counts per region and the failing grids', async () => {
    const p = await browser.newPage();
    const { page } = p;
    const [res] = await Promise.all([
      page.waitForResponse(isPath('/api/v1/workers/compliance')),
      page.goto(`${server.url}/#/staffing`),
    ]);
    assert.equal(res.status(), 200);
    const rep = await res.json();
    await page.locator('.staffing-table .el-table__body-wrapper tbody tr').first().waitFor();
    const rows = await page.locator('.failing-table .el-table__body-wrapper tbody tr').count();
    assert.equal(rows, rep.failing.length);
    assert.ok(rep.totals.failing > 0, JSON.stringify(rep.totals));
    console.log(`screenshot: ${await p.screenshot('workers-staffing')}`);
    p.assertNoErrors();
    await page.close();
  });
});
