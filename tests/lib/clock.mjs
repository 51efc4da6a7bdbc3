// The server's test clock: API tests make time pass by moving the clock of a server started with
// --enable-internal (POST /api/v1/internal/clock), never by sleeping. Session idle and absolute
// timeouts, lockout windows, TOTP steps and password ages all read that clock.
//
//   const s = await startDemoServer({ args: ['--enable-internal'] });
//   await advanceClock(s, 31 * 60);       // 31 minutes later, as far as the server knows
//   await setClock(s, 0);                 // back to the real time
//   serverNow(s)                          // the server's idea of now, in UTC seconds
//
// The offset the server reports is kept on the server object (server.clockOffset), so TOTP codes
// (tests/lib/auth.mjs) are computed for the server's time, not the test's. Moving the clock back
// makes TOTP codes already used look fresh to this module but not to the server, which refuses
// replays: tests that go back should log in again only after moving forward past the last step.
// A request already running keeps the time it started with.

/** POST /api/v1/internal/clock with body; resolves to the answer ({offset_seconds, now}). */
async function moveClock(server, body) {
  const res = await fetch(`${server.url}/api/v1/internal/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status === 404) {
    throw new Error('the test clock needs a server started with --enable-internal '
      + "(startServer/startDemoServer({ args: ['--enable-internal'] }))");
  }
  if (res.status !== 200) throw new Error(`POST /api/v1/internal/clock ${JSON.stringify(body)}: ${res.status} ${text}`);
  const answer = JSON.parse(text);
  server.clockOffset = answer.offset_seconds;
  return answer;
}

/** Moves the server's clock forward by seconds (negative: back). Resolves to {offset_seconds, now}. */
export function advanceClock(server, seconds) {
  return moveClock(server, { advance_seconds: seconds });
}

/** Sets the server's clock to offsetSeconds from the real time (0: the real time). */
export function setClock(server, offsetSeconds) {
  return moveClock(server, { offset_seconds: offsetSeconds });
}

/** The server's time in UTC seconds (with a fraction), as far as this process has moved it. */
export function serverNow(server) {
  return Date.now() / 1000 + (server?.clockOffset ?? 0);
}

/** 1 when the server serves the internal routes (so its clock can be moved). */
export function hasTestClock(server) {
  return Boolean(server?.internal);
}
