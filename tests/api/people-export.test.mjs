// The .xlsx export of the people register (issue 12 part 7, docs/api-registry.md). What it must
// show: the file is a workbook attachment holding the people of the filter, with their ID and
// phone numbers masked exactly as the list answers them (no plaintext number anywhere in the
// bytes); key people only for a caller with person.key_read and a reason; every export, refused
// or not, in the audit trail with its row count; a grid worker and a department handler get 403;
// more people than the cap (lowered here to 3) is refused with 413 and nothing exported.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loginAs, startDemoServer } from '../lib/auth.mjs';
import { residentId } from '../lib/registry.mjs';
import { unzip } from '../lib/xlsx.mjs';


let server, op, leader, handler, worker, auditor, workerGrid;

before(async () => {
  server = await startDemoServer({ env: { WANGGE_PEOPLE_EXPORT_MAX_ROWS: '3' } });
  op = await loginAs(server, 'center_operator');
  leader = await loginAs(server, 'center_leader');
  handler = await loginAs(server, 'dept_handler');
  worker = await loginAs(server, 'grid_worker');
  auditor = await loginAs(server, 'auditor');
  workerGrid = worker.login.grids[0].code;
});
after(async () => { if (server) assert.equal(await server.stop(), 0); });

async function download(client, query) {
  const res = await fetch(`${server.url}/api/v1/people/export.xlsx${query}`, { headers: { cookie: `wg_session=${client.cookie}` } });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body };
}
const strings = (xlsx) => unzip(xlsx).get('xl/sharedStrings.xml').toString();

describe('people export', () => {
  test('masked as the list, an attachment, audited with its row count', async () => {
    const h = await op.post('/api/v1/houses', { grid: workerGrid, address: '导出路 9 号', type: '住宅', use: '自住' });
    assert.equal(h.status, 201, h.text);
    const people = [
      { name: '导出甲', id_number: residentId('37150219820304001'), phone: '13911112222' },
      { name: '导出乙', id_number: residentId('37150219911120002'), phone: '13933334444' },
    ];
    for (const p of people) {
      const r = await op.post('/api/v1/people', { ...p, reg_type: '户籍', house: h.body.id });
      assert.equal(r.status, 201, r.text);
    }
    const res = await download(op, `?house=${h.body.id}`);
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(res.body.subarray(0, 2).toString(), 'PK');
    assert.match(res.headers.get('content-disposition'), /^attachment; filename="people-\d{4}-\d{2}-\d{2}\.xlsx"$/);
    assert.match(res.headers.get('content-type'), /spreadsheetml/);
    const xml = strings(res.body);
    const list = await op.get(`/api/v1/people?house=${h.body.id}`);
    assert.equal(list.body.items.length, 2);
    for (const p of people) {
      assert.equal(res.body.indexOf(Buffer.from(p.id_number)), -1, 'an ID number in clear in the file');
      assert.equal(res.body.indexOf(Buffer.from(p.phone)), -1, 'a phone number in clear in the file');
      assert.ok(!xml.includes(p.id_number) && !xml.includes(p.phone), 'a number in clear in the sheet');
      const item = list.body.items.find((x) => x.name === p.name);
      assert.ok(xml.includes(`>${p.name}<`), `${p.name} exported`);
      assert.ok(xml.includes(`>${item.id_number}<`), `the masked ID number of ${p.name} as the list answers it`);
      assert.ok(xml.includes(`>${item.phone}<`), `the masked phone of ${p.name}`);
    }
    const a = await auditor.get('/api/v1/audit?action=person.export&limit=50');
    assert.equal(a.status, 200, a.text);
    assert.ok(a.body.items.some((x) => x.outcome === 'success' && x.detail.includes('导出实有人口 2 人') && x.detail.includes(`房屋=${h.body.id}`)), a.text);
  });

  test('key people only with person.key_read and a reason', async () => {
    // The operator (no key_read) and the leader without a reason export no key person; the
    // leader with a reason may ask for a key category.
    let r = await download(op, '?tag=community_correction');
    assert.equal(r.status, 400);
    r = await download(leader, '?tag=community_correction');
    assert.equal(r.status, 400);
    r = await download(leader, `?tag=community_correction&reason=${encodeURIComponent('核对重点人员名单')}`);
    assert.equal(r.status, 200, r.body.toString());
    assert.ok(strings(r.body).includes('>是<'), 'the key person is exported and marked');
    const a = await auditor.get('/api/v1/audit?action=person.key_read&limit=50');
    assert.ok(a.body.items.some((x) => x.object === 'people:export' && x.detail.includes('核对重点人员名单')), a.text);
  });

  test('403 without person.export; more than the cap is refused and audited', async () => {
    assert.equal((await download(worker, '')).status, 403);
    assert.equal((await download(handler, '')).status, 403);
    const r = await op.get('/api/v1/people?limit=10');
    assert.ok(r.body.items.length > 3, 'the operator sees more people than the cap');
    const res = await download(op, '');
    assert.equal(res.status, 413);
    const body = JSON.parse(res.body.toString());
    assert.equal(body.error.code, 'too_many_rows');
    assert.match(body.error.message, /超过 3 人/);
    const a = await auditor.get('/api/v1/audit?action=person.export&limit=50');
    assert.ok(a.body.items.some((x) => x.outcome === 'failure' && x.detail.includes('超过 3 人')), a.text);
  });
});
