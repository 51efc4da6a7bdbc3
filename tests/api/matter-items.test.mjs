// API tests of the matter list (事项清单, issue 10, R6, Art. 16; docs/api-matter-items.md) on a
// demo database, which loads a published list of a few dozen items (domain/demo_matter_items.c):
// keyset pages and filters; a department proposes an item it is responsible for, the center
// approves and publishes it on a date; a future date keeps it off the public list until the
// (test) clock reaches it; withdrawal; versions and their difference; the public page
// (server-rendered HTML without script, escaped, and JSON) for anyone without login.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoServer, loginAs, clientFor, accountFor } from '../lib/auth.mjs';
import { advanceClock, serverNow } from '../lib/clock.mjs';

let server, leader, operator, handler, worker, deptId;

const localDate = (t) => new Date((t + 8 * 3600) * 1000).toISOString().slice(0, 10);

function body(code, extra = {}) {
  return {
    code, name: `测试事项${code}`, category: 'safety_hazards', description: '测试用事项', worker_role: 'report',
    default_level: 'county', urgency: 2, warn_share_pct: 70,
    limits: { accept: { amount: 2, unit: 'working_hours' }, handle: { amount: 5, unit: 'working_days' }, verify: { amount: 1, unit: 'working_days' } },
    departments: [deptId], ...extra,
  };
}

before(async () => {
  server = await startDemoServer({ args: ['--enable-internal'] });
  leader = await loginAs(server, 'center_leader');
  operator = await loginAs(server, 'center_operator');
  handler = await loginAs(server, 'dept_handler');
  worker = await loginAs(server, 'grid_worker');
  deptId = accountFor(server.db, 'dept_handler').org_id; // 东昌府区公安分局
});
after(async () => { await server?.stop(); });

