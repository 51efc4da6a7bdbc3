// The security pages (安全管理: 角色, 用户, 组织机构, 登录锁定, API 令牌) and the unmask reason dialog,
// in a real browser against `wangge serve` on a demo database. Each administrator works in their
// own browser profile; what each may do follows 三员分立.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accountFor, clientFor, freshTotp, loginAs, login as apiLogin, makeDemoDb, startDemoServer } from '../lib/auth.mjs';
import { launchBrowser } from '../lib/browser.mjs';

let server, sys;
const browsers = new Map(); // role → { b, p }

before(async () => {
  const db = await makeDemoDb();
  server = await startDemoServer({ db });
  sys = await loginAs(server, 'sysadmin');
  // A user with personal data, in the demo county (the center leader's scope).
  const r = await sys.post('/api/v1/users', {
    username: 'zhangmin', display_name: '张敏', org_id: 2, phone: '13812345678', id_number: '11010519491231002X',
  });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  for (const { b } of browsers.values()) await b.close();
  if (server) assert.equal(await server.stop(), 0, 'wangge serve should exit cleanly on SIGTERM');
});

// A browser logged in (through the login page, with the TOTP step for administrators) as role.
async function as(role, viewport) {
  const key = role + (viewport ? ':' + viewport.width : '');
  if (browsers.has(key)) return browsers.get(key).p;
  const b = await launchBrowser(viewport ? { viewport } : undefined);
  const p = await b.newPage();
  p.allow('/api/v1/session'); // the first probe answers 401, and so does the password step of an admin
  const a = accountFor(server.db, role);
  await p.page.goto(server.url + '/');
  await p.page.locator('input[name=username]').fill(a.username);
  await p.page.locator('input[name=password]').fill(a.password);
  await p.page.locator('.login-submit').click();
  if (a.totp_secret) {
    await p.page.locator('input[name=code]').fill(await freshTotp(a.totp_secret));
    await p.page.locator('.login-submit').click();
  }
  await p.waitForText('.user-name', a.display_name);
  browsers.set(key, { b, p });
  return p;
}

async function open(p, hash, title) {
  await p.page.goto(server.url + '/' + hash);
  await p.waitForText('.page-title', title);
}

const dialog = (page, title) => page.locator('.el-dialog').filter({ has: page.locator('.el-dialog__title', { hasText: title }) });
const checkbox = (scope, label) => scope.locator('.el-checkbox').filter({ hasText: new RegExp(`^${label}$`) });
const row = (page, table, text) => page.locator(`.${table} .el-table__body-wrapper .el-table__row`).filter({ hasText: text });

async function noOverflow(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
}

