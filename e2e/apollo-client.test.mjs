// A whole session of an Apollo Client application against the real
// server, with bearer headers and with cookies + CSRF: register, login,
// `me`, an expired access token refreshed by the error link (once for
// several concurrent operations), logout, and `me` refused afterwards.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { CombinedGraphQLErrors, gql } from '@apollo/client';

import { logInWithSecondFactor, makeClient } from './lib/apollo.mjs';
import { startServer } from './lib/server.mjs';
import { nextTotp, totp } from './lib/totp.mjs';

const TTL_SECONDS = 2;
// Short-lived access tokens, with no leeway on exp, so that a test can
// wait for one to expire.
const shortTokens = { ACCESS_TOKEN_TTL: `${TTL_SECONDS}s`, JWT_LEEWAY: '0s' };
// exp is in whole seconds: wait out the lifetime plus the rounding.
const waitForExpiry = () => sleep((TTL_SECONDS + 1.2) * 1000);

const PAYLOAD = 'accessToken refreshToken csrfToken fresh user { id email }';
const REGISTER = gql`mutation Register($i: RegisterInput!) { register(input: $i) { ${PAYLOAD} } }`;
const LOGIN = gql`mutation Login($i: LoginInput!) { login(input: $i) { ${PAYLOAD} } }`;
const LOGOUT = gql`mutation Logout { logout }`;
const ME = gql`query Me { me { id email role } }`;
const ME_EMAIL = gql`query MeEmail { me { email } }`;
const SESSIONS = gql`query Sessions { mySessions { id current } }`;

/** Resolves to the first error of an operation that must fail. */
async function failure(promise) {
  const error = await promise.then(
    (r) => assert.fail(`expected an error, got ${JSON.stringify(r.data)}`),
    (e) => e,
  );
  assert.ok(CombinedGraphQLErrors.is(error), `not a GraphQL error: ${error}`);
  return error.errors[0].extensions;
}

/**
 * The flow shared by both modes, c being makeClient's answer. Resolves to
 * the user `me` returned.
 */
async function sessionFlow(c, email, { mode }) {
  const { client, stats } = c;
  const password = 'correct horse battery';
  const keep = (p) => { if (mode === 'headers') c.setTokens(p); };

  const reg = (await client.mutate({ mutation: REGISTER, variables: { i: { email, password } } })).data.register;
  assert.equal(reg.user.email, email);
  if (mode === 'headers') {
    assert.ok(reg.accessToken && reg.refreshToken, 'header mode must return the tokens');
    assert.equal(reg.csrfToken, null);
  } else {
    assert.equal(reg.accessToken, null, 'cookie mode put a token in the body');
    assert.equal(reg.refreshToken, null);
    assert.equal(reg.csrfToken, c.csrf(), 'csrfToken differs from the CSRF cookie');
  }

  const log = (await client.mutate({ mutation: LOGIN, variables: { i: { email, password } } })).data.login;
  assert.equal(log.fresh, true);
  keep(log);

  const me = (await client.query({ query: ME })).data.me;
  assert.equal(me.email, email);
  assert.equal(me.role, 'USER');
  assert.equal(stats.refreshes, 0);

  // One expired query: refreshed and retried behind the caller's back.
  await waitForExpiry();
  const expiredBefore = stats.expired;
  const again = (await client.query({ query: ME })).data.me;
  assert.equal(again.id, me.id);
  assert.equal(stats.expired, expiredBefore + 1, 'the access token had not expired: the test proves nothing');
  assert.equal(stats.refreshes, 1, 'no refresh happened');
  assert.equal(stats.requests.Refresh, 1);

  // Three concurrent queries after expiry: three TOKEN_EXPIRED answers, one
  // refresh, three retried successes. (Different operations, so that
  // Apollo's in-flight deduplication does not merge them.)
  await waitForExpiry();
  const expired3 = stats.expired;
  const [a, b, s] = await Promise.all([ME, ME_EMAIL, SESSIONS].map((query) => client.query({ query })));
  assert.equal(a.data.me.email, email);
  assert.equal(b.data.me.email, email);
  assert.ok(s.data.mySessions.some((x) => x.current), 'no current session');
  assert.equal(stats.expired, expired3 + 3, 'the three queries did not all meet an expired token');
  assert.equal(stats.refreshes, 2, 'concurrent expiries must share one refresh');

  // Logout (the token is fresh enough: just refreshed), then `me` refused,
  // without any refresh attempt: only TOKEN_EXPIRED triggers one.
  assert.equal((await client.mutate({ mutation: LOGOUT })).data.logout, true);
  const ext = await failure(client.query({ query: ME }));
  assert.equal(ext.code, 'UNAUTHENTICATED');
  assert.equal(ext.reason, mode === 'headers' ? 'TOKEN_REVOKED' : 'TOKEN_MISSING');
  assert.equal(stats.refreshes, 2, 'refreshed on an error other than TOKEN_EXPIRED');
  return me;
}

