// The email lifecycle (issue 13) in the example app, in headless Chromium,
// against the real server, on SQLite and PostgreSQL, with its mail going
// to a real SMTP server started here (lib/smtp.mjs): each link is read
// from the mail as a person would read it and followed in the browser.
// Sign-up shows the "verify your address" banner, the mailed link verifies
// the address; "forgot your password?" mails a link that sets a new
// password once and ends every session; the account page's "change email"
// asks for the password, and the link mailed to the new address switches
// the account. After each link's page loads, the token is gone from the
// address bar and the tab's history, and no request carried a Referer.
// Servers of their own cover expired links with the resend throttle, and
// REQUIRE_VERIFIED_EMAIL.
// Screenshots go to e2e/artifacts/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { artifacts, startExampleApp } from './lib/exampleapp.mjs';
import { gqlData, register } from './lib/gql.mjs';
import { mailedLink, startMailServer } from './lib/smtp.mjs';
import { stores } from './lib/stores.mjs';

const PASSWORD = 'correct horse battery';
// The test id of the page each mailed link leads to.
const PAGE_IDS = { 'verify-email': 'verify-page', 'reset-password': 'reset-page', 'confirm-email-change': 'change-page' };
const NEW_PASSWORD = 'new horse battery staple';

/**
 * Starts the SMTP server, then gqlauth (its mail to that server, its links
 * to the app's URL) with the app in front of it. Resolves to the app
 * (lib/exampleapp.mjs) with mail (lib/smtp.mjs) and close() for all.
 */
async function startWithMail(env = {}, db = {}) {
  const mail = await startMailServer();
  let app;
  try {
    app = await startExampleApp((appURL) => ({
      SMTP_URL: mail.url,
      APP_URL: appURL,
      MAIL_FROM: 'Example <noreply@example.com>',
      ...(db.url ? { DATABASE_URL: db.url } : {}),
      ...env,
    }));
  } catch (e) {
    await mail.close();
    throw e;
  }
  return { ...app, mail, close: async () => { await app.close(); await mail.close(); } };
}

/** Helpers over one app: forms, links, checks. */
function helpers(app, prefix) {
  const { appURL } = app;
  const shot = (page, name) => page.screenshot({ path: join(artifacts, `${prefix}-${name}.png`), fullPage: true });

  /** Fills the sign-in form at route, presses button, waits for the answer. */
  async function submitAuthForm(page, route, email, password, button) {
    await page.goto(`${appURL}#${route}`);
    await page.getByTestId('login-form').waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    const answered = page.waitForResponse((r) => r.url().endsWith('/graphql') && /\b(login|register)\(/.test(r.request().postData() ?? ''));
    await page.getByRole('button', { name: button, exact: true }).click();
    await answered;
  }

  async function signIn(page, email, password) {
    await submitAuthForm(page, '/login', email, password, 'Log in');
    await page.getByTestId('me-email').filter({ hasText: email }).waitFor();
  }

  async function signInFails(page, email, password) {
    await submitAuthForm(page, '/login', email, password, 'Log in');
    await page.getByTestId('form-error').filter({ hasText: 'Wrong email or password.' }).waitFor();
  }

  /**
   * Opens a mailed link in page, as a click in a mail program does, and
   * checks that once the app has loaded the address is the page's hash
   * route, without the token.
   */
  async function openLink(page, link, route) {
    await page.goto(link);
    await page.getByTestId(PAGE_IDS[route]).waitFor();
    assert.equal(page.url(), `${appURL}#/${route}`);
    assert.equal(await page.evaluate(() => location.href), `${appURL}#/${route}`);
  }

  /** `me` as the page's cookies see it, or the error code. */
  async function meOf(page) {
    return page.evaluate(async () => {
      const m = /(?:^|;\s*)gqlauth_csrf=([^;]*)/.exec(document.cookie);
      const r = await fetch('/graphql', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(m ? { 'X-CSRF-Token': decodeURIComponent(m[1]) } : {}) },
        body: JSON.stringify({ query: '{ me { email emailVerified } }' }),
      });
      const body = await r.json();
      return body.data?.me ?? body.errors[0].extensions.code;
    });
  }

  return { shot, submitAuthForm, signIn, signInFails, openLink, meOf };
}

/**
 * Records the Referer of every request page makes; check() fails when
 * any had one (index.html asks for no-referrer, so that a token in the
 * address never reaches another server, nor the API's logs).
 */
function watchReferers(page) {
  const seen = [];
  page.on('request', (r) => seen.push({ url: r.url(), referer: r.headers().referer }));
  return {
    count: () => seen.length,
    check() {
      assert.deepEqual(seen.filter((r) => r.referer).map((r) => `${r.url} ← ${r.referer}`), []);
    },
  };
}

