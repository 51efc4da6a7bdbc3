// Behind a reverse proxy (issue 8, item 5): X-Forwarded-For and X-Real-IP name the client only
// when the connection comes from a proxy given with --trusted-proxy; otherwise the socket address
// is the client, whatever the headers claim. The access log shows the address the server used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runCli, makeTempDir } from '../lib/server.mjs';

async function clientSeen(server, headers) {
  const res = await fetch(`${server.url}/healthz`, { headers });
  assert.equal(res.status, 200);
  const id = res.headers.get('x-request-id');
  // The access-log line may be flushed a moment after the answer.
  for (let i = 0; i < 50; i++) {
    const line = server.logs().split('\n').find((l) => l.includes(`req=${id}`) && l.includes('event=request'));
    if (line) return /client=(\S+)/.exec(line)[1];
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no access-log line for ${id}`);
}

test('forwarded headers are ignored without a trusted proxy', async () => {
  const server = await startServer();
  try {
    assert.equal(await clientSeen(server, { 'X-Forwarded-For': '198.51.100.7' }), '127.0.0.1');
    assert.equal(await clientSeen(server, { 'X-Real-IP': '198.51.100.7' }), '127.0.0.1');
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('a trusted proxy names the client: right-most untrusted hop, then X-Real-IP', async () => {
  const server = await startServer({ args: ['--trusted-proxy', '127.0.0.1,10.0.0.0/8'] });
  try {
    assert.equal(await clientSeen(server, {}), '127.0.0.1');
    assert.equal(await clientSeen(server, { 'X-Forwarded-For': '6.6.6.6, 198.51.100.7' }), '198.51.100.7');
    assert.equal(await clientSeen(server, { 'X-Forwarded-For': '198.51.100.7, 10.1.2.3' }), '198.51.100.7');
    assert.equal(await clientSeen(server, { 'X-Forwarded-For': 'nonsense' }), '127.0.0.1');
    assert.equal(await clientSeen(server, { 'X-Real-IP': '2001:db8::5' }), '2001:db8::5');
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('the environment variable works like the option, and a bad list is refused at start-up', async () => {
  const server = await startServer({ env: { WANGGE_TRUSTED_PROXY: '127.0.0.1' } });
  try {
    assert.equal(await clientSeen(server, { 'X-Forwarded-For': '198.51.100.9' }), '198.51.100.9');
  } finally {
    assert.equal(await server.stop(), 0);
  }
  const dir = makeTempDir();
  const r = await runCli(['serve', '--db', `${dir}/x.db`, '--listen', '127.0.0.1:0', '--trusted-proxy', '127.0.0.1,localhost']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /trusted-proxy/);
});
