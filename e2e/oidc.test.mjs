// Sign in with a provider, in headless Chromium: the React example's
// "Sign in with …" button goes to a real OpenID Provider (e2e/oidcprovider:
// zitadel/oidc's op package, its own login page), which sends the browser
// back to the app's /oidc/callback; the app finishes the flow with the
// real gqlauth in cookie mode and shows the signed-in `me`. The account
// page links and unlinks the provider the same way. Screenshots go to
// e2e/artifacts/.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { artifacts, startExampleApp } from './lib/exampleapp.mjs';
import { register } from './lib/gql.mjs';
import { startProvider } from './lib/oidcprovider.mjs';

/** A loopback port that was free a moment ago: the app's, which the provider must know first. */
function freePort() {
  return new Promise((res, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** The signed-in user as the page's cookies make it, asked outside the app. */
function meOf(page) {
  return page.evaluate(async () => {
    const csrf = decodeURIComponent(/(?:^|;\s*)gqlauth_csrf=([^;]*)/.exec(document.cookie)?.[1] ?? '');
    const r = await fetch('/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ query: '{ me { email emailVerified identities { provider subject } } }' }),
    });
    return r.json();
  });
}

describe('sign in with a provider (example app)', () => {
  let app;
  let appURL;
  let srv;
  let idp;

  before(async () => {
    const port = await freePort();
    const callback = `http://127.0.0.1:${port}/oidc/callback`;
    idp = await startProvider({
      redirectURIs: [callback],
      users: ['ada:ada-password:ada@example.com:verified', 'bob:bob-password:bob@example.com:verified'],
    });
    app = await startExampleApp({
      OIDC_PROVIDERS: 'testidp',
      OIDC_TESTIDP_NAME: 'Test IdP',
      OIDC_TESTIDP_ISSUER: idp.issuer,
      OIDC_TESTIDP_CLIENT_ID: idp.clientId,
      OIDC_TESTIDP_CLIENT_SECRET: idp.clientSecret,
      OIDC_REDIRECT_URIS: callback,
    }, { previewPort: port });
    ({ appURL, srv } = app);
  });
  after(async () => {
    await app?.close();
    await idp?.stop();
  });

  const shot = (page, name) => page.screenshot({ path: join(artifacts, `oidc-${name}.png`), fullPage: true });

  /** At the provider's login page: signs in as username. */
  async function atProvider(page, username, password) {
    await page.waitForURL((u) => u.href.startsWith(`${idp.issuer}/login`));
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  test('"Sign in with …" goes through the provider\'s login page and back to a signed-in me', async () => {
    const { context, page, pageErrors } = await app.openPage();
    try {
      await page.goto(`${appURL}#/login`);
      const button = page.getByRole('button', { name: 'Sign in with Test IdP' });
      await button.waitFor();
      await shot(page, 'signin');
      const visited = [];
      page.on('framenavigated', (f) => { if (f === page.mainFrame()) visited.push(f.url()); });
      await button.click();
      await page.waitForURL((u) => u.href.startsWith(`${idp.issuer}/login`));
      // The sign-in is bound to this browser: an HttpOnly cookie the
      // server checks when the app finishes it (login CSRF).
      const flow = (await context.cookies()).find((c) => c.name === 'gqlauth_oidc');
      assert.ok(flow && flow.httpOnly, JSON.stringify(flow));
      await atProvider(page, 'ada', 'ada-password');
      // Back on the app, signed in: the header shows `me`.
      await page.getByTestId('me-email').filter({ hasText: 'ada@example.com' }).waitFor();
      const url = new URL(page.url());
      assert.equal(url.pathname, '/');
      assert.equal(url.hash, '#/');
      assert.equal(url.search, '', 'the code and state are gone from the address bar');
      await shot(page, 'signed-in');

      const me = await meOf(page);
      assert.equal(me.errors, undefined);
      assert.deepEqual(me.data.me, { email: 'ada@example.com', emailVerified: true, identities: [{ provider: 'testidp', subject: 'sub-ada' }] });
      // The session lives in HttpOnly cookies, as after a password login.
      const cookies = (await context.cookies()).map((c) => c.name);
      assert.ok(cookies.includes('gqlauth_access') && cookies.includes('gqlauth_refresh'), cookies.join());

      // The provider came back with a code and the state; opening that
      // URL again (the back button, a shared link) signs nobody in.
      const back = visited.find((u) => u.startsWith(`${appURL}oidc/callback?`));
      assert.ok(back && new URL(back).searchParams.get('code'), visited.join('\n'));
      await page.goto(back);
      await page.getByTestId('oidc-error').waitFor();
      assert.match(await page.getByTestId('oidc-error').textContent(), /not started in this browser tab/);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('the account page links the provider, which then signs in, and unlinks it', async () => {
    await register(srv.graphqlURL, 'bob@example.com', 'bob-app-password');
    const { context, page, pageErrors } = await app.openPage();
    try {
      await page.goto(`${appURL}#/login`);
      await page.getByTestId('login-form').waitFor();
      await page.getByLabel('Email').fill('bob@example.com');
      await page.getByLabel('Password', { exact: true }).fill('bob-app-password');
      await page.getByRole('button', { name: 'Log in', exact: true }).click();
      await page.getByTestId('me-email').filter({ hasText: 'bob@example.com' }).waitFor();

      await page.goto(`${appURL}#/account`);
      const row = page.getByTestId('provider-testidp');
      await row.getByRole('button', { name: 'Link Test IdP' }).click();
      await atProvider(page, 'bob', 'bob-password');
      await row.getByTestId('linked').filter({ hasText: 'Linked (bob@example.com)' }).waitFor();
      assert.equal(new URL(page.url()).hash, '#/account');
      await shot(page, 'linked');

      // Signed out, the provider signs in to bob's account.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Log out' }).click();
      await page.getByRole('button', { name: 'Sign in with Test IdP' }).click();
      await atProvider(page, 'bob', 'bob-password');
      await page.getByTestId('me-email').filter({ hasText: 'bob@example.com' }).waitFor();

      // Unlink: the password remains, so it is allowed.
      await page.goto(`${appURL}#/account`);
      await row.getByRole('button', { name: 'Unlink' }).click();
      await row.getByRole('button', { name: 'Link Test IdP' }).waitFor();
      assert.deepEqual((await meOf(page)).data.me.identities, []);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });
});