const ENROLL = gql`mutation EnrollTotp { enrollTotp { secret } }`;
const CONFIRM = gql`mutation ConfirmTotp($c: String!) { confirmTotp(code: $c) }`;
const REMAINING = gql`query Remaining { recoveryCodesRemaining }`;

/**
 * The second factor through Apollo Client, in either mode: enroll, log
 * out, then logInWithSecondFactor: mfaRequired, a wrong code asked again,
 * the right one opening an aal2 session (the @mfa field answers).
 */
async function secondFactorFlow(c, email, { mode, srv }) {
  const { client } = c;
  const password = 'correct horse battery';
  const keep = (p) => { if (mode === 'headers' && p.accessToken) c.setTokens(p); };
  keep((await client.mutate({ mutation: REGISTER, variables: { i: { email, password } } })).data.register);
  // enrollTotp is @verified: the operator vouches for the address here.
  await srv.cli('user', 'verify', '--email', email);
  const { secret } = (await client.mutate({ mutation: ENROLL })).data.enrollTotp;
  const first = totp(secret);
  const codes = (await client.mutate({ mutation: CONFIRM, variables: { c: first } })).data.confirmTotp;
  assert.equal(codes.length, 10);
  const needsFactor = await failure(client.query({ query: REMAINING })); // this session is aal1
  assert.equal(needsFactor.code, 'MFA_REQUIRED');
  await client.mutate({ mutation: LOGOUT });
  c.setTokens({ accessToken: null, refreshToken: null });

  const asked = [];
  const payload = await logInWithSecondFactor(client, { email, password }, {
    onPayload: keep,
    askCode: async ({ attempt, error }) => {
      asked.push([attempt, error?.code ?? null, error?.field ?? null]);
      if (mode === 'cookies') {
        const names = c.store.getCookiesSync(c.url).map((k) => k.key);
        assert.ok(!names.includes('gqlauth_access'), 'the first step set a session cookie');
      }
      return attempt === 1 ? first : nextTotp(secret); // the enrolling code again: used
    },
  });
  assert.deepEqual(asked, [[1, null, null], [2, 'BAD_USER_INPUT', 'code']]);
  assert.equal(payload.mfaRequired, false);
  assert.equal(payload.user.email, email);
  assert.equal(payload.fresh, true);
  if (mode === 'headers') {
    const claims = JSON.parse(Buffer.from(payload.accessToken.split('.')[1], 'base64url'));
    assert.deepEqual([claims.amr, claims.aal], [['pwd', 'otp'], 'aal2']);
  }
  assert.equal((await client.query({ query: REMAINING })).data.recoveryCodesRemaining, 10);

  // A recovery code works the same way; a used one, asked again, fails.
  await client.mutate({ mutation: LOGOUT });
  c.setTokens({ accessToken: null, refreshToken: null });
  await logInWithSecondFactor(client, { email, password }, { onPayload: keep, askCode: async () => codes[0] });
  assert.equal((await client.query({ query: REMAINING })).data.recoveryCodesRemaining, 9);
  const reused = await failure(logInWithSecondFactor(client, { email, password }, { maxTries: 1, askCode: async () => codes[0] }));
  assert.deepEqual([reused.code, reused.field], ['BAD_USER_INPUT', 'code']);
}

