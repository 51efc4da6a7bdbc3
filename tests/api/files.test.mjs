// Files on disk: the database, its -wal and -shm, and the files beside it (keys, head record) are
// mode 0600 whatever the umask the server was started with; and the static file server never hands
// out such files, even when --web points at the folder that holds them (only the extensions the
// web UI uses, no dot-files, nothing in a dot-directory, symlinks judged by what they point at).
import assert from 'node:assert/strict';
import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { json, makeTempDir, startServer } from '../lib/server.mjs';

// The umask node was started with could hide the bug; use the usual permissive one.
let savedUmask;
before(() => { savedUmask = process.umask(0o022); });
after(() => { process.umask(savedUmask); });

describe('file modes', () => {
  test('the database, -wal, -shm, key files and head record are 0600', async () => {
    const server = await startServer({ args: ['--enable-internal'] });
    try {
      // A write, so the WAL holds something and every file exists while the server runs.
      assert.equal((await json(`${server.url}/api/v1/internal/probe`, { method: 'POST', body: { key: 'mode' } })).status, 201);
      for (const suffix of ['', '-wal', '-shm', '.audit.key', '.data.key', '.audit.head']) {
        const f = `${server.db}${suffix}`;
        assert.equal((statSync(f).mode & 0o777).toString(8), '600', `${path.basename(f)} is 0600`);
      }
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});

describe('static files with --web at the database folder', () => {
  let server, dir;
  before(async () => {
    dir = makeTempDir('wangge-webdb-');
    writeFileSync(path.join(dir, 'page.html'), '<!doctype html><title>ok</title>\n');
    writeFileSync(path.join(dir, 'style.css'), 'body{}\n');
    writeFileSync(path.join(dir, 'notes.txt'), 'not part of the web UI\n');
    writeFileSync(path.join(dir, 'export.json'), '{"secret":1}\n');
    writeFileSync(path.join(dir, 'wangge.db.accounts.json'), '{"password":"secret"}\n');
    writeFileSync(path.join(dir, 'config.json'), '{}\n');
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'sub', 'config.json'), '{"secret":2}\n');
    writeFileSync(path.join(dir, '.hidden.html'), 'hidden\n');
    mkdirSync(path.join(dir, '.private'));
    writeFileSync(path.join(dir, '.private', 'inside.html'), 'private\n');
    symlinkSync(path.join(dir, '.private', 'inside.html'), path.join(dir, 'alias.html'));
    symlinkSync(path.join(dir, 'wangge.db.audit.key'), path.join(dir, 'key.html'));
    server = await startServer({ db: path.join(dir, 'wangge.db'), args: ['--web', dir, '--enable-internal'] });
    assert.equal((await json(`${server.url}/api/v1/internal/probe`, { method: 'POST', body: { key: 'web' } })).status, 201);
  });
  after(async () => {
    if (server) assert.equal(await server.stop(), 0);
  });

  test('an .html and a .css file there are served', async () => {
    const page = await fetch(`${server.url}/page.html`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    assert.match(await page.text(), /<title>ok<\/title>/);
    assert.equal((await fetch(`${server.url}/style.css`)).status, 200);
  });

  test('the database, its -wal and -shm, the keys and the head record are 404', async () => {
    for (const name of ['wangge.db', 'wangge.db-wal', 'wangge.db-shm', 'wangge.db.audit.key',
      'wangge.db.data.key', 'wangge.db.audit.head']) {
      const res = await fetch(`${server.url}/${name}`);
      assert.equal(res.status, 404, `${name} is not served`);
      assert.match(res.headers.get('content-type'), /application\/json/);
      const body = await res.text();
      assert.ok(!body.includes('SQLite format'), `${name}: no database bytes`);
    }
  });

  test('extensions the web UI does not use are 404', async () => {
    for (const name of ['notes.txt', 'export.json', 'wangge.db.accounts.json', 'sub/config.json']) {
      assert.equal((await fetch(`${server.url}/${name}`)).status, 404, name);
    }
    // The one JSON file the UI reads, at the root only.
    const config = await fetch(`${server.url}/config.json`);
    assert.equal(config.status, 200);
    assert.match(config.headers.get('content-type'), /^application\/json/);
  });

  test('dot-files, dot-directories and symlinks into them or onto a key are 404', async () => {
    for (const p of ['/.hidden.html', '/.private/inside.html', '/%2eprivate/inside.html', '/alias.html', '/key.html']) {
      assert.equal((await fetch(`${server.url}${p}`)).status, 404, p);
    }
  });
});
