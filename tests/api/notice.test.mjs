// The public notice board of a grid (Art. 15; docs/api-duty.md, "Public notice"): no login; the
// grid's name, code, scope and outline, its active workers (name, full-time or part-time, lead
// first, work phone in full) and nothing else about them, the ten duties, the supervision phone;
// built from live data (a change of assignment shows on the next view); 404 in Chinese for an
// unknown or retired grid; the print view's QR code decodes (zbarimg) to the grid's report URL;
// the link's base is --public-url, or a Host that passes validation; a rate limit per client
// address (behind a trusted proxy, the forwarded address) answers 429 with Retry-After.
//
// Workers are added, moved and retired through the worker registry API (docs/api-workers.md).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loginAs, makeDemoDb, startDemoServer } from '../lib/auth.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { makeTempDir } from '../lib/server.mjs';

const PUBLIC_URL = 'https://wangge.example.cn';
let server, operator, gridA, gridB;

function residentId(first17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * w[i];
  return first17 + '10X98765432'[sum % 11];
}

let seq = 0;
async function addWorker({ name, workPhone, employment = 'full_time', grid }) {
  const g = (await operator.get(`/api/v1/grids/${grid}`)).body;
  const township = `${g.community.code.slice(0, 9)}000`;
  const r = await operator.post('/api/v1/workers', {
    name, id_number: residentId(`37150219900307${String(500 + ++seq).padStart(3, '0')}`),
    employment, ...(employment === 'part_time' ? { part_time_source: 'volunteer' } : {}),
    region: township, phone: '13812340000', work_phone: workPhone, start_date: '2024-01-01',
  });
  assert.equal(r.status, 201, r.text);
  const p = await operator.put(`/api/v1/workers/${r.body.id}/grids`, { grids: [{ code: grid, lead: false }] });
  assert.equal(p.status, 200, p.text);
  return r.body.id;
}
async function moveWorker(id, grid) {
  const p = await operator.put(`/api/v1/workers/${id}/grids`, { grids: [{ code: grid, lead: false }] });
  assert.equal(p.status, 200, p.text);
}
async function retireWorker(id) {
  const r = await operator.post(`/api/v1/workers/${id}/exit`, { date: '2026-06-30', reason: '调离' });
  assert.equal(r.status, 200, r.text);
}

