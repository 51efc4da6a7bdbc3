// The residents' pages without login (docs/api-matters.md "Residents"): the report form a grid's
// notice QR code leads to (multipart, with photos), the tracking page in plain words and its
// rating form; the per-address and per-grid quotas with the signed challenge and the hard 429;
// the same 404 for every code that finds nothing; the reporter's contact sealed in the database,
// masked on the tracking page and for staff (unmasked only with sensitive.unmask and a reason);
// and a browser carrying a staff session cookie reporting as nobody.
//
// The server believes X-Forwarded-For from 127.0.0.1 (--trusted-proxy), so each test reports
// from addresses of its own; quotas are small: 2 free reports per address (4 at most) and 10 per
// grid (12 at most) per hour.
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { clientFor, loginAs, startDemoServer } from '../lib/auth.mjs';
import { ensureCalendar } from '../lib/calendar.mjs';
import { PNG_1X1 } from '../lib/duty.mjs';
import { challengeIn, errorIn, getPage, postForm, reportViaForm } from '../lib/resident.mjs';

const ITEM = 'CG-001';
let server, township, leader, grids;
let addrSeq = 0;
const from = () => ({ 'x-forwarded-for': `198.51.100.${++addrSeq}` });
const fields = (extra = {}) => ({
  item: ITEM, title: '路灯不亮', description: '小区门口的路灯一周没亮了。', address: '古城路 1 号', contact: '13900001111', ...extra,
});

async function act(m, action, extra = {}) {
  const r = await township.post(`/api/v1/matters/${m.id}/actions`, { action, version: m.version, ...extra });
  assert.equal(r.status, 200, `${action}: ${r.text}`);
  return r.body;
}

// The township's newest matter reported by a resident with this title.
async function matterTitled(title) {
  const list = (await township.get('/api/v1/matters?state=reported&limit=50')).body.items;
  const hit = list.find((m) => m.title === title);
  assert.ok(hit, `no reported matter titled ${title}`);
  return (await township.get(`/api/v1/matters/${hit.id}`)).body;
}

before(async () => {
  server = await startDemoServer({
    args: ['--enable-internal', '--trusted-proxy', '127.0.0.1'],
    env: { WANGGE_PUBLIC_RATE: '100000', WANGGE_REPORT_QUOTA_ADDRESS: '2/4', WANGGE_REPORT_QUOTA_GRID: '10/12' },
  });
  await ensureCalendar(server);
  township = await loginAs(server, 'township');
  leader = await loginAs(server, 'center_leader');
  grids = (await township.get('/api/v1/grids?limit=6')).body.items.map((g) => g.code);
  assert.ok(grids.length >= 4, 'the township sees several grids');
});

after(async () => { if (server) assert.equal(await server.stop(), 0); });

