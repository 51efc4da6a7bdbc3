// Every row of the matter state table (GET /api/v1/matters/flow, the table in domain/flow.c) is
// taken once by the party it names and ends in the row's state; every (state, action) pair that
// is not a row is refused with 409 bad_transition naming the state and the action. A row added to
// the table without a recipe here fails the first test.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { clientFor, loginAs, startDemoServer } from '../lib/auth.mjs';
import { ensureCalendar } from '../lib/calendar.mjs';
import { advanceClock } from '../lib/clock.mjs';

const RESOLVABLE = 'CG-001';

let server, c = {}, grid, table;

async function loginAll() {
  const names = ['worker', 'township', 'operator', 'handler', 'handler2', 'sysadmin'];
  const clients = await Promise.all(names.map((n) => loginAs(server, n)));
  names.forEach((n, i) => { c[n] = clients[i]; });
}

async function act(who, m, action, fields = {}) {
  const r = await c[who].post(`/api/v1/matters/${m.id}/actions`, { action, version: m.version, ...fields });
  return r;
}

async function must(who, m, action, fields = {}) {
  const r = await act(who, m, action, fields);
  assert.equal(r.status, 200, `${who} ${action}: ${r.text}`);
  return r.body;
}

const dept = () => c.handler.login.org.id;

// Matters in each state, reached through the flow itself.
const reach = {
  reported: async () => {
    const r = await c.worker.post('/api/v1/matters', { item: RESOLVABLE, title: '井盖缺失', description: '路口井盖缺失，存在坠落风险。', grid: grid.code });
    assert.equal(r.status, 201, r.text);
    return r.body;
  },
  accepted: async () => must('township', await reach.reported(), 'accept'),
  accepted_at_county: async () => {
    const m = await must('township', await reach.reported(), 'escalate', { reason: '需区级协调' });
    return must('operator', m, 'accept');
  },
  rejected: async () => must('township', await reach.reported(), 'reject', { reason: '重复上报' }),
  in_progress: async () => must('township', await reach.accepted(), 'dispatch', { departments: [{ org: dept() }] }),
  in_progress_signed: async () => must('handler', await reach.in_progress(), 'sign'),
  in_progress_extension: async () => must('handler', await reach.in_progress_signed(), 'request_extension', { due: '2099-12-31', reason: '等待材料' }),
  in_progress_overdue: async () => {
    const m = await reach.in_progress_signed();
    await advanceClock(server, 30 * 86400);
    await loginAll();
    return (await c.handler.get(`/api/v1/matters/${m.id}`)).body;
  },
  in_progress_center: async () => must('township', await reach.accepted(), 'handle'),
  done: async () => must('handler', await reach.in_progress_signed(), 'submit', { result: '已补齐井盖' }),
  verified: async () => must('township', await reach.done(), 'verify'),
  closed: async () => must('township', await reach.verified(), 'close'),
  // A resident's matter, closed: its tracking code rides along as .code.
  closed_public: async () => {
    const r = await anonymous().post('/api/v1/public/reports', {
      item: RESOLVABLE, title: '路灯不亮', description: '小区门口路灯不亮。', contact: '13900002222', grid: grid.code,
    });
    assert.equal(r.status, 201, r.text);
    const list = (await c.township.get('/api/v1/matters?state=reported&limit=1')).body.items;
    let m = (await c.township.get(`/api/v1/matters/${list[0].id}`)).body;
    for (const [action, f] of [['accept', {}], ['handle', {}], ['submit', { result: '已修复' }], ['verify', {}], ['close', {}]]) {
      m = await must('township', m, action, f);
    }
    return { ...m, code: r.body.tracking_code };
  },
  rated: async () => rated(await reach.closed_public(), 1),
  reviewing: async () => rated(await reach.closed_public(), 3),
};

const anonymous = () => clientFor(server, {});

async function rated(m, rating) {
  const r = await anonymous().post(`/api/v1/public/track/${m.code}/rating`, { rating });
  assert.equal(r.status, 200, r.text);
  return (await c.township.get(`/api/v1/matters/${m.id}`)).body;
}

