// The Content-Security-Policy and the other security headers, on every kind of response: the
// page, static files (scripts, styles, images, vendor libraries, a missing file), the health
// probe and JSON API answers. script-src allows the server's own files and the import map of
// index.html by its hash, and nothing inline or eval'd. Map tiles configured in config.json add
// their origin to img-src, and only a well-formed origin is accepted.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTempDir, repoRoot, startServer } from '../lib/server.mjs';

const indexHtml = readFileSync(path.join(repoRoot, 'web/index.html'), 'utf8');

// The inline scripts of index.html: [{attrs, body}].
function inlineScripts(html) {
  const out = [];
  for (const m of html.replace(/<!--[\s\S]*?-->/g, '').matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if (!/\bsrc\s*=/i.test(m[1])) out.push({ attrs: m[1], body: m[2] });
  }
  return out;
}

const sha256 = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

// "a b; c d" → Map { a → [b], c → [d] }
function directives(policy) {
  const map = new Map();
  for (const part of policy.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) {
      assert.ok(!map.has(name.toLowerCase()), `directive ${name} given twice`);
      map.set(name.toLowerCase(), values);
    }
  }
  return map;
}

function assertStrict(res, what) {
  const policy = res.headers.get('content-security-policy');
  assert.ok(policy, `${what}: no Content-Security-Policy`);
  const d = directives(policy);
  assert.deepEqual(d.get('default-src'), ["'self'"], what);
  const script = d.get('script-src');
  assert.ok(script && script.includes("'self'"), `${what}: script-src ${script}`);
  for (const bad of ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'strict-dynamic'", 'data:', 'blob:', '*']) {
    assert.ok(!script.includes(bad), `${what}: script-src has ${bad}`);
  }
  assert.ok(script.every((s) => s === "'self'" || /^'sha256-[A-Za-z0-9+/]{43}='$/.test(s)), `${what}: script-src ${script}`);
  assert.deepEqual(d.get('object-src'), ["'none'"], what);
  assert.deepEqual(d.get('frame-ancestors'), ["'none'"], what);
  assert.deepEqual(d.get('base-uri'), ["'none'"], what);
  assert.deepEqual(d.get('form-action'), ["'self'"], what);
  assert.deepEqual(d.get('connect-src'), ["'self'"], what);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer', what);
  return d;
}

describe('Content-Security-Policy', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { if (server) assert.equal(await server.stop(), 0); });

  test('index.html has one inline script, the import map', () => {
    const scripts = inlineScripts(indexHtml);
    assert.equal(scripts.length, 1, 'one inline script');
    assert.match(scripts[0].attrs, /type\s*=\s*"importmap"/);
    assert.doesNotMatch(indexHtml, /\son[a-z]+\s*=/i, 'no event handler attributes');
    assert.match(JSON.parse(scripts[0].body).imports.vue, /vendor\/vue\.js$/);
  });

  test('every kind of response carries the policy; script-src allows exactly the import map', async () => {
    const want = sha256(inlineScripts(indexHtml)[0].body);
    const paths = ['/', '/index.html', '/app/main.js', '/app/App.js', '/app/gen/App.js', '/app/app.css', '/favicon.svg',
      '/config.json', '/vendor/vue.js', '/vendor/element-plus/index.css', '/no-such-file.js', '/healthz',
      '/api/v1/session', '/api/v1/no-such-route'];
    for (const p of paths) {
      const res = await fetch(server.url + p);
      await res.arrayBuffer();
      const d = assertStrict(res, `GET ${p} (${res.status})`);
      assert.deepEqual(d.get('script-src'), ["'self'", want], `GET ${p}: script-src`);
      assert.deepEqual(d.get('img-src'), ["'self'", 'data:', 'blob:'], `GET ${p}: img-src`);
    }
    // A revalidation (304) too.
    const first = await fetch(server.url + '/');
    await first.text();
    const again = await fetch(server.url + '/', { headers: { 'if-none-match': first.headers.get('etag') } });
    assert.equal(again.status, 304);
    assertStrict(again, 'GET / (304)');
  });

  test('the browser gets the runtime-only Vue build (no template compiler, so no eval)', () => {
    const vue = readFileSync(path.join(repoRoot, 'web/vendor/vue.js'), 'utf8');
    assert.ok(!vue.includes('compileToFunction') && !vue.includes('new Function'), 'web/vendor/vue.js has the compiler');
  });
});

describe('map tiles in config.json', () => {
  // A web folder with only index.html and config.json: all the server reads for its policy.
  async function serveWith(config) {
    const web = makeTempDir('wangge-web-');
    copyFileSync(path.join(repoRoot, 'web/index.html'), path.join(web, 'index.html'));
    if (config !== undefined) writeFileSync(path.join(web, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
    const server = await startServer({ args: ['--web', web] });
    const res = await fetch(server.url + '/');
    await res.text();
    const d = assertStrict(res, `config ${JSON.stringify(config)}`);
    const logs = server.logs();
    assert.equal(await server.stop(), 0);
    return { img: d.get('img-src'), logs };
  }

  test('the tile server\'s origin is added to img-src, a subdomain placeholder as a wildcard', async () => {
    let r = await serveWith({ tileUrl: 'https://{s}.tile.example.org/{z}/{x}/{y}.png', tileAttribution: '© 示例' });
    assert.deepEqual(r.img, ["'self'", 'data:', 'blob:', 'https://*.tile.example.org']);
    r = await serveWith({ tileUrl: 'http://tiles.example.net:8081/t/{z}/{x}/{y}.png?key=abc' });
    assert.deepEqual(r.img, ["'self'", 'data:', 'blob:', 'http://tiles.example.net:8081']);
  });

  test('no config, no tiles, tiles of this server, or a bad tile URL: images from the server only', async () => {
    for (const config of [undefined, {}, { tileUrl: '' }, { tileUrl: '/tiles/{z}/{x}/{y}.png' }]) {
      const r = await serveWith(config);
      assert.deepEqual(r.img, ["'self'", 'data:', 'blob:'], JSON.stringify(config));
      assert.doesNotMatch(r.logs, /event=csp\.bad/, JSON.stringify(config));
    }
    for (const tileUrl of ["https://evil.example; script-src 'unsafe-inline'", 'javascript:alert(1)', '//tiles.example/{z}',
      'https://user@tiles.example/{z}', 'https://tiles.{s}.example/{z}', 'https://{s}/x', 'data:image/png,']) {
      const r = await serveWith({ tileUrl });
      assert.deepEqual(r.img, ["'self'", 'data:', 'blob:'], tileUrl);
      assert.match(r.logs, /event=csp\.bad_tile_url/, tileUrl);
    }
    const r = await serveWith('{ not json');
    assert.deepEqual(r.img, ["'self'", 'data:', 'blob:']);
    assert.match(r.logs, /event=csp\.bad_config/);
  });
});
