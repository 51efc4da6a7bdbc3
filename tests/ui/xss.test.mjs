// Stored XSS: names are text, never markup. Markup is planted through the API in every name-like
// field that reaches the UI (region, grid, organisation, user display name, role label, token
// name); then every page that shows them is opened in a real browser by whoever may see it. On
// each page: no planted element exists, no planted handler ran, and the markup reads as text.
// The pages run under the server's Content-Security-Policy, so a violation (a blocked inline
// handler, an eval) is a console error and fails the test too.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../lib/server.mjs';
import { clientFor, login, loginAs, makeDemoDb, startDemoServer } from '../lib/auth.mjs';
import { launchBrowser } from '../lib/browser.mjs';

// 35 characters: names are at most 40. The handler would set window.__xss; the <b> would be bold.
const MARKUP = '<img src=x onerror=__xss=1><b>粗</b>';
const TEXT = '<img src=x';
const COMMUNITY = '371502001002'; // 湖南社区居委会, in the county operator's scope (东昌府区)
const COUNTY = '371502000000';
const PASSWORD = 'Gl0bal-Harbour-7';

const names = {
  community: `社${MARKUP}`,
  grid: `格${MARKUP}`,
  org: `机构${MARKUP}`,
  user: `人${MARKUP}`,
  role: `角色${MARKUP}`,
  token: `令牌${MARKUP}`,
};

const rect = (x0, y0, x1, y1) => ({ type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] });

let server, gridCode, userSession;
const browsers = [];

before(async () => {
  for (const f of ['web/vendor/vue.js', 'web/app/gen/App.js']) {
    assert.ok(existsSync(path.join(repoRoot, f)), `${f} is missing: run scripts/web-vendor`);
  }
  const db = await makeDemoDb();
  server = await startDemoServer({ db });
  const ok = (r, status = 200) => { assert.equal(r.status, status, r.text); return r.body; };

  // The county operator renames a community and adds a grid overlapping another one (so that
  // 网格检查 finds it and draws both, with the community's outline).
  const op = await loginAs(server, 'center_operator');
  ok(await op.patch(`/api/v1/regions/${COMMUNITY}`, { name: names.community }));
  const fc = ok(await op.get(`/api/v1/regions/${COMMUNITY}/grids.geojson`));
  const ring = fc.features[0].geometry.coordinates[0];
  const cx = ring.reduce((s, c) => s + c[0], 0) / ring.length, cy = ring.reduce((s, c) => s + c[1], 0) / ring.length;
  gridCode = ok(await op.post('/api/v1/grids', {
    community: COMMUNITY, name: names.grid, households: 400, residents: 1000,
    boundary: rect(cx - 0.002, cy - 0.002, cx + 0.002, cy + 0.002),
  }), 201).code;

  // The system administrator: an organisation and a user in it.
  const sys = await loginAs(server, 'sysadmin');
  const org = ok(await sys.post('/api/v1/orgs', { name: names.org, kind: 'department', region_code: COUNTY }), 201);
  const user = ok(await sys.post('/api/v1/users', { username: 'xss.user', display_name: names.user, org_id: org.id }), 201);

  // The security administrator: a custom role for that user, and an API token of the organisation.
  const sec = await loginAs(server, 'secadmin');
  ok(await sec.post('/api/v1/roles', { name: 'xss_role', label: names.role, permissions: ['region.read', 'grid.read'] }), 201);
  ok(await sec.put(`/api/v1/users/${user.id}/roles`, { roles: ['xss_role'] }));
  ok(await sec.post('/api/v1/tokens', { name: names.token, org_id: org.id, permissions: ['grid.read'] }), 201);

  // The user logs in and sets a password (their organisation's name is now in the audit trail).
  const l = await login(server, 'xss.user', user.one_time_password);
  assert.equal(l.status, 200, l.text);
  userSession = clientFor(server, { cookie: l.cookies.wg_session, csrf: l.body.csrf_token });
  ok(await userSession.put('/api/v1/session/password', { old_password: user.one_time_password, new_password: PASSWORD }));
});

after(async () => {
  for (const b of browsers) await b.close();
  if (server) assert.equal(await server.stop(), 0, 'wangge serve should exit cleanly');
});