test('the demo list: keyset pages in id order, filters, states', async () => {
  const seen = [];
  let cursor = null;
  do {
    const r = await worker.get(`/api/v1/matter-items?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.items.length <= 7);
    seen.push(...r.body.items);
    cursor = r.body.next_cursor;
  } while (cursor);
  assert.ok(seen.length >= 40, `${seen.length} items`);
  assert.deepEqual(seen.map((i) => i.id), [...seen.map((i) => i.id)].sort((a, b) => a - b));
  assert.equal(new Set(seen.map((i) => i.id)).size, seen.length);
  const labels = new Set(seen.map((i) => i.category_label));
  for (const l of ['城市管理', '社会治安', '矛盾纠纷', '安全隐患', '民生服务', '生态环境']) assert.ok(labels.has(l), l);
  const cg1 = seen.find((i) => i.code === 'CG-001');
  assert.equal(cg1.state, 'in_force');
  assert.deepEqual(cg1.pending, { version: 2, status: 'draft' });
  assert.equal(cg1.limits.handle.amount, 3); // the version in force, not the proposal
  assert.equal(seen.find((i) => i.code === 'QT-001').state, 'scheduled');
  assert.ok(seen.find((i) => i.code === 'LS-001').expires_on);
  const city = await worker.get('/api/v1/matter-items?category=city_management&limit=200');
  assert.ok(city.body.items.length >= 5 && city.body.items.every((i) => i.category === 'city_management'));
  const inForce = await worker.get('/api/v1/matter-items?state=in_force&limit=200');
  assert.ok(!inForce.body.items.some((i) => i.code === 'QT-001'));
  const pending = await worker.get('/api/v1/matter-items?state=pending&limit=200');
  assert.deepEqual(pending.body.items.map((i) => i.code), ['CG-001']);
  const q = await worker.get(`/api/v1/matter-items?q=${encodeURIComponent('燃气')}`);
  assert.deepEqual(q.body.items.map((i) => i.code), ['AQ-003']);
  assert.equal((await worker.get('/api/v1/matter-items?state=odd')).status, 400);
  assert.equal((await worker.get('/api/v1/matter-items?category=weather')).status, 400);
  assert.equal((await worker.get('/api/v1/matter-items?cursor=zz')).status, 400);
  const cats = await worker.get('/api/v1/matter-items/categories');
  assert.ok(cats.body.items.some((c) => c.code === 'environment' && c.label === '生态环境'));
});

test('a department proposes, the center approves and publishes; versions and diff', async () => {
  // Not for a department it is not: the demo's city urban-management bureau.
  const other = (await worker.get('/api/v1/matter-items?q=CG-002')).body.items[0].departments[0].id;
  let r = await handler.post('/api/v1/matter-items', body('AQ-901', { departments: [other] }));
  assert.equal(r.status, 403, r.text);
  r = await handler.post('/api/v1/matter-items', body('AQ-901', { colour: 'red' }));
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'unknown_field');
  r = await handler.post('/api/v1/matter-items', body('AQ-901', { worker_role: 'fine' }));
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'bad_worker_role');
  r = await worker.post('/api/v1/matter-items', body('AQ-901'));
  assert.equal(r.status, 403);
  r = await handler.post('/api/v1/matter-items', body('AQ-901'));
  assert.equal(r.status, 201, r.text);
  const id = r.body.id;
  assert.equal(r.body.state, 'draft');
  assert.equal(r.body.pending.status, 'draft');
  assert.equal(r.body.pending.proposed.by, '吴民警');
  assert.match(r.body.pending.proposed.at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
  assert.equal((await handler.post('/api/v1/matter-items', body('AQ-901'))).body.error.code, 'duplicate');
  // Only the center decides; publishing needs approval first.
  assert.equal((await handler.post(`/api/v1/matter-items/${id}/approve`, {})).status, 403);
  r = await leader.post(`/api/v1/matter-items/${id}/publish`, { effective_from: localDate(serverNow(server)) });
  assert.equal(r.status, 409);
  assert.equal(r.body.error.code, 'not_approved');
  r = await leader.post(`/api/v1/matter-items/${id}/approve`, {});
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.pending.status, 'approved');
  r = await leader.post(`/api/v1/matter-items/${id}/publish`, { effective_from: '2020-01-01' });
  assert.equal(r.body.error.code, 'bad_date');
  r = await leader.post(`/api/v1/matter-items/${id}/publish`, { effective_from: localDate(serverNow(server)) });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.state, 'in_force');
  assert.equal(r.body.in_force.version, 1);
  assert.equal(r.body.pending, null);
  // A revision by the department; the operator's revision while one is open is refused.
  r = await handler.post(`/api/v1/matter-items/${id}/versions`, { limits: { handle: { amount: 3, unit: 'working_days' } }, note: '加快处置' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.pending.version, 2);
  assert.equal(r.body.pending.name, `测试事项AQ-901`);
  r = await operator.post(`/api/v1/matter-items/${id}/versions`, { urgency: 3 });
  assert.equal(r.status, 409);
  assert.equal(r.body.error.code, 'draft_open');
  r = await leader.post(`/api/v1/matter-items/${id}/reject`, {});
  assert.equal(r.body.error.code, 'bad_reason');
  r = await leader.post(`/api/v1/matter-items/${id}/reject`, { reason: '处置时限过短' });
  assert.equal(r.status, 200, r.text);
  r = await operator.post(`/api/v1/matter-items/${id}/versions`, { urgency: 3, departments: [deptId, other] });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.pending.version, 3);
  // Versions, newest first, keyset pages of one.
  r = await worker.get(`/api/v1/matter-items/${id}/versions?limit=2`);
  assert.deepEqual(r.body.items.map((v) => [v.version, v.status]), [[3, 'draft'], [2, 'rejected']]);
  r = await worker.get(`/api/v1/matter-items/${id}/versions?limit=2&cursor=${encodeURIComponent(r.body.next_cursor)}`);
  assert.deepEqual(r.body.items.map((v) => [v.version, v.status]), [[1, 'published']]);
  assert.equal(r.body.next_cursor, null);
  assert.equal((await worker.get(`/api/v1/matter-items/${id}/versions/2`)).body.reject_reason, '处置时限过短');
  // The difference of two versions: only what changed.
  r = await worker.get(`/api/v1/matter-items/${id}/diff?from=1&to=3`);
  assert.equal(r.status, 200, r.text);
  const fields = r.body.changes.map((c) => c.field).sort();
  assert.deepEqual(fields, ['departments', 'effective_from', 'status', 'urgency']);
  const urg = r.body.changes.find((c) => c.field === 'urgency');
  assert.deepEqual([urg.from, urg.to, urg.label], [2, 3, '紧急程度']);
  r = await worker.get(`/api/v1/matter-items/${id}/diff?from=1&to=2`);
  assert.ok(r.body.changes.some((c) => c.field === 'limits.handle' && c.from.amount === 5 && c.to.amount === 3));
  assert.equal((await worker.get(`/api/v1/matter-items/${id}/diff?from=1&to=9`)).status, 404);
  assert.equal((await worker.get(`/api/v1/matter-items/${id}/diff?from=1`)).status, 400);
  assert.equal((await worker.get('/api/v1/matter-items/999999')).status, 404);
});

test('withdrawal takes the item off the published list', async () => {
  let r = await operator.post('/api/v1/matter-items', body('AQ-902'));
  const id = r.body.id;
  await leader.post(`/api/v1/matter-items/${id}/approve`, {});
  r = await leader.post(`/api/v1/matter-items/${id}/publish`, { effective_from: localDate(serverNow(server)) });
  assert.equal(r.body.state, 'in_force');
  let pub = await clientFor(server, {}).get('/public/matter-list?format=json');
  assert.ok(pub.body.categories.flatMap((c) => c.items).some((i) => i.code === 'AQ-902'));
  r = await leader.post(`/api/v1/matter-items/${id}/withdraw`, { reason: '职能调整' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.state, 'withdrawn');
  assert.equal(r.body.in_force, null);
  pub = await clientFor(server, {}).get('/public/matter-list?format=json');
  assert.ok(!pub.body.categories.flatMap((c) => c.items).some((i) => i.code === 'AQ-902'));
  assert.equal((await leader.post(`/api/v1/matter-items/${id}/withdraw`, { reason: '再次' })).body.error.code, 'not_published');
});

test('the public page: no login, HTML without script and escaped, or JSON', async () => {
  const anon = clientFor(server, {});
  // An item whose name carries markup: shown as text.
  let r = await operator.post('/api/v1/matter-items', body('AQ-903', { name: '<script>alert(1)</script>隐患' }));
  assert.equal(r.status, 201, r.text);
  await leader.post(`/api/v1/matter-items/${r.body.id}/approve`, {});
  await leader.post(`/api/v1/matter-items/${r.body.id}/publish`, { effective_from: localDate(serverNow(server)) });
  r = await anon.get('/public/matter-list', { accept: 'text/html' });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  assert.match(r.text, /<html lang="zh-CN">/);
  assert.match(r.text, /网格化服务管理事项清单/);
  assert.match(r.text, /<h2>城市管理<\/h2>/);
  assert.match(r.text, /占道经营/);
  assert.match(r.text, /第十六条/);
  assert.ok(!/<script/i.test(r.text), 'no script element at all');
  assert.ok(r.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;隐患'));
  assert.ok(!/ style=/.test(r.text), 'no inline style');
  assert.match(r.text, /href="\/public\/matter-list\.css"/);
  assert.ok(!r.text.includes('其他事项'), 'the item scheduled for next month is not shown yet');
  const css = await anon.get('/public/matter-list.css');
  assert.equal(css.status, 200);
  const json = await anon.get('/public/matter-list', { accept: 'application/json' });
  assert.equal(json.status, 200);
  assert.ok(json.body.count >= 40);
  const item = json.body.categories.flatMap((c) => c.items).find((i) => i.code === 'CG-001');
  assert.equal(item.version, 1);
  assert.equal(item.worker_role_label, '可就地处置');
  assert.deepEqual(item.limits.accept, { amount: 4, unit: 'working_hours' });
  assert.equal(item.proposed, undefined, 'who proposed is not public');
  assert.equal((await anon.get('/public/matter-list?format=json')).body.count, json.body.count);
  assert.equal((await anon.get('/public/matter-list?format=xml')).status, 400);
  // The admin API needs a login.
  assert.equal((await anon.get('/api/v1/matter-items')).status, 401);
});

test('an item published for a later date appears on the public list on that date', async () => {
  const tomorrow = localDate(serverNow(server) + 86400);
  let r = await operator.post('/api/v1/matter-items', body('AQ-904'));
  const id = r.body.id;
  await leader.post(`/api/v1/matter-items/${id}/approve`, {});
  r = await leader.post(`/api/v1/matter-items/${id}/publish`, { effective_from: tomorrow });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.state, 'scheduled');
  assert.equal(r.body.latest_published.effective_from, tomorrow);
  const anon = clientFor(server, {});
  const has = async () => (await anon.get('/public/matter-list?format=json')).body.categories.flatMap((c) => c.items).some((i) => i.code === 'AQ-904');
  assert.equal(await has(), false);
  await advanceClock(server, 86400 + 60);
  assert.equal(await has(), true);
});
