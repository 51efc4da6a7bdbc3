// Browser harness: Debian's chromium driven by playwright-core, with every page watched for
// console errors, uncaught exceptions, failed requests and HTTP error responses.
//
//   const browser = await launchBrowser();
//   const p = await browser.newPage();         // p.page is a playwright Page
//   p.allow('/healthz');                       // failures of this URL are expected here
//   await p.page.goto(server.url);
//   ...
//   p.assertNoErrors();
//   await browser.close();
//
// Chromium gets its own HOME and XDG folders in a temporary folder, so it writes nothing under
// the real home; that folder is removed by close() (or at process exit).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage'];

const liveDirs = new Set();
process.on('exit', () => { for (const d of liveDirs) rmSync(d, { recursive: true, force: true }); });

// Screenshots are kept after the run: $WANGGE_SCREENSHOTS or <tmp>/wangge-screenshots.
export const screenshotDir = process.env.WANGGE_SCREENSHOTS || path.join(tmpdir(), 'wangge-screenshots');

/**
 * Launches chromium. options: { viewport ({width, height}), headless }.
 * Returns { context, newPage() → watched page, close() }.
 */
export async function launchBrowser({ viewport = { width: 1280, height: 800 }, headless = true } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'wangge-chromium-'));
  liveDirs.add(dir);
  const home = path.join(dir, 'home');
  for (const d of ['.config', '.cache']) mkdirSync(path.join(home, d), { recursive: true });
  let context;
  try {
    context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless,
      args: ARGS,
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache') },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      viewport,
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
    throw e;
  }
  return {
    context,
    async newPage() { return watch(await context.newPage()); },
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    },
  };
}

/**
 * Wraps a playwright Page: { page, errors, allow(pattern), clearErrors(), assertNoErrors(),
 * waitForText(selector, text), screenshot(name) → file path }. allow() takes a URL substring
 * or RegExp whose failed requests and error responses are expected (and so is the console
 * line chromium prints for them).
 */
export function watch(page) {
  const errors = [];
  const allowed = [];
  const isAllowed = (url) => allowed.some((a) => (typeof a === 'string' ? url.includes(a) : a.test(url)));

  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location()?.url || '';
    if (msg.text().startsWith('Failed to load resource') && isAllowed(url)) return;
    errors.push(`console error: ${msg.text()}${url ? ` (${url})` : ''}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.stack || err.message}`));
  page.on('requestfailed', (req) => {
    // The live-update stream (web/app/stream.js) is open for as long as the page is: leaving the
    // page always aborts it.
    if (new URL(req.url()).pathname === '/api/v1/stream' && req.failure()?.errorText === 'net::ERR_ABORTED') return;
    if (!isAllowed(req.url())) errors.push(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !isAllowed(res.url())) errors.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });

  return {
    page,
    errors,
    allow(pattern) { allowed.push(pattern); },
    clearErrors() { errors.length = 0; },
    assertNoErrors(message = 'the page had errors') {
      assert.deepEqual(errors, [], `${message}:\n${errors.join('\n')}`);
    },
    // Waits until the first element matching selector has exactly this text (trimmed).
    async waitForText(selector, text, { timeout = 5000 } = {}) {
      try {
        await page.waitForFunction(([sel, want]) => document.querySelector(sel)?.textContent.trim() === want,
          [selector, text], { timeout });
      } catch {
        const got = await page.locator(selector).first().textContent({ timeout: 100 }).catch(() => null);
        assert.fail(`${selector}: expected text ${JSON.stringify(text)}, found ${JSON.stringify(got?.trim() ?? null)}`);
      }
    },
    async screenshot(name, opts = {}) {
      mkdirSync(screenshotDir, { recursive: true });
      const file = path.join(screenshotDir, `${name}.png`);
      // Let finite animations (a drawer sliding in, a fade) end, so the picture is the settled page.
      await page.evaluate(() => Promise.all(document.getAnimations()
        .filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
        .map((a) => a.finished.catch(() => {}))));
      await page.screenshot({ path: file, ...opts });
      return file;
    },
  };
}