// A browser page sharing the session of client c (what the login page would have set).
async function pageFor(c) {
  const b = await launchBrowser();
  browsers.push(b);
  await b.context.addCookies([
    { name: 'wg_session', value: c.cookie, url: server.url },
    { name: 'wg_csrf', value: c.csrf, url: server.url },
  ]);
  return b.newPage();
}

// Nothing planted became markup, nothing ran, and the page had no errors (a CSP violation is one).
async function assertInert(p, where) {
  const got = await p.page.evaluate(() => ({
    xss: typeof window.__xss,
    imgs: [...document.querySelectorAll('img')].filter((i) => i.getAttribute('src') === 'x').length,
    bolds: [...document.querySelectorAll('b')].filter((b) => b.textContent === '粗').length,
  }));
  assert.deepEqual(got, { xss: 'undefined', imgs: 0, bolds: 0 }, `${where}: planted markup became part of the page`);
  p.assertNoErrors(where);
}

// The name shows as text (the literal markup) inside the first element matching selector.
async function assertText(p, selector, name) {
  const loc = p.page.locator(selector).filter({ hasText: name }).first();
  await loc.waitFor({ state: 'visible', timeout: 5000 }).catch(async () => {
    const seen = await p.page.locator(selector).allTextContents().catch(() => []);
    assert.fail(`${selector}: expected the text ${JSON.stringify(name)}, found ${JSON.stringify(seen.slice(0, 5))}`);
  });
  assert.ok((await loc.textContent()).includes(TEXT));
}

// Opens the tooltip of every interactive shape of a Leaflet map as a pointer would (mouseover
// on the shape), so their content is rendered; resolves to the tooltips' texts.
async function openTooltips(page, mapSelector) {
  await page.locator(`${mapSelector} path.leaflet-interactive`).first().waitFor();
  await page.evaluate((sel) => {
    for (const el of document.querySelectorAll(`${sel} path.leaflet-interactive`)) {
      const r = el.getBoundingClientRect();
      el.dispatchEvent(new MouseEvent('mouseover', { bubbles: true, clientX: r.x + r.width / 2, clientY: r.y + r.height / 2 }));
    }
  }, mapSelector);
  return page.locator('.leaflet-tooltip').allTextContents();
}