describe('the report form', () => {
  test('a phone page of the grid, with the published list by category and no inline script or style', async () => {
    const r = await getPage(server, `/public/report/${grids[0]}`, from());
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /text\/html/);
    assert.match(r.text, /<meta name="viewport"/);
    assert.match(r.text, /<h1>[^<]*网格<\/h1>/);
    assert.match(r.text, /<optgroup label="城市管理"><option value="CG-001">占道经营<\/option>/);
    assert.match(r.text, /enctype="multipart\/form-data" action="\/public\/report\//);
    assert.equal((r.text.match(/type="file" accept="image\/\*" capture="environment"/g) || []).length, 3);
    assert.match(r.text, /<script src="\/public\/resident.js" defer><\/script>/);
    assert.doesNotMatch(r.text, /<script>|style=|https?:\/\//, 'no inline script or style, nothing from elsewhere');
    assert.equal(challengeIn(r.text), null, 'no challenge below the quota');
    assert.match(r.headers.get('content-security-policy') || '', /script-src 'self'/);
    for (const p of ['/public/resident.css', '/public/resident.js']) assert.equal((await getPage(server, p)).status, 200, p);
  });

  test('an unknown or retired grid answers a Chinese 404 page', async () => {
    const r = await getPage(server, '/public/report/999999999999999', from());
    assert.equal(r.status, 404);
    assert.match(r.text, /网格不存在/);
    const p = await postForm(server, '/public/report/999999999999999', fields(), [], from());
    assert.equal(p.status, 404);
  });

  test('a report with a photo answers its tracking code; the township sees it with the photo', async () => {
    const title = `井盖缺失-${Date.now()}`;
    const r = await reportViaForm(server, grids[0], fields({ title, item: 'CG-005' }), { files: [{ data: PNG_1X1 }], headers: from() });
    assert.equal(r.status, 201, r.text);
    assert.match(r.text, /请记下查询码/);
    assert.match(r.code, /^[2-9A-HJ-NP-Z]{16}$/);
    const m = await matterTitled(title);
    assert.equal(m.source, 'resident');
    assert.equal(m.item, 'CG-005');
    assert.equal(m.grid.code, grids[0]);
    assert.equal(m.photos.length, 1);
    assert.ok(!m.timeline[0].actor, 'reported by nobody logged in');
    const photo = await fetch(`${server.url}${m.photos[0].url}`, { headers: { cookie: `wg_session=${township.cookie}` } });
    assert.equal(photo.status, 200);
  });

  test('the location from the phone is kept; a malformed one is refused with the form again', async () => {
    const title = `定位-${Date.now()}`;
    const bad = await reportViaForm(server, grids[0], fields({ title, lng: 'abc', lat: '36.4' }), { headers: from() });
    assert.equal(bad.status, 400);
    assert.match(errorIn(bad.text), /位置无效/);
    assert.match(bad.text, new RegExp(`value="${title}"`), 'what was typed comes back');
    const ok = await reportViaForm(server, grids[0], fields({ title, lng: '115.98', lat: '36.45' }), { headers: from() });
    assert.equal(ok.status, 201, ok.text);
    const m = await matterTitled(title);
    assert.deepEqual(m.location, { lng: 115.98, lat: 36.45 });
  });

  test('refusals: no contact, an unknown field, four photos, a file that is no image', async () => {
    let r = await reportViaForm(server, grids[0], fields({ contact: '' }), { headers: from() });
    assert.equal(r.status, 400);
    assert.match(errorIn(r.text), /联系方式/);
    r = await postForm(server, `/public/report/${grids[0]}`, { ...fields(), source: 'patrol' }, [], from());
    assert.equal(r.status, 400);
    assert.match(errorIn(r.text), /不支持的字段/);
    r = await reportViaForm(server, grids[0], fields(), { files: [1, 2, 3, 4].map(() => ({ data: PNG_1X1 })), headers: from() });
    assert.equal(r.status, 400);
    assert.match(errorIn(r.text), /最多只能附 3 张照片/);
    r = await reportViaForm(server, grids[0], fields(), { files: [{ data: Buffer.from('<svg onload=alert(1)>'), type: 'image/png' }], headers: from() });
    assert.equal(r.status, 415);
    assert.ok(errorIn(r.text));
    r = await postForm(server, `/public/report/${grids[0]}`, {}, [], { ...from(), 'content-type': 'application/json' });
    assert.equal(r.status, 400);
  });

  test('a browser carrying a staff session cookie reports as nobody, without a CSRF token', async () => {
    const title = `带登录态-${Date.now()}`;
    const headers = { ...from(), cookie: `wg_session=${township.cookie}` };
    const r = await reportViaForm(server, grids[0], fields({ title }), { headers });
    assert.equal(r.status, 201, r.text);
    const m = await matterTitled(title);
    assert.ok(!m.timeline[0].actor, `not in the staff member's name: ${m.timeline[0].actor}`);
    // Staff routes keep their CSRF protection.
    const staff = await fetch(`${server.url}/api/v1/matters`, {
      method: 'POST', headers: { cookie: `wg_session=${township.cookie}`, 'content-type': 'application/json' },
      body: JSON.stringify({ item: ITEM, title: 'x', description: 'y', grid: grids[0] }),
    });
    assert.equal(staff.status, 403);
  });
});

describe('quotas and the challenge', () => {
  test('per address: two free reports, then the challenge, then 429 past the hard limit', async () => {
    const headers = from();
    const grid = grids[1];
    for (let i = 0; i < 2; i++) {
      const r = await reportViaForm(server, grid, fields({ title: `地址配额${i}` }), { headers });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.challenge, null);
    }
    // The form now asks; a post without an answer is refused with the question.
    let r = await reportViaForm(server, grid, fields(), { headers, solve: false });
    assert.ok(r.challenge, 'the form asks the challenge');
    assert.equal(r.status, 400);
    assert.match(errorIn(r.text), /验证问题/);
    assert.ok(challengeIn(r.text), 'a new question comes with the refusal');
    // A wrong answer is refused.
    r = await reportViaForm(server, grid, fields(), { headers, answer: 99 });
    assert.equal(r.status, 400);
    assert.match(errorIn(r.text), /不正确/);
    // The right answer goes through; the same token again does not.
    const page = await getPage(server, `/public/report/${grid}`, headers);
    const ch = challengeIn(page.text);
    const body = { ...fields({ title: '地址配额2' }), challenge_token: ch.token, challenge_answer: ch.answer };
    r = await postForm(server, `/public/report/${grid}`, body, [], headers);
    assert.equal(r.status, 201, r.text);
    r = await postForm(server, `/public/report/${grid}`, body, [], headers);
    assert.equal(r.status, 400, 'a token is spent once');
    // The token is bound to its address and grid.
    const other = await getPage(server, `/public/report/${grid}`, headers);
    const ch2 = challengeIn(other.text);
    r = await postForm(server, `/public/report/${grids[2]}`, { ...fields(), challenge_token: ch2.token, challenge_answer: ch2.answer }, [], headers);
    assert.equal(r.status, 400, 'not for another grid');
    r = await reportViaForm(server, grid, fields({ title: '地址配额3' }), { headers });
    assert.equal(r.status, 201, r.text);
    // Four from this address: the hard limit.
    r = await reportViaForm(server, grid, fields(), { headers });
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) > 0);
    assert.match(r.text, /提交过于频繁/);
    // The JSON API counts against the same quota.
    const json = await clientFor(server, {}).post('/api/v1/public/reports', { ...fields(), grid }, headers);
    assert.equal(json.status, 429);
    assert.equal(json.body.error.code, 'quota_exceeded');
    // Another address is free.
    r = await reportViaForm(server, grid, fields({ title: '另一地址' }), { headers: from() });
    assert.equal(r.status, 201);
    assert.equal(r.challenge, null);
  });

  test('per grid: ten free reports from different addresses, then the challenge, then 429', async () => {
    const grid = grids[3];
    for (let i = 0; i < 10; i++) {
      const r = await reportViaForm(server, grid, fields({ title: `网格配额${i}` }), { headers: from() });
      assert.equal(r.status, 201, `report ${i}: ${r.text.slice(0, 200)}`);
      assert.equal(r.challenge, null);
    }
    for (let i = 10; i < 12; i++) {
      const r = await reportViaForm(server, grid, fields({ title: `网格配额${i}` }), { headers: from() });
      assert.ok(r.challenge, `report ${i} is challenged although its address is fresh`);
      assert.equal(r.status, 201, r.text);
    }
    const r = await reportViaForm(server, grid, fields(), { headers: from() });
    assert.equal(r.status, 429);
    // Other grids are not held up.
    assert.equal(challengeIn((await getPage(server, `/public/report/${grids[0]}`, from())).text), null);
  });
});

