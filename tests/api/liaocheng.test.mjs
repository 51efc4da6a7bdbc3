// The real Liaocheng in data/liaocheng/ (scripts/extract-liaocheng.mjs): the committed table has
// the NBS 2023 tree (8 county-level units, 136 townships, 2,408 villages and communities) with
// the county outlines; `wangge import regions` takes it as it is (the README's example) and a
// second import of it is refused whole; and the demo city is that tree (codes and names as in
// the file, the counties with the file's outlines).
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { makeTempDir, repoRoot, runCli } from '../lib/server.mjs';
import { loginAs, startDemoServer } from '../lib/auth.mjs';

const CSV = path.join(repoRoot, 'data/liaocheng/regions.csv');
const dir = makeTempDir('wangge-liaocheng-');
after(() => rmSync(dir, { recursive: true, force: true }));

// The table as {code → {name, boundary}}: RFC 4180 fields, enough for this file.
function readTable() {
  const rows = new Map();
  const lines = readFileSync(CSV, 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'code,name,boundary');
  for (const line of lines.slice(1)) {
    const m = line.match(/^(\d{12}),([^,"]+),(?:"((?:[^"]|"")*)")?$/);
    assert.ok(m, `unexpected line: ${line.slice(0, 80)}`);
    rows.set(m[1], { name: m[2], boundary: m[3] ? JSON.parse(m[3].replace(/""/g, '"')) : null });
  }
  return rows;
}

describe('data/liaocheng/regions.csv', () => {
  test('holds the 2023 tree of 聊城市: 8 / 136 / 2,408, with the county outlines', () => {
    const t = readTable();
    const at = (re) => [...t.keys()].filter((c) => re.test(c));
    assert.equal(t.get('371500000000').name, '聊城市');
    assert.equal(at(/^3715\d\d000000$/).length - 1, 8);
    assert.equal(at(/^3715\d{5}000$/).filter((c) => !c.endsWith('000000')).length, 136);
    assert.equal(at(/^3715\d{8}$/).filter((c) => !c.endsWith('000')).length, 2408);
    assert.equal(t.size, 1 + 8 + 136 + 2408);
    assert.equal(t.get('371502000000').name, '东昌府区');
    assert.equal(t.get('371581000000').name, '临清市');
    assert.equal(t.get('371503000000').name, '茌平区'); // a district since 2019
    for (const code of at(/^3715\d\d000000$/)) {
      const b = t.get(code).boundary;
      assert.ok(b && ['Polygon', 'MultiPolygon'].includes(b.type), `${code} has an outline`);
    }
    assert.equal(at(/^3715\d{8}$/).filter((c) => !c.endsWith('000000') && t.get(c).boundary).length, 0,
      'townships and villages have no public outlines');
  });
});

describe('wangge import regions data/liaocheng/regions.csv', () => {
  test('imports the whole table into a new database; a second time nothing', async () => {
    const db = path.join(dir, 'import.db');
    let r = await runCli(['import', 'regions', '--db', db, CSV]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported 2553 region\(s\)/);
    r = await runCli(['check', '--db', db]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // Every row is now a duplicate: each is listed with its line, and nothing is written.
    r = await runCli(['import', 'regions', '--db', db, CSV]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /第 2 行：区划代码 371500000000 已存在/);
    assert.match(r.stderr, /第 2554 行：/);
    assert.match(r.stderr, /nothing imported/);
  });
});

describe('the demo city', () => {
  test('is the tree of the file: its codes, names and county outlines', async () => {
    const t = readTable();
    const server = await startDemoServer();
    try {
      const admin = await loginAs(server, 'sysadmin'); // scope: the whole city
      const seen = [];
      for (let cursor = null; ;) {
        const res = await admin.get(`/api/v1/regions?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(res.status, 200, res.text);
        seen.push(...res.body.items);
        if (!res.body.next_cursor) break;
        cursor = res.body.next_cursor;
      }
      assert.equal(seen.length, 1 + 8 + 9 + 18, 'test scale: the city, 8 counties, 9 townships, 18 villages');
      for (const r of seen) assert.equal(r.name, t.get(r.code)?.name, `${r.code} as in the file`);
      const county = await admin.get('/api/v1/regions/371581000000');
      assert.equal(county.body.name, '临清市');
      assert.deepEqual(county.body.boundary, t.get('371581000000').boundary);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});
