// The application shell and the 系统状态 page, in a real browser against `wangge serve`.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { json, repoRoot } from '../lib/server.mjs';
import { loginAs, startDemoServer } from '../lib/auth.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { formatDateTime, formatDuration } from '../../web/app/format.js';

const SYSTEM_NAME = '城乡网格化服务管理信息系统';
const isHealthz = (res) => new URL(res.url()).pathname === '/healthz';

let server, browser;

before(async () => {
  assert.ok(existsSync(path.join(repoRoot, 'web/vendor/vue.js')), 'web/vendor is missing: run scripts/web-vendor');
  // The app asks for a login first (tests/ui/login.test.mjs): start logged in as an operator.
  server = await startDemoServer();
  browser = await launchBrowser();
  const op = await loginAs(server, 'center_operator');
  await browser.context.addCookies([
    { name: 'wg_session', value: op.cookie, url: server.url, httpOnly: true, sameSite: 'Strict' },
    { name: 'wg_csrf', value: op.csrf, url: server.url, sameSite: 'Strict' },
  ]);
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.stop(), 0, 'wangge serve should exit cleanly on SIGTERM');
});

// Opens a page at hash (e.g. '#/status') and returns it with the first /healthz body it loaded.
async function openStatus(p, hash = '') {
  const [res] = await Promise.all([
    p.page.waitForResponse(isHealthz),
    p.page.goto(server.url + '/' + hash),
  ]);
  return res.json();
}

async function assertShows(p, health) {
  await p.waitForText('[data-field=status]', health.status === 'ok' ? '正常' : '异常');
  await p.waitForText('[data-field=version]', health.version);
  await p.waitForText('[data-field=database]', health.database === 'ok' ? '正常' : '异常');
  await p.waitForText('[data-field=schema_version]', String(health.schema_version));
  await p.waitForText('[data-field=uptime]', formatDuration(health.uptime_s));
  await p.waitForText('[data-field=time]', formatDateTime(health.time));
}