describe('the tracking page', () => {
  let code, m;

  before(async () => {
    const title = `跟踪-${Date.now()}`;
    const r = await reportViaForm(server, grids[2], fields({ title, contact: '13912345678' }), { headers: from() });
    assert.equal(r.status, 201, r.text);
    code = r.code;
    m = await matterTitled(title);
  });

  test('the progress in plain words, the contact masked, nothing about staff', async () => {
    m = await act(m, 'accept');
    m = await act(m, 'feedback', { message: '已受理，三日内处理' });
    const r = await getPage(server, `/public/track/${code}`, from());
    assert.equal(r.status, 200);
    assert.match(r.text, /您反映的问题已提交/);
    assert.match(r.text, /已受理，正在安排办理/);
    assert.match(r.text, /已受理，三日内处理/);
    assert.match(r.text, /139\*\*\*\*5678/);
    assert.doesNotMatch(r.text, /13912345678/);
    assert.doesNotMatch(r.text, new RegExp(township.login.user.display_name), 'no staff names');
    assert.doesNotMatch(r.text, /rate"|name="rating"/, 'no rating before it is closed');
    // The code is not case- or dash-sensitive.
    const dashed = `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8, 12)}-${code.slice(12)}`.toLowerCase();
    assert.equal((await getPage(server, `/public/track/${dashed}`, from())).status, 200);
  });

  test('the contact is sealed in the database file', async () => {
    for (const f of [server.db, `${server.db}-wal`]) {
      if (!existsSync(f)) continue;
      assert.equal(readFileSync(f).includes(Buffer.from('13912345678')), false, `${f} holds the contact in clear`);
    }
  });

  test('staff see the contact masked; unmasking needs sensitive.unmask and a reason, and is audited', async () => {
    let r = await township.get(`/api/v1/matters/${m.id}/contact`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { contact: '139****5678', masked: true });
    r = await township.get(`/api/v1/matters/${m.id}/contact?unmask=1&reason=${encodeURIComponent('回访居民')}`);
    assert.equal(r.status, 403);
    r = await leader.get(`/api/v1/matters/${m.id}/contact?unmask=1&reason=${encodeURIComponent('回访居民')}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { contact: '13912345678', masked: false });
    const audit = await loginAs(server, 'auditor');
    const items = (await audit.get('/api/v1/audit?action=sensitive.unmask&limit=20')).body.items;
    assert.ok(items.some((a) => a.object === `matter:${m.id}`), 'the unmasking is in the trail');
    // A staff report has no contact.
    const w = await loginAs(server, 'grid_worker');
    const own = await w.post('/api/v1/matters', { item: ITEM, title: '巡查', description: '巡查发现', grid: w.login.grids[0].code });
    r = await township.get(`/api/v1/matters/${own.body.id}/contact`);
    assert.deepEqual(r.body, { contact: null, masked: true });
  });

  test('closed: the result and the answer, one rating; not satisfied goes to review; a second is refused', async () => {
    m = await act(m, 'handle');
    m = await act(m, 'submit', { result: '已更换灯泡' });
    m = await act(m, 'verify');
    m = await act(m, 'close');
    m = await act(m, 'feedback', { message: '路灯已修好，感谢反映' });
    let r = await getPage(server, `/public/track/${code}`, from());
    assert.match(r.text, /已办结/);
    assert.match(r.text, /<dt>办理结果<\/dt><dd>已更换灯泡<\/dd>/);
    assert.match(r.text, /路灯已修好，感谢反映/);
    assert.match(r.text, /name="rating" value="3"/);
    r = await postForm(server, `/public/track/${code}/rate`, { rating: '3', comment: '灯还是暗' }, [], from());
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /已转中心复核/);
    assert.doesNotMatch(r.text, /name="rating"/, 'no second form');
    r = await postForm(server, `/public/track/${code}/rate`, { rating: '1' }, [], from());
    assert.equal(r.status, 409);
    assert.match(r.text, /只能评价一次/);
    assert.equal((await township.get(`/api/v1/matters/${m.id}`)).body.state, 'reviewing');
  });

  test('a bad rating form is refused', async () => {
    for (const body of [{ rating: '4' }, { rating: '' }, { rating: '1', extra: 'x' }]) {
      const r = await postForm(server, `/public/track/${code}/rate`, body, [], from());
      assert.equal(r.status, 400, JSON.stringify(body));
    }
  });

  test('every code that finds nothing answers the same 404, in about the same time', async () => {
    const wrong = ['2222222222222222', 'ZZZZZZZZZZZZZZZZ', `${code.slice(0, 15)}${code[15] === '2' ? '3' : '2'}`, 'not-a-code', 'x'.repeat(300)];
    const pages = [];
    for (const c of wrong) {
      const r = await getPage(server, `/public/track/${encodeURIComponent(c)}`, from());
      assert.equal(r.status, 404, c);
      pages.push(r.text);
      const p = await postForm(server, `/public/track/${encodeURIComponent(c)}/rate`, { rating: '1' }, [], from());
      assert.equal(p.status, 404, `rate ${c}`);
      assert.equal(p.text, r.text, 'the rating form answers the same page');
    }
    assert.ok(pages.every((p) => p === pages[0]), 'the same page for every wrong code');
    assert.doesNotMatch(pages[0], /存在的|已撤销|已删除/);
    // Timing: the median of a well-formed unknown code and of a malformed one are close.
    const median = async (c) => {
      const t = [];
      for (let i = 0; i < 15; i++) {
        const s = process.hrtime.bigint();
        await getPage(server, `/public/track/${c}`, from());
        t.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
      return t.sort((a, b) => a - b)[7];
    };
    const a = await median('2222222222222222'), b = await median('not-a-code');
    assert.ok(Math.abs(a - b) < 5, `medians ${a.toFixed(2)} ms and ${b.toFixed(2)} ms`);
  });
});