describe('names are text everywhere', () => {
  test('map, checks and grids pages (county operator)', async () => {
    const op = await loginAs(server, 'center_operator');
    const p = await pageFor(op);
    const { page } = p;

    // 网格地图 on the grid: region header, the grid card, and the tooltip of a real hover.
    await page.goto(`${server.url}/#/map?grid=${gridCode}`);
    await assertText(p, '[data-field=region-name]', names.community);
    await assertText(p, '.grid-card .grid-card-title', names.grid);
    await assertText(p, '.grid-card [data-field=community]', names.community);
    const shape = page.locator(`.main-map path[data-code="${gridCode}"]`);
    await shape.hover();
    await assertText(p, '.leaflet-tooltip.grid-tooltip', names.grid);
    await assertInert(p, '网格地图');

    // 网格检查: the overlap's row, then its sketch with a tooltip per shape.
    await page.goto(`${server.url}/#/checks`);
    const row = page.locator('.check-group[data-type=overlap] .findings-table tbody tr').filter({ hasText: gridCode });
    await row.waitFor();
    await assertText(p, '.check-group[data-type=overlap] .findings-table tbody tr', names.community);
    await row.locator('[data-col=message]').click();
    await page.locator('.check-map path.finding-shape').waitFor();
    const tips = await openTooltips(page, '.check-map .mini-map');
    assert.ok(tips.some((t) => t === names.community), `community tooltip: ${JSON.stringify(tips)}`);
    assert.ok(tips.some((t) => t === `${names.grid}（${gridCode}）`), `grid tooltip: ${JSON.stringify(tips)}`);
    await assertInert(p, '网格检查');

    // 网格管理: the table of the community, then the grid's history.
    await page.goto(`${server.url}/#/grids?region=${COMMUNITY}`);
    await assertText(p, '.grids-table .el-table__body-wrapper tbody tr', names.grid);
    await assertText(p, '.grids-table .el-table__body-wrapper tbody tr', names.community);
    await page.goto(`${server.url}/#/grids?history=${gridCode}`);
    await page.reload(); // the page reads ?history= when it opens
    await assertText(p, '.history-drawer .el-drawer__title', names.grid);
    await assertInert(p, '网格管理');
  });

  test('organisations and users (system administrator)', async () => {
    const p = await pageFor(await loginAs(server, 'sysadmin'));
    await p.page.goto(`${server.url}/#/security/orgs`);
    await assertText(p, '.el-table__body-wrapper tbody tr', names.org);
    await assertInert(p, '组织机构');
    await p.page.goto(`${server.url}/#/security/users`);
    await assertText(p, '.el-table__body-wrapper tbody tr', names.user);
    await assertText(p, '.el-table__body-wrapper tbody tr', names.org);
    await assertText(p, '.el-table__body-wrapper tbody tr .el-tag', names.role);
    await assertInert(p, '用户');
  });

  test('roles and tokens (security administrator)', async () => {
    const p = await pageFor(await loginAs(server, 'secadmin'));
    await p.page.goto(`${server.url}/#/security/roles`);
    await assertText(p, '.el-table__body-wrapper tbody tr', names.role);
    await assertInert(p, '角色');
    await p.page.goto(`${server.url}/#/security/tokens`);
    await assertText(p, '.el-table__body-wrapper tbody tr', names.token);
    await assertText(p, '.el-table__body-wrapper tbody tr', names.org);
    await assertInert(p, 'API 令牌');
    await p.page.goto(`${server.url}/#/security/users`);
    await assertText(p, '.el-table__body-wrapper tbody tr', names.user);
    await assertInert(p, '用户（安全管理员）');
  });

  test('the header of the user with those names', async () => {
    const p = await pageFor(userSession);
    await p.page.goto(`${server.url}/#/map`);
    await assertText(p, '.user-name', names.user);
    await assertText(p, '.user-org', names.org);
    await p.page.locator('.user-button').click();
    await assertText(p, '.user-card-roles', names.role);
    await assertText(p, '.user-card-name', names.user);
    await assertInert(p, '页头');
  });

  test('the audit trail (auditor)', async () => {
    const p = await pageFor(await loginAs(server, 'auditor'));
    await p.page.goto(`${server.url}/#/audit`);
    await assertText(p, '.audit-table .el-table__body-wrapper tbody tr', names.org);
    await assertInert(p, '审计日志');
  });

  test('eval is refused by the page\'s policy, and the app runs without it', async () => {
    const p = await pageFor(userSession);
    const { page } = p;
    await page.goto(`${server.url}/#/map`);
    await assertText(p, '.user-name', names.user);
    // A string timer is eval: the policy refuses it and reports the violation. (Code run by the
    // test driver itself is exempt, hence the timer, which runs later as the page's own code.)
    const violation = await page.evaluate(() => new Promise((resolve) => {
      document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true });
      setTimeout('window.__evalRan = 1', 0);
      setTimeout(() => resolve(null), 2000);
    }));
    assert.equal(violation, 'script-src');
    assert.equal(await page.evaluate(() => typeof window.__evalRan), 'undefined');
    assert.ok(p.errors.length > 0 && p.errors.every((e) => e.includes('unsafe-eval')), p.errors.join('\n'));
    p.clearErrors(); // the refusal is reported on the console, as it should be
  });
});

// The source of the UI puts no data into the page as HTML (the generated render functions in
// web/app/gen/ are Vue's; the template build refuses v-html itself).
test('web/app has no HTML sinks', () => {
  const dir = path.join(repoRoot, 'web/app');
  const sinks = /innerHTML|outerHTML|insertAdjacentHTML|document\.write|v-html|dangerouslyUseHTMLString|raw-content|rawContent/;
  const leaflet = /\.(bindTooltip|bindPopup|setTooltipContent|setPopupContent|setContent)\(\s*(?!textTooltip\()/;
  const found = [];
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(e.parentPath ?? e.path, e.name);
    if (!e.isFile() || !/\.(js|html)$/.test(e.name) || file.startsWith(path.join(dir, 'gen') + path.sep)) continue;
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (sinks.test(line) || leaflet.test(line)) found.push(`${path.relative(repoRoot, file)}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, [], 'HTML sinks in web/app');
});
