// `wangge import regions`: every bad row is reported with its line number and a reason, nothing
// is half-imported, and a good file (BOM, CRLF, quoted GeoJSON, parents after children, 6-digit
// codes) is imported and then served by the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeDemoDb, startDemoServer, loginAs } from '../lib/auth.mjs';
import { makeTempDir, runCli } from '../lib/server.mjs';

const poly = '"{""type"":""Polygon"",""coordinates"":[[[117.0,36.0],[117.1,36.0],[117.1,36.1],[117.0,36.1],[117.0,36.0]]]}"';
const bowtie = '"{""type"":""Polygon"",""coordinates"":[[[117,36],[117.1,36.1],[117.1,36],[117,36.1],[117,36]]]}"';

test('import regions: bad rows reported by line, nothing half-imported; good file imported', async () => {
  const db = await makeDemoDb();
  const dir = makeTempDir('wangge-import-');
  const bad = path.join(dir, 'bad.csv');
  writeFileSync(bad, [
    'code,name,boundary',
    '371502030000,新城街道,',                  // 2 good
    '371502030001,新城第一社区,' + poly,        // 3 good (parent on line 2)
    '37150203000,短代码社区',                   // 4 wrong length
    '371502030002,',                            // 5 missing name
    '371599030000,无上级街道',                  // 6 unknown parent
    '371502030001,重复社区',                    // 7 duplicate of line 3
    '371502001001,已有社区',                    // 8 already in the database (demo)
    '371502030003,坏边界社区,{"type":',         // 9 bad GeoJSON (broken quoting too)
    '371502030004,蝴蝶社区,' + bowtie,          // 10 self-intersecting
    '',
  ].join('\n'));
  let r = await runCli(['import', 'regions', '--db', db, bad]);
  assert.equal(r.code, 1, r.stderr);
  for (const [line, needle] of [[4, '6 位或 12 位'], [5, '缺少名称'], [6, '371599000000 不存在'], [7, '与第 3 行重复'],
    [8, '已存在'], [10, '自相交']]) {
    assert.match(r.stderr, new RegExp(`第 ${line} 行：[^\\n]*${needle}`), `line ${line}`);
  }
  assert.match(r.stderr, /第 9 行/);
  assert.doesNotMatch(r.stderr, /第 2 行|第 3 行：/);
  assert.match(r.stderr, /nothing imported/);

  const good = path.join(dir, 'good.csv');
  writeFileSync(good, '\ufeffcode,name,boundary\r\n'
    + '371502030001,新城第一社区,' + poly + '\r\n'
    + '371502030200,新城村,\r\n'
    + '371502030000,新城街道\r\n');
  r = await runCli(['import', 'regions', '--db', db, good]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /imported 3 region/);

  r = await runCli(['import', 'regions', '--db', db]);
  assert.equal(r.code, 2);

  const server = await startDemoServer({ db });
  try {
    const op = await loginAs(server, 'center_operator');
    let res = await op.get('/api/v1/regions/371502030001');
    assert.equal(res.status, 200);
    assert.equal(res.body.name, '新城第一社区');
    assert.equal(res.body.boundary.type, 'Polygon');
    assert.equal(res.body.parent_code, '371502030000');
    res = await op.get('/api/v1/regions/371502030200');
    assert.equal(res.body.kind, '村');
    // Nothing of the bad file came in.
    res = await op.get('/api/v1/regions/371502030002');
    assert.equal(res.status, 404);
    res = await op.get('/api/v1/regions/371502030004');
    assert.equal(res.status, 404);
  } finally {
    await server.stop();
  }
});