// One recipe per row: [from-state key of reach, who, fields].
const recipes = {
  'reported self_handle': ['reported', 'worker', { result: '已现场处置' }],
  'reported accept': ['reported', 'township', {}],
  'reported reject': ['reported', 'township', { reason: '不属于网格事项' }],
  'reported escalate': ['reported', 'township', { reason: '超出街道职权' }],
  'accepted escalate': ['accepted', 'township', { reason: '需区级协调' }],
  'accepted handle': ['accepted', 'township', {}],
  'accepted assign': ['accepted_at_county', 'operator', () => ({ org: c.township.login.org.id, requirements: '五日内办结' })],
  'accepted dispatch': ['accepted', 'township', () => ({ departments: [{ org: dept() }] })],
  'in_progress sign': ['in_progress', 'handler', {}],
  'in_progress return': ['in_progress_signed', 'handler', { basis: '不属于本部门职责' }],
  'in_progress progress': ['in_progress_signed', 'handler', { note: '已联系当事人' }],
  'in_progress request_extension': ['in_progress_signed', 'handler', { due: '2099-06-30', reason: '等待材料' }],
  'in_progress approve_extension': ['in_progress_extension', 'township', { assignment: 1 }],
  'in_progress deny_extension': ['in_progress_extension', 'township', { assignment: 1, reason: '时限内可以办结' }],
  'in_progress explain_overdue': ['in_progress_overdue', 'handler', { explanation: '材料迟到' }],
  'in_progress submit': ['in_progress_center', 'township', { result: '街道已处置' }],
  'done verify': ['done', 'township', {}],
  'done rework': ['done', 'township', { reason: '现场未整改到位' }],
  'verified close': ['verified', 'township', {}],
  'accepted feedback': ['accepted', 'township', { message: '已受理' }],
  'in_progress feedback': ['in_progress', 'township', { message: '正在处置' }],
  'done feedback': ['done', 'township', { message: '已办结，待核查' }],
  'verified feedback': ['verified', 'township', { message: '已核查' }],
  'closed feedback': ['closed', 'township', { message: '已结案，感谢反映' }],
  'rejected feedback': ['rejected', 'township', { message: '经核实为重复上报' }],
  'reported mark_spam': ['reported', 'township', { reason: '同一地址一小时内重复提交无关内容' }],
  'closed rate': ['closed_public', 'resident', { rating: 2, comment: '处理及时' }],
  'reviewing rework': ['reviewing', 'township', { reason: '居民反映属实，重新办理' }],
  'reviewing uphold': ['reviewing', 'township', { reason: '经复核已按规定办理' }],
  'reviewing feedback': ['reviewing', 'township', { message: '正在复核' }],
  'rated feedback': ['rated', 'township', { message: '感谢您的评价' }],
};
// 督办 and 催办 by the county center, above the township that holds the matter, in every open state.
for (const state of ['reported', 'accepted', 'in_progress', 'done', 'verified', 'reviewing']) {
  recipes[`${state} supervise`] = [state, 'operator', { level: 'yellow', message: '请于三日内办结' }];
  recipes[`${state} remind`] = [state, 'operator', { message: '请加快办理' }];
}

before(async () => {
  // Residents' matters of several rows come from 127.0.0.1: no report quota in the way.
  server = await startDemoServer({ args: ['--enable-internal'], env: { WANGGE_REPORT_QUOTA_ADDRESS: '1000/1000' } });
  await ensureCalendar(server);
  await loginAll();
  [grid] = (await c.worker.get('/api/v1/grids?limit=1')).body.items;
  table = (await c.township.get('/api/v1/matters/flow')).body;
});

after(async () => { if (server) assert.equal(await server.stop(), 0); });

test('every row of the table has a recipe here', () => {
  const rows = table.rows.filter((r) => r.from).map((r) => `${r.from} ${r.action}`);
  assert.deepEqual(rows.filter((k) => !recipes[k]), []);
  assert.deepEqual(Object.keys(recipes).filter((k) => !rows.includes(k)), []);
});

test('every row, taken by its party, ends in its state', async () => {
  // The overdue recipe moves the clock a month ahead: run it last.
  const keys = Object.keys(recipes).sort((a, b) => (a.includes('overdue') ? 1 : 0) - (b.includes('overdue') ? 1 : 0));
  for (const key of keys) {
    const [from, who, f] = recipes[key];
    const row = table.rows.find((r) => `${r.from} ${r.action}` === key);
    const m = await reach[from]();
    assert.equal(m.state, row.from, key);
    if (who === 'resident') {
      // The resident rates through the tracking page's route, by the code, without login.
      const r = await anonymous().post(`/api/v1/public/track/${m.code}/rating`, f);
      assert.equal(r.status, 200, `${key}: ${r.text}`);
      const after = (await c.township.get(`/api/v1/matters/${m.id}`)).body;
      assert.ok([row.to, row.to_alt].includes(after.state), `${key} ended in ${after.state}`);
      assert.equal(after.timeline.at(-1).action, row.action, key);
      const again = await anonymous().post(`/api/v1/public/track/${m.code}/rating`, { rating: 1 });
      assert.equal(again.status, 409, 'a second rating is refused');
      assert.equal(again.body.error.code, 'already_rated');
      continue;
    }
    const r = await act(who, m, row.action, typeof f === 'function' ? f() : f);
    assert.equal(r.status, 200, `${key}: ${r.text}`);
    assert.ok([row.to, row.to_alt].includes(r.body.state), `${key} ended in ${r.body.state}`);
    assert.equal(r.body.version, m.version + 1, key);
    assert.equal(r.body.timeline.at(-1).action, row.action, key);
  }
});

test('every pair that is not a row is refused with 409 naming the state and the action', async () => {
  const states = table.states.map((s) => s.name);
  const actions = table.actions.map((a) => a.name).filter((a) => a !== 'report');
  const labels = Object.fromEntries([...table.states, ...table.actions].map((x) => [x.name, x.label]));
  let refused = 0;
  for (const state of states) {
    const m = await reach[state]();
    assert.equal(m.state, state);
    for (const action of actions) {
      if (table.rows.some((r) => r.from === state && r.action === action)) continue;
      const r = await act('township', m, action, {});
      assert.equal(r.status, 409, `${state} ${action}: ${r.text}`);
      assert.equal(r.body.error.code, 'bad_transition');
      assert.ok(r.body.error.message.includes(labels[state]), r.body.error.message);
      assert.ok(r.body.error.message.includes(labels[action]), r.body.error.message);
      refused++;
    }
  }
  assert.ok(refused > 100, `only ${refused} pairs refused`);
});

test('docs/matter-flow.md is the table as `wangge flow --markdown` prints it', async () => {
  const { runCli, repoRoot } = await import('../lib/server.mjs');
  const { readFileSync } = await import('node:fs');
  const r = await runCli(['flow', '--markdown']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(`${repoRoot}/docs/matter-flow.md`, 'utf8'), r.stdout,
    'regenerate with: build/wangge flow --markdown > docs/matter-flow.md');
});