describe('系统状态', () => {
  test('the address / lands on the status page, showing what /healthz says', async () => {
    const p = await browser.newPage();
    const health = await openStatus(p);
    const { page } = p;
    assert.equal(health.status, 'ok');
    assert.equal(new URL(page.url()).hash, '#/status');

    await assertShows(p, health);
    assert.match(await page.locator('[data-field=status]').getAttribute('class'), /el-tag--success/);
    assert.match(await page.locator('[data-field=database]').getAttribute('class'), /el-tag--success/);
    assert.equal(await page.title(), `系统状态 - ${SYSTEM_NAME}`);
    assert.equal((await page.locator('.brand-name').textContent()).trim(), SYSTEM_NAME);
    assert.equal((await page.locator('.page-title').textContent()).trim(), '系统状态');
    const active = page.locator('.nav-menu .el-menu-item.is-active');
    assert.equal((await active.textContent()).trim(), '系统状态');
    const labels = (await page.locator('.el-descriptions__label').allTextContents()).map((s) => s.trim());
    assert.deepEqual(labels, ['运行状态', '版本', '数据库', '数据库结构版本', '已运行', '服务器时间']);
    assert.equal(await page.locator('.el-alert').count(), 0);

    // The page shows the same version the server reports to a plain client.
    const direct = await json(server.url + '/healthz');
    assert.equal(direct.status, 200);
    assert.equal(direct.body.version, health.version);

    const shot = await p.screenshot('status-desktop');
    console.log(`screenshot: ${shot}`);
    p.assertNoErrors();
    await page.close();
  });

  test('刷新 fetches /healthz again and shows the new answer', async () => {
    const p = await browser.newPage();
    await openStatus(p, '#/status');
    await p.waitForText('[data-field=status]', '正常');
    let count = 0;
    p.page.on('response', (res) => { if (isHealthz(res)) count++; });

    const [res] = await Promise.all([
      p.page.waitForResponse(isHealthz),
      p.page.getByRole('button', { name: '刷新' }).click(),
    ]);
    assert.equal(count, 1);
    await assertShows(p, await res.json());
    p.assertNoErrors();
    await p.page.close();
  });

  test('an error from /healthz shows 服务不可用 with the server\'s message; 刷新 recovers', async () => {
    const p = await browser.newPage();
    p.allow('/healthz');
    await p.page.route('**/healthz', (route) => route.fulfill({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'db_unavailable', message: '数据库暂时不可用' } }),
    }));
    await openStatus(p);
    const alert = p.page.locator('.el-alert--error');
    await alert.waitFor();
    assert.equal((await alert.locator('.el-alert__title').textContent()).trim(), '服务不可用');
    assert.equal((await alert.locator('.el-alert__description').textContent()).trim(), '数据库暂时不可用');
    assert.equal(await p.page.locator('.el-descriptions').count(), 0);

    await p.page.unroute('**/healthz');
    const [res] = await Promise.all([
      p.page.waitForResponse(isHealthz),
      p.page.getByRole('button', { name: '刷新' }).click(),
    ]);
    await assertShows(p, await res.json());
    assert.equal(await alert.count(), 0);
    p.assertNoErrors();
    await p.page.close();
  });

  test('a server that cannot be reached shows 服务不可用 and a Chinese hint', async () => {
    const p = await browser.newPage();
    p.allow('/healthz');
    await p.page.route('**/healthz', (route) => route.abort('connectionrefused'));
    await p.page.goto(server.url + '/#/status');
    await p.waitForText('.el-alert__title', '服务不可用');
    await p.waitForText('.el-alert__description', '无法连接服务器，请检查网络后重试');
    p.assertNoErrors();
    await p.page.close();
  });

  test('an unknown address says 页面不存在 and leads back home', async () => {
    const p = await browser.newPage();
    await p.page.goto(server.url + '/#/no-such-page');
    await p.waitForText('.el-result__title', '页面不存在');
    await Promise.all([
      p.page.waitForResponse(isHealthz),
      p.page.getByRole('button', { name: '返回首页' }).click(),
    ]);
    await p.waitForText('.page-title', '系统状态');
    assert.equal(new URL(p.page.url()).hash, '#/status');
    p.assertNoErrors();
    await p.page.close();
  });

  test('on a phone-width screen the menu moves into a drawer', async () => {
    const p = await browser.newPage();
    await p.page.setViewportSize({ width: 390, height: 844 });
    const health = await openStatus(p);
    await assertShows(p, health);
    assert.equal((await p.page.locator('.brand-name').textContent()).trim(), '网格');
    assert.equal(await p.page.locator('.app-aside').count(), 0);
    // Nothing sticks out sideways.
    const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    console.log(`screenshot: ${await p.screenshot('status-phone')}`);

    await p.page.getByRole('button', { name: '打开导航菜单' }).click();
    const item = p.page.locator('.el-drawer .nav-menu .el-menu-item', { hasText: '系统状态' });
    await item.waitFor();
    console.log(`screenshot: ${await p.screenshot('status-phone-menu')}`);
    await item.click();
    await p.page.locator('.el-drawer').waitFor({ state: 'hidden' });
    p.assertNoErrors();
    await p.page.close();
  });
});

describe('static files', () => {
  test('index.html, app modules and every import-map target are served with the right type', async () => {
    const index = await fetch(server.url + '/');
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type'), /^text\/html/);
    const html = await index.text();
    const map = JSON.parse(html.match(/<script type="importmap">([\s\S]*?)<\/script>/)[1]);
    const scripts = [...Object.values(map.imports), './app/main.js', './app/api.js'];
    const styles = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(styles.length >= 2);
    for (const [list, type] of [[scripts, /^text\/javascript\b/], [styles, /^text\/css\b/]]) {
      for (const href of list) {
        const res = await fetch(new URL(href, server.url + '/'));
        assert.equal(res.status, 200, href);
        assert.match(res.headers.get('content-type') || '', type, href);
        await res.arrayBuffer();
      }
    }
  });

  test('formatDuration and formatDateTime speak Chinese and China time', () => {
    assert.equal(formatDuration(12), '12 秒');
    assert.equal(formatDuration(7380), '2 小时 3 分');
    assert.equal(formatDuration(86400 + 3600 + 61), '1 天 1 小时 1 分');
    assert.equal(formatDuration(86400), '1 天');
    assert.equal(formatDateTime('2026-11-28T23:01:02+08:00'), '2026-11-28 23:01:02');
    assert.equal(formatDateTime('2026-11-28T15:01:02Z'), '2026-11-28 23:01:02');
  });
});
