// Test harness for the real binary: start `wangge serve` on a fresh database and a free port,
// run CLI subcommands, and make JSON requests. Used by tests/api and tests/ui.
//
// The binary is $WANGGE_BIN (default <repo>/build/wangge); the repository root is
// $WANGGE_SOURCE_DIR (default: two levels above this file). Temporary folders are removed and
// servers still running are killed when the test process exits; when that exit reports a
// failure, the logs of every server started are printed to stderr for debugging.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = process.env.WANGGE_SOURCE_DIR
  || fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
export const binPath = process.env.WANGGE_BIN || path.join(repoRoot, 'build', 'wangge');

const LISTEN_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const LOG_LIMIT = 4 << 20; // bytes of output kept per server

const tempDirs = new Set();
const servers = new Set();

export function makeTempDir(prefix = 'wangge-test-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

process.on('exit', (code) => {
  for (const s of servers) {
    if (code !== 0) process.stderr.write(`\n--- wangge serve (${s.url || 'not listening'}) logs ---\n${tailLines(s.logs(), 200)}\n`);
    if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

// Under -DWANGGE_SANITIZE=ON the binary reports memory errors, leaks (at exit) and undefined
// behaviour on stderr. Such a report fails whoever stopped the server or ran the command.
const SANITIZER_MARKERS = ['ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:'];
function sanitizerReport(text) {
  const at = Math.min(...SANITIZER_MARKERS.map((m) => text.indexOf(m)).filter((i) => i >= 0));
  return Number.isFinite(at) ? text.slice(Math.max(0, at - 200), at + 6000) : null;
}

function tailLines(text, n) {
  const lines = text.split('\n');
  return (lines.length > n ? `… (${lines.length - n} lines before)\n` : '') + lines.slice(-n).join('\n');
}

// Exit status as a number: the exit code, or 128 + signal number when killed by a signal.
function exitStatus(code, signal) {
  return code !== null ? code : 128 + (osConstants.signals[signal] || 0);
}

/**
 * Starts `wangge serve --db <db> --listen 127.0.0.1:0 --web <repo>/web ...args`.
 * db defaults to wangge.db in a new temporary folder (kept until the process exits, so a test
 * can stop the server and start another on the same database).
 * Resolves once the server logged event=listening, with
 * { url, port, db, dir, proc, internal, clockOffset, logs(), stop() → exit status, kill() }.
 * internal: the server serves the test-only routes (--enable-internal), among them the test clock
 * (tests/lib/clock.mjs), whose current offset is clockOffset.
 */
export async function startServer({ db, args = [], env = {} } = {}) {
  const dir = db ? path.dirname(db) : makeTempDir();
  db = db || path.join(dir, 'wangge.db');
  const argv = ['serve', '--db', db, '--listen', '127.0.0.1:0', '--web', path.join(repoRoot, 'web'), ...args];
  const proc = spawn(binPath, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });

  let output = '';
  const collect = (chunk) => {
    output += chunk;
    if (output.length > LOG_LIMIT) output = output.slice(-LOG_LIMIT / 2);
  };
  proc.stdout.setEncoding('utf8').on('data', collect);
  proc.stderr.setEncoding('utf8').on('data', collect);
  // A server a failed test forgot to stop must not keep the test process alive: unref it, and
  // the exit handler above kills it. (Waiting for it still works: those waits hold timers.)
  proc.unref();
  proc.stdout.unref();
  proc.stderr.unref();
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve(exitStatus(code, signal))));

  const internal = argv.includes('--enable-internal')
    || ({ ...process.env, ...env }).WANGGE_ENABLE_INTERNAL === '1';
  const server = {
    url: null, port: null, db, dir, proc, internal, clockOffset: 0,
    logs: () => output,
    kill: () => { proc.kill('SIGKILL'); },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      const report = sanitizerReport(output);
      if (report) throw new Error(`wangge serve: sanitizer report\n${report}`);
      return exited;
    },
  };
  servers.add(server);

  server.port = await new Promise((resolve, reject) => {
    const fail = (why) => {
      cleanup();
      proc.kill('SIGKILL');
      reject(new Error(`wangge serve ${why}\ncommand: ${binPath} ${argv.join(' ')}\n${tailLines(output, 50)}`));
    };
    const check = () => {
      const line = output.split('\n').find((l) => l.includes('event=listening'));
      const m = line && line.match(/\bport=(\d+)/);
      if (m) { cleanup(); resolve(Number(m[1])); }
    };
    const onExit = (code, signal) => fail(`exited with status ${exitStatus(code, signal)} before listening`);
    const onError = (e) => fail(`could not start: ${e.message}`);
    const timer = setTimeout(() => fail(`did not log event=listening within ${LISTEN_TIMEOUT_MS} ms`), LISTEN_TIMEOUT_MS);
    function cleanup() {
      clearTimeout(timer);
      proc.stdout.off('data', check);
      proc.stderr.off('data', check);
      proc.off('exit', onExit);
      proc.off('error', onError);
    }
    proc.stdout.on('data', check);
    proc.stderr.on('data', check);
    proc.on('exit', onExit);
    proc.on('error', onError);
  });
  server.url = `http://127.0.0.1:${server.port}`;
  return server;
}

/**
 * Runs `wangge <args>` to completion: { code, stdout, stderr } (code is the exit status).
 * opts: { env, input (written to stdin), cwd, timeout (ms, default 60 s) }.
 */
export function runCli(args, { env = {}, input, cwd, timeout = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(binPath, args, { env: { ...process.env, ...env }, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; });
    proc.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`wangge ${args.join(' ')}: timed out after ${timeout} ms\n${stderr}`)); }, timeout);
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      const report = sanitizerReport(stderr);
      if (report) reject(new Error(`wangge ${args.join(' ')}: sanitizer report\n${report}`));
      else resolve({ code: exitStatus(code, signal), stdout, stderr });
    });
    proc.stdin.on('error', () => {}); // the program may exit without reading its input
    proc.stdin.end(input ?? '');
  });
}

/**
 * fetch with JSON conveniences: a plain object or array as init.body is sent as JSON.
 * Returns { status, headers, body (parsed JSON, or null), text }.
 */
export async function json(url, init = {}) {
  const headers = new Headers(init.headers);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  let body = init.body;
  if (Array.isArray(body)
      || (body !== null && typeof body === 'object' && Object.getPrototypeOf(body) === Object.prototype)) {
    body = JSON.stringify(body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const res = await fetch(url, { ...init, headers, body });
  const text = await res.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
