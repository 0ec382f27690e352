// Passkeys in a real browser: the example app (examples/react-apollo) in
// headless Chromium, served at a localhost origin, with a virtual
// authenticator from the DevTools protocol (WebAuthn.addVirtualAuthenticator:
// ctap2, internal transport, resident keys, user verification) standing in
// for a phone's or a laptop's platform authenticator. The browser makes and
// signs every credential; the page only calls
// PublicKeyCredential.parse…FromJSON, navigator.credentials and toJSON().
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { appDir, artifacts, exampleVite, startExampleApp } from './lib/exampleapp.mjs';
import { register } from './lib/gql.mjs';
import { totp } from './lib/totp.mjs';

const PASSWORD = 'correct horse battery';

/** The claims of a JWT (its signature is the server's business). */
const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

describe('passkeys in Chromium', () => {
  let app;
  let srv;
  let appURL; // http://localhost:PORT/: WebAuthn's RP ID (localhost) needs a host name, not 127.0.0.1
  let otherURL; // the same app on another port, which WEBAUTHN_ORIGINS does not list
  let other;

  before(async () => {
    // The app is opened at localhost (WebAuthn's RP ID needs a host
    // name, not 127.0.0.1), its one origin allowed to use passkeys.
    const local = (url) => url.replace('//127.0.0.1:', '//localhost:');
    app = await startExampleApp((url) => ({ WEBAUTHN_ORIGINS: local(url).replace(/\/$/, '') }));
    ({ srv } = app);
    appURL = local(app.appURL);
    const vite = await exampleVite();
    other = await vite.preview({ root: appDir, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false } });
    otherURL = local(other.resolvedUrls.local[0]);
  });
  after(async () => {
    await other?.close();
    await app?.close();
  });

  const nav = (page) => page.getByRole('navigation', { name: 'Main' });
  const shot = (page, name) => page.screenshot({ path: join(artifacts, `passkeys-${name}.png`), fullPage: true });

  /** A page with a virtual platform authenticator that verifies its user (fingerprint, face, PIN). */
  async function openPage() {
    const opened = await app.openPage();
    const cdp = await opened.context.newCDPSession(opened.page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
        isUserVerified: true, automaticPresenceSimulation: true,
      },
    });
    const credentials = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    return { ...opened, cdp, authenticatorId, credentials };
  }

  async function signInWithPassword(page, email, password = PASSWORD) {
    await page.goto(`${appURL}#/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
  }

  const signedIn = (page, email) => page.getByTestId('me-email').filter({ hasText: email }).waitFor();

  /** Presses "Sign in with a passkey" on the login form, with email typed (or none). */
  async function signInWithPasskey(page, base, email) {
    await page.goto(`${base}#/login`);
    await page.getByTestId('login-form').waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByTestId('passkey-signin').click();
  }

  /** The session cookie's access token claims. */
  async function accessClaims(context) {
    const c = (await context.cookies()).find((k) => k.name === 'gqlauth_access');
    return c ? claims(c.value) : null;
  }

  /** A GraphQL call from the page, with its cookies and CSRF header, as the app makes them. */
  const pageGql = (page, query, variables = {}) => page.evaluate(async ({ query, variables }) => {
    const m = /(?:^|;\s*)gqlauth_csrf=([^;]*)/.exec(document.cookie);
    const res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(m ? { 'X-CSRF-Token': decodeURIComponent(m[1]) } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return res.json();
  }, { query, variables });

  test('register a passkey, log out, log in with it with and without an email, then as the second factor', async () => {
    const email = 'passkey@example.com';
    await register(srv.graphqlURL, email, PASSWORD);
    await srv.cli('user', 'verify', '--email', email); // beginPasskeyRegistration is @verified
    const { context, page, pageErrors, credentials } = await openPage();
    try {
      await signInWithPassword(page, email);
      await signedIn(page, email);
      await nav(page).getByRole('link', { name: 'Account' }).click();
      await page.getByTestId('no-passkeys').waitFor();

      // Add a passkey: the browser's create() with the server's options as they are.
      await page.getByLabel('Name').fill('Laptop');
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await page.getByTestId('passkey-name').filter({ hasText: 'Laptop' }).waitFor();
      const [made] = await credentials();
      assert.equal(made.isResidentCredential, true, 'a discoverable credential');
      assert.equal(made.rpId, 'localhost');
      assert.equal((await credentials()).length, 1);
      await shot(page, 'account');

      // Rename it.
      await page.getByRole('button', { name: 'Rename' }).click();
      await page.getByRole('textbox', { name: 'Name' }).first().fill('Work laptop');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByTestId('passkey-name').filter({ hasText: 'Work laptop' }).waitFor();

      // Log out; log in with the passkey for the typed address: aal2, amr hwk.
      await nav(page).getByRole('button', { name: 'Log out' }).click();
      await page.getByTestId('login-form').waitFor();
      await signInWithPasskey(page, appURL, email);
      await signedIn(page, email);
      let c = await accessClaims(context);
      assert.deepEqual([c.amr, c.aal, c.fresh], [['hwk'], 'aal2', true]);

      // And with no address: the discoverable credential answers.
      await nav(page).getByRole('button', { name: 'Log out' }).click();
      await signInWithPasskey(page, appURL, '');
      await signedIn(page, email);
      c = await accessClaims(context);
      assert.deepEqual([c.amr, c.aal], [['hwk'], 'aal2']);
      const [used] = await credentials();
      assert.ok(used.signCount >= 2, `the authenticator counted its signatures: ${used.signCount}`);
      await nav(page).getByRole('link', { name: 'Account' }).click();
      await page.getByTestId('passkey-row').filter({ hasText: 'last used' }).waitFor();

      // Turn TOTP on (from the page, with the fresh passkey session): a
      // password login now asks for a second step, which the passkey gives.
      const { data: { enrollTotp: { secret } } } = await pageGql(page, 'mutation { enrollTotp { secret } }');
      const confirmed = await pageGql(page, 'mutation($c: String!) { confirmTotp(code: $c) }', { c: totp(secret) });
      assert.equal(confirmed.data.confirmTotp.length, 10);
      await nav(page).getByRole('button', { name: 'Log out' }).click();
      await signInWithPassword(page, email);
      const step = page.getByTestId('mfa-step');
      await step.waitFor();
      assert.equal(await accessClaims(context), null, 'no session before the second step');
      await shot(page, 'second-step');
      await step.getByTestId('passkey-second-step').click();
      await signedIn(page, email);
      c = await accessClaims(context);
      assert.deepEqual([c.amr, c.aal], [['pwd', 'hwk'], 'aal2']);

      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('a replayed assertion and a page on another origin are refused', async () => {
    const email = 'replay@example.com';
    await register(srv.graphqlURL, email, PASSWORD);
    await srv.cli('user', 'verify', '--email', email);
    const { context, page, credentials } = await openPage();
    try {
      await signInWithPassword(page, email);
      await signedIn(page, email);
      await nav(page).getByRole('link', { name: 'Account' }).click();
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await page.getByTestId('passkey-row').waitFor();
      await nav(page).getByRole('button', { name: 'Log out' }).click();

      // Capture the app's finishPasskeyLogin as it goes out; it succeeds.
      const sent = page.waitForRequest((r) => r.url().endsWith('/graphql') && /finishPasskeyLogin\(/.test(r.postData() ?? ''));
      await signInWithPasskey(page, appURL, email);
      const { variables } = JSON.parse((await sent).postData());
      await signedIn(page, email);

      // Sent again: its challenge is spent. With a new challenge: it
      // signed the old one. Neither opens a session.
      const finish = 'mutation($c: ID!, $cr: JSON!) { finishPasskeyLogin(challengeId: $c, credential: $cr) { fresh } }';
      let r = await pageGql(page, finish, { c: variables.challengeId, cr: variables.credential });
      assert.deepEqual([r.errors?.[0]?.extensions?.code, r.errors?.[0]?.extensions?.reason, r.errors?.[0]?.extensions?.field],
        ['BAD_USER_INPUT', 'CHALLENGE_INVALID', 'credential']);
      const begun = await pageGql(page, 'mutation { beginPasskeyLogin { challengeId } }');
      r = await pageGql(page, finish, { c: begun.data.beginPasskeyLogin.challengeId, cr: variables.credential });
      assert.deepEqual([r.errors?.[0]?.extensions?.code, r.errors?.[0]?.extensions?.reason], ['BAD_USER_INPUT', 'CHALLENGE_MISMATCH']);

      // The same passkey on a page of another origin (the app on another
      // port, the same RP ID: the browser lets it ask) is refused by the
      // server: WEBAUTHN_ORIGINS does not list it.
      const [cred] = await credentials();
      const elsewhere = await openPage();
      try {
        await elsewhere.cdp.send('WebAuthn.addCredential', { authenticatorId: elsewhere.authenticatorId, credential: cred });
        await signInWithPasskey(elsewhere.page, otherURL, '');
        const error = elsewhere.page.getByTestId('passkey-error');
        await error.waitFor();
        assert.equal(await error.textContent(), 'The passkey was refused (ORIGIN_MISMATCH).');
        assert.equal(await accessClaims(elsewhere.context), null);
        await shot(elsewhere.page, 'wrong-origin');
      } finally {
        await elsewhere.context.close();
      }
    } finally {
      await context.close();
    }
  });
});
