// 三员分立 held against every administrator (issue 8, item 2), and the security administrator's
// scope and the smaller identity fixes of item 6, through the real server on a demo database:
//   - the system administrator manages neither the accounts holding security permissions nor
//     those holding audit permissions (password reset, disable, update, grids); the security
//     administrator manages them through the admin-account routes, never its own;
//   - the last enabled auditor keeps its audit permissions, and every change to an auditor's
//     roles is its own audited action (user.roles_auditor);
//   - an account that holds administrator or unmasking permissions must enrol TOTP before it may
//     do anything else, and enrolment needs an activation code that a security administrator
//     issues (never for itself, never for an account whose one-time password it set);
//   - an organisation holding administrators cannot be disabled;
//   - a county security administrator's tokens, lockouts and roles stop at its county; a token
//     carries only permissions its issuer holds; a taken user name answers like an unusable one;
//     TOTP enrolment and disabling ask for the password; token lifetimes cannot overflow;
//   - `wangge user org-enable`, `totp-reset` and `password-reset` on the host, each audited.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import {
  accountFor, clientFor, freshTotp, login, loginAs, makeDemoDb, startDemoServer, testEnv,
} from '../lib/auth.mjs';
import { runCli } from '../lib/server.mjs';

const OWN_COUNTY = '371502000000';
const OTHER_COUNTY = '371521000000';
const PRIVILEGED = new Set(['sysadmin', 'secadmin', 'auditor', 'center_leader']);

let server;
const demo = {};
let counter = 0;
const uniq = (p) => `${p}${++counter}`;
const strongPassword = () => `Sep-${Math.random().toString(36).slice(2, 10)}-Q7x`;
const show = (r) => `${r.status} ${r.text.slice(0, 300)}`;
const code = (r) => r.body?.error?.code;
const sql = (db, q) => execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();

function expect(r, status, what) {
  assert.equal(r.status, status, `${what}: ${show(r)}`);
  return r.body;
}

/** A security administrator's activation code for user id. */
async function activation(sec, id) {
  return expect(await sec.post(`/api/v1/users/${id}/activation`, {}), 201, `activation of ${id}`).activation_code;
}

/**
 * An account made the way an operator makes one: the system administrator creates it, the
 * security administrator grants the roles, the user changes the one-time password, and an
 * account holding administrator or unmasking permissions enrols TOTP with an activation code
 * (unless enrol is false). Resolves to { id, username, password, totp_secret, client }.
 */
async function newUser({ orgId, roles = [], enrol = true, prefix = 'sep_u', sec = demo.secadmin, privileged }) {
  const username = uniq(prefix);
  const created = expect(await demo.sysadmin.post('/api/v1/users', { username, display_name: username, org_id: orgId }), 201, `create ${username}`);
  if (roles.length) expect(await sec.put(`/api/v1/users/${created.id}/roles`, { roles }), 200, `roles of ${username}`);
  const first = await login(server, username, created.one_time_password);
  expect(first, 200, `first login of ${username}`);
  const client = clientFor(server, { cookie: first.cookies.wg_session, csrf: first.body.csrf_token, login: first.body });
  const password = strongPassword();
  expect(await client.put('/api/v1/session/password', { old_password: created.one_time_password, new_password: password }), 200, `password of ${username}`);
  const u = { id: created.id, username, password, totp_secret: null, client, otp: created.one_time_password };
  if (enrol && (privileged ?? roles.some((r) => PRIVILEGED.has(r)))) {
    const act = await activation(sec, u.id);
    const begin = expect(await client.post('/api/v1/session/totp', { password }), 200, `TOTP of ${username}`);
    u.totp_secret = begin.secret;
    expect(await client.post('/api/v1/session/totp/confirm', { code: await freshTotp(begin.secret, server), activation_code: act }), 200, `TOTP confirm of ${username}`);
  }
  return u;
}

async function relogin(u) {
  const extra = u.totp_secret ? { totp: await freshTotp(u.totp_secret, server) } : {};
  const r = await login(server, u.username, u.password, extra);
  expect(r, 200, `login of ${u.username}`);
  return clientFor(server, { cookie: r.cookies.wg_session, csrf: r.body.csrf_token, login: r.body });
}

