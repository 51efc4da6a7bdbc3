// Art. 7 (only the county-level grid-management center sets or changes grids) for centers at the
// other levels. The system administrator creates a city-level and a township-level center whose
// regions both contain a test community, a user in each; the security administrator gives each
// the center_operator role (which holds grid.write). Both are refused POST /api/v1/grids with
// 403 not_county_authority, each refusal recorded in the audit trail as denied; the county
// center's operator creates the same grid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { clientFor, login, loginAs, startDemoServer } from '../lib/auth.mjs';

const CITY = '371500000000'; // 聊城市 (demo)
const TOWN = '371502001000'; // a street of 东昌府区 (demo)
const COMMUNITY = '371502001070'; // created here, inside TOWN, far east of the demo grids
const NOT_COUNTY = 'not_county_authority';
const NOT_COUNTY_MESSAGE = '只有县级网格化服务管理机构可以设置或调整网格（条例第七条）';

const rect = (x0, y0, x1, y1) => ({
  type: 'Polygon',
  coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
});
const gridBody = { community: COMMUNITY, name: '第七条测试网格', boundary: rect(118.0, 36.0, 118.05, 36.05) };

let server, sys, sec, countyOp;

// A center at level over region, one user in it holding center_operator, logged in with the
// required password change done. Resolves to that user's client.
async function centerOperator(level, region, username) {
  const org = await sys.post('/api/v1/orgs', {
    name: `测试${level}网格化服务管理中心`, kind: 'center', level, region_code: region,
  });
  assert.equal(org.status, 201, org.text);
  assert.equal(org.body.level, level);
  const u = await sys.post('/api/v1/users', { username, display_name: `${level} 操作员`, org_id: org.body.id });
  assert.equal(u.status, 201, u.text);
  const roles = await sec.put(`/api/v1/users/${u.body.id}/roles`, { roles: ['center_operator'] });
  assert.equal(roles.status, 200, roles.text);

  const res = await login(server, username, u.body.one_time_password);
  assert.equal(res.status, 200, res.text);
  const c = clientFor(server, { cookie: res.cookies.wg_session, csrf: res.body.csrf_token, login: res.body });
  if (res.body.must_change_password) {
    const pw = await c.put('/api/v1/session/password', {
      old_password: u.body.one_time_password, new_password: 'Canal-Bridge-2026!',
    });
    assert.equal(pw.status, 200, pw.text);
  }
  const me = await c.get('/api/v1/session');
  assert.equal(me.status, 200, me.text);
  assert.equal(me.body.restricted, false);
  assert.ok(me.body.permissions.includes('grid.write'), 'center_operator holds grid.write');
  assert.equal(me.body.org.region_code, region);
  return c;
}

before(async () => {
  server = await startDemoServer();
  sys = await loginAs(server, 'sysadmin');
  sec = await loginAs(server, 'secadmin');
  countyOp = await loginAs(server, 'center_operator'); // 东昌府区网格化服务管理中心: county level
  const r = await countyOp.post('/api/v1/regions', {
    code: COMMUNITY, name: '第七条测试社区', boundary: rect(118.0, 36.0, 118.1, 36.1),
  });
  assert.equal(r.status, 201, r.text);
});

after(async () => { if (server) assert.equal(await server.stop(), 0); });

// The community is inside both centers' regions: the refusal is about the level, not the scope.
for (const [level, region, username] of [['city', CITY, 'op.city'], ['township', TOWN, 'op.town']]) {
  test(`a ${level}-level center may not set grids (Art. 7)`, async () => {
    const op = await centerOperator(level, region, username);
    assert.equal((await op.get(`/api/v1/regions/${COMMUNITY}`)).status, 200);
    const r = await op.post('/api/v1/grids', gridBody);
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.error.code, NOT_COUNTY);
    assert.equal(r.body.error.message, NOT_COUNTY_MESSAGE);
  });
}

test('the county-level center sets the same grid', async () => {
  // Both refusals are in the audit trail, as denied attempts on the community.
  const auditor = await loginAs(server, 'auditor');
  const denied = (await auditor.get('/api/v1/audit?action=grid.create&outcome=denied&limit=50')).body.items
    .filter((x) => x.object === `region:${COMMUNITY}`);
  assert.deepEqual(denied.map((x) => x.username).sort(), ['op.city', 'op.town']);
  for (const x of denied) assert.match(x.detail, /not_county_authority/);
  // Nothing was created by the refused attempts.
  let r = await countyOp.get(`/api/v1/grids?region=${COMMUNITY}&status=all`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.items, []);
  r = await countyOp.post('/api/v1/grids', gridBody);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.name, gridBody.name);
  assert.ok(r.body.code.startsWith(COMMUNITY), r.body.code);
});
