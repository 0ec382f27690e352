// gqlauth in a real browser (headless Chromium driven by playwright-core):
// the React + Apollo example app in cookie mode, served by `vite preview`
// with /graphql proxied to gqlauth; and the GraphiQL playground.
//
// Needs examples/react-apollo installed (`npm ci` there; `make e2e` does
// it and builds the app) and Chromium (CHROMIUM_PATH, default
// /usr/bin/chromium). The app is rebuilt here when its build is missing or
// older than its sources.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

import { chromium } from 'playwright-core';

import { register } from './lib/gql.mjs';
import { repoRoot, startServer } from './lib/server.mjs';

const appDir = join(repoRoot, 'examples', 'react-apollo');
const artifacts = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
const TTL_SECONDS = 3;

const launchOptions = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

/** The newest modification time under path (a file or a directory). */
function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((f) => newest(join(path, f))));
}

/** Vite from the example's own node_modules; builds the app if its dist is stale. */
async function exampleVite() {
  const viteEntry = join(appDir, 'node_modules', 'vite', 'dist', 'node', 'index.js');
  if (!existsSync(viteEntry)) {
    throw new Error(`${appDir} is not installed: run \`npm ci\` there (make e2e does)`);
  }
  const vite = await import(pathToFileURL(viteEntry).href);
  const built = join(appDir, 'dist', 'index.html');
  const sources = ['src', 'index.html', 'vite.config.js', 'package-lock.json'].map((f) => newest(join(appDir, f)));
  if (!existsSync(built) || statSync(built).mtimeMs < Math.max(...sources)) {
    await vite.build({ root: appDir, logLevel: 'warn' });
  }
  return vite;
}

/**
 * The GraphiQL page loads React, ReactDOM and GraphiQL from
 * cdn.jsdelivr.net with SRI hashes. This answers those requests from the
 * same files, at the same versions, installed in e2e/node_modules, so that
 * the test needs no Internet; the browser still checks the hashes, so a
 * file that differs from the CDN's would not run. Resolves to the list of
 * CDN URLs it could not serve.
 */
async function serveCDNLocally(page) {
  const require = createRequire(import.meta.url);
  const misses = [];
  await page.route('https://cdn.jsdelivr.net/**', (route) => {
    const url = route.request().url();
    const m = /^https:\/\/cdn\.jsdelivr\.net\/npm\/((?:@[^/]+\/)?[^@/]+)@([^/]+)\/(.+)$/.exec(url);
    let file;
    if (m) {
      const [, pkg, version, path] = m;
      try {
        const manifest = require.resolve(`${pkg}/package.json`);
        if (JSON.parse(readFileSync(manifest, 'utf8')).version === version) file = join(dirname(manifest), path);
      } catch { /* not installed */ }
    }
    if (!file || !existsSync(file)) {
      misses.push(url);
      return route.abort();
    }
    return route.fulfill({
      status: 200,
      contentType: file.endsWith('.css') ? 'text/css' : 'application/javascript',
      headers: { 'access-control-allow-origin': '*' },
      body: readFileSync(file),
    });
  });
  return misses;
}

