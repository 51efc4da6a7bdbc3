// API tests of the working-day calendar (issue 10, R7/R9; docs/api-calendar.md) on a demo
// database: the shipped 2025-2026 calendar is loaded by migration 012; the due-date calculator
// across the 2026 Spring Festival and National Day (worked out by hand in
// tests/unit/test_calendar.c); a missing year is a visible warning and refused with
// calendar_missing, never guessed; working hours across a weekend and the lunch break with the
// 70% warning; the administrator loads a year from CSV (all or nothing) and sets single days,
// audited; reads for everyone logged in, writes only with calendar.write.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoServer, loginAs, clientFor } from '../lib/auth.mjs';

let server, leader, worker, operator, auditor;

before(async () => {
  server = await startDemoServer();
  leader = await loginAs(server, 'center_leader');
  worker = await loginAs(server, 'grid_worker');
  operator = await loginAs(server, 'center_operator');
  auditor = await loginAs(server, 'auditor');
});
after(async () => { await server?.stop(); });

test('the shipped years are loaded; the missing next year is listed', async () => {
  const r = await worker.get('/api/v1/calendar/years');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.items.map((y) => y.year), [2025, 2026]);
  const y2026 = r.body.items.find((y) => y.year === 2026);
  assert.equal(y2026.holidays, 33); // 3 + 9 + 3 + 5 + 3 + 3 + 7
  assert.equal(y2026.workdays, 6);
  assert.match(y2026.source, /holidays-cn\.csv/);
  assert.equal(r.body.office_hours, '09:00-12:00,13:30-17:30');
  // The test machine's clock is in 2026 or later: at least next year is missing.
  const next = r.body.current_year + 1;
  assert.ok(r.body.missing.includes(next), JSON.stringify(r.body));
  const days = await worker.get('/api/v1/calendar/2026');
  assert.equal(days.status, 200);
  assert.equal(days.body.loaded, true);
  assert.deepEqual(days.body.days.find((d) => d.date === '2026-02-14'), { date: '2026-02-14', kind: 'workday', name: '春节调休上班', weekday: 6 });
  const none = await worker.get('/api/v1/calendar/2031');
  assert.equal(none.body.loaded, false);
  assert.deepEqual(none.body.days, []);
  assert.equal((await worker.get('/api/v1/calendar/abcd')).status, 404);
});

test('due dates across the 2026 Spring Festival and National Day', async () => {
  // Thu 02-12 + 5: Fri 02-13 (1), Sat 02-14 make-up (2), 02-15..02-23 holiday, 02-24 (3),
  // 02-25 (4), 02-26 (5).
  let r = await worker.get('/api/v1/calendar/due?from=2026-02-12&working_days=5');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.due, '2026-02-26');
  assert.equal(r.body.due_at, '2026-02-27T00:00:00+08:00');
  assert.equal(r.body.working_days, 5);
  assert.equal(r.body.holidays_passed.length, 9);
  assert.equal(r.body.holidays_passed[0], '2026-02-15');
  assert.ok(r.body.special_days.some((d) => d.date === '2026-02-14' && d.kind === 'workday'));
  // Tue 09-29 + 5: Wed 09-30 (1), 10-01..10-07 holiday, 10-08 (2), 10-09 (3), Sat 10-10
  // make-up (4), Sun 10-11 rest, Mon 10-12 (5).
  r = await worker.get('/api/v1/calendar/due?from=2026-09-29&working_days=5');
  assert.equal(r.body.due, '2026-10-12');
  assert.equal(r.body.holidays_passed.length, 7);
});

test('a year with no calendar is refused, never guessed', async () => {
  const r = await worker.get('/api/v1/calendar/due?from=2026-12-28&working_days=5');
  assert.equal(r.status, 409, r.text);
  assert.equal(r.body.error.code, 'calendar_missing');
  assert.match(r.body.error.message, /2027 年/);
  const ok = await worker.get('/api/v1/calendar/due?from=2026-12-28&working_days=3');
  assert.equal(ok.body.due, '2026-12-31');
});

test('working hours across a weekend and the lunch break, warning at 70%', async () => {
  // Fri 03-13 16:00 + 8 h: 1.5 h Friday, Monday 3 h morning, 13:30 + 3.5 h = 17:00; 70% = 5 h
  // 36 min -> Monday 14:36.
  const r = await worker.get(`/api/v1/calendar/due?from_time=${encodeURIComponent('2026-03-13T16:00:00+08:00')}&working_hours=8`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.due_at, '2026-03-16T17:00:00+08:00');
  assert.equal(r.body.warn_at, '2026-03-16T14:36:00+08:00');
  assert.equal(r.body.warn_share_pct, 70);
  for (const q of ['from=2026-02-12', 'from=2026-02-12&working_days=0', 'from=2026-02-12&working_days=367',
    'from=2026-02-30&working_days=1', 'from=2026-02-12&from_time=x&working_days=1', 'from_time=yesterday&working_hours=2']) {
    const bad = await worker.get(`/api/v1/calendar/due?${q}`);
    assert.equal(bad.status, 400, `${q}: ${bad.text}`);
    assert.match(bad.body.error.message, /[\u4e00-\u9fff]/);
  }
});