const pgSkip = await stores[1].skip();

for (const store of stores) {
  describe(`email lifecycle in the example app (${store.name})`, { skip: store.name === 'postgres' ? pgSkip ?? false : false }, () => {
    let app;
    let db;
    let h;
    const ada = 'ada@example.com';
    const adaNew = 'ada.lovelace@example.com';

    before(async () => {
      db = await store.open();
      app = await startWithMail({}, db);
      h = helpers(app, `email-${store.name}`);
    });
    after(async () => {
      await app?.close();
      await db?.drop();
    });

    test('sign-up shows the banner; the mailed link verifies the address, once', async () => {
      const { appURL, mail } = app;
      const { context, page, pageErrors } = await app.openPage();
      const referers = watchReferers(page);
      try {
        await h.submitAuthForm(page, '/signup', ada, PASSWORD, 'Create account');
        const banner = page.getByTestId('verify-banner');
        await banner.waitFor();
        assert.match(await banner.textContent(), /^Verify your address\. We sent a link to ada@example\.com/);
        const firstMail = await mail.next(ada);
        assert.equal(firstMail.subject, 'Verify your email address');
        assert.equal(firstMail.from, 'noreply@example.com');
        const first = mailedLink(firstMail, appURL, 'verify-email');
        if (store.name === 'sqlite') await h.shot(page, 'banner');

        // "Send the link again": a second mail, whose link replaces the first.
        await banner.getByRole('button', { name: 'Send the link again' }).click();
        await banner.getByTestId('resend-result').filter({ hasText: 'A new link is on its way to ada@example.com.' }).waitFor();
        const second = mailedLink(await mail.next(ada), appURL, 'verify-email');
        assert.notEqual(second.token, first.token);

        // The replaced link: TOKEN_INVALID, and a way to a new one.
        await h.openLink(page, first.link, 'verify-email');
        const linkError = page.getByTestId('link-error');
        await linkError.waitFor();
        assert.equal(await linkError.getAttribute('data-reason'), 'TOKEN_INVALID');
        assert.match(await linkError.textContent(), /^This link does not work: it was used already, a newer link replaced it/);
        await linkError.getByRole('button', { name: 'Send a new link' }).waitFor();
        assert.equal((await h.meOf(page)).emailVerified, false);

        // The newer link verifies the address.
        await h.openLink(page, second.link, 'verify-email');
        await page.getByTestId('verify-done').waitFor();
        assert.equal(await page.getByTestId('verify-done').textContent(),
          'Your address ada@example.com is verified. Thank you.Continue');
        if (store.name === 'sqlite') await h.shot(page, 'verified');
        await page.getByRole('link', { name: 'Continue' }).click();
        await page.getByRole('heading', { name: 'Welcome' }).waitFor();
        // verifyEmail's answer updated the cached user: no banner, no reload.
        assert.equal(await banner.count(), 0);
        assert.deepEqual(await h.meOf(page), { email: ada, emailVerified: true });

        // The tab's history holds no token: back through both links' entries.
        for (const want of [`${appURL}#/verify-email`, `${appURL}#/verify-email`, `${appURL}#/`]) {
          await page.goBack();
          assert.equal(page.url(), want);
        }

        // The link works once.
        await h.openLink(page, second.link, 'verify-email');
        await linkError.waitFor();
        assert.equal(await linkError.getAttribute('data-reason'), 'TOKEN_INVALID');
        // Signed in and verified: nothing more to ask for.
        await linkError.getByTestId('verified-already').waitFor();
        assert.equal(await linkError.getByTestId('verified-already').textContent(),
          'Your address ada@example.com is verified already. Continue');

        await page.goto(appURL);
        await page.getByRole('heading', { name: 'Welcome' }).waitFor();
        assert.equal(await banner.count(), 0);

        assert.ok(referers.count() > 10, `only ${referers.count()} requests seen`);
        referers.check();
        assert.deepEqual(pageErrors, []);
      } finally {
        await context.close();
      }
    });

    test('forgot password: the mailed link sets a new password once and ends every session', async () => {
      const { appURL, mail } = app;
      // A session in another browser, to see it end.
      const other = await app.openPage();
      await h.signIn(other.page, ada, PASSWORD);
      const { context, page, pageErrors } = await app.openPage();
      const referers = watchReferers(page);
      try {
        await page.goto(`${appURL}#/login`);
        await page.getByRole('link', { name: 'Forgot your password?' }).click();
        const form = page.getByTestId('forgot-form');
        await form.waitFor();
        assert.equal(page.url(), `${appURL}#/forgot-password`);

        const requestReset = async (email) => {
          await page.getByLabel('Email').fill(email);
          const answered = page.waitForResponse((r) => r.url().endsWith('/graphql') && /requestPasswordReset/.test(r.request().postData() ?? ''));
          await page.getByRole('button', { name: 'Send me a link' }).click();
          await answered;
          const done = page.getByTestId('reset-requested');
          await done.waitFor();
          return done.textContent();
        };

        // An address without an account is told exactly what one with an
        // account is told.
        const nobody = await requestReset('nobody@example.com');
        assert.match(nobody, /If an account exists for nobody@example\.com, a link to choose a new password is on its way\./);
        await page.getByRole('button', { name: 'ask again' }).click();
        const told = await requestReset(ada);
        assert.equal(told, nobody.replace('nobody@example.com', ada));
        if (store.name === 'sqlite') await h.shot(page, 'reset-requested');
        const resetMail = await mail.next(ada);
        assert.equal(resetMail.subject, 'Reset your password');
        const reset = mailedLink(resetMail, appURL, 'reset-password');
        // (asked before ada's, so it would have come first)
        assert.deepEqual(mail.received('nobody@example.com'), []);

        await h.openLink(page, reset.link, 'reset-password');
        await page.getByTestId('reset-form').waitFor();

        // A password the server refuses: told beside the field; the link
        // is not spent.
        const newPassword = page.getByLabel('New password');
        await newPassword.fill('short');
        await page.getByRole('button', { name: 'Set the new password' }).click();
        const fieldError = page.getByTestId('newPassword-error');
        await fieldError.waitFor();
        assert.match(await fieldError.textContent(), /at least 8 characters/);
        assert.equal(await newPassword.getAttribute('aria-invalid'), 'true');
        if (store.name === 'sqlite') await h.shot(page, 'reset-bad-password');

        await newPassword.fill(NEW_PASSWORD);
        await page.getByRole('button', { name: 'Set the new password' }).click();
        await page.getByTestId('reset-done').waitFor();
        assert.match(await page.getByTestId('reset-done').textContent(), /^Your password is changed\. Every session of the account has ended/);
        if (store.name === 'sqlite') await h.shot(page, 'reset-done');

        // The other browser's session has ended.
        await other.page.reload();
        await other.page.getByTestId('login-form').waitFor();
        assert.equal(await h.meOf(other.page), 'UNAUTHENTICATED');

        // The old password no longer works; the new one does.
        await h.signInFails(page, ada, PASSWORD);
        await h.signIn(page, ada, NEW_PASSWORD);

        // The link again: refused TOKEN_INVALID, with a way to a new one.
        await h.openLink(page, reset.link, 'reset-password');
        await page.getByLabel('New password').fill('another password 1');
        await page.getByRole('button', { name: 'Set the new password' }).click();
        const linkError = page.getByTestId('link-error');
        await linkError.waitFor();
        assert.equal(await linkError.getAttribute('data-reason'), 'TOKEN_INVALID');
        assert.match(await linkError.textContent(), /^This link does not work/);
        if (store.name === 'sqlite') await h.shot(page, 'reset-replayed');
        await linkError.getByRole('link', { name: 'Ask for a new link' }).click();
        await form.waitFor();
        // Still the password the link set, and this browser still signed in.
        assert.deepEqual(await h.meOf(page), { email: ada, emailVerified: true });
        await gqlData(app.srv.graphqlURL, 'mutation($i: LoginInput!) { login(input: $i) { fresh } }',
          { variables: { i: { email: ada, password: NEW_PASSWORD } } });

        referers.check();
        assert.deepEqual([...pageErrors, ...other.pageErrors], []);
      } finally {
        await context.close();
        await other.context.close();
      }
    });

    test('change email: confirm the password, then the link mailed to the new address switches the account', async () => {
      const { appURL, mail } = app;
      await register(app.srv.graphqlURL, 'taken@example.com', PASSWORD);
      assert.equal((await mail.next('taken@example.com')).subject, 'Verify your email address');
      const { context, page, pageErrors } = await app.openPage();
      const referers = watchReferers(page);
      const dialog = page.getByRole('dialog', { name: 'Confirm your password' });
      try {
        await h.signIn(page, ada, NEW_PASSWORD);
        // A refreshed token is not fresh: requestEmailChange asks for the password.
        await page.evaluate(async () => {
          const csrf = decodeURIComponent(/(?:^|;\s*)gqlauth_csrf=([^;]*)/.exec(document.cookie)[1]);
          await fetch('/graphql', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
            body: JSON.stringify({ query: 'mutation { refresh { fresh } }' }),
          });
        });
        await page.goto(`${appURL}#/account`);
        const form = page.getByTestId('change-email-form');
        await form.waitFor();
        const newEmail = form.getByLabel('New email');

        // An address another account has: beside the field.
        await newEmail.fill('taken@example.com');
        await form.getByRole('button', { name: 'Send a confirmation link' }).click();
        await dialog.waitFor();
        await dialog.getByLabel('Password').fill(NEW_PASSWORD);
        await dialog.getByRole('button', { name: 'Confirm' }).click();
        await dialog.waitFor({ state: 'hidden' });
        await form.getByTestId('newEmail-error').filter({ hasText: 'Another account uses this address.' }).waitFor();

        // Now fresh: no dialog this time.
        await newEmail.fill(adaNew);
        await form.getByRole('button', { name: 'Send a confirmation link' }).click();
        const sent = form.getByTestId('change-email-sent');
        await sent.waitFor();
        assert.equal(await sent.textContent(),
          `We sent a link to ${adaNew}. Open it to switch; until then you sign in with ${ada}.`);
        assert.equal(await dialog.isVisible(), false);
        if (store.name === 'sqlite') await h.shot(page, 'change-requested');

        // A notice to the old address, the link to the new one.
        const notice = await mail.next(ada);
        assert.equal(notice.subject, 'Your email address is changing');
        assert.match(notice.text, new RegExp(adaNew.replace(/\./g, '\\.')));
        assert.doesNotMatch(notice.text, /token=/);
        const confirmMail = await mail.next(adaNew);
        assert.equal(confirmMail.subject, 'Confirm your new email address');
        const change = mailedLink(confirmMail, appURL, 'confirm-email-change');

        // Opening the link changes nothing until the button is pressed.
        await h.openLink(page, change.link, 'confirm-email-change');
        assert.deepEqual(await h.meOf(page), { email: ada, emailVerified: true });
        if (store.name === 'sqlite') await h.shot(page, 'change-confirm');
        await page.getByRole('button', { name: 'Switch to the new address' }).click();
        const done = page.getByTestId('change-done');
        await done.waitFor();
        assert.match(await done.textContent(), new RegExp(`^Your account now uses ${adaNew.replace(/\./g, '\\.')}\\. Every session`));
        // Every session ended, this one's cookies cleared.
        assert.deepEqual((await context.cookies()).filter((c) => c.name.startsWith('gqlauth_')), []);
        await page.getByTestId('me-email').waitFor({ state: 'detached' });

        await page.getByRole('link', { name: 'Sign in with the new address' }).click();
        await h.signInFails(page, ada, NEW_PASSWORD);
        await h.signIn(page, adaNew, NEW_PASSWORD);
        assert.deepEqual(await h.meOf(page), { email: adaNew, emailVerified: true });
        assert.equal(await page.getByTestId('verify-banner').count(), 0);

        // The link works once.
        await h.openLink(page, change.link, 'confirm-email-change');
        await page.getByRole('button', { name: 'Switch to the new address' }).click();
        const linkError = page.getByTestId('link-error');
        await linkError.waitFor();
        assert.equal(await linkError.getAttribute('data-reason'), 'TOKEN_INVALID');
        assert.deepEqual(await h.meOf(page), { email: adaNew, emailVerified: true });

        referers.check();
        assert.deepEqual(pageErrors, []);
      } finally {
        await context.close();
      }
    });
  });
}