before(async () => {
  server = await startDemoServer({
    args: ['--enable-internal'],
    env: { WANGGE_LOCKOUT_ACCOUNT_FAILURES: '2', WANGGE_LOCKOUT_ADDRESS_FAILURES: '100000' },
  });
  for (const role of ['sysadmin', 'secadmin', 'auditor', 'center_operator']) demo[role] = await loginAs(server, role);
});

after(async () => { if (server) assert.equal(await server.stop(), 0); });

const org = (role) => accountFor(server.db, role).org_id;
const userId = (role) => accountFor(server.db, role).user_id;

describe('三员分立 against the system administrator', () => {
  test('the system administrator manages neither the auditor nor the security administrator', async () => {
    const sys = demo.sysadmin;
    for (const role of ['auditor', 'secadmin']) {
      const id = userId(role);
      for (const [method, path, body] of [
        ['POST', `/api/v1/users/${id}/password-reset`, {}],
        ['PATCH', `/api/v1/users/${id}`, { disabled: true }],
        ['PATCH', `/api/v1/users/${id}`, { display_name: '改名' }],
        ['PUT', `/api/v1/users/${id}/grids`, { grid_ids: [] }],
      ]) {
        const r = await sys.request(method, path, body);
        assert.equal(r.status, 403, `${method} ${path} on ${role}: ${show(r)}`);
        assert.equal(code(r), 'separation', show(r));
        assert.match(r.body.error.message, /三员分立/);
      }
      for (const [method, path, body] of [
        ['DELETE', `/api/v1/users/${id}/totp`, undefined],
        ['PUT', `/api/v1/users/${id}/roles`, { roles: ['center_operator'] }],
        ['POST', `/api/v1/users/${id}/activation`, {}],
        ['POST', `/api/v1/users/${id}/admin-account/password-reset`, {}],
        ['PATCH', `/api/v1/users/${id}/admin-account`, { disabled: true }],
      ]) {
        const r = await sys.request(method, path, body);
        assert.equal(r.status, 403, `${method} ${path} on ${role}: ${show(r)}`);
        assert.equal(code(r), 'forbidden', show(r));
      }
    }
    // Both still log in, and the refusals are in the trail.
    await loginAs(server, 'auditor');
    const log = await demo.auditor.get(`/api/v1/audit?user=sysadmin&outcome=denied&action=user.password_reset`);
    assert.ok(log.body.items.some((x) => x.object === `user:${userId('auditor')}`), JSON.stringify(log.body));
    // Ordinary accounts stay the system administrator's.
    const plain = await newUser({ orgId: org('center_operator'), roles: ['center_operator'], prefix: 'sep_plain' });
    expect(await sys.post(`/api/v1/users/${plain.id}/password-reset`), 200, 'reset of an ordinary account');
  });

  test('the security administrator manages the auditor through the admin-account routes, never itself', async () => {
    const sec = demo.secadmin;
    const aud2 = await newUser({ orgId: org('auditor'), roles: ['auditor'], prefix: 'sep_aud' });
    let r = await sec.post(`/api/v1/users/${aud2.id}/admin-account/password-reset`);
    const otp = expect(r, 200, 'admin password reset').one_time_password;
    assert.equal(r.body.must_change_password, true);
    // The auditor's own TOTP still guards the account: the one-time password alone does not log in.
    assert.equal(code(await login(server, aud2.username, otp)), 'totp_required');
    const l = await login(server, aud2.username, otp, { totp: await freshTotp(aud2.totp_secret, server) });
    assert.equal(l.status, 200, show(l));
    assert.equal(l.body.must_change_password, true);
    r = await sec.patch(`/api/v1/users/${aud2.id}/admin-account`, { disabled: true });
    assert.equal(expect(r, 200, 'disable').disabled, true);
    assert.equal((await login(server, aud2.username, otp, { totp: await freshTotp(aud2.totp_secret, server) })).status, 401);
    r = await sec.patch(`/api/v1/users/${aud2.id}/admin-account`, { disabled: false, display_name: '第二审计员' });
    assert.equal(expect(r, 200, 'enable').display_name, '第二审计员');
    // Not its own account, not an account outside the separation, no unknown field.
    const me = userId('secadmin');
    r = await sec.post(`/api/v1/users/${me}/admin-account/password-reset`);
    assert.equal(r.status, 403, show(r));
    assert.equal(code(r), 'self_grant');
    r = await sec.patch(`/api/v1/users/${me}/admin-account`, { disabled: true });
    assert.equal(code(r), 'self_grant', show(r));
    r = await sec.post(`/api/v1/users/${userId('center_operator')}/admin-account/password-reset`);
    assert.equal(r.status, 409, show(r));
    assert.equal(code(r), 'not_admin_account');
    r = await sec.patch(`/api/v1/users/${aud2.id}/admin-account`, { phone: '13900001111' });
    assert.equal(code(r), 'unknown_field', show(r));
    // Another security administrator manages a security administrator.
    const sec2 = await newUser({ orgId: org('secadmin'), roles: ['secadmin'], prefix: 'sep_sec' });
    expect(await sec.post(`/api/v1/users/${sec2.id}/admin-account/password-reset`), 200, 'reset of another secadmin');
  });

  test('the last enabled auditor keeps its audit role; every change to an auditor\'s roles is its own audited action', async () => {
    const sec = demo.secadmin;
    const auditorId = userId('auditor');
    // Other auditors made by earlier tests lose their role first (that is allowed: one remains).
    const others = (await demo.sysadmin.get('/api/v1/users?role=auditor&limit=200')).body.items.filter((u) => u.id !== auditorId);
    for (const u of others) expect(await sec.put(`/api/v1/users/${u.id}/roles`, { roles: ['center_operator'] }), 200, `roles of ${u.username}`);
    let r = await sec.put(`/api/v1/users/${auditorId}/roles`, { roles: ['center_operator'] });
    assert.equal(r.status, 409, show(r));
    assert.equal(code(r), 'last_auditor');
    r = await sec.patch(`/api/v1/users/${auditorId}/admin-account`, { disabled: true });
    assert.equal(r.status, 409, show(r));
    assert.equal(code(r), 'last_auditor');
    // With a second auditor the first may change.
    const aud3 = await newUser({ orgId: org('auditor'), roles: ['auditor'], prefix: 'sep_aud' });
    expect(await sec.put(`/api/v1/users/${aud3.id}/roles`, { roles: ['auditor', 'center_operator'] }), 200, 'business role added');
    expect(await sec.put(`/api/v1/users/${aud3.id}/roles`, { roles: ['center_operator'] }), 200, 'audit role removed');
    const log = await demo.auditor.get('/api/v1/audit?action=user.roles_auditor&limit=50');
    const items = log.body.items.filter((x) => x.object === `user:${aud3.id}`);
    assert.ok(items.some((x) => x.outcome === 'success' && x.detail === '原角色：（无）；新角色：auditor'), JSON.stringify(items));
    assert.ok(items.some((x) => x.outcome === 'success' && x.detail === '原角色：center_operator,auditor；新角色：center_operator'), JSON.stringify(items));
    // The refused attempt on the last auditor is in the trail too, under the same action.
    const refused = await demo.auditor.get(`/api/v1/audit?action=user.roles_auditor&outcome=failure&limit=50`);
    assert.ok(refused.body.items.some((x) => x.object === `user:${auditorId}` && x.username === 'secadmin'
      && x.detail.includes('last_auditor')), JSON.stringify(refused.body.items));
  });

  test('an account that may unmask must enrol TOTP with an activation code before anything else', async () => {
    const sys = demo.sysadmin, sec = demo.secadmin;
    const username = uniq('sep_leader');
    const created = expect(await sys.post('/api/v1/users', { username, display_name: '新领导', org_id: org('center_leader') }), 201, 'create');
    expect(await sec.put(`/api/v1/users/${created.id}/roles`, { roles: ['center_leader'] }), 200, 'grant');
    // Whoever created it knows the one-time password: it gets a restricted session, no more.
    const l = await login(server, username, created.one_time_password);
    expect(l, 200, 'first login');
    assert.equal(l.body.totp_required, true);
    const c = clientFor(server, { cookie: l.cookies.wg_session, csrf: l.body.csrf_token });
    const password = strongPassword();
    expect(await c.put('/api/v1/session/password', { old_password: created.one_time_password, new_password: password }), 200, 'password');
    let r = await c.get('/api/v1/grids');
    assert.equal(r.status, 403, show(r));
    assert.equal(code(r), 'totp_enrolment_required');
    const begin = expect(await c.post('/api/v1/session/totp', { password }), 200, 'begin');
    r = await c.post('/api/v1/session/totp/confirm', { code: await freshTotp(begin.secret, server) });
    assert.equal(r.status, 400, show(r));
    assert.equal(code(r), 'activation_required');
    r = await c.post('/api/v1/session/totp/confirm', { code: await freshTotp(begin.secret, server), activation_code: 'aaaa-bbbb-cccc' });
    assert.equal(code(r), 'activation_invalid', show(r));
    // The system administrator cannot approve it; the security administrator can, once.
    assert.equal(code(await sys.post(`/api/v1/users/${created.id}/activation`, {})), 'forbidden');
    const old = await activation(sec, created.id);
    const act = await activation(sec, created.id); // a new code replaces the old one
    r = await c.post('/api/v1/session/totp/confirm', { code: await freshTotp(begin.secret, server), activation_code: old });
    assert.equal(code(r), 'activation_invalid', show(r));
    r = await c.post('/api/v1/session/totp/confirm', { code: await freshTotp(begin.secret, server), activation_code: act.toUpperCase() });
    expect(r, 200, 'confirm with the activation code');
    assert.equal(r.body.recovery_codes.length, 10);
    expect(await c.get('/api/v1/grids'), 200, 'enrolled: unrestricted');
    // A TOTP reset needs a new activation: the used code does not work again.
    expect(await sec.del(`/api/v1/users/${created.id}/totp`), 200, 'TOTP reset');
    const again = await login(server, username, password);
    const c2 = clientFor(server, { cookie: again.cookies.wg_session, csrf: again.body.csrf_token });
    assert.equal(code(await c2.get('/api/v1/grids')), 'totp_enrolment_required');
    const b2 = expect(await c2.post('/api/v1/session/totp', { password }), 200, 'begin again');
    r = await c2.post('/api/v1/session/totp/confirm', { code: await freshTotp(b2.secret, server), activation_code: act });
    assert.equal(code(r), 'activation_invalid', show(r));
  });

  test('activation codes: never for oneself, never by whoever set the one-time password, only in scope', async () => {
    const sec = demo.secadmin;
    let r = await sec.post(`/api/v1/users/${userId('secadmin')}/activation`, {});
    assert.equal(r.status, 403, show(r));
    assert.equal(code(r), 'self_grant');
    r = await sec.post(`/api/v1/users/${userId('center_operator')}/activation`, {});
    assert.equal(r.status, 409, show(r));
    assert.equal(code(r), 'activation_not_needed');
    // An auditor not yet enrolled whose one-time password this security administrator set.
    const aud = await newUser({ orgId: org('auditor'), roles: ['auditor'], enrol: false, prefix: 'sep_aud' });
    expect(await sec.post(`/api/v1/users/${aud.id}/admin-account/password-reset`), 200, 'reset');
    r = await sec.post(`/api/v1/users/${aud.id}/activation`, {});
    assert.equal(r.status, 409, show(r));
    assert.equal(code(r), 'separation');
    const sec2 = await newUser({ orgId: org('secadmin'), roles: ['secadmin'], prefix: 'sep_sec' });
    await activation(sec2.client, aud.id);
    // A county security administrator does not reach a city account.
    const county = await newUser({ orgId: org('center_operator'), roles: ['secadmin'], prefix: 'sep_csec' });
    r = await county.client.post(`/api/v1/users/${aud.id}/activation`, {});
    assert.equal(r.status, 404, show(r));
  });

  test('an organisation holding administrators cannot be disabled', async () => {
    const sys = demo.sysadmin;
    let r = await sys.patch(`/api/v1/orgs/${org('sysadmin')}`, { disabled: true });
    assert.equal(r.status, 409, show(r));
    assert.equal(code(r), 'org_has_admins');
    assert.match(r.body.error.message, /管理员/);
    expect(await sys.get('/api/v1/session'), 200, 'still logged in');
    // An organisation without administrators can be.
    const dept = expect(await sys.post('/api/v1/orgs', { name: uniq('分立测试部门'), kind: 'department', region_code: OWN_COUNTY }), 201, 'org');
    expect(await sys.patch(`/api/v1/orgs/${dept.id}`, { disabled: true }), 200, 'disable an organisation without administrators');
  });
});

