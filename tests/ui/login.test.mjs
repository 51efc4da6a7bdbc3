// Login, the TOTP step, forced password change, TOTP enrolment, the user menu and logout, in a real
// browser against `wangge serve` on a demo database (accounts in <db>.accounts.json).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accountFor, freshTotp, loginAs, login as apiLogin, makeDemoDb, startDemoServer, totpCode } from '../lib/auth.mjs';
import { launchBrowser } from '../lib/browser.mjs';

const SYSTEM_NAME = '城乡网格化服务管理信息系统';
let server, browser;

before(async () => {
  const db = await makeDemoDb();
  server = await startDemoServer({ db });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.stop(), 0, 'wangge serve should exit cleanly on SIGTERM');
});

// A page in a fresh browser profile (no cookies). The session probe answers 401 there, and the
// login POST answers 401 for a wrong password or a missing TOTP code: both expected.
async function freshPage(viewport) {
  const b = await launchBrowser(viewport ? { viewport } : undefined);
  const p = await b.newPage();
  p.allow('/api/v1/session');
  return { b, p };
}

async function fillLogin(p, username, password) {
  await p.page.locator('input[name=username]').fill(username);
  await p.page.locator('input[name=password]').fill(password);
  await p.page.locator('.login-submit').click();
}

async function menuTexts(page) {
  await page.locator('.nav-menu').first().waitFor();
  return (await page.locator('.app-aside .nav-menu .el-menu-item, .app-aside .nav-menu .el-sub-menu__title')
    .allTextContents()).map((s) => s.trim());
}

async function noOverflow(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
}