describe('Apollo Client against gqlauth', () => {
  describe('bearer headers', () => {
    let srv;
    before(async () => { srv = await startServer(shortTokens); });
    after(() => srv?.stop());

    test('register, login, me, automatic refresh (single flight), logout', async () => {
      const c = makeClient(srv.graphqlURL, 'headers');
      await sessionFlow(c, 'apollo-headers@example.com', { mode: 'headers' });
      // The client forgets its tokens on logout: then the reason is TOKEN_MISSING.
      c.setTokens({ accessToken: null, refreshToken: null });
      const ext = await failure(c.client.query({ query: ME }));
      assert.deepEqual([ext.code, ext.reason], ['UNAUTHENTICATED', 'TOKEN_MISSING']);
    });

    test('a login with a second factor: mfaRequired, then verifyMfa', async () => {
      const c = makeClient(srv.graphqlURL, 'headers');
      await secondFactorFlow(c, 'apollo-mfa-headers@example.com', { mode: 'headers', srv });
    });

    test('an expired token with a revoked session is not retried in a loop', async () => {
      const c = makeClient(srv.graphqlURL, 'headers');
      const i = { email: 'apollo-loop@example.com', password: 'correct horse battery' };
      c.setTokens((await c.client.mutate({ mutation: REGISTER, variables: { i } })).data.register);
      const stale = { ...c.store };
      await c.client.mutate({ mutation: LOGOUT });
      c.setTokens({ accessToken: stale.access, refreshToken: stale.refresh });
      await waitForExpiry();
      // TOKEN_EXPIRED, then a refresh that fails: the refresh's error reaches the caller.
      const ext = await failure(c.client.query({ query: ME }));
      assert.equal(ext.code, 'UNAUTHENTICATED');
      assert.notEqual(ext.reason, 'TOKEN_EXPIRED');
      assert.equal(c.stats.refreshes, 1);
      assert.equal(c.stats.requests.Me, 1, 'retried although the refresh failed');
    });
  });

  describe('cookies + CSRF', () => {
    let srv;
    before(async () => { srv = await startServer({ ...shortTokens, TOKEN_LOCATION: 'cookies', COOKIE_SECURE: 'false' }); });
    after(() => srv?.stop());

    test('register, login, me, automatic refresh (single flight), logout', async () => {
      const c = makeClient(srv.graphqlURL, 'cookies');
      await sessionFlow(c, 'apollo-cookies@example.com', { mode: 'cookies' });
      const names = c.store.getCookiesSync(srv.graphqlURL).map((k) => k.key);
      assert.deepEqual(names, [], 'logout left cookies in the jar');
    });

    test('a login with a second factor: mfaRequired, then verifyMfa', async () => {
      const c = makeClient(srv.graphqlURL, 'cookies');
      await secondFactorFlow(c, 'apollo-mfa-cookies@example.com', { mode: 'cookies', srv });
    });

    test('a cookie request without the CSRF header is refused with CSRF_FAILED', async () => {
      const c = makeClient(srv.graphqlURL, 'cookies');
      const i = { email: 'apollo-csrf@example.com', password: 'correct horse battery' };
      await c.client.mutate({ mutation: REGISTER, variables: { i } });
      const names = c.store.getCookiesSync(srv.graphqlURL).map((k) => k.key).sort();
      assert.deepEqual(names, ['gqlauth_access', 'gqlauth_csrf', 'gqlauth_refresh']);

      // The jar's cookies, no header: what a cross-site form can make a browser send.
      for (const query of ['{ me { email } }', 'mutation { refresh { csrfToken } }', 'mutation { logout }']) {
        const res = await c.fetch(srv.graphqlURL, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        });
        const body = await res.json();
        const ext = body.errors?.[0]?.extensions;
        assert.deepEqual([ext?.code, ext?.reason], ['UNAUTHENTICATED', 'CSRF_FAILED'], `${query}: ${JSON.stringify(body)}`);
      }
      // A forged value fails the same way.
      const res = await c.fetch(srv.graphqlURL, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': `forged-${c.csrf()}` },
        body: JSON.stringify({ query: '{ me { email } }' }),
      });
      assert.equal((await res.json()).errors?.[0]?.extensions?.reason, 'CSRF_FAILED');
      // The client, which sends the header, still works: the refused logout changed nothing.
      assert.equal((await c.client.query({ query: ME })).data.me.email, i.email);
    });
  });
});