describe('the security administrator\'s scope and the smaller fixes (issue 8, item 6)', () => {
  let county, otherCenter;
  before(async () => {
    county = await newUser({ orgId: org('center_operator'), roles: ['secadmin'], prefix: 'sep_csec' });
    const orgs = (await demo.sysadmin.get('/api/v1/orgs?limit=200')).body.items;
    otherCenter = orgs.find((o) => o.region_code === OTHER_COUNTY && o.kind === 'center').id;
  });

  test('a county security administrator lists and revokes tokens of its county only', async () => {
    const other = expect(await demo.secadmin.post('/api/v1/tokens', { name: uniq('他县令牌'), org_id: otherCenter, permissions: ['org.read'], expires_in_days: 1 }), 201, 'token');
    const own = expect(await demo.secadmin.post('/api/v1/tokens', { name: uniq('本县令牌'), org_id: org('center_operator'), permissions: ['org.read'], expires_in_days: 1 }), 201, 'token');
    const items = expect(await county.client.get('/api/v1/tokens'), 200, 'list').items;
    assert.ok(items.some((t) => t.id === own.id), 'own county token listed');
    assert.ok(!items.some((t) => t.id === other.id), 'other county token listed');
    assert.equal((await county.client.del(`/api/v1/tokens/${other.id}`)).status, 404);
    expect(await county.client.del(`/api/v1/tokens/${own.id}`), 200, 'revoke own');
  });

  test('…and lockouts of accounts of its county only (addresses stay with the city)', async () => {
    const mk = async (orgId, prefix) => {
      const u = await newUser({ orgId, prefix });
      for (let i = 0; i < 2; i++) await login(server, u.username, `Wrong-pass-${i}-xyz`);
      const lock = (await demo.secadmin.get('/api/v1/lockouts')).body.items.find((l) => l.subject === u.username);
      assert.ok(lock, `locked ${u.username}`);
      return lock;
    };
    const otherLock = await mk(otherCenter, 'sep_ylock');
    const ownLock = await mk(org('center_operator'), 'sep_dlock');
    const items = expect(await county.client.get('/api/v1/lockouts'), 200, 'list').items;
    assert.ok(items.some((l) => l.id === ownLock.id), 'own lock listed');
    assert.ok(!items.some((l) => l.id === otherLock.id), 'other county lock listed');
    assert.ok(!items.some((l) => l.kind === 'address'), 'address locks listed to a county');
    assert.equal((await county.client.del(`/api/v1/lockouts/${otherLock.id}`)).status, 404);
    expect(await county.client.del(`/api/v1/lockouts/${ownLock.id}`), 200, 'release own');
    expect(await demo.secadmin.del(`/api/v1/lockouts/${otherLock.id}`), 200, 'the city releases the other');
  });

  test('…and cannot change a custom role held outside its county', async () => {
    const role = expect(await demo.secadmin.post('/api/v1/roles', { name: uniq('sep_role_'), label: uniq('分立角色'), permissions: ['grid.read'] }), 201, 'role');
    const holder = await newUser({ orgId: otherCenter, prefix: 'sep_yrole' });
    expect(await demo.secadmin.put(`/api/v1/users/${holder.id}/roles`, { roles: [role.name] }), 200, 'grant');
    let r = await county.client.patch(`/api/v1/roles/${role.id}`, { permissions: ['grid.read', 'grid.check'] });
    assert.equal(r.status, 403, show(r));
    assert.equal(code(r), 'role_out_of_scope');
    const listed = (await county.client.get('/api/v1/roles')).body.items.find((x) => x.id === role.id);
    assert.equal(listed.users, 0, 'holders outside the county are not counted');
    r = await demo.secadmin.patch(`/api/v1/roles/${role.id}`, { permissions: ['grid.read', 'grid.check'] });
    expect(r, 200, 'the city security administrator may');
  });

  test('an API token carries only permissions its issuer holds', async () => {
    const role = expect(await demo.secadmin.post('/api/v1/roles', { name: uniq('sep_issuer_'), label: uniq('令牌签发员'), permissions: ['token.read', 'token.write', 'org.read'] }), 201, 'role');
    const issuer = await newUser({ orgId: org('secadmin'), roles: [role.name], prefix: 'sep_iss', privileged: true });
    // Custom roles with security permissions need TOTP like the built-in ones.
    assert.ok(issuer.totp_secret);
    let r = await issuer.client.post('/api/v1/tokens', { name: uniq('越权令牌'), org_id: org('center_operator'), permissions: ['org.read', 'grid.read'], expires_in_days: 1 });
    assert.equal(r.status, 403, show(r));
    assert.equal(code(r), 'permission_not_held');
    r = await issuer.client.post('/api/v1/tokens', { name: uniq('合规令牌'), org_id: org('center_operator'), permissions: ['org.read'], expires_in_days: 1 });
    expect(r, 201, 'a permission it holds');
  });

  test('POST /users answers a taken name outside the caller\'s scope like an unusable one', async () => {
    const csys = await newUser({ orgId: org('center_operator'), roles: ['sysadmin'], prefix: 'sep_csys' });
    const body = (username) => ({ username, display_name: '重名测试', org_id: org('center_operator') });
    const outside = await csys.client.post('/api/v1/users', body('auditor'));
    const inside = await csys.client.post('/api/v1/users', body('operator'));
    const invalid = await csys.client.post('/api/v1/users', body('No Such!'));
    const reserved = await csys.client.post('/api/v1/users', body('system'));
    for (const r of [outside, inside, invalid, reserved]) {
      assert.equal(r.status, 400, show(r));
      assert.deepEqual(r.body, invalid.body);
    }
    assert.equal(code(outside), 'username_unavailable');
    assert.doesNotMatch(outside.text, /存在|exist|重复|冲突/);
  });

  test('TOTP enrolment and disabling ask for the password again', async () => {
    const u = await newUser({ orgId: org('center_operator'), roles: ['center_operator'], prefix: 'sep_totp' });
    let r = await u.client.post('/api/v1/session/totp', {});
    assert.equal(r.status, 400, show(r));
    assert.equal(code(r), 'password_required');
    r = await u.client.post('/api/v1/session/totp', { password: 'Not-the-password-1' });
    assert.equal(r.status, 400, show(r));
    assert.equal(code(r), 'wrong_password');
    // A wrong password there counts as a failed login (threshold 2 on this server, see
    // login-lockout.test.mjs): a login clears the count before the next wrong one.
    expect(await login(server, u.username, u.password), 200, 'login clears the failure');
    const begin = expect(await u.client.post('/api/v1/session/totp', { password: u.password }), 200, 'begin');
    expect(await u.client.post('/api/v1/session/totp/confirm', { code: await freshTotp(begin.secret, server) }), 200, 'confirm (no activation for an ordinary account)');
    r = await u.client.post('/api/v1/session/totp/disable', {});
    assert.equal(code(r), 'password_required', show(r));
    r = await u.client.post('/api/v1/session/totp/disable', { password: 'Not-the-password-1' });
    assert.equal(code(r), 'wrong_password', show(r));
    assert.equal(code(await login(server, u.username, u.password)), 'totp_required');
    expect(await u.client.post('/api/v1/session/totp/disable', { password: u.password }), 200, 'disable');
    expect(await login(server, u.username, u.password), 200, 'no code needed any more');
    // Whoever must have TOTP cannot turn it off.
    const a = accountFor(server.db, 'secadmin');
    r = await demo.secadmin.post('/api/v1/session/totp/disable', { password: a.password });
    assert.equal(r.status, 409, show(r));
    assert.equal(code(r), 'totp_required');
  });

  test('token lifetimes that would overflow are refused', async () => {
    // A number of days whose product with 86400 = 2^7 * 675 wraps around 2^64 to exactly 30
    // days: 30 + 2^57 (2^57 * 86400 = 675 * 2^64).
    const wrap = 30n + (1n << 57n);
    assert.equal((wrap * 86400n) % (1n << 64n), 30n * 86400n);
    assert.ok(wrap < (1n << 63n));
    for (const days of [wrap.toString(), '9223372036854775807', '106751991167301', '-1', '0', '366']) {
      const text = `{"name":"溢出测试","org_id":${org('center_operator')},"permissions":["org.read"],"expires_in_days":${days}}`;
      const r = await demo.secadmin.post('/api/v1/tokens', text, { 'content-type': 'application/json' });
      assert.equal(r.status, 400, `${days}: ${show(r)}`);
      assert.equal(code(r), 'bad_lifetime', show(r));
    }
  });
});