test('an administrator loads a year from CSV (all or nothing) and sets single days, audited', async () => {
  // Refused for callers without calendar.write.
  assert.equal((await operator.put('/api/v1/calendar/2027', { csv: '2027-01-01,holiday,元旦\n' })).status, 403);
  assert.equal((await worker.put('/api/v1/calendar/days/2026-05-06', { kind: 'holiday', name: 'x' })).status, 403);
  // A bad row refuses the whole file.
  let r = await leader.put('/api/v1/calendar/2027', { csv: 'date,kind,name\n2027-01-01,holiday,元旦\n2027-13-01,holiday,x\n' });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.body.error.code, 'bad_csv');
  assert.match(r.body.error.message, /第 3 行/);
  assert.equal((await worker.get('/api/v1/calendar/2027')).body.loaded, false);
  r = await leader.put('/api/v1/calendar/2027', { csv: 'date,kind,name\n2027-01-01,holiday,元旦\n2027-01-02,holiday,元旦\n2027-01-03,holiday,元旦\n', source: '测试通知', extra: 1 });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'unknown_field');
  r = await leader.put('/api/v1/calendar/2027', { csv: 'date,kind,name\n2027-01-01,holiday,元旦\n2027-01-02,holiday,元旦\n2027-01-03,holiday,元旦\n', source: '测试通知' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, { year: 2027, holidays: 3, workdays: 0 });
  // Now the count into 2027 goes through: 12-29, 12-30, 12-31, (01-01..03 off), 01-04, 01-05.
  r = await worker.get('/api/v1/calendar/due?from=2026-12-28&working_days=5');
  assert.equal(r.body.due, '2027-01-05');
  // One more holiday on 2027-01-04 moves it a day.
  r = await leader.put('/api/v1/calendar/days/2027-01-04', { kind: 'holiday', name: '测试假日' });
  assert.equal(r.status, 200, r.text);
  assert.equal((await worker.get('/api/v1/calendar/due?from=2026-12-28&working_days=5')).body.due, '2027-01-06');
  r = await leader.del('/api/v1/calendar/days/2027-01-04');
  assert.equal(r.status, 200, r.text);
  assert.equal((await worker.get('/api/v1/calendar/due?from=2026-12-28&working_days=5')).body.due, '2027-01-05');
  // A day of a year not loaded cannot be set; a malformed date names nothing.
  r = await leader.put('/api/v1/calendar/days/2029-01-04', { kind: 'holiday', name: 'x' });
  assert.equal(r.status, 409);
  assert.equal(r.body.error.code, 'calendar_missing');
  assert.equal((await leader.put('/api/v1/calendar/days/2027-1-4', { kind: 'holiday', name: 'x' })).status, 404);
  // Office hours.
  assert.equal((await leader.put('/api/v1/calendar/settings', { office_hours: '9-17' })).status, 400);
  r = await leader.put('/api/v1/calendar/settings', { office_hours: '08:30-12:00,14:00-18:00' });
  assert.equal(r.status, 200, r.text);
  r = await worker.get(`/api/v1/calendar/due?from_time=${encodeURIComponent('2026-03-13T16:00:00+08:00')}&working_hours=8`);
  assert.equal(r.body.due_at, '2026-03-16T16:30:00+08:00');
  assert.equal((await leader.put('/api/v1/calendar/settings', { office_hours: '09:00-12:00,13:30-17:30' })).status, 200);
  // Every write is in the audit trail.
  const audit = await auditor.get('/api/v1/audit?limit=200');
  assert.equal(audit.status, 200, audit.text);
  const actions = audit.body.items.map((a) => a.action);
  for (const a of ['calendar.load_year', 'calendar.set_day', 'calendar.clear_day', 'calendar.office_hours']) {
    assert.ok(actions.includes(a), `${a} audited: ${actions.slice(0, 30).join(', ')}`);
  }
});

test('reads need a login', async () => {
  const anon = clientFor(server, {});
  assert.equal((await anon.get('/api/v1/calendar/years')).status, 401);
  assert.equal((await anon.get('/api/v1/calendar/due?from=2026-02-12&working_days=5')).status, 401);
});
