// The example app (examples/react-apollo) page by page, in headless
// Chromium against the real server in cookie mode: sign-up and sign-in
// with their typed errors, the account page's sessions and two-factor
// authentication, and the admin page with its "confirm your password" flow. Screenshots go to e2e/artifacts/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { errorCodes, gql, register } from './lib/gql.mjs';
import { artifacts, startExampleApp } from './lib/exampleapp.mjs';
import { nextTotp, totp } from './lib/totp.mjs';

const PASSWORD = 'correct horse battery';
// A few failed logins per account, so that RATE_LIMITED comes quickly.
const ACCOUNT_LIMIT = 3;
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

describe('example app', () => {
  let app;
  let appURL;
  let srv;

  before(async () => {
    app = await startExampleApp({ RATE_LIMIT_ACCOUNT: String(ACCOUNT_LIMIT) });
    ({ appURL, srv } = app);
  });
  after(() => app?.close());

  const nav = (page) => page.getByRole('navigation', { name: 'Main' });
  const shot = (page, name) => page.screenshot({ path: join(artifacts, `example-${name}.png`), fullPage: true });

  /**
   * Fills the sign-in form at route, presses button ('Log in' or 'Create
   * account') and waits for the server's answer, so that what the form
   * shows next is about this attempt, not the one before.
   */
  async function submitAuthForm(page, route, email, password, button) {
    await page.goto(`${appURL}#${route}`);
    await page.getByTestId('login-form').waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    const answered = page.waitForResponse((r) => r.url().endsWith('/graphql') && /\b(login|register)\(/.test(r.request().postData() ?? ''));
    await page.getByRole('button', { name: button, exact: true }).click();
    await answered;
  }

  async function signIn(page, email, password = PASSWORD) {
    await submitAuthForm(page, '/login', email, password, 'Log in');
    await page.getByTestId('me-email').filter({ hasText: email }).waitFor();
  }

  /**
   * Refreshes the page's tokens with the cookie, as the app's error link
   * does when one expires: the new access token is not fresh.
   */
  async function makeTokenNotFresh(page) {
    const fresh = await page.evaluate(async () => {
      const csrf = decodeURIComponent(/(?:^|;\s*)gqlauth_csrf=([^;]*)/.exec(document.cookie)[1]);
      const r = await fetch('/graphql', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ query: 'mutation { refresh { fresh } }' }),
      });
      return (await r.json()).data.refresh.fresh;
    });
    assert.equal(fresh, false);
  }

  test('sign-up and sign-in show each typed error next to its field or on the form', async () => {
    await register(srv.graphqlURL, 'taken@example.com', PASSWORD);
    await register(srv.graphqlURL, 'disabled@example.com', PASSWORD);
    await srv.cli('user', 'disable', '--email', 'disabled@example.com');
    await register(srv.graphqlURL, 'throttled@example.com', PASSWORD);

    const { context, page, pageErrors } = await app.openPage();
    try {
      const email = page.getByLabel('Email');
      const emailError = page.getByTestId('email-error');
      const passwordError = page.getByTestId('password-error');
      const formError = page.getByTestId('form-error');

      // BAD_USER_INPUT, extensions.field input.email: beside the email.
      await submitAuthForm(page, '/signup', 'not-an-email', PASSWORD, 'Create account');
      await emailError.waitFor();
      assert.equal(await emailError.textContent(), 'Email is not a valid address.');
      assert.equal(await email.getAttribute('aria-invalid'), 'true');
      assert.equal(await passwordError.count(), 0);

      // BAD_USER_INPUT, extensions.field input.password: beside the password.
      await submitAuthForm(page, '/signup', 'new@example.com', 'short', 'Create account');
      await passwordError.waitFor();
      assert.equal(await passwordError.textContent(), 'Password must be at least 8 characters.');
      assert.equal(await emailError.count(), 0);

      // EMAIL_TAKEN: beside the email.
      await submitAuthForm(page, '/signup', 'taken@example.com', PASSWORD, 'Create account');
      await emailError.waitFor();
      assert.match(await emailError.textContent(), /^An account with this email already exists\./);
      await shot(page, 'signup-error');

      // INVALID_CREDENTIALS: on the form, the same for a wrong password
      // and an unknown email.
      await submitAuthForm(page, '/login', 'taken@example.com', 'wrong password', 'Log in');
      await formError.waitFor();
      assert.equal(await formError.textContent(), 'Wrong email or password.');
      await submitAuthForm(page, '/login', 'nobody@example.com', PASSWORD, 'Log in');
      await formError.waitFor();
      assert.equal(await formError.textContent(), 'Wrong email or password.');

      // ACCOUNT_DISABLED, told to whoever knows the password.
      await submitAuthForm(page, '/login', 'disabled@example.com', PASSWORD, 'Log in');
      await formError.waitFor();
      assert.equal(await formError.textContent(), 'This account is disabled. Ask an administrator to enable it.');

      // RATE_LIMITED after ACCOUNT_LIMIT failures, with the wait from
      // extensions.retryAfter (the 15-minute window): even the right
      // password is refused now.
      for (let i = 0; i < ACCOUNT_LIMIT; i++) {
        await submitAuthForm(page, '/login', 'throttled@example.com', 'wrong password', 'Log in');
        await formError.filter({ hasText: 'Wrong email or password.' }).waitFor();
      }
      await submitAuthForm(page, '/login', 'throttled@example.com', PASSWORD, 'Log in');
      await formError.filter({ hasText: 'Too many attempts' }).waitFor();
      assert.equal(await formError.textContent(), 'Too many attempts. Try again in 15 minutes.');
      await shot(page, 'signin-rate-limited');

      // And the sign-up that works lands on the home page, signed in.
      await submitAuthForm(page, '/signup', 'new@example.com', PASSWORD, 'Create account');
      await page.getByTestId('me-email').filter({ hasText: 'new@example.com' }).waitFor();
      assert.equal(new URL(page.url()).hash, '#/');
      await page.getByRole('heading', { name: 'Welcome' }).waitFor();
      await shot(page, 'home');
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('account page: sessions, log out one device, log out everywhere', async () => {
    const email = 'sessions@example.com';
    await register(srv.graphqlURL, email, PASSWORD); // a session no browser holds
    await srv.cli('user', 'revoke-sessions', '--email', email);

    const a = await app.openPage();
    const b = await app.openPage({ userAgent: IPHONE });
    try {
      await signIn(a.page, email);
      await signIn(b.page, email);

      // A sees both sessions, its own marked, B's by its user agent.
      await a.page.goto(`${appURL}#/account`);
      const rows = a.page.getByTestId('session-row');
      await rows.nth(1).waitFor();
      assert.equal(await rows.count(), 2);
      const mine = rows.filter({ has: a.page.getByTestId('current-session') });
      const phone = rows.filter({ hasText: 'Safari on iOS' });
      assert.equal(await mine.count(), 1);
      assert.match(await mine.textContent(), /^Chrome on Linux/);
      assert.match(await phone.textContent(), /127\.0\.0\.1/);
      assert.equal(await phone.getByTestId('current-session').count(), 0);
      await shot(a.page, 'account');

      // A non-admin has no admin page.
      assert.equal(await nav(a.page).getByRole('link', { name: 'Account' }).count(), 1);
      assert.equal(await nav(a.page).getByRole('link', { name: 'Admin' }).count(), 0);
      await a.page.goto(`${appURL}#/admin`);
      await a.page.getByTestId('admins-only').waitFor();
      await a.page.goto(`${appURL}#/account`);
      await rows.nth(1).waitFor();

      // "Log out this device" on B's row ends B's session: B's next
      // request is refused and B shows the sign-in form.
      await phone.getByRole('button', { name: 'Log out this device' }).click();
      await phone.waitFor({ state: 'detached' });
      assert.equal(await rows.count(), 1);
      await b.page.reload();
      await b.page.getByTestId('login-form').waitFor();

      // On its own row, it logs this browser out.
      await signIn(b.page, email);
      await b.page.goto(`${appURL}#/account`);
      await b.page.getByTestId('current-session').waitFor();
      await b.page.getByTestId('session-row').filter({ has: b.page.getByTestId('current-session') })
        .getByRole('button', { name: 'Log out this device' }).click();
      await b.page.getByTestId('login-form').waitFor();
      assert.deepEqual((await b.context.cookies()).filter((c) => c.name.startsWith('gqlauth_')), []);

      // "Log out everywhere" from A ends A's and B's sessions.
      await signIn(b.page, email);
      await a.page.reload();
      await rows.nth(1).waitFor();
      await a.page.getByRole('button', { name: 'Log out everywhere' }).click();
      await a.page.getByTestId('login-form').waitFor();
      assert.equal(new URL(a.page.url()).hash, '#/login');
      assert.deepEqual((await a.context.cookies()).filter((c) => c.name.startsWith('gqlauth_')), []);
      await b.page.reload();
      await b.page.getByTestId('login-form').waitFor();

      assert.deepEqual([...a.pageErrors, ...b.pageErrors], []);
    } finally {
      await a.context.close();
      await b.context.close();
    }
  });

  test('admin page: figures, search and paging, disable, role, confirm password', async () => {
    const admin = 'admin@example.com';
    await srv.cli('user', 'create', '--email', admin, '--role', 'ADMIN', { stdin: `${PASSWORD}\n` });
    const members = Array.from({ length: 12 }, (_, i) => `member-${String(i + 1).padStart(2, '0')}@example.com`);
    for (const m of members) await register(srv.graphqlURL, m, PASSWORD);

    const { context, page, pageErrors } = await app.openPage();
    const row = (email) => page.getByTestId('user-row').and(page.locator(`[data-email="${email}"]`));
    const status = (email) => row(email).getByTestId('user-status');
    const dialog = page.getByRole('dialog', { name: 'Confirm your password' });
    try {
      // A login's token is fresh: the figures show at once.
      await signIn(page, admin);
      await nav(page).getByRole('link', { name: 'Admin' }).click();
      await page.getByTestId('stats').waitFor();
      assert.equal(await page.getByTestId('stat-admins').textContent(), '1');

      // Search, then page by cursor: 12 members, 10 a page.
      const rows = page.getByTestId('user-row');
      await page.getByLabel('Search by email').fill('member-');
      await page.getByRole('button', { name: 'Search' }).click();
      await row('member-10@example.com').waitFor();
      assert.equal(await rows.count(), 10);
      assert.equal(await row(admin).count(), 0);
      assert.equal(await page.getByTestId('page-number').textContent(), 'Page 1');
      assert.equal(await page.getByRole('button', { name: 'Previous' }).isDisabled(), true);
      await page.getByRole('button', { name: 'Next' }).click();
      await row('member-12@example.com').waitFor();
      assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.email)), members.slice(10));
      assert.equal(await page.getByTestId('page-number').textContent(), 'Page 2');
      assert.equal(await page.getByRole('button', { name: 'Next' }).isDisabled(), true);
      await page.getByRole('button', { name: 'Previous' }).click();
      await row('member-01@example.com').waitFor();
      assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.email)), members.slice(0, 10));

      // Disable: the account cannot log in; enable: it can again.
      await row('member-01@example.com').getByRole('button', { name: 'Disable' }).click();
      await status('member-01@example.com').filter({ hasText: 'Disabled' }).waitFor();
      const loginQuery = 'mutation($i: LoginInput!) { login(input: $i) { fresh } }';
      const asMember = { variables: { i: { email: 'member-01@example.com', password: PASSWORD } } };
      assert.deepEqual(errorCodes(await gql(srv.graphqlURL, loginQuery, asMember)), ['ACCOUNT_DISABLED']);
      await row('member-01@example.com').getByRole('button', { name: 'Enable' }).click();
      await status('member-01@example.com').filter({ hasText: 'Active' }).waitFor();
      assert.deepEqual(errorCodes(await gql(srv.graphqlURL, loginQuery, asMember)), []);

      // Role: the server has the new role, and the figures count it.
      await page.getByLabel('Role of member-02@example.com').selectOption('ADMIN');
      await page.getByTestId('stat-admins').filter({ hasText: '2' }).waitFor();
      assert.match(await srv.cli('user', 'list'), /member-02@example\.com\s+ADMIN\s+false/);
      await page.getByTestId('stats').waitFor();
      await shot(page, 'admin');

      // After a refresh the token is not fresh: the figures ask for the
      // password. Cancel keeps it so; confirming shows them.
      await makeTokenNotFresh(page);
      await page.reload();
      const needPassword = page.getByTestId('stats-need-password');
      await needPassword.waitFor();
      await row('member-03@example.com').waitFor(); // `users` needs no fresh token
      await needPassword.getByRole('button', { name: 'Confirm your password' }).click();
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      assert.equal(await needPassword.isVisible(), true);
      await needPassword.getByRole('button', { name: 'Confirm your password' }).click();
      await dialog.getByLabel('Password').fill(PASSWORD);
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await page.getByTestId('stats').waitFor();
      await dialog.waitFor({ state: 'hidden' });

      // An action refused FRESH_TOKEN_REQUIRED opens the dialog; a wrong
      // password is told there; the right one logs in again and the
      // action is retried.
      await makeTokenNotFresh(page);
      await row('member-03@example.com').getByRole('button', { name: 'Disable' }).click();
      await dialog.waitFor();
      await dialog.getByLabel('Password').fill('wrong password');
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await dialog.getByRole('alert').filter({ hasText: 'Wrong password.' }).waitFor();
      await shot(page, 'admin-confirm-password');
      assert.equal(await status('member-03@example.com').textContent(), 'Active');
      await dialog.getByLabel('Password').fill(PASSWORD);
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await status('member-03@example.com').filter({ hasText: 'Disabled' }).waitFor();
      await dialog.waitFor({ state: 'hidden' });
      assert.match(await srv.cli('user', 'list'), /member-03@example\.com\s+USER\s+true/);

      // Each confirmation ended the session it replaced: one is left.
      await nav(page).getByRole('link', { name: 'Account' }).click();
      await page.getByTestId('current-session').waitFor();
      assert.equal(await page.getByTestId('session-row').count(), 1);

      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('two-factor: enroll with the QR code, sign in with a code and with a recovery code', async () => {
    const email = 'two-factor@example.com';
    await register(srv.graphqlURL, email, PASSWORD);
    await srv.cli('user', 'verify', '--email', email); // enrollTotp is @verified
    const { context, page, pageErrors } = await app.openPage();
    const twoFactor = page.getByTestId('two-factor');
    try {
      await signIn(page, email);
      await nav(page).getByRole('link', { name: 'Account' }).click();
      await twoFactor.getByRole('button', { name: 'Set up two-factor authentication' }).click();

      // The QR code is an SVG image the browser draws; the key is beside it.
      const qr = page.getByTestId('totp-qr');
      await qr.waitFor();
      assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code did not render');
      const secret = await page.getByTestId('totp-secret').textContent();
      assert.match(secret, /^[A-Z2-7]{32}$/);
      await shot(page, 'two-factor-enroll');

      // A wrong code is told beside the field; the right one turns it on
      // and shows ten recovery codes once.
      await twoFactor.getByLabel('Code from your app').fill(totp(secret, Date.now() - 10 * 60_000));
      await twoFactor.getByRole('button', { name: 'Turn on' }).click();
      await page.getByTestId('totp-error').filter({ hasText: 'The code is wrong or has expired.' }).waitFor();
      const first = totp(secret);
      await twoFactor.getByLabel('Code from your app').fill(first);
      await twoFactor.getByRole('button', { name: 'Turn on' }).click();
      const list = page.getByTestId('recovery-codes');
      await list.waitFor();
      const codes = await list.locator('li').allTextContents();
      assert.equal(codes.length, 10);
      for (const c of codes) assert.match(c, /^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
      await shot(page, 'two-factor-recovery-codes');
      await twoFactor.getByRole('button', { name: 'I have saved them' }).click();
      await page.getByTestId('mfa-status').filter({ hasText: /^On\./ }).waitFor();

      // Sign out; the password alone now leads to the code step, and no
      // session cookie is set until the code is right.
      await nav(page).getByRole('button', { name: 'Log out' }).click();
      await submitAuthForm(page, '/login', email, PASSWORD, 'Log in');
      const step = page.getByTestId('mfa-step');
      await step.waitFor();
      assert.deepEqual((await context.cookies()).filter((c) => c.name === 'gqlauth_access'), []);
      await step.getByLabel('Authentication code').fill(first); // the code that turned it on: used
      await step.getByRole('button', { name: 'Verify' }).click();
      await page.getByTestId('code-error').filter({ hasText: 'This code has already been used' }).waitFor();
      await shot(page, 'two-factor-code-step');
      await step.getByLabel('Authentication code').fill(nextTotp(secret));
      await step.getByRole('button', { name: 'Verify' }).click();
      await page.getByTestId('me-email').filter({ hasText: email }).waitFor();

      // Signed in with the factor: the account page counts the codes left.
      await nav(page).getByRole('link', { name: 'Account' }).click();
      await page.getByTestId('codes-left').filter({ hasText: '10 recovery codes left.' }).waitFor();

      // With a recovery code, once.
      await nav(page).getByRole('button', { name: 'Log out' }).click();
      await submitAuthForm(page, '/login', email, PASSWORD, 'Log in');
      await step.getByLabel('Authentication code').fill(codes[0].toUpperCase());
      await step.getByRole('button', { name: 'Verify' }).click();
      await page.getByTestId('me-email').filter({ hasText: email }).waitFor();
      await nav(page).getByRole('link', { name: 'Account' }).click();
      await page.getByTestId('codes-left').filter({ hasText: '9 recovery codes left.' }).waitFor();
      await nav(page).getByRole('button', { name: 'Log out' }).click();
      await submitAuthForm(page, '/login', email, PASSWORD, 'Log in');
      await step.getByLabel('Authentication code').fill(codes[0]);
      await step.getByRole('button', { name: 'Verify' }).click();
      await page.getByTestId('code-error').filter({ hasText: 'The code is wrong or has expired.' }).waitFor();
      await step.getByLabel('Authentication code').fill(codes[1]);
      await step.getByRole('button', { name: 'Verify' }).click();
      await page.getByTestId('me-email').filter({ hasText: email }).waitFor();

      // Turning it off takes a code (a recovery code here).
      await nav(page).getByRole('link', { name: 'Account' }).click();
      await twoFactor.getByRole('button', { name: 'Turn off' }).click();
      await twoFactor.getByLabel('A code to turn it off').fill(codes[2]);
      await twoFactor.getByRole('button', { name: 'Turn off' }).click();
      await page.getByTestId('mfa-status').filter({ hasText: /^Off\./ }).waitFor();

      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });
});