describe('recovery on the host: wangge user org-enable, totp-reset, password-reset', () => {
  test('each is audited, and an administrator without TOTP gets an activation code', async () => {
    const db = await makeDemoDb();
    const centerId = accountFor.call(null, db, 'sysadmin').org_id;
    // An organisation of administrators disabled behind the server's back (by hand, or by an
    // older version) locks everybody out; the host re-enables it.
    sql(db, `UPDATE organisations SET disabled = 1 WHERE id = ${centerId}`);
    let r = await runCli(['user', 'org-enable', '--db', db, '--org', String(centerId)], { env: testEnv });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(sql(db, `SELECT disabled FROM organisations WHERE id = ${centerId}`), '0');
    r = await runCli(['user', 'org-enable', '--db', db, '--org', '999999'], { env: testEnv });
    assert.equal(r.code, 1, r.stdout + r.stderr);

    r = await runCli(['user', 'totp-reset', '--db', db, '--username', 'auditor'], { env: testEnv });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const act = r.stdout.match(/activation code:\s+(\S+)/)?.[1];
    assert.ok(act, r.stdout);
    r = await runCli(['user', 'password-reset', '--db', db, '--username', 'secadmin'], { env: testEnv });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const otp = r.stdout.match(/one-time password:\s+(\S+)/)?.[1];
    assert.ok(otp, r.stdout);
    assert.doesNotMatch(r.stdout, /activation code/, 'TOTP is still enrolled: no activation needed');
    r = await runCli(['user', 'totp-reset', '--db', db, '--username', 'nobody'], { env: testEnv });
    assert.equal(r.code, 1);

    const audit = sql(db, "SELECT action || '|' || username || '|' || source || '|' || outcome FROM audit_log WHERE action IN ('org.update', 'user.totp_reset', 'user.password_reset', 'user.activation') ORDER BY id");
    for (const action of ['org.update', 'user.totp_reset', 'user.activation', 'user.password_reset']) {
      assert.match(audit, new RegExp(`${action.replace('.', '\\.')}\\|system\\|cli\\|success`), audit);
    }
    assert.equal((await runCli(['check', '--db', db])).code, 0);

    const s = await startDemoServer({ db, args: ['--enable-internal'] });
    try {
      const a = accountFor(db, 'auditor');
      const l = await login(s, a.username, a.password);
      assert.equal(l.status, 200, show(l));
      const c = clientFor(s, { cookie: l.cookies.wg_session, csrf: l.body.csrf_token });
      assert.equal(code(await c.get('/api/v1/audit')), 'totp_enrolment_required');
      const begin = expect(await c.post('/api/v1/session/totp', { password: a.password }), 200, 'begin');
      expect(await c.post('/api/v1/session/totp/confirm', { code: await freshTotp(begin.secret, s), activation_code: act }), 200, 'confirm');
      expect(await c.get('/api/v1/audit'), 200, 'the auditor works again');
      const sec = accountFor(db, 'secadmin');
      const l2 = await login(s, sec.username, otp, { totp: await freshTotp(sec.totp_secret, s) });
      assert.equal(l2.status, 200, show(l2));
      assert.equal(l2.body.must_change_password, true);
    } finally {
      assert.equal(await s.stop(), 0);
    }
  });
});