describe('安全管理', () => {
  test('角色: the security administrator sees built-in roles in Chinese and creates a custom role', async () => {
    const p = await as('secadmin');
    const { page } = p;
    await open(p, '#/security/roles', '角色');
    const builtin = row(page, 'roles-table', '系统管理员');
    await builtin.waitFor();
    assert.match(await builtin.textContent(), /内置/);
    assert.match(await builtin.textContent(), /管理用户账号/);
    assert.match(await builtin.textContent(), /系统规定/);

    await page.getByRole('button', { name: '新建角色' }).click();
    const dlg = dialog(page, '新建角色');
    await dlg.waitFor();
    // Area headings of the checklist.
    const legends = (await dlg.locator('.perm-group legend').allTextContents()).map((s) => s.trim());
    assert.deepEqual(legends, ['业务', '系统管理', '安全管理', '安全审计']);
    await dlg.locator('input[name=name]').fill('street_inspector');
    await dlg.locator('input[name=label]').fill('街道巡查员');
    await checkbox(dlg, '查看行政区划').click();
    await checkbox(dlg, '查看网格').click();
    // Two administrator areas at once: warned on the page, refused before sending.
    await checkbox(dlg, '管理用户账号').click();
    await checkbox(dlg, '查询审计日志').click();
    await dlg.locator('.el-alert--warning').waitFor();
    console.log(`screenshot: ${await p.screenshot('security-role-dialog')}`);
    await dlg.getByRole('button', { name: '创建' }).click();
    await p.waitForText('.role-dialog .form-error .el-alert__title',
      '所选权限跨越了系统管理、安全管理、安全审计中的多个类别，违反三员分立原则，无法保存。');
    await checkbox(dlg, '管理用户账号').click();
    await checkbox(dlg, '查询审计日志').click();
    await dlg.getByRole('button', { name: '创建' }).click();
    const created = row(page, 'roles-table', '街道巡查员');
    await created.waitFor();
    assert.match(await created.textContent(), /自定义/);
    assert.match(await created.textContent(), /查看行政区划/);
    console.log(`screenshot: ${await p.screenshot('security-roles')}`);

    const sec = await loginAs(server, 'secadmin');
    const role = (await sec.get('/api/v1/roles')).body.items.find((r) => r.name === 'street_inspector');
    assert.deepEqual(role.permissions.sort(), ['grid.read', 'region.read']);
    assert.equal(role.label, '街道巡查员');
    p.assertNoErrors();
  });

  test('用户: the system administrator creates a user and sees the one-time password once', async () => {
    const p = await as('sysadmin');
    const { page } = p;
    await open(p, '#/security/users', '用户');
    await page.getByRole('button', { name: '新建用户' }).click();
    const dlg = dialog(page, '新建用户');
    await dlg.locator('input[name=username]').fill('lixiao');
    await dlg.locator('input[name=display_name]').fill('李晓');
    await dlg.locator('.el-select').click();
    await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '东昌府区公安分局' }).click();
    await dlg.locator('input[name=phone]').fill('13900001111');
    await dlg.getByRole('button', { name: '创建' }).click();
    const secret = dialog(page, '用户 lixiao 已创建');
    await secret.waitFor();
    const otp = (await secret.locator('[data-field=secret]').textContent()).trim();
    assert.equal(otp.length, 16);
    assert.match(await secret.textContent(), /只显示这一次/);
    assert.match(await secret.textContent(), /首次登录时必须修改/);
    console.log(`screenshot: ${await p.screenshot('security-user-created')}`);
    await secret.getByRole('button', { name: '我已记下' }).click();
    const r = row(page, 'users-table', 'lixiao');
    await r.waitFor();
    assert.match(await r.textContent(), /待修改密码/);
    assert.match(await r.textContent(), /东昌府区公安分局/);

    // The password works once, and must be changed.
    const login = await apiLogin(server, 'lixiao', otp);
    assert.equal(login.status, 200);
    assert.equal(login.body.must_change_password, true);

    // 三员分立: the system administrator edits accounts but grants no roles.
    await r.getByRole('button', { name: '更多' }).click();
    await page.locator('.el-dropdown-menu:visible .el-dropdown-menu__item').first().waitFor();
    const items = (await page.locator('.el-dropdown-menu:visible .el-dropdown-menu__item').allTextContents()).map((s) => s.trim());
    assert.deepEqual(items, ['编辑', '重置密码', '停用账号']);
    await page.keyboard.press('Escape');
    p.assertNoErrors();
  });

  test('用户: the security administrator grants roles but cannot edit accounts', async () => {
    const p = await as('secadmin');
    const { page } = p;
    await open(p, '#/security/users', '用户');
    assert.equal(await page.getByRole('button', { name: '新建用户' }).count(), 0);
    const r = row(page, 'users-table', 'zhangmin');
    await r.getByRole('button', { name: '更多' }).click();
    await page.locator('.el-dropdown-menu:visible .el-dropdown-menu__item').first().waitFor();
    const items = (await page.locator('.el-dropdown-menu:visible .el-dropdown-menu__item').allTextContents()).map((s) => s.trim());
    assert.deepEqual(items, ['分配角色']);
    await page.locator('.el-dropdown-menu:visible .el-dropdown-menu__item', { hasText: '分配角色' }).click();
    const dlg = dialog(page, '分配角色');
    await dlg.locator('.role-checks').waitFor();
    await checkbox(dlg, '中心操作员内置').click();
    await dlg.getByRole('button', { name: '保存' }).click();
    await dlg.waitFor({ state: 'hidden' });
    await page.waitForFunction(() => [...document.querySelectorAll('.users-table .el-table__row')]
      .some((tr) => tr.textContent.includes('zhangmin') && tr.textContent.includes('中心操作员')));
    const u = (await sys.get('/api/v1/users?q=zhangmin')).body.items[0];
    const full = (await sys.get(`/api/v1/users/${u.id}`)).body;
    assert.deepEqual(full.roles.map((x) => x.name), ['center_operator']);
    p.assertNoErrors();
  });

  test('用户: the security administrator issues an activation code, shown once, for an account that may unmask', async () => {
    const sec = await loginAs(server, 'secadmin');
    const created = await sys.post('/api/v1/users', { username: 'lingdao3', display_name: '郑领导', org_id: 2 });
    assert.equal(created.status, 201, created.text);
    assert.equal((await sec.put(`/api/v1/users/${created.body.id}/roles`, { roles: ['center_leader'] })).status, 200);
    const p = await as('secadmin');
    const { page } = p;
    await open(p, '#/security/users', '用户');
    // The page may still show the list of an earlier test: search for the new account.
    await page.locator('input[name=q]').fill('lingdao3');
    await page.getByRole('button', { name: '查询' }).click();
    const r = row(page, 'users-table', 'lingdao3');
    await r.getByRole('button', { name: '更多' }).click();
    await page.locator('.el-dropdown-menu:visible .el-dropdown-menu__item', { hasText: '签发激活码' }).click();
    const shown = dialog(page, 'lingdao3 的激活码');
    await shown.waitFor();
    const code = (await shown.locator('[data-field=secret]').textContent()).trim();
    assert.match(code, /^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    assert.match(await shown.textContent(), /只显示这一次/);
    console.log(`screenshot: ${await p.screenshot('security-activation')}`);
    await shown.getByRole('button', { name: '我已记下' }).click();
    assert.ok(!(await page.content()).includes(code), 'the code is not on the page after it was shown');
    p.assertNoErrors();
  });

  test('unmask: the reason dialog requires a reason, then shows the full values and the audit has it', async () => {
    const p = await as('center_leader');
    const { page } = p;
    await open(p, '#/security/users', '用户');
    await row(page, 'users-table', 'zhangmin').getByRole('button', { name: '详情' }).click();
    const drawer = page.locator('.user-detail');
    await p.waitForText('[data-field=phone]', '138****5678');
    await p.waitForText('[data-field=id_number]', '1****************X');
    await drawer.getByRole('button', { name: '查看原文' }).click();
    const dlg = page.locator('.unmask-dialog');
    await dlg.waitFor();
    await dlg.getByRole('button', { name: '确认查看' }).click();
    await p.waitForText('.unmask-dialog .el-form-item__error', '请填写查看理由（至少 2 个字）');
    console.log(`screenshot: ${await p.screenshot('unmask-dialog')}`);
    await dlg.locator('textarea[name=reason]').fill('核实账号登记的联系电话');
    await dlg.getByRole('button', { name: '确认查看' }).click();
    await p.waitForText('[data-field=phone]', '13812345678');
    await p.waitForText('[data-field=id_number]', '11010519491231002X');
    await drawer.locator('.unmasked-note').waitFor();
    console.log(`screenshot: ${await p.screenshot('unmask-shown')}`);

    const aud = await loginAs(server, 'auditor');
    const log = (await aud.get('/api/v1/audit?action=sensitive.unmask')).body.items;
    assert.ok(log.some((e) => e.username === 'leader' && e.detail.includes('核实账号登记的联系电话')), JSON.stringify(log));
    await page.keyboard.press('Escape');
    p.assertNoErrors();
  });

  test('an operator (no sensitive.unmask) sees masked values and no 查看原文 button', async () => {
    const p = await as('center_operator');
    const { page } = p;
    await open(p, '#/security/users', '用户');
    await row(page, 'users-table', 'zhangmin').getByRole('button', { name: '详情' }).click();
    await p.waitForText('[data-field=phone]', '138****5678');
    assert.equal(await page.locator('.user-detail').getByRole('button', { name: '查看原文' }).count(), 0);
    await page.keyboard.press('Escape');
    p.assertNoErrors();
  });

  test('组织机构: the system administrator creates a department bound to a region', async () => {
    const p = await as('sysadmin');
    const { page } = p;
    await open(p, '#/security/orgs', '组织机构');
    await row(page, 'orgs-table', '东昌府区公安分局').waitFor();
    await page.getByRole('button', { name: '新建机构' }).click();
    const dlg = dialog(page, '新建组织机构');
    await dlg.locator('input[name=name]').fill('东昌府区民政局');
    await dlg.locator('.el-cascader').click();
    await page.locator('.el-cascader-node:visible', { hasText: '聊城市' }).click();
    await page.locator('.el-cascader-node:visible', { hasText: '东昌府区' }).locator('.el-radio').click();
    await page.keyboard.press('Escape');
    console.log(`screenshot: ${await p.screenshot('security-org-dialog')}`);
    await dlg.getByRole('button', { name: '创建' }).click();
    const r = row(page, 'orgs-table', '东昌府区民政局');
    await r.waitFor();
    assert.match(await r.textContent(), /职能部门/);
    assert.match(await r.textContent(), /371502000000/);
    console.log(`screenshot: ${await p.screenshot('security-orgs')}`);
    p.assertNoErrors();
  });

  test('登录锁定: a locked account is listed and the security administrator unlocks it', async () => {
    const a = accountFor(server.db, 'dept_handler');
    for (let i = 0; i < 5; i++) await apiLogin(server, a.username, 'Not-the-password-1');
    assert.equal((await apiLogin(server, a.username, a.password)).body.error.code, 'account_locked');

    const p = await as('secadmin');
    const { page } = p;
    await open(p, '#/security/lockouts', '登录锁定');
    const r = row(page, 'lockouts-table', a.username);
    await r.waitFor();
    assert.match(await r.textContent(), /账号/);
    console.log(`screenshot: ${await p.screenshot('security-lockouts')}`);
    await r.getByRole('button', { name: '解除锁定' }).click();
    await page.locator('.el-message-box').getByRole('button', { name: '解除' }).click();
    await page.getByText('当前没有被锁定的账号或地址').waitFor();
    assert.equal((await apiLogin(server, a.username, a.password)).status, 200);
    p.assertNoErrors();
  });

  test('API 令牌: created with org, permissions and expiry, shown once, works, then revoked', async () => {
    const p = await as('secadmin');
    const { page } = p;
    await open(p, '#/security/tokens', 'API 令牌');
    await page.getByRole('button', { name: '签发令牌' }).click();
    const dlg = dialog(page, '签发接口令牌');
    await dlg.locator('input[name=name]').fill('市大数据局共享');
    await dlg.locator('.el-select').click();
    await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '东昌府区网格化服务管理中心' }).click();
    await checkbox(dlg, '查看组织机构').click();
    await dlg.locator('.el-radio-button', { hasText: '30 天' }).click();
    await dlg.getByRole('button', { name: '签发' }).click();
    const shown = dialog(page, '令牌“市大数据局共享”已签发');
    await shown.waitFor();
    const token = (await shown.locator('[data-field=secret]').textContent()).trim();
    assert.ok(token.length >= 32);
    assert.match(await shown.textContent(), /只显示这一次/);
    console.log(`screenshot: ${await p.screenshot('security-token-created')}`);
    await shown.getByRole('button', { name: '我已保存' }).click();

    const t = clientFor(server, { token });
    assert.equal((await t.get('/api/v1/orgs')).status, 200);
    assert.equal((await t.get('/api/v1/users')).status, 403);

    const r = row(page, 'tokens-table', '市大数据局共享');
    await r.waitFor();
    assert.match(await r.textContent(), /有效/);
    assert.ok(!(await page.content()).includes(token), 'the token is not on the page after it was shown');
    await r.getByRole('button', { name: '吊销' }).click();
    await page.locator('.el-message-box').getByRole('button', { name: '吊销' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('.tokens-table .el-table__row')]
      .some((tr) => tr.textContent.includes('市大数据局共享') && tr.textContent.includes('已吊销')));
    assert.equal((await t.get('/api/v1/orgs')).status, 401);
    console.log(`screenshot: ${await p.screenshot('security-tokens')}`);
    p.assertNoErrors();
  });

  test('用户: the list pages by cursor with 下一页 and 上一页', async () => {
    const op = accountFor(server.db, 'center_operator');
    for (let i = 0; i < 22; i++) {
      const r = await sys.post('/api/v1/users', { username: `pager.${String(i).padStart(2, '0')}`, display_name: `翻页${i}`, org_id: op.org_id });
      assert.equal(r.status, 201, r.text);
    }
    const p = await as('sysadmin');
    const { page } = p;
    await open(p, '#/security/users', '用户');
    await row(page, 'users-table', 'zhangmin').waitFor();
    await p.waitForText('.cursor-pager .pager-page', '第 1 页');
    assert.equal(await page.locator('.users-table .el-table__body-wrapper .el-table__row').count(), 20);
    assert.ok(await page.locator('.cursor-pager .pager-prev').isDisabled());
    await page.locator('.cursor-pager .pager-next').click();
    await p.waitForText('.cursor-pager .pager-page', '第 2 页');
    await row(page, 'users-table', 'pager.21').waitFor();
    assert.equal(await row(page, 'users-table', 'zhangmin').count(), 0);
    console.log(`screenshot: ${await p.screenshot('security-users-page2')}`);
    await page.locator('.cursor-pager .pager-prev').click();
    await p.waitForText('.cursor-pager .pager-page', '第 1 页');
    await row(page, 'users-table', 'zhangmin').waitFor();
    p.assertNoErrors();
  });

  test('on a phone-width screen the users page fits and the menu lists the security pages', async () => {
    const p = await as('secadmin', { width: 390, height: 844 });
    const { page } = p;
    await open(p, '#/security/users', '用户');
    await row(page, 'users-table', 'zhangmin').waitFor();
    await noOverflow(page);
    console.log(`screenshot: ${await p.screenshot('security-users-phone')}`);
    await page.getByRole('button', { name: '打开导航菜单' }).click();
    await page.locator('.el-drawer .nav-menu').waitFor();
    const items = (await page.locator('.el-drawer .nav-menu .el-menu-item').allTextContents()).map((s) => s.trim());
    for (const want of ['角色', '用户', '组织机构', '登录锁定', 'API 令牌']) assert.ok(items.includes(want), `${items}`);
    console.log(`screenshot: ${await p.screenshot('security-menu-phone')}`);
    p.assertNoErrors();
  });
});
