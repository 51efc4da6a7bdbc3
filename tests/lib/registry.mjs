// Helpers of the registry's tests (issue 12): valid identity numbers and credit codes, and a
// browser that shares a logged-in client's session.
import assert from 'node:assert/strict';
import { accountFor, clientFor, login, loginAs } from './auth.mjs';
import { launchBrowser } from './browser.mjs';

/** A resident ID number (GB 11643) from its first 17 digits: the check character appended. */
export function residentId(first17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * w[i];
  return first17 + '10X98765432'[sum % 11];
}

/** A unified social credit code (GB 32100) from its first 17 characters. */
export function uscc(first17) {
  const a = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += a.indexOf(first17[i]) * w[i];
  return first17 + a[(31 - (sum % 31)) % 31];
}

/** A predicate on a playwright response: the method and path of its request. */
export const isCall = (method, path) => (r) => r.request().method() === method && new URL(r.url()).pathname === path;
/** A query parameter of a playwright response's URL. */
export const param = (r, k) => new URL(r.url()).searchParams.get(k);

/**
 * One browser at a time sharing a client's session: browserAs(server, client, viewport) resolves
 * to the watched page (closing one a failed test left open); closeBrowser() closes it.
 */
export function browserSessions() {
  let browser = null;
  async function closeBrowser() {
    await browser?.close();
    browser = null;
  }
  async function browserAs(server, client, viewport = { width: 1280, height: 800 }) {
    await closeBrowser();
    browser = await launchBrowser({ viewport });
    await browser.context.addCookies([
      { name: 'wg_session', value: client.cookie, url: server.url },
      { name: 'wg_csrf', value: client.csrf, url: server.url },
    ]);
    return browser.newPage();
  }
  return { browserAs, closeBrowser };
}

/** Picks the option of an el-select (by its data-field) whose text contains text. */
export async function pick(page, field, text) {
  await page.locator(`.el-select[data-field=${field}]`).click();
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: text }).first().click();
}

/**
 * A logged-in client of a custom role (a key-people officer: docs/api-registry.md) in the county
 * center operator's organisation: the role and the user are made through the API, the one-time
 * password changed. { role: {name, label, permissions}, username, display_name }.
 */
export async function makeOfficer(server, { role, username, display_name = '专管员' }) {
  const sys = await loginAs(server, 'sysadmin');
  const sec = await loginAs(server, 'secadmin');
  const r = await sec.post('/api/v1/roles', role);
  assert.equal(r.status, 201, r.text);
  const u = await sys.post('/api/v1/users', { username, display_name, org_id: accountFor(server.db, 'center_operator').org_id });
  assert.equal(u.status, 201, u.text);
  assert.equal((await sec.put(`/api/v1/users/${u.body.id}/roles`, { roles: [role.name] })).status, 200);
  const res = await login(server, username, u.body.one_time_password);
  assert.equal(res.status, 200, res.text);
  const c = clientFor(server, { cookie: res.cookies.wg_session, csrf: res.body.csrf_token, login: res.body });
  const pw = await c.put('/api/v1/session/password', { old_password: u.body.one_time_password, new_password: 'Canal-Bridge-2026!' });
  assert.equal(pw.status, 200, pw.text);
  return c;
}
