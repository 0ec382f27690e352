// gqlauth in a real browser (headless Chromium driven by playwright-core):
// the React + Apollo example app in cookie mode, served by `vite preview`
// with /graphql proxied to gqlauth; and the GraphiQL playground, in cookie
// and in header mode, with every request to a host other than this machine
// blocked (the playground's files are served by gqlauth itself).
//
// Needs examples/react-apollo installed (`npm ci` there; `make e2e` does
// it and builds the app) and Chromium (CHROMIUM_PATH, default
// /usr/bin/chromium). The app is rebuilt here when its build is missing or
// older than its sources.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { chromium } from 'playwright-core';

import { register } from './lib/gql.mjs';
import { appDir, artifacts, exampleVite, launchOptions } from './lib/exampleapp.mjs';
import { repoRoot, startServer } from './lib/server.mjs';

const TTL_SECONDS = 3;

/**
 * Aborts every request of the context that is not to this machine, and
 * resolves to the list of those it aborted: the playground must need none.
 */
async function blockOtherHosts(context) {
  const blocked = [];
  await context.route('**/*', (route) => {
    const { hostname } = new URL(route.request().url());
    if (hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]') return route.continue();
    blocked.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  return blocked;
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

  // The files the playground serves are the npm packages' own: the same
  // versions installed here by `npm ci` (checked against the lockfile's
  // integrity) are byte for byte what gqlauth embeds.
  test('playground assets are the pinned npm files', async () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'httpapi', 'playground', 'assets.json'), 'utf8'));
    const require = createRequire(import.meta.url);
    for (const pkg of manifest.packages) {
      const pkgJSON = require.resolve(`${pkg.name}/package.json`);
      assert.equal(JSON.parse(readFileSync(pkgJSON, 'utf8')).version, pkg.version,
        `e2e/package.json pins ${pkg.name} at another version than assets.json`);
      for (const [from, to] of Object.entries(pkg.files)) {
        const res = await fetch(`${srv.url}playground/assets/${to}`);
        assert.equal(res.status, 200, to);
        const served = Buffer.from(await res.arrayBuffer());
        assert.ok(served.equals(readFileSync(join(dirname(pkgJSON), from))), `${to} differs from ${pkg.name}@${pkg.version}/${from}`);
      }
    }
  });

  // The playground at url with other hosts blocked: waits for GraphiQL
  // and for the schema (the docs explorer lists Query.me), and resolves to
  // the page, the list of blocked requests, CSP and other console errors,
  // and the page's /graphql requests.
  async function openPlayground(url) {
    const { context, page, pageErrors } = await openPage();
    const blocked = await blockOtherHosts(context);
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    const requests = [];
    page.on('request', (r) => { if (new URL(r.url()).pathname === '/graphql') requests.push(r); });

    const res = await page.goto(url);
    assert.equal(res.status(), 200);
    assert.equal(await page.title(), 'gqlauth');
    await page.locator('.graphiql-container').waitFor({ timeout: 20_000 });
    await page.locator('.graphiql-query-editor .CodeMirror').first().waitFor();

    // The schema loaded: the docs explorer shows Query and its field me.
    await page.getByRole('button', { name: /documentation explorer/i }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByRole('link', { name: 'Query', exact: true }).click();
    await docs.locator('.graphiql-doc-explorer-field-name', { hasText: /^me$/ }).waitFor();
    return { context, page, pageErrors, blocked, consoleErrors, requests };
  }

  const setEditor = (locator, text) => locator.evaluate((el, t) => el.CodeMirror.setValue(t), text);

  // Runs the tab named tab with variables (if any) and waits for text in the answer.
  async function runTab(page, tab, variables, text) {
    await page.locator('.graphiql-tab', { hasText: tab }).first().click();
    if (variables) {
      await setEditor(page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').first(), JSON.stringify(variables));
    }
    await page.locator('.graphiql-execute-button').click();
    try {
      await page.locator('.graphiql-response').getByText(text).first().waitFor({ timeout: 10_000 });
    } catch (e) {
      await page.screenshot({ path: join(artifacts, `playground-failed-${tab}.png`), fullPage: true });
      throw e;
    }
  }

  test('playground, cookie mode: loads with no other host, logs in, sends the CSRF header by itself', async () => {
    const email = 'playground@example.com';
    const password = 'correct horse battery';
    await register(srv.graphqlURL, email, password);

    const { context, page, pageErrors, blocked, consoleErrors, requests } = await openPlayground(srv.url);
    try {
      await page.getByTestId('auth-status').getByText('Not logged in.').waitFor();
      await runTab(page, 'LogIn', { email, password }, 'csrfToken');
      await page.getByTestId('auth-status').getByText('Logged in (cookies).').waitFor();

      await runTab(page, 'Me', null, email);
      const csrf = (await context.cookies()).find((c) => c.name === 'gqlauth_csrf')?.value;
      assert.ok(csrf, 'no CSRF cookie after login');
      const me = requests.findLast((r) => /\bme\b/.test(r.postData() ?? ''));
      assert.equal(me.headers()['x-csrf-token'], csrf, 'me sent without the CSRF value');

      // Nothing of the password or the tokens is left in the browser's storage.
      const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
      assert.ok(!stored.includes(password) && !/eyJ[\w-]+\./.test(stored), `the playground stored credentials: ${stored.slice(0, 200)}`);
      await page.screenshot({ path: join(artifacts, 'playground-cookies.png'), fullPage: true });
      assert.deepEqual(blocked, [], 'the playground requested other hosts');
      assert.deepEqual(consoleErrors, []);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('playground, header mode: keeps the access token of login and sends it as Authorization', async () => {
    const headers = await startServer({});
    try {
      const email = 'playground-headers@example.com';
      const password = 'correct horse battery';
      await register(headers.graphqlURL, email, password);

      const { context, page, pageErrors, blocked, consoleErrors, requests } = await openPlayground(headers.url);
      try {
        // Logged out, me is refused.
        await runTab(page, 'Me', null, 'UNAUTHENTICATED');
        await runTab(page, 'LogIn', { email, password }, 'accessToken');
        await page.getByTestId('auth-status').getByText('Logged in.').waitFor();
        await runTab(page, 'Me', null, email);
        const me = requests.findLast((r) => /\bme\b/.test(r.postData() ?? ''));
        assert.match(me.headers().authorization ?? '', /^Bearer ey/, 'me sent without the token');

        // Nothing of the password or the tokens is left in the browser's storage.
        const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
        assert.ok(!stored.includes(password) && !/eyJ[\w-]+\./.test(stored), `the playground stored credentials: ${stored.slice(0, 200)}`);
        await page.screenshot({ path: join(artifacts, 'playground-headers.png'), fullPage: true });
        assert.deepEqual(blocked, [], 'the playground requested other hosts');
        assert.deepEqual(consoleErrors, []);
        assert.deepEqual(pageErrors, []);
      } finally {
        await context.close();
      }
    } finally {
      await headers.stop();
    }
  });
});
