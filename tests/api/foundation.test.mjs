// The foundation's HTTP contract, black-box against `wangge serve`: /healthz, request ids, the one
// error shape (400, 404, 405, 413, 414, 415), keep-alive, static files and their content types,
// and path traversal — nothing outside the web folder is ever served, however the path is spelt.
//
// The server runs with --web on a temporary folder this file populates, next to a secret file
// and a sibling folder whose name shares the web folder's prefix. Requests whose path fetch()
// would normalise are sent over raw sockets.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { advanceClock, serverNow, setClock } from '../lib/clock.mjs';
import { json, makeTempDir, runCli, startServer } from '../lib/server.mjs';

const SECRET = 'TOP-SECRET-7f3a91c2';        // content of files outside web/
const DOTFILE_SECRET = 'DOTFILE-SECRET-55e1'; // content of a dotfile inside web/
const SIBLING_SECRET = 'SIBLING-SECRET-0b7d'; // content of web-private/, a sibling of web/
const CHINESE = /[\u4e00-\u9fff]/;
const SANITIZER_MARKERS = ['ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:'];

let root, web, server, plain;

function assertNoSanitizerReport(text, what) {
  for (const m of SANITIZER_MARKERS) {
    const at = text.indexOf(m);
    assert.equal(at, -1, `${what}: sanitizer report\n${text.slice(Math.max(0, at - 500), at + 4000)}`);
  }
}

before(async () => {
  root = makeTempDir('wangge-foundation-');
  web = path.join(root, 'web');
  mkdirSync(path.join(web, 'app'), { recursive: true });
  mkdirSync(path.join(web, 'vendor'), { recursive: true });
  mkdirSync(path.join(web, 'docs'), { recursive: true });
  mkdirSync(path.join(web, 'escape'), { recursive: true });
  mkdirSync(path.join(web, 'empty'), { recursive: true });
  mkdirSync(path.join(root, 'outside'), { recursive: true });
  mkdirSync(path.join(root, 'web-private'), { recursive: true });
  writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>网格</title><p>home</p>\n');
  writeFileSync(path.join(web, 'app', 'main.js'), 'export const answer = 42;\n');
  writeFileSync(path.join(web, 'app', 'mod.mjs'), 'export default 1;\n');
  writeFileSync(path.join(web, 'app', 'app.css'), 'body { color: #333; }\n');
  writeFileSync(path.join(web, 'app', 'data.json'), '{"ok":true}\n');
  writeFileSync(path.join(web, 'app', 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>\n');
  writeFileSync(path.join(web, 'app', 'blob.bin'), Buffer.from([0, 1, 2, 3]));
  writeFileSync(path.join(web, 'vendor', 'lib.js'), 'export const lib = 1;\n');
  writeFileSync(path.join(web, 'docs', 'index.html'), '<p>docs index</p>\n');
  writeFileSync(path.join(web, '.env'), `${DOTFILE_SECRET}\n`);
  writeFileSync(path.join(root, 'secret.txt'), `${SECRET}\n`);
  writeFileSync(path.join(root, 'outside', 'secret.txt'), `${SECRET}\n`);
  writeFileSync(path.join(root, 'outside', 'index.html'), `${SECRET}\n`);
  writeFileSync(path.join(root, 'web-private', 'index.html'), `${SIBLING_SECRET}\n`);
  writeFileSync(path.join(root, 'web-private', 'page.html'), `${SIBLING_SECRET}\n`);
  // Symlinks inside web/ that point outside it.
  symlinkSync('../secret.txt', path.join(web, 'link-file.txt'));
  symlinkSync(path.join(root, 'secret.txt'), path.join(web, 'link-abs.js'));
  symlinkSync('../outside', path.join(web, 'link-dir'));
  symlinkSync('../web-private', path.join(web, 'link-sibling'));
  symlinkSync('../../web-private/index.html', path.join(web, 'escape', 'index.html'));
  symlinkSync('../web-private/page.html', path.join(web, 'sibling-page.html'));
  // A symlink that stays inside web/ is fine.
  symlinkSync('app/main.js', path.join(web, 'alias.js'));

  server = await startServer({ args: ['--web', web, '--enable-internal'] });
});

after(async () => {
  try {
    if (server) {
      assert.equal(await server.stop(), 0, 'wangge serve exits 0 on SIGTERM');
      assertNoSanitizerReport(server.logs(), 'wangge serve');
    }
    if (plain) {
      assert.equal(await plain.stop(), 0);
      assertNoSanitizerReport(plain.logs(), 'wangge serve (no internal routes)');
    }
  } finally {
    if (root) rmSync(root, { recursive: true, force: true });
  }
});

// One HTTP/1.1 exchange over a raw socket, so the request target is sent exactly as written.
// Returns { status, headers (lower-case names), body (Buffer), raw }.
function rawRequest(port, head, body = null, { timeout = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`timeout: ${head.split('\r\n')[0]}`)); }, timeout);
    sock.on('connect', () => {
      sock.write(head);
      if (body) sock.write(body);
    });
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', (e) => {
      // A reset after the response arrived (the server closing early) is fine.
      if (chunks.length) return;
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks);
      resolve(parseResponse(raw));
    });
  });
}