describe('in a browser', () => {
  let srv;
  let preview;
  let browser;
  let appURL;

  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    const vite = await exampleVite();
    srv = await startServer({
      TOKEN_LOCATION: 'cookies',
      COOKIE_SECURE: 'false',
      ACCESS_TOKEN_TTL: `${TTL_SECONDS}s`,
      JWT_LEEWAY: '0s',
    });
    // vite.config.js reads GQLAUTH_URL for its /graphql proxy.
    process.env.GQLAUTH_URL = srv.url.replace(/\/$/, '');
    preview = await vite.preview({
      root: appDir,
      logLevel: 'warn',
      preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
    });
    appURL = preview.resolvedUrls.local[0];
    browser = await chromium.launch(launchOptions);
  });

  // A fresh browser context (its own cookie jar) and page, collecting the
  // page's uncaught errors for the test to assert none.
  async function openPage() {
    const context = await browser.newContext();
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e));
    return { context, page, pageErrors };
  }

  after(async () => {
    await browser?.close();
    await preview?.close();
    await srv?.stop();
  });

  test('React + Apollo app: cookie login, me, refresh after expiry, logout', async () => {
    const email = 'browser@example.com';
    const password = 'correct horse battery';
    await register(srv.graphqlURL, email, password);

    const { context, page, pageErrors } = await openPage();
    const refreshes = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/graphql') && /\brefresh\b/.test(r.postData() ?? '')) refreshes.push(r);
    });

    try {
      await page.goto(appURL);
      // Logged out: `me` was refused (TOKEN_MISSING), the form shows.
      await page.getByTestId('login-form').waitFor();

      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByTestId('me-email').waitFor();
      assert.equal(await page.getByTestId('me-email').textContent(), email);

      // The page sees the CSRF cookie, never the tokens; the browser has them.
      const visible = await page.evaluate(() => document.cookie);
      assert.match(visible, /(^|; )gqlauth_csrf=/);
      assert.doesNotMatch(visible, /gqlauth_access|gqlauth_refresh/);
      const jar = Object.fromEntries((await context.cookies()).map((c) => [c.name, c]));
      assert.equal(jar.gqlauth_access?.httpOnly, true, 'no HttpOnly access cookie');
      assert.equal(jar.gqlauth_refresh?.httpOnly, true, 'no HttpOnly refresh cookie');
      assert.equal(jar.gqlauth_csrf?.httpOnly, false);
      await page.screenshot({ path: join(artifacts, 'react-apollo-logged-in.png'), fullPage: true });

      // After the access token expires, reloading runs `me` with it: the
      // error link refreshes from the cookie (with the CSRF header) and
      // retries, and the page shows the user again.
      assert.equal(refreshes.length, 0);
      const csrfBefore = jar.gqlauth_csrf.value;
      await sleep((TTL_SECONDS + 1.2) * 1000);
      await page.reload();
      await page.getByTestId('me-email').waitFor();
      assert.equal(await page.getByTestId('me-email').textContent(), email);
      assert.equal(refreshes.length, 1, 'expected exactly one refresh');
      assert.equal(refreshes[0].headers()['x-csrf-token'], csrfBefore, 'refresh sent without the CSRF value');
      const csrfAfter = (await context.cookies()).find((c) => c.name === 'gqlauth_csrf')?.value;
      assert.ok(csrfAfter && csrfAfter !== csrfBefore, 'the refresh did not rotate the CSRF cookie');

      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByTestId('login-form').waitFor();
      assert.doesNotMatch(await page.evaluate(() => document.cookie), /gqlauth_csrf/);
      assert.deepEqual((await context.cookies()).filter((c) => c.name.startsWith('gqlauth_')), [], 'logout left cookies');
      await page.screenshot({ path: join(artifacts, 'react-apollo-logged-out.png'), fullPage: true });

      // The form's "Create account" registers and logs in a new user.
      await page.getByLabel('Email').fill('browser-2@example.com');
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByTestId('me-email').waitFor();
      assert.equal(await page.getByTestId('me-email').textContent(), 'browser-2@example.com');

      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('GraphiQL playground renders at /, and calls me with the CSRF header', async () => {
    const email = 'playground@example.com';
    const password = 'correct horse battery';
    await register(srv.graphqlURL, email, password);

    const { context, page, pageErrors } = await openPage();
    try {
      const misses = await serveCDNLocally(page);
      const res = await page.goto(srv.url);
      assert.equal(res.status(), 200);
      await page.locator('.graphiql-container').waitFor({ timeout: 20_000 });
      await page.locator('.graphiql-query-editor .CodeMirror').first().waitFor();
      assert.deepEqual(misses, [], 'CDN files not available locally');
      assert.equal(await page.title(), 'gqlauth');

      // Log in from the page's origin, as an app on it would: the browser
      // keeps the cookies, the page gets the CSRF value.
      const csrf = await page.evaluate(async ([e, p]) => {
        const r = await fetch('/graphql', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ query: `mutation { login(input: {email: "${e}", password: "${p}"}) { csrfToken } }` }),
        });
        return (await r.json()).data.login.csrfToken;
      }, [email, password]);
      assert.ok(csrf);

      const setEditor = (locator, text) => locator.evaluate((el, t) => el.CodeMirror.setValue(t), text);
      const response = page.locator('.graphiql-response');
      await setEditor(page.locator('.graphiql-query-editor .CodeMirror').first(), '{ me { email } }');

      // GraphiQL sends the cookies (same origin) but not the header: refused.
      await page.locator('.graphiql-execute-button').click();
      await response.getByText('CSRF_FAILED').first().waitFor();

      // With X-CSRF-Token in the Headers tab, `me` answers.
      await page.getByRole('button', { name: 'Headers' }).click();
      const headers = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
      await headers.waitFor();
      await setEditor(headers, JSON.stringify({ 'X-CSRF-Token': csrf }, null, 2));
      await page.locator('.graphiql-execute-button').click();
      await response.getByText(email).first().waitFor();

      await page.screenshot({ path: join(artifacts, 'playground.png'), fullPage: true });
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });
});