describe('登录', () => {
  test('an address opened without a session goes to the login page, and back after login (operator)', async () => {
    const { b, p } = await freshPage();
    const { page } = p;
    const a = accountFor(server.db, 'center_operator');
    await page.goto(server.url + '/#/security/users');
    await page.locator('.login-card').waitFor();
    assert.equal(new URL(page.url()).hash, '#/login?next=%2Fsecurity%2Fusers');
    assert.equal(await page.title(), `登录 - ${SYSTEM_NAME}`);
    assert.equal((await page.locator('.login-title').textContent()).trim(), '用户登录');
    console.log(`screenshot: ${await p.screenshot('login-desktop')}`);

    await fillLogin(p, a.username, a.password);
    await p.waitForText('.user-name', a.display_name);
    await p.waitForText('.user-org', a.organisation);
    await p.waitForText('.page-title', '用户');
    assert.equal(new URL(page.url()).hash, '#/security/users');

    // The menu holds what the operator may use, and nothing of the administrators'.
    const menu = await menuTexts(page);
    for (const want of ['系统状态', '安全管理', '用户', '组织机构']) assert.ok(menu.includes(want), `menu lacks ${want}: ${menu}`);
    for (const not of ['角色', '登录锁定', 'API 令牌', '审计日志']) assert.ok(!menu.includes(not), `menu shows ${not}: ${menu}`);
    // The operator's own users list needs no administrator button.
    await page.locator('.users-table .el-table__row').first().waitFor();
    assert.equal(await page.getByRole('button', { name: '新建用户' }).count(), 0);
    console.log(`screenshot: ${await p.screenshot('login-operator-users')}`);

    // A page outside the permissions says 无权限 without asking the server.
    await page.goto(server.url + '/#/audit');
    await p.waitForText('.el-result__title', '无权限');
    p.assertNoErrors();
    await b.close();
  });

  test('a wrong password shows the server\'s Chinese message and keeps the user name', async () => {
    const { b, p } = await freshPage();
    const a = accountFor(server.db, 'dept_handler');
    await p.page.goto(server.url + '/');
    await p.page.locator('.login-card').waitFor();
    await fillLogin(p, a.username, 'Wrong-password-123');
    await p.waitForText('.login-error .el-alert__title', '用户名或密码错误');
    assert.equal(await p.page.locator('input[name=username]').inputValue(), a.username);
    assert.equal(await p.page.locator('input[name=password]').inputValue(), '');
    // Empty fields are caught before asking the server.
    await p.page.locator('input[name=username]').fill('');
    await p.page.locator('.login-submit').click();
    await p.waitForText('.login-error .el-alert__title', '请输入用户名和密码');
    console.log(`screenshot: ${await p.screenshot('login-wrong-password')}`);
    p.assertNoErrors();
    await b.close();
  });

  test('an administrator is asked for the TOTP code; a wrong code is refused, a computed one lets in', async () => {
    const { b, p } = await freshPage();
    const { page } = p;
    const a = accountFor(server.db, 'secadmin');
    await page.goto(server.url + '/');
    await page.locator('.login-card').waitFor();
    await fillLogin(p, a.username, a.password);
    await p.waitForText('.login-title', '双因素认证');
    assert.equal(await page.locator('.login-error').count(), 0);
    // Format checked on the page: five digits are not sent.
    await page.locator('input[name=code]').fill('12345');
    await page.locator('.login-submit').click();
    await p.waitForText('.login-error .el-alert__title', '请输入 6 位数字动态验证码');
    console.log(`screenshot: ${await p.screenshot('login-totp-step')}`);
    // A code from the wrong time step is refused by the server.
    const wrong = totpCode(a.totp_secret, Math.floor(Date.now() / 30000) - 20);
    await page.locator('input[name=code]').fill(wrong);
    await page.locator('.login-submit').click();
    await p.waitForText('.login-error .el-alert__title', '动态验证码或恢复码不正确，或已使用过');
    await page.locator('input[name=code]').fill(await freshTotp(a.totp_secret));
    await page.locator('.login-submit').click();
    await p.waitForText('.user-name', a.display_name);
    const menu = await menuTexts(page);
    for (const want of ['角色', '用户', '组织机构', '登录锁定', 'API 令牌']) assert.ok(menu.includes(want), `menu lacks ${want}: ${menu}`);
    assert.ok(!menu.includes('审计日志'));
    p.assertNoErrors();
    await b.close();
  });

  test('a new user created by the system administrator must change the password at first login', async () => {
    const sys = await loginAs(server, 'sysadmin');
    const created = await sys.post('/api/v1/users', { username: 'xinren', display_name: '王新人', org_id: 2 });
    assert.equal(created.status, 201, created.text);
    const otp = created.body.one_time_password;

    const { b, p } = await freshPage();
    const { page } = p;
    await page.goto(server.url + '/');
    await page.locator('.login-card').waitFor();
    await fillLogin(p, 'xinren', otp);
    await p.waitForText('.page-title', '修改密码');
    assert.match(await page.locator('.el-alert--warning').first().textContent(), /首次登录/);
    assert.equal(await page.locator('.nav-menu').count(), 0, 'no menu before the password is changed');
    console.log(`screenshot: ${await p.screenshot('login-forced-password')}`);

    // The policy is checked on the page first, then the server decides.
    await page.locator('input[name=old_password]').fill(otp);
    await page.locator('input[name=new_password]').fill('short');
    await page.locator('input[name=new_password_again]').fill('short');
    await page.getByRole('button', { name: '确认修改' }).click();
    await p.waitForText('.form-error .el-alert__title', '密码至少 12 个字符');
    const next = 'Wgly-Mima-2026!';
    await page.locator('input[name=new_password]').fill(next);
    await page.locator('input[name=new_password_again]').fill(next + 'x');
    await page.getByRole('button', { name: '确认修改' }).click();
    await p.waitForText('.form-error .el-alert__title', '两次输入的新密码不一致');
    await page.locator('input[name=new_password_again]').fill(next);
    await page.getByRole('button', { name: '确认修改' }).click();
    await p.waitForText('.page-title', '系统状态');
    await p.waitForText('.user-name', '王新人');
    // No roles yet: only what every logged-in user has.
    const menu = await menuTexts(page);
    assert.ok(!menu.includes('安全管理') && !menu.includes('审计日志'), `${menu}`);

    // The new password works; the one-time password no longer does.
    assert.equal((await apiLogin(server, 'xinren', next)).status, 200);
    assert.equal((await apiLogin(server, 'xinren', otp)).status, 401);
    p.assertNoErrors();
    await b.close();
  });

  test('two-step verification: enrol with the shown secret, confirm with a code, recovery codes once', async () => {
    const { b, p } = await freshPage();
    const { page } = p;
    // TOTP is optional for this account (no administrator or unmasking permission): the user
    // made by the previous test, with the password it chose.
    const a = { username: 'xinren', password: 'Wgly-Mima-2026!', display_name: '王新人' };
    await page.goto(server.url + '/');
    await page.locator('.login-card').waitFor();
    await fillLogin(p, a.username, a.password);
    await p.waitForText('.user-name', a.display_name);

    await page.locator('.user-button').click();
    await page.getByRole('menuitem', { name: '两步验证' }).click();
    await p.waitForText('.page-title', '两步验证');
    // The password is asked again first.
    await page.getByRole('button', { name: '开始启用' }).click();
    await p.waitForText('.form-error .el-alert__title', '请输入当前密码');
    await page.locator('input[name=totp_password]').fill(a.password);
    await page.getByRole('button', { name: '开始启用' }).click();
    const shown = (await page.locator('[data-field=totp-secret]').textContent()).trim();
    assert.match(shown, /^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/, 'secret in groups of four');
    const uri = await page.locator('input[data-field=totp-uri]').inputValue();
    assert.match(uri, /^otpauth:\/\/totp\//);
    const secret = shown.replace(/ /g, '');
    assert.ok(uri.includes(`secret=${secret}`));
    console.log(`screenshot: ${await p.screenshot('totp-enrol')}`);

    await page.locator('input[name=totp_code]').fill(totpCode(secret));
    await page.getByRole('button', { name: '确认启用' }).click();
    const codes = page.locator('[data-field=recovery-codes] li');
    await codes.first().waitFor();
    assert.ok(await codes.count() >= 5);
    assert.match(await page.locator('.el-alert--warning').first().textContent(), /只显示这一次/);
    console.log(`screenshot: ${await p.screenshot('totp-recovery-codes')}`);
    const firstCode = (await codes.first().textContent()).trim();
    await page.getByRole('button', { name: '我已妥善保存' }).click();
    await p.waitForText('.el-result__title', '已启用双因素认证');

    // The next login asks for the code; a recovery code works instead.
    const r = await apiLogin(server, a.username, a.password);
    assert.equal(r.body.error.code, 'totp_required');
    assert.equal((await apiLogin(server, a.username, a.password, { recovery_code: firstCode })).status, 200);
    p.assertNoErrors();
    await b.close();
  });

  test('an account that may unmask enrols TOTP at its first login, with an activation code from the security administrator', async () => {
    const sys = await loginAs(server, 'sysadmin');
    const sec = await loginAs(server, 'secadmin');
    const created = await sys.post('/api/v1/users', { username: 'lingdao2', display_name: '吴领导', org_id: 2 });
    assert.equal(created.status, 201, created.text);
    assert.equal((await sec.put(`/api/v1/users/${created.body.id}/roles`, { roles: ['center_leader'] })).status, 200);
    const act = await sec.post(`/api/v1/users/${created.body.id}/activation`, {});
    assert.equal(act.status, 201, act.text);

    const { b, p } = await freshPage();
    const { page } = p;
    p.allow('/api/v1/session/totp/confirm'); // the confirmation with a wrong code answers 400
    await page.goto(server.url + '/');
    await page.locator('.login-card').waitFor();
    await fillLogin(p, 'lingdao2', created.body.one_time_password);
    await p.waitForText('.page-title', '修改密码');
    const next = 'Lingdao-Mima-2026!';
    await page.locator('input[name=old_password]').fill(created.body.one_time_password);
    await page.locator('input[name=new_password]').fill(next);
    await page.locator('input[name=new_password_again]').fill(next);
    await page.getByRole('button', { name: '确认修改' }).click();
    // Still restricted: TOTP first, and the page says an activation code is needed.
    await p.waitForText('.page-title', '两步验证');
    assert.equal(await page.locator('.nav-menu').count(), 0, 'no menu before TOTP is enrolled');
    assert.match(await page.locator('.page-card').textContent(), /激活码/);
    await page.locator('input[name=totp_password]').fill(next);
    await page.getByRole('button', { name: '开始启用' }).click();
    const secret = (await page.locator('[data-field=totp-secret]').textContent()).replace(/ /g, '');
    await page.locator('input[name=totp_code]').fill(totpCode(secret));
    await page.getByRole('button', { name: '确认启用' }).click();
    await p.waitForText('.form-error .el-alert__title', '请输入安全管理员签发的激活码');
    await page.locator('input[name=activation_code]').fill('aaaa-bbbb-cccc');
    await page.getByRole('button', { name: '确认启用' }).click();
    await p.waitForText('.form-error .el-alert__title', '激活码不正确、已使用、已失效或已被新的激活码取代');
    await page.locator('input[name=activation_code]').fill(act.body.activation_code);
    await page.locator('input[name=totp_code]').fill(totpCode(secret));
    await page.getByRole('button', { name: '确认启用' }).click();
    await page.locator('[data-field=recovery-codes] li').first().waitFor();
    console.log(`screenshot: ${await p.screenshot('totp-activation')}`);
    await page.getByRole('button', { name: '我已妥善保存' }).click();
    await p.waitForText('.user-name', '吴领导');
    assert.ok((await menuTexts(page)).includes('系统状态'));
    p.assertNoErrors();
    await b.close();
  });

  test('退出登录 returns to the login page and the session is gone', async () => {
    const { b, p } = await freshPage();
    const { page } = p;
    const a = accountFor(server.db, 'grid_worker');
    await page.goto(server.url + '/');
    await page.locator('.login-card').waitFor();
    await fillLogin(p, a.username, a.password);
    await p.waitForText('.user-name', a.display_name);
    await page.locator('.user-button').click();
    await page.locator('.user-card').waitFor();
    console.log(`screenshot: ${await p.screenshot('user-menu')}`);
    await page.getByRole('menuitem', { name: '退出登录' }).click();
    await page.locator('.login-card').waitFor();
    assert.equal(new URL(page.url()).hash, '#/login');
    // Reloading stays logged out (the cookie was cleared and the server ended the session).
    await page.reload();
    await page.locator('.login-card').waitFor();
    const cookies = await b.context.cookies(server.url);
    assert.ok(!cookies.some((c) => c.name === 'wg_session' && c.value), 'session cookie cleared');
    p.assertNoErrors();
    await b.close();
  });

  test('a session ended elsewhere sends the next API call back to the login page', async () => {
    const { b, p } = await freshPage();
    const { page } = p;
    const a = accountFor(server.db, 'dept_handler');
    await page.goto(server.url + '/#/security/orgs');
    await page.locator('.login-card').waitFor();
    await fillLogin(p, a.username, a.password);
    await p.waitForText('.page-title', '组织机构');
    // 退出所有设备 from another client ends this browser's session too.
    const other = await loginAs(server, 'dept_handler');
    assert.equal((await other.del('/api/v1/sessions')).status, 200);
    p.allow('/api/v1/orgs');
    await page.getByRole('button', { name: '刷新' }).click();
    await page.locator('.login-card').waitFor();
    assert.equal(new URL(page.url()).hash, '#/login?next=%2Fsecurity%2Forgs');
    p.assertNoErrors();
    await b.close();
  });

  test('on a phone-width screen the login page and the header fit', async () => {
    const { b, p } = await freshPage({ width: 390, height: 844 });
    const { page } = p;
    const a = accountFor(server.db, 'center_operator');
    await page.goto(server.url + '/');
    await page.locator('.login-card').waitFor();
    await noOverflow(page);
    console.log(`screenshot: ${await p.screenshot('login-phone')}`);
    await fillLogin(p, a.username, a.password);
    await p.waitForText('.user-name', a.display_name);
    await noOverflow(page);
    assert.equal(await page.locator('.user-org').count(), 0, 'organisation hidden in the narrow header');
    console.log(`screenshot: ${await p.screenshot('login-phone-app')}`);
    p.assertNoErrors();
    await b.close();
  });
});