async function page(url, headers = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

// GET with a chosen Host header (fetch does not let a caller set it).
function getWithHost(base, p, host) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: p, headers: { host } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

const reportUrlIn = (html) => html.match(/<p class="url">([^<]*)<\/p>/)?.[1];

before(async () => {
  server = await startDemoServer({ args: ['--public-url', PUBLIC_URL], env: { WANGGE_PUBLIC_RATE: '10000' } });
  operator = await loginAs(server, 'center_operator');
  const worker = await loginAs(server, 'grid_worker');
  [gridA, gridB] = worker.login.grids.map((g) => g.code);
});

after(async () => { if (server) assert.equal(await server.stop(), 0); });

describe('the notice page', () => {
  test('shows the grid, scope, outline, duties and the supervision phone, without login', async () => {
    const r = await page(`${server.url}/public/grids/${gridA}`);
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^text\/html/);
    assert.match(r.text, /<html lang="zh-CN">/);
    assert.ok(r.text.includes(`网格编码 ${gridA}`));
    assert.match(r.text, /<h2>管辖范围<\/h2><p>东昌府区 [^<]+<\/p><svg class="outline"/);
    assert.match(r.text, /<path fill-rule="evenodd" d="M[0-9.]+ [0-9.]+L/);
    assert.match(r.text, /依法采集、核实网格内实有人口/);
    assert.equal((r.text.match(/<li>/g) || []).length >= 10, true);
    assert.match(r.text, /网格化服务管理中心：<a class="phone" href="tel:0635-8\d{6}">0635-8\d{6}<\/a>/);
    assert.ok(!/<script|style="/.test(r.text), 'no script, no inline style');
    assert.ok(r.text.includes('href="/public/notice.css"'));
    const css = await fetch(`${server.url}/public/notice.css`);
    assert.equal(css.status, 200);
    assert.match(await css.text(), /@page \{ size: A4/);
  });

  test('shows the active workers with the work phone in full, lead first, and nothing else about them', async () => {
    const lead = await addWorker({ name: '王公示', workPhone: '0635-2223334', grid: gridA });
    await addWorker({ name: '<b>李兼职</b>', workPhone: '13900001111', employment: 'part_time', grid: gridA });
    const r = await page(`${server.url}/public/grids/${gridA}`);
    // The demo's grid worker leads the grid: listed first, as the lead.
    assert.match(r.text, /<span class="name">郑网格<\/span> <span class="tag">牵头网格员 · 专职<\/span>/);
    assert.match(r.text, /<span class="name">王公示<\/span> <span class="tag">专职<\/span> <a class="phone" href="tel:0635-2223334">0635-2223334<\/a>/);
    // Names are text, escaped; the others after the lead.
    assert.ok(r.text.indexOf('郑网格') < r.text.indexOf('王公示'));
    assert.ok(r.text.indexOf('郑网格') < r.text.indexOf('&lt;b&gt;李兼职&lt;/b&gt;'));
    assert.ok(!r.text.includes('<b>李兼职'));
    assert.ok(r.text.includes('13900001111'));
    assert.ok(r.text.includes('兼职'));
    // No ID number, personal phone, birth date, sex or record id.
    for (const secret of ['v1:', '1990', '13812340000', 'bidx', `workers/${lead}`]) {
      assert.ok(!r.text.includes(secret), `the page shows ${secret}`);
    }
  });

  test('changes as soon as a worker\'s grid assignment changes', async () => {
    const id = await addWorker({ name: '赵调动', workPhone: '0635-5556667', grid: gridA });
    assert.ok((await page(`${server.url}/public/grids/${gridA}`)).text.includes('赵调动'));
    assert.ok(!(await page(`${server.url}/public/grids/${gridB}`)).text.includes('赵调动'));
    await moveWorker(id, gridB);
    assert.ok(!(await page(`${server.url}/public/grids/${gridA}`)).text.includes('赵调动'));
    const b = await page(`${server.url}/public/grids/${gridB}`);
    assert.ok(b.text.includes('赵调动') && b.text.includes('0635-5556667'));
    await retireWorker(id);
    assert.ok(!(await page(`${server.url}/public/grids/${gridB}`)).text.includes('赵调动'));
  });

  test('an unknown or retired grid is a Chinese 404 page', async () => {
    let r = await page(`${server.url}/public/grids/371502999999999`);
    assert.equal(r.status, 404);
    assert.match(r.text, /网格不存在/);
    r = await page(`${server.url}/public/grids/%3Cscript%3E`);
    assert.equal(r.status, 404);
    assert.ok(!r.text.includes('<script>'));
    const list = (await operator.get('/api/v1/grids?limit=50')).body.items;
    const victim = list.find((g) => g.code !== gridA && g.code !== gridB && g.status === 'active');
    const ret = await operator.post(`/api/v1/grids/${victim.code}/retire`, { reason: '公示测试撤销' });
    assert.equal(ret.status, 200, ret.text);
    r = await page(`${server.url}/public/grids/${victim.code}`);
    assert.equal(r.status, 404);
    r = await page(`${server.url}/public/grids/${victim.code}/print`);
    assert.equal(r.status, 404);
  });
});

describe('the print view', () => {
  test('is an A4 board whose QR code decodes to the grid\'s report URL', async () => {
    const r = await page(`${server.url}/public/grids/${gridA}/print`);
    assert.equal(r.status, 200);
    assert.match(r.text, /<main class="notice board">/);
    const want = `${PUBLIC_URL}/public/report/${gridA}`;
    assert.equal(reportUrlIn(r.text), want);
    const svg = r.text.match(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="qr"[\s\S]*?<\/svg>/)?.[0];
    assert.ok(svg, 'a QR SVG on the page');
    // Rasterise with chromium, decode with zbarimg.
    const dir = makeTempDir('wangge-qr-');
    const png = path.join(dir, 'qr.png');
    const browser = await launchBrowser({ viewport: { width: 420, height: 420 } });
    try {
      const p = await browser.newPage();
      const sized = svg.replace('width="40mm" height="40mm"', 'width="400" height="400"');
      await p.page.setContent(`<!doctype html><html><body style="margin:10px;background:#fff">${sized}</body></html>`);
      await p.page.locator('svg.qr').screenshot({ path: png });
    } finally {
      await browser.close();
    }
    const decoded = execFileSync('zbarimg', ['--raw', '-q', png], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    assert.equal(decoded, want);
    writeFileSync(path.join(dir, 'qr.svg'), svg);
  });
});

describe('links and the rate limit', () => {
  let proxied;

  before(async () => {
    // No --public-url; believes X-Forwarded-For from 127.0.0.1; five requests a minute.
    const db = await makeDemoDb();
    proxied = await startDemoServer({ db, args: ['--trusted-proxy', '127.0.0.1'], env: { WANGGE_PUBLIC_RATE: '5' } });
  });

  after(async () => { if (proxied) assert.equal(await proxied.stop(), 0); });

  test('without --public-url the Host is used only when it is a plain host name', async () => {
    const p = `/public/grids/${gridA}/print`;
    let r = await getWithHost(proxied.url, p, 'wangge.local:8080');
    assert.equal(reportUrlIn(r.text), `http://wangge.local:8080/public/report/${gridA}`);
    r = await getWithHost(proxied.url, p, 'evil.example/phish?x=');
    assert.equal(reportUrlIn(r.text), `http://localhost/public/report/${gridA}`);
    // --public-url wins over any Host.
    r = await getWithHost(server.url, p, 'evil.example');
    assert.equal(reportUrlIn(r.text), `${PUBLIC_URL}/public/report/${gridA}`);
  });

  test('429 with Retry-After after the quota, per client address', async () => {
    const url = `${proxied.url}/public/grids/${gridA}`;
    const from = (addr) => ({ 'x-forwarded-for': addr });
    for (let i = 0; i < 5; i++) assert.equal((await page(url, from('203.0.113.7'))).status, 200, `request ${i + 1}`);
    const r = await page(url, from('203.0.113.7'));
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    const body = JSON.parse(r.text);
    assert.equal(body.error.code, 'rate_limited');
    assert.match(body.error.message, /频繁/);
    // Another address has its own quota; the API is not limited by it.
    assert.equal((await page(url, from('203.0.113.8'))).status, 200);
    assert.equal((await page(`${proxied.url}/healthz`, from('203.0.113.7'))).status, 200);
  });
});

describe('the supervision phone', () => {
  test('the system administrator sets a center\'s phone; the board shows it at once', async () => {
    const sys = await loginAs(server, 'sysadmin');
    const orgs = (await sys.get('/api/v1/orgs?limit=200')).body.items;
    const town = orgs.find((o) => o.kind === 'center' && o.level === 'township');
    assert.match(town.supervision_phone, /^0635-8\d{6}$/);
    let r = await sys.patch(`/api/v1/orgs/${town.id}`, { supervision_phone: '0635-1112223' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.supervision_phone, '0635-1112223');
    assert.ok((await page(`${server.url}/public/grids/${gridA}`)).text.includes('tel:0635-1112223'));
    r = await sys.patch(`/api/v1/orgs/${town.id}`, { supervision_phone: '<b>x</b>' });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'bad_phone');
    const dept = orgs.find((o) => o.kind === 'department');
    r = await sys.patch(`/api/v1/orgs/${dept.id}`, { supervision_phone: '0635-1112223' });
    assert.equal(r.body.error.code, 'not_a_center', r.text);
    // Cleared: the board falls back to the county center's phone.
    r = await sys.patch(`/api/v1/orgs/${town.id}`, { supervision_phone: null });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.supervision_phone, null);
    const text = (await page(`${server.url}/public/grids/${gridA}`)).text;
    assert.ok(!text.includes('0635-1112223'));
    assert.match(text, /东昌府区网格化服务管理中心：<a class="phone"/);
  });
});