function parseResponse(raw) {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: Buffer.alloc(0), raw };
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status, headers, body, raw };
}

function get(target, extra = '') {
  return rawRequest(server.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`);
}

function assertErrorShape(res, status, code) {
  assert.equal(res.status, status);
  assert.match(res.headers.get ? res.headers.get('content-type') : res.headers['content-type'], /^application\/json/);
  const body = res.body instanceof Buffer ? JSON.parse(res.body.toString('utf8')) : res.body;
  assert.ok(body && typeof body.error === 'object', `error object in ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(body).sort(), ['error']);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message']);
  if (code) assert.equal(body.error.code, code);
  assert.match(body.error.message, CHINESE, 'error messages are in Chinese');
  const id = res.headers.get ? res.headers.get('x-request-id') : res.headers['x-request-id'];
  assert.match(id || '', /^[0-9a-f]{16}$/, 'errors carry X-Request-Id');
}

describe('/healthz', () => {
  test('shape and values', async () => {
    const { stdout } = await runCli(['version']);
    const version = stdout.trim().split(' ')[1];
    const before = Date.now();
    const r = await json(`${server.url}/healthz`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^application\/json; charset=utf-8$/);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.deepEqual(Object.keys(r.body).sort(), ['database', 'schema_version', 'status', 'time', 'uptime_s', 'version']);
    assert.equal(r.body.status, 'ok');
    assert.equal(r.body.version, version);
    assert.equal(r.body.database, 'ok');
    assert.ok(Number.isInteger(r.body.schema_version) && r.body.schema_version >= 1);
    assert.ok(Number.isInteger(r.body.uptime_s) && r.body.uptime_s >= 0 && r.body.uptime_s < 600);
    // Server time in Asia/Shanghai, and actually now.
    assert.match(r.body.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    const t = Date.parse(r.body.time);
    assert.ok(Math.abs(t - before) < 5000, `time ${r.body.time} is now`);
  });

  test('HEAD answers like GET without a body', async () => {
    const r = await rawRequest(server.port, 'HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(r.status, 200);
    assert.match(r.headers['x-request-id'], /^[0-9a-f]{16}$/);
    assert.equal(r.raw.length, r.raw.indexOf('\r\n\r\n') + 4, 'no body after the headers');
  });
});

describe('request ids', () => {
  test('every response carries a fresh X-Request-Id, also logged', async () => {
    const ids = new Set();
    const responses = await Promise.all([
      json(`${server.url}/healthz`),
      json(`${server.url}/api/v1/nope`),
      json(`${server.url}/healthz`, { method: 'DELETE' }),
      json(`${server.url}/api/v1/internal/probe`, { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } }),
      fetch(`${server.url}/app/main.js`),
      fetch(`${server.url}/`),
      fetch(`${server.url}/no-such-file.js`),
    ]);
    for (const r of responses) {
      const id = r.headers.get('x-request-id');
      assert.match(id || '', /^[0-9a-f]{16}$/, `X-Request-Id on ${r.status}`);
      ids.add(id);
    }
    assert.equal(ids.size, responses.length, 'ids are unique');
    // The access log line carries the same id.
    const id = responses[0].headers.get('x-request-id');
    await waitFor(() => server.logs().includes(`req=${id} event=request method=GET path=/healthz status=200`));
  });
});

describe('access log', () => {
  test('one line per request: id, method, path, status, bytes, duration, client', async () => {
    const r = await fetch(`${server.url}/healthz?verbose=1`);
    await r.text();
    const id = r.headers.get('x-request-id');
    await waitFor(() => server.logs().includes(`req=${id} `));
    const line = server.logs().split('\n').find((l) => l.includes(`req=${id} `));
    assert.match(line, new RegExp(`^ts=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ level=info req=${id} event=request `
      + 'method=GET path=/healthz status=200 bytes=\\d+ dur_us=\\d+ client=127\\.0\\.0\\.1$'));
  });

  test('hostile paths are quoted and escaped, and the log stays valid UTF-8', async () => {
    const r = await get('/a%20b%22c%0a%5c%ff%fe/%E7%BD%91%E6%A0%BC');
    const id = r.headers['x-request-id'];
    await waitFor(() => server.logs().includes(`req=${id} `));
    const line = server.logs().split('\n').find((l) => l.includes(`req=${id} `));
    // One line (the newline was escaped), the quote and backslash escaped, the stray bytes
    // \xff\xfe escaped rather than written raw; the valid UTF-8 kept.
    assert.ok(line.includes('path="/a b\\"c\\x0a\\\\\\xff\\xfe/网格" status=404'), line);
    assert.ok(!server.logs().includes('\ufffd'), 'no invalid UTF-8 in the log');
  });
});

async function waitFor(cond, ms = 3000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('errors', () => {
  const probe = () => `${server.url}/api/v1/internal/probe`;

  test('malformed JSON gets 400 with the error shape and a Chinese message', async () => {
    for (const body of ['{bad', '{"key": }', '{"key":"a",}', '', '[1,2]', '"str"', '{"key":"a","key":"b"}']) {
      const r = await json(probe(), { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      assertErrorShape(r, 400);
      assert.ok(['malformed_json', 'empty_body', 'not_an_object'].includes(r.body.error.code), r.body.error.code);
    }
    const r = await json(probe(), { method: 'POST', body: '{"key": tru', headers: { 'content-type': 'application/json' } });
    assertErrorShape(r, 400, 'malformed_json');
    // A valid body still works, and a bad key is refused by validation.
    assert.equal((await json(probe(), { method: 'POST', body: { key: 'found-1' } })).status, 201);
    assertErrorShape(await json(probe(), { method: 'POST', body: { key: 'has space' } }), 400);
    assertErrorShape(await json(probe(), { method: 'POST', body: { key: 42 } }), 400);
    assertErrorShape(await json(probe(), { method: 'POST', body: { key: 'found-1' } }), 409, 'duplicate_key');
    // Unknown fields are refused, like in every handler that takes a body.
    assertErrorShape(await json(probe(), { method: 'POST', body: { key: 'found-2', extra: 1 } }), 400, 'unknown_field');
  });

  test('a wrong content type gets 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
      'application/jsonp', 'application/json-seq', 'application/javascript']) {
      const r = await json(probe(), { method: 'POST', body: '{"key":"ct-1"}', headers: { 'content-type': type } });
      assertErrorShape(r, 415, 'unsupported_media_type');
    }
    for (const [i, type] of ['application/json; charset=utf-8', 'Application/JSON', 'application/json ;charset=UTF-8'].entries()) {
      const ok = await json(probe(), { method: 'POST', body: `{"key":"ct-ok-${i}"}`, headers: { 'content-type': type } });
      assert.equal(ok.status, 201, type);
    }
  });

  test('a body over the limit gets 413, announced by Content-Length', async () => {
    // Only the headers are sent: the server must answer without waiting for the body.
    const r = await rawRequest(server.port, 'POST /api/v1/internal/probe HTTP/1.1\r\nHost: x\r\n'
      + 'Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n');
    assertErrorShape(r, 413, 'body_too_large');
    // With the body actually sent (the probe route's limit is 1024 bytes).
    const big = JSON.stringify({ key: 'big', pad: 'x'.repeat(2000) });
    const r2 = await json(probe(), { method: 'POST', body: big, headers: { 'content-type': 'application/json' } });
    assertErrorShape(r2, 413, 'body_too_large');
    // Just under the limit is accepted.
    const fits = `{"key":"fits"${' '.repeat(900)}}`; // padded with insignificant white space
    assert.ok(fits.length < 1024);
    assert.equal((await json(probe(), { method: 'POST', body: fits, headers: { 'content-type': 'application/json' } })).status, 201);
    // A static file takes no body at all: its limit is zero.
    const r3 = await rawRequest(server.port, 'GET /app/main.js HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n'
      + 'Connection: close\r\n\r\n', '0123456789');
    assertErrorShape(r3, 413);
  });

  test('a chunked body over the limit gets 413', async () => {
    const chunk = `{"key":"chunked","pad":"${'y'.repeat(480)}`;
    let body = '';
    for (let i = 0; i < 4; i++) body += `${(chunk.length).toString(16)}\r\n${chunk}\r\n`;
    body += '0\r\n\r\n';
    const r = await rawRequest(server.port, 'POST /api/v1/internal/probe HTTP/1.1\r\nHost: x\r\n'
      + 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n', body);
    assertErrorShape(r, 413, 'body_too_large');
    // A sender that keeps going far past the limit is cut off; the server stays up.
    const huge = Buffer.alloc(64 * 1024, 'z');
    const sock = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => {
      sock.on('connect', async () => {
        sock.write('POST /api/v1/internal/probe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
          + 'Transfer-Encoding: chunked\r\n\r\n');
        for (let i = 0; i < 64 && !sock.destroyed; i++) {
          sock.write(`${huge.length.toString(16)}\r\n`);
          sock.write(huge);
          sock.write('\r\n');
          await new Promise((r) => setImmediate(r));
        }
        sock.end();
      });
      sock.on('error', resolve);
      sock.on('close', resolve);
      sock.resume();
    });
    // A small chunked body is fine.
    const ok = '{"key":"chunked-ok"}';
    const r2 = await rawRequest(server.port, 'POST /api/v1/internal/probe HTTP/1.1\r\nHost: x\r\n'
      + 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
    `${ok.length.toString(16)}\r\n${ok}\r\n0\r\n\r\n`);
    assert.equal(r2.status, 201);
  });

  test('an unknown route gets 404', async () => {
    for (const p of ['/api/v1/nope', '/api/v1', '/api/', '/api/v1/internal/probe/a/b', '/nope.html']) {
      const r = await json(`${server.url}${p}`);
      assertErrorShape(r, 404, 'not_found');
    }
    const r = await json(`${server.url}/api/v1/nope`, { method: 'POST', body: { a: 1 } });
    assertErrorShape(r, 404, 'not_found');
  });

  test('a wrong method gets 405 with Allow', async () => {
    let r = await json(`${server.url}/healthz`, { method: 'POST', body: {} });
    assertErrorShape(r, 405, 'method_not_allowed');
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
    r = await json(`${server.url}/api/v1/internal/probe`, { method: 'DELETE' });
    assertErrorShape(r, 405, 'method_not_allowed');
    assert.equal(r.headers.get('allow'), 'POST');
    r = await json(`${server.url}/api/v1/internal/probe/k`, { method: 'PUT', body: {} });
    assertErrorShape(r, 405);
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
  });

  test('internal routes are hidden (404) without --enable-internal', async () => {
    plain = await startServer({ args: ['--web', web] });
    const r = await json(`${plain.url}/api/v1/internal/probe`, { method: 'POST', body: { key: 'hidden' } });
    assertErrorShape(r, 404, 'not_found');
    assertErrorShape(await json(`${plain.url}/api/v1/internal/probe/hidden`), 404);
    assertErrorShape(await json(`${plain.url}/api/v1/internal/clock`, { method: 'POST', body: { advance_seconds: 60 } }), 404);
    await assert.rejects(advanceClock(plain, 60), /--enable-internal/);
    assert.equal((await json(`${plain.url}/healthz`)).status, 200);
  });

  test('a URI over the limit gets 414', async () => {
    const r = await get(`/api/v1/${'a'.repeat(3000)}`);
    assertErrorShape(r, 414, 'uri_too_long');
    const r2 = await get(`/${'b'.repeat(2100)}.js`);
    assertErrorShape(r2, 414, 'uri_too_long');
    // Just under the limit is routed normally (here: no such file).
    const r3 = await get(`/${'c'.repeat(2000)}`);
    assertErrorShape(r3, 404);
  });

  test('keep-alive: two requests on one connection', async () => {
    const sock = net.connect(server.port, '127.0.0.1');
    const data = await new Promise((resolve, reject) => {
      let buf = '';
      sock.on('connect', () => sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
      sock.setEncoding('utf8').on('data', (c) => {
        buf += c;
        if ((buf.match(/HTTP\/1\.1 200/g) || []).length === 2 && buf.trimEnd().endsWith('}')) {
          sock.end();
          resolve(buf);
        }
      });
      sock.on('error', reject);
      setTimeout(() => { sock.destroy(); reject(new Error(`one connection, two answers expected; got:\n${buf}`)); }, 3000);
    });
    assert.doesNotMatch(data, /Connection: close/i);
  });
});

describe('the test clock (POST /api/v1/internal/clock)', () => {
  const clock = (body) => json(`${server.url}/api/v1/internal/clock`, { method: 'POST', body });
  const serverTime = async () => Date.parse((await json(`${server.url}/healthz`)).body.time) / 1000;
  const TEN_YEARS = 10 * 366 * 86400;

  test('moves the time the server answers with, and back', async () => {
    const real = Date.now() / 1000;
    let r = await clock({ offset_seconds: 3600 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.offset_seconds, 3600);
    assert.match(r.body.now, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    assert.ok(Math.abs(Date.parse(r.body.now) / 1000 - real - 3600) < 5, r.body.now);
    assert.ok(Math.abs(await serverTime() - real - 3600) < 5);
    // advance_seconds adds to the offset in force; negative values move back.
    r = await clock({ advance_seconds: 86400 });
    assert.equal(r.body.offset_seconds, 3600 + 86400);
    r = await clock({ advance_seconds: -3600 });
    assert.equal(r.body.offset_seconds, 86400);
    // The helpers in tests/lib/clock.mjs keep the offset on the server object.
    await advanceClock(server, 60);
    assert.equal(server.clockOffset, 86460);
    assert.ok(Math.abs(serverNow(server) - await serverTime()) < 5);
    await setClock(server, 0);
    assert.equal(server.clockOffset, 0);
    assert.ok(Math.abs(await serverTime() - Date.now() / 1000) < 5);
    // The probe's creation time follows the clock too.
    await setClock(server, 7 * 86400);
    assert.equal((await json(`${server.url}/api/v1/internal/probe`, { method: 'POST', body: { key: 'clock-1' } })).status, 201);
    const created = Date.parse((await json(`${server.url}/api/v1/internal/probe/clock-1`)).body.created_at) / 1000;
    assert.ok(Math.abs(created - Date.now() / 1000 - 7 * 86400) < 5, `created_at ${created}`);
    await setClock(server, 0);
  });

  test('refuses anything but one bounded whole number of seconds, and then leaves the clock alone', async () => {
    await setClock(server, 120);
    const bad = [
      [{}, 'bad_request'],
      [{ offset_seconds: 1, advance_seconds: 1 }, 'bad_request'],
      [{ offset_seconds: 1.5 }, 'bad_offset'],
      [{ offset_seconds: '60' }, 'bad_offset'],
      [{ offset_seconds: true }, 'bad_offset'],
      [{ offset_seconds: null }, 'bad_offset'],
      [{ advance_seconds: [60] }, 'bad_offset'],
      [{ offset_seconds: TEN_YEARS + 1 }, 'bad_offset'],
      [{ offset_seconds: -TEN_YEARS - 1 }, 'bad_offset'],
      [{ advance_seconds: TEN_YEARS }, 'bad_offset'], // 120 + ten years is past the bound
      [{ advance_seconds: -TEN_YEARS * 2 }, 'bad_offset'],
      [{ advance_seconds: Number.MAX_SAFE_INTEGER }, 'bad_offset'],
      [{ offset_seconds: 60, unit: 's' }, 'unknown_field'],
    ];
    for (const [body, code] of bad) {
      const r = await clock(body);
      assertErrorShape(r, 400, code);
      assert.match(r.body.error.message, CHINESE);
    }
    assertErrorShape(await json(`${server.url}/api/v1/internal/clock`, { method: 'POST', body: '{"offset_seconds": 99999999999999999999999}', headers: { 'content-type': 'application/json' } }), 400);
    assertErrorShape(await json(`${server.url}/api/v1/internal/clock`, { method: 'POST', body: '', headers: { 'content-type': 'application/json' } }), 400, 'empty_body');
    // None of these moved the clock.
    assert.equal((await clock({ advance_seconds: 0 })).body.offset_seconds, 120);
    // The bounds themselves are accepted.
    assert.equal((await clock({ offset_seconds: TEN_YEARS })).status, 200);
    assert.equal((await clock({ offset_seconds: -TEN_YEARS })).status, 200);
    await setClock(server, 0);
  });
});

describe('static files', () => {
  const cases = [
    ['/', /^text\/html/, 'home'],
    ['/index.html', /^text\/html; charset=utf-8$/, 'home'],
    ['/app/main.js', /^text\/javascript(; charset=utf-8)?$/, 'answer = 42'],
    ['/app/app.css', /^text\/css(; charset=utf-8)?$/, 'color'],
    ['/app/icon.svg', /^image\/svg\+xml$/, '<svg'],
    ['/vendor/lib.js', /^text\/javascript/, 'lib'],
    ['/docs/', /^text\/html/, 'docs index'],
    ['/docs', /^text\/html/, 'docs index'],
    ['/alias.js', /^text\/javascript/, 'answer = 42'],
  ];
  for (const [p, type, content] of cases) {
    test(`GET ${p}`, async () => {
      const r = await fetch(`${server.url}${p}`);
      const text = await r.text();
      assert.equal(r.status, 200, `${p}: ${text}`);
      assert.match(r.headers.get('content-type'), type);
      assert.match(r.headers.get('x-request-id') || '', /^[0-9a-f]{16}$/);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      if (content) assert.ok(text.includes(content), `${p} body`);
    });
  }

  // Only the extensions the web UI has are served (an allow-list in src/http/server.c).
  for (const p of ['/app/mod.mjs', '/app/data.json', '/app/blob.bin']) {
    test(`GET ${p}: not an extension of the web UI, 404`, async () => {
      const r = await fetch(`${server.url}${p}`);
      assert.equal(r.status, 404, await r.text());
      assert.match(r.headers.get('content-type'), /^application\/json/);
    });
  }

  test('static files are revalidated by ETag: 304 when unchanged', async () => {
    for (const p of ['/vendor/lib.js', '/app/main.js']) {
      const first = await fetch(`${server.url}${p}`);
      await first.text();
      assert.equal(first.headers.get('cache-control'), 'no-cache');
      const etag = first.headers.get('etag');
      assert.match(etag || '', /^"[0-9a-f]+-[0-9a-f]+"$/);
      const again = await fetch(`${server.url}${p}`, { headers: { 'If-None-Match': etag } });
      assert.equal(again.status, 304);
      assert.equal((await again.text()).length, 0);
      const other = await fetch(`${server.url}${p}`, { headers: { 'If-None-Match': '"0-0"' } });
      assert.equal(other.status, 200);
      await other.text();
    }
  });

  test('a directory without index.html and a missing file are 404', async () => {
    assertErrorShape(await get('/empty/'), 404);
    assertErrorShape(await get('/app/missing.js'), 404);
  });
});

describe('path traversal: nothing outside web/ is served', () => {
  const targets = [
    '/../secret.txt',
    '/../../../../../../etc/passwd',
    '/app/../../secret.txt',
    '/app/../app/../../secret.txt',
    '/./../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/%2E%2E%2Fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/..%2fsecret.txt',
    '/..%2Fsecret.txt',
    '/.%2e/secret.txt',
    '/%2e./secret.txt',
    '/app/%2e%2e/%2e%2e/secret.txt',
    '/app%2f..%2f..%2fsecret.txt',
    '/%252e%252e/secret.txt',
    '/%252e%252e%252fsecret.txt',
    '/%25252e%25252e/secret.txt',
    '/..\\secret.txt',
    '/..%5csecret.txt',
    '/..%5Csecret.txt',
    '/%5c..%5csecret.txt',
    '/app\\..\\..\\secret.txt',
    '/%c0%ae%c0%ae/secret.txt',
    '/%c0%ae%c0%ae%c0%afsecret.txt',
    '/..%00/secret.txt',
    '/secret.txt%00.html',
    '//secret.txt',
    '/%2fetc/passwd',
    '/etc/passwd',
    '//etc/passwd',
    '/link-file.txt',
    '/link-abs.js',
    '/link-dir/secret.txt',
    '/link-dir/',
    '/link-dir',
    '/link-sibling/index.html',
    '/link-sibling/',
    '/sibling-page.html',
    '/escape/',
    '/escape',
    '/escape/index.html',
    '/.env',
    '/%2eenv',
    '/app/../.env',
    '/.',
    '/..',
    '/%2e%2e',
  ];
  const absolute = () => [
    path.join(root, 'secret.txt'),
    `${root}/outside/index.html`,
    `http://127.0.0.1:${server.port}/../secret.txt`,
    `http://127.0.0.1:${server.port}/%2e%2e/secret.txt`,
  ];

  function assertNotLeaked(target, r) {
    const body = r.body.toString('utf8');
    for (const s of [SECRET, DOTFILE_SECRET, SIBLING_SECRET, 'root:x:0:0']) {
      assert.ok(!body.includes(s), `${target} leaked ${s}`);
    }
    assert.notEqual(r.status, 200, `${target} must not succeed`);
    assert.ok(r.status >= 400 && r.status < 500, `${target}: status ${r.status}`);
  }

  test('raw request targets', async () => {
    for (const target of [...targets, ...absolute()]) {
      const r = await get(target);
      assertNotLeaked(target, r);
      if (r.status === 404) assertErrorShape(r, 404);
    }
  });

  test('the same through HEAD and with a query string', async () => {
    for (const target of targets.slice(0, 12)) {
      const r = await rawRequest(server.port, `HEAD ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.notEqual(r.status, 200, `HEAD ${target}`);
      const r2 = await get(`${target}?x=1`);
      assertNotLeaked(`${target}?x=1`, r2);
    }
  });

  test('the server still answers afterwards', async () => {
    const r = await json(`${server.url}/healthz`);
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ok');
    assert.equal((await fetch(`${server.url}/app/main.js`)).status, 200);
  });
});
