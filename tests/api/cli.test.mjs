// The `wangge` command line: usage errors exit 2 with usage on stderr, version and help, migrate,
// check on healthy, missing, corrupted and foreign files, and the WANGGE_* environment variables.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, openSync, closeSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { binPath, json, makeTempDir, repoRoot, runCli, startServer } from '../lib/server.mjs';

const SANITIZER_MARKERS = ['ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:'];
const dir = makeTempDir('wangge-cli-');

function assertNoSanitizerReport(text, what) {
  for (const m of SANITIZER_MARKERS) {
    const at = text.indexOf(m);
    assert.equal(at, -1, `${what}: sanitizer report\n${text.slice(Math.max(0, at - 500), at + 4000)}`);
  }
}

// runCli that also refuses sanitizer reports in the output.
async function cli(args, opts) {
  const r = await runCli(args, opts);
  assertNoSanitizerReport(r.stdout + r.stderr, `wangge ${args.join(' ')}`);
  return r;
}

after(() => rmSync(dir, { recursive: true, force: true }));

describe('usage', () => {
  test('no arguments: exit 2, usage on stderr', async () => {
    const r = await cli([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage: wangge <command>/);
    assert.equal(r.stdout, '');
  });

  test('unknown command: exit 2, named, usage on stderr', async () => {
    const r = await cli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
    assert.match(r.stderr, /usage: wangge/);
    assert.equal(r.stdout, '');
  });

  test('unknown options and stray arguments: exit 2', async () => {
    const db = path.join(dir, 'unused.db');
    for (const args of [
      ['serve', '--bogus'],
      ['serve', '--db'],
      ['serve', 'extra'],
      ['serve', '--listen', 'nonsense'],
      ['serve', '--listen', '127.0.0.1:70000'],
      ['serve', '--threads', '0'],
      ['serve', '--threads', 'many'],
      ['serve', '--max-body', '10'],
      ['check', '--bogus'],
      ['check', '--db', db, 'extra'],
      ['check', '-x'],
      ['migrate', '--nope'],
      ['demo', '--nope'],
    ]) {
      const r = await cli(args, { env: { WANGGE_DB: db } });
      assert.equal(r.code, 2, `wangge ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /usage|bad --|unexpected/, `wangge ${args.join(' ')} explains itself`);
    }
    assert.equal(existsSync(db), false, 'a usage error touches no database');
  });

  test('version', async () => {
    for (const arg of ['version', '--version']) {
      const r = await cli([arg]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^wangge \d+\.\d+\.\d+\n$/);
    }
  });

  test('help', async () => {
    for (const arg of ['help', '--help', '-h']) {
      const r = await cli([arg]);
      assert.equal(r.code, 0);
      for (const c of ['serve', 'demo', 'migrate', 'check', 'version', 'help']) {
        assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'), `help lists ${c}`);
      }
    }
    const r = await cli(['serve', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stderr + r.stdout, /--listen/);
  });
});

describe('migrate and check', () => {
  test('check on a fresh migrated database: exit 0, healthy', async () => {
    const db = path.join(dir, 'fresh.db');
    const m = await cli(['migrate', '--db', db]);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /schema version \d+/);
    // Migrating again is a no-op.
    assert.equal((await cli(['migrate', '--db', db])).code, 0);
    const r = await cli(['check', '--db', db]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /healthy/);
  });

  test('demo creates a database that checks healthy', async () => {
    const db = path.join(dir, 'demo.db');
    const d = await cli(['demo', '--db', db]);
    assert.equal(d.code, 0, d.stderr);
    assert.ok(existsSync(db));
    const r = await cli(['check', '--db', db]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  test('check on a missing file: non-zero, and no file is created', async () => {
    const db = path.join(dir, 'missing.db');
    const r = await cli(['check', '--db', db]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /missing\.db/);
    assert.equal(existsSync(db), false);
  });

  test('check on a file that is not a database: non-zero', async () => {
    const db = path.join(dir, 'text.db');
    writeFileSync(db, 'just some text, not SQLite\n'.repeat(500));
    const r = await cli(['check', '--db', db]);
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout, /healthy/);
  });

  test('check on a corrupted copy: non-zero with findings', async () => {
    // A database with enough rows to span many pages, written through the server.
    const server = await startServer({ args: ['--enable-internal'] });
    try {
      for (let i = 0; i < 300; i += 20) {
        await Promise.all([...Array(20).keys()].map((j) => json(`${server.url}/api/v1/internal/probe`, {
          method: 'POST', body: { key: `row-${i + j}-${'p'.repeat(40)}` },
        })));
      }
    } finally {
      assert.equal(await server.stop(), 0);
      assertNoSanitizerReport(server.logs(), 'wangge serve');
    }
    const good = await cli(['check', '--db', server.db]);
    assert.equal(good.code, 0, good.stdout + good.stderr);

    const copy = path.join(dir, 'corrupt.db');
    copyFileSync(server.db, copy);
    const size = statSync(copy).size;
    assert.ok(size >= 16 * 4096, `database spans pages (${size} bytes)`);
    const fd = openSync(copy, 'r+');
    const garbage = Buffer.alloc(6000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 151 + 7) & 0xff;
    // Near the end: the probe rows were written last, so these are data pages. (The middle of
    // the file may hold the schema, which grows with every migration; a damaged schema stops
    // the check before the integrity report.)
    writeSync(fd, garbage, 0, garbage.length, size - 3 * 4096);
    closeSync(fd);

    const r = await cli(['check', '--db', copy]);
    assert.notEqual(r.code, 0, `corrupted database reported healthy:\n${r.stdout}`);
    assert.doesNotMatch(r.stdout, /healthy/);
    assert.match(r.stdout, /integrity: /, 'the findings are printed');
    assert.match(r.stdout, /\d+ finding\(s\)/);
    // The original is untouched by checking the copy.
    assert.equal((await cli(['check', '--db', server.db])).code, 0);
  });
});

describe('environment variables', () => {
  test('WANGGE_DB is used by migrate and check; --db wins over it', async () => {
    const envDb = path.join(dir, 'env.db');
    const argDb = path.join(dir, 'arg.db');
    const m = await cli(['migrate'], { env: { WANGGE_DB: envDb } });
    assert.equal(m.code, 0, m.stderr);
    assert.ok(existsSync(envDb));
    assert.equal((await cli(['check'], { env: { WANGGE_DB: envDb } })).code, 0);
    assert.equal((await cli(['migrate', '--db', argDb], { env: { WANGGE_DB: envDb } })).code, 0);
    assert.ok(existsSync(argDb));
    const missing = await cli(['check'], { env: { WANGGE_DB: path.join(dir, 'nope.db') } });
    assert.notEqual(missing.code, 0);
  });

  test('serve honours WANGGE_DB, WANGGE_LISTEN, WANGGE_WEB and WANGGE_ENABLE_INTERNAL', async () => {
    const db = path.join(dir, 'serve-env.db');
    const proc = spawn(binPath, ['serve'], {
      env: {
        ...process.env,
        WANGGE_DB: db,
        WANGGE_LISTEN: '127.0.0.1:0',
        WANGGE_WEB: path.join(repoRoot, 'web'),
        WANGGE_ENABLE_INTERNAL: '1',
        WANGGE_THREADS: '2',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal)));
    try {
      const port = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no event=listening:\n${log}`)), 10_000);
        proc.stderr.setEncoding('utf8').on('data', (c) => {
          log += c;
          const m = log.match(/event=listening addr=(\S+) port=(\d+) threads=(\d+)/);
          if (m) {
            clearTimeout(timer);
            assert.equal(m[1], '127.0.0.1');
            assert.equal(m[3], '2');
            resolve(Number(m[2]));
          }
        });
        proc.on('exit', () => reject(new Error(`exited early:\n${log}`)));
      });
      assert.ok(port > 0);
      assert.ok(existsSync(db), 'the database was created at WANGGE_DB');
      const put = await json(`http://127.0.0.1:${port}/api/v1/internal/probe`, { method: 'POST', body: { key: 'env' } });
      assert.equal(put.status, 201, 'internal routes enabled by WANGGE_ENABLE_INTERNAL=1');
      const page = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(page.status, 200, 'web UI served from WANGGE_WEB');
    } finally {
      proc.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assertNoSanitizerReport(log, 'wangge serve (env)');
  });

  // Regression: the listening socket was opened with SO_REUSEPORT, so a second server on the same
  // port started "successfully" and the kernel split connections between the two.
  test('serve on a port already in use fails instead of sharing it', async () => {
    const first = await startServer();
    try {
      const r = await cli(['serve', '--db', path.join(dir, 'second.db'), '--listen', `127.0.0.1:${first.port}`,
        '--web', path.join(repoRoot, 'web')], { timeout: 10_000 });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /event=http.start_failed/);
    } finally {
      assert.equal(await first.stop(), 0);
      assertNoSanitizerReport(first.logs(), 'wangge serve');
    }
  });

  test('a bad WANGGE_LISTEN or WANGGE_THREADS is a usage error', async () => {
    const db = path.join(dir, 'never.db');
    for (const env of [{ WANGGE_LISTEN: 'nowhere' }, { WANGGE_THREADS: '0' }, { WANGGE_MAX_BODY: 'lots' }]) {
      const r = await cli(['serve', '--db', db], { env });
      assert.equal(r.code, 2, `${JSON.stringify(env)}: ${r.stderr}`);
    }
    assert.equal(existsSync(db), false);
  });
});

test('docs/permissions.md is what `wangge routes` says (node scripts/permissions-doc.mjs)', async () => {
  const { execFileSync } = await import('node:child_process');
  // --check exits 1 when the committed file differs from the generated one.
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'permissions-doc.mjs'), binPath, '--check'],
    { encoding: 'utf8' });
});