// Expiry needs short-lived links, and the throttle a low limit: a server
// of their own (SQLite; the stores' handling of expiry is the Go tests').
describe('expired links and the resend throttle in the example app', () => {
  const TTL_SECONDS = 4;
  const LIMIT = 2; // sendVerificationEmail calls per account per window
  let app;
  let h;

  before(async () => {
    app = await startWithMail({
      VERIFY_TOKEN_TTL: `${TTL_SECONDS}s`,
      RESET_TOKEN_TTL: `${TTL_SECONDS}s`,
      RATE_LIMIT_ACCOUNT: String(LIMIT),
    });
    h = helpers(app, 'email-expired');
  });
  after(() => app?.close());

  test('an expired link says so and offers a new one; "send the link again" is throttled', async () => {
    const { appURL, mail } = app;
    const email = 'late@example.com';
    const { context, page, pageErrors } = await app.openPage();
    try {
      await h.submitAuthForm(page, '/signup', email, PASSWORD, 'Create account');
      const banner = page.getByTestId('verify-banner');
      await banner.waitFor();
      const verify = mailedLink(await mail.next(email), appURL, 'verify-email');
      await gqlData(app.srv.graphqlURL, 'mutation($e: String!) { requestPasswordReset(email: $e) }', { variables: { e: email } });
      const asked = Date.now();
      const reset = mailedLink(await mail.next(email), appURL, 'reset-password');
      // Both links are past their lifetime after this.
      await sleep(asked + (TTL_SECONDS + 1) * 1000 - Date.now());

      // The expired verification link: TOKEN_EXPIRED, and a new link (1 of LIMIT).
      await h.openLink(page, verify.link, 'verify-email');
      const linkError = page.getByTestId('link-error');
      await linkError.waitFor();
      assert.equal(await linkError.getAttribute('data-reason'), 'TOKEN_EXPIRED');
      assert.match(await linkError.textContent(), /^This link has expired\./);
      await linkError.getByRole('button', { name: 'Send a new link' }).click();
      await linkError.getByTestId('resend-result').filter({ hasText: `A new link is on its way to ${email}.` }).waitFor();
      await h.shot(page, 'verify-expired');
      mailedLink(await mail.next(email), appURL, 'verify-email');

      // The expired reset link: the form, then TOKEN_EXPIRED with a way to a new link.
      await h.openLink(page, reset.link, 'reset-password');
      await page.getByLabel('New password').fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Set the new password' }).click();
      await linkError.waitFor();
      assert.equal(await linkError.getAttribute('data-reason'), 'TOKEN_EXPIRED');
      assert.match(await linkError.textContent(), /^This link has expired\.Ask for a new link$/);
      await h.shot(page, 'reset-expired');
      await linkError.getByRole('link', { name: 'Ask for a new link' }).click();
      await page.getByTestId('forgot-form').waitFor();
      assert.equal(page.url(), `${appURL}#/forgot-password`);

      // The banner's button: 2 of LIMIT sends, then RATE_LIMITED with the
      // window's wait (15 minutes).
      await page.goto(appURL);
      await banner.waitFor();
      const resend = banner.getByRole('button', { name: 'Send the link again' });
      const result = banner.getByTestId('resend-result');
      await resend.click();
      await result.filter({ hasText: 'A new link is on its way' }).waitFor();
      mailedLink(await mail.next(email), appURL, 'verify-email');
      await resend.click();
      await result.getByRole('alert').waitFor();
      assert.equal(await result.textContent(), 'Too many attempts. Try again in 15 minutes.');
      await h.shot(page, 'resend-rate-limited');
      assert.equal((await h.meOf(page)).emailVerified, false);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });
});

// REQUIRE_VERIFIED_EMAIL=true: no session before the address is verified.
describe('REQUIRE_VERIFIED_EMAIL in the example app', () => {
  let app;
  let h;

  before(async () => {
    app = await startWithMail({ REQUIRE_VERIFIED_EMAIL: 'true' });
    h = helpers(app, 'email-required');
  });
  after(() => app?.close());

  test('sign-up and sign-in say "verify first" until the mailed link is opened', async () => {
    const { appURL, mail } = app;
    const email = 'strict@example.com';
    const { context, page, pageErrors } = await app.openPage();
    const formError = page.getByTestId('form-error');
    const verifyFirst = 'Verify your address first: we mailed you a link. Open it, then sign in.';
    try {
      // Sign-up creates the account and mails the link, but opens no session.
      await h.submitAuthForm(page, '/signup', email, PASSWORD, 'Create account');
      await formError.filter({ hasText: verifyFirst }).waitFor();
      const first = mailedLink(await mail.next(email), appURL, 'verify-email');
      assert.deepEqual((await context.cookies()).filter((c) => c.name.startsWith('gqlauth_')), []);
      await h.shot(page, 'signup');

      // A wrong password is told as ever, and mails nothing; the right
      // one is refused until verified, with a new link.
      await h.signInFails(page, email, 'wrong password');
      await h.submitAuthForm(page, '/login', email, PASSWORD, 'Log in');
      await formError.filter({ hasText: verifyFirst }).waitFor();
      const second = mailedLink(await mail.next(email), appURL, 'verify-email');
      assert.notEqual(second.token, first.token);
      assert.equal(mail.received(email).length, 2);

      // Signed out, the newest link verifies; then sign-in works.
      await h.openLink(page, second.link, 'verify-email');
      await page.getByTestId('verify-done').waitFor();
      await page.getByTestId('verify-done').getByRole('link', { name: 'Sign in' }).click();
      await h.signIn(page, email, PASSWORD);
      assert.deepEqual(await h.meOf(page), { email, emailVerified: true });
      assert.equal(await page.getByTestId('verify-banner').count(), 0);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });
});
