// An Apollo Client (v4, no React) set up as an application would set it up
// against gqlauth, in either token mode:
//
//   headers  an auth link puts `Authorization: Bearer <access>` from an
//            in-memory store; refresh passes the stored refresh token.
//   cookies  the fetch carries a cookie jar (as a browser does); a link
//            copies the gqlauth_csrf cookie into X-CSRF-Token on every
//            request; refresh takes no argument (the server reads the
//            HttpOnly refresh cookie).
//
// In both, an error link answers UNAUTHENTICATED/TOKEN_EXPIRED, and only
// that reason, with one refresh shared by every operation that failed
// meanwhile (single flight), then retries the operation once.
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { ErrorLink } from '@apollo/client/link/error';
import { SetContextLink } from '@apollo/client/link/context';
import fetchCookie from 'fetch-cookie';
import { Observable } from 'rxjs';
import { CookieJar } from 'tough-cookie';

const REFRESH_HEADERS = 'mutation Refresh($r: String) { refresh(refreshToken: $r) { accessToken refreshToken } }';
const REFRESH_COOKIES = 'mutation Refresh { refresh { csrfToken } }';

/** Whether error is gqlauth's "access token expired: refresh and retry". */
export const isTokenExpired = (error) =>
  CombinedGraphQLErrors.is(error) &&
  error.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED' && e.extensions?.reason === 'TOKEN_EXPIRED');

/**
 * The error link. credential() names what a request is sent with (the
 * access token, or the CSRF value, which changes with every refresh);
 * refresh() gets new tokens. An operation that failed with TOKEN_EXPIRED
 * is retried once: at once when the credential changed since it was sent
 * (another operation refreshed meanwhile), else after the refresh in
 * flight, starting one when none is.
 */
export function refreshOnExpiry({ credential, refresh }) {
  let inFlight = null;
  const refreshOnce = () => {
    inFlight ??= Promise.resolve().then(refresh).finally(() => { inFlight = null; });
    return inFlight;
  };
  return new ErrorLink(({ error, operation, forward }) => {
    const ctx = operation.getContext();
    if (!isTokenExpired(error) || ctx.gqlauthRetried) return; // any other error: the caller's
    operation.setContext({ gqlauthRetried: true });
    return new Observable((observer) => {
      let sub;
      let cancelled = false;
      const ready = credential() !== ctx.gqlauthCredential ? Promise.resolve() : refreshOnce();
      ready.then(
        () => { if (!cancelled) sub = forward(operation).subscribe(observer); },
        (err) => observer.error(err),
      );
      return () => { cancelled = true; sub?.unsubscribe(); };
    });
  });
}

/** Counts what went over the wire: requests by operation name, TOKEN_EXPIRED answers. */
function countingFetch(fetchImpl, stats) {
  return async (url, init) => {
    const { operationName } = JSON.parse(init.body);
    stats.requests[operationName] = (stats.requests[operationName] ?? 0) + 1;
    const res = await fetchImpl(url, init);
    const body = await res.clone().json().catch(() => null);
    if (body?.errors?.some((e) => e.extensions?.reason === 'TOKEN_EXPIRED')) stats.expired++;
    return res;
  };
}

/**
 * A client of graphqlURL in mode 'headers' or 'cookies'. Resolves to
 *   client   the ApolloClient
 *   store    headers: { access, refresh } in memory; cookies: the CookieJar
 *   csrf()   cookies: the gqlauth_csrf cookie's value
 *   fetch    the fetch the client uses (with the jar in cookie mode)
 *   stats    { refreshes, expired, requests: { [operationName]: n } }
 *   setTokens(payload)  headers: keep the tokens of an AuthPayload
 *   url      graphqlURL
 */
export function makeClient(graphqlURL, mode) {
  const stats = { refreshes: 0, expired: 0, requests: {} };
  const jar = new CookieJar();
  const baseFetch = mode === 'cookies' ? fetchCookie(fetch, jar) : fetch;
  const wireFetch = countingFetch(baseFetch, stats);
  const store = { access: null, refresh: null };
  const csrf = () => jar.getCookiesSync(graphqlURL).find((c) => c.key === 'gqlauth_csrf')?.value ?? null;
  const setTokens = (p) => { store.access = p.accessToken; store.refresh = p.refreshToken; };

  // The refresh is a plain POST, outside the link chain, so that it carries
  // no expired Authorization header and cannot recurse into the error link.
  async function refresh() {
    stats.refreshes++;
    const cookies = mode === 'cookies';
    const res = await wireFetch(graphqlURL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookies ? { 'x-csrf-token': csrf() ?? '' } : {}) },
      body: JSON.stringify(cookies
        ? { operationName: 'Refresh', query: REFRESH_COOKIES }
        : { operationName: 'Refresh', query: REFRESH_HEADERS, variables: { r: store.refresh } }),
    });
    const body = await res.json();
    if (body.errors?.length) throw new CombinedGraphQLErrors(body, body.errors);
    if (!cookies) setTokens(body.data.refresh);
  }

  // Runs on every request, retries included: the credential of the moment.
  const credentialLink = new SetContextLink((prev) => {
    const credential = mode === 'cookies' ? csrf() : store.access;
    const headers = { ...prev.headers };
    if (credential && mode === 'cookies') headers['x-csrf-token'] = credential;
    if (credential && mode === 'headers') headers.authorization = `Bearer ${credential}`;
    return { headers, gqlauthCredential: credential };
  });

  const errorLink = refreshOnExpiry({ credential: () => (mode === 'cookies' ? csrf() : store.access), refresh });
  const httpLink = new HttpLink({ uri: graphqlURL, fetch: wireFetch, credentials: 'include' });

  const client = new ApolloClient({
    link: ApolloLink.from([errorLink, credentialLink, httpLink]),
    cache: new InMemoryCache(),
    defaultOptions: { query: { fetchPolicy: 'no-cache' }, watchQuery: { fetchPolicy: 'no-cache' } },
  });
  return { client, store: mode === 'cookies' ? jar : store, csrf, fetch: baseFetch, stats, setTokens, url: graphqlURL };
}

const AUTH_PAYLOAD = 'accessToken refreshToken csrfToken fresh mfaRequired mfaToken user { id email mfaEnabled }';
const LOGIN = gql`mutation Login($i: LoginInput!) { login(input: $i) { ${AUTH_PAYLOAD} } }`;
const VERIFY_MFA = gql`mutation VerifyMfa($t: String!, $c: String!) { verifyMfa(mfaToken: $t, code: $c) { ${AUTH_PAYLOAD} } }`;

/** The extensions of a GraphQL error, or null for any other failure. */
const extensionsOf = (e) => (CombinedGraphQLErrors.is(e) ? e.errors[0]?.extensions ?? {} : null);

/**
 * A login that handles gqlauth's second factor: `login`, and when it
 * answers mfaRequired (the password was right; no tokens, no cookies, only
 * an mfaToken valid 5 minutes), asks the user for a code and completes the
 * login with verifyMfa. askCode({ attempt, error }) resolves to what the
 * user typed (a TOTP code or a recovery code); error is the extensions of
 * the previous wrong code (BAD_USER_INPUT, field "code"), after which the
 * same mfaToken is still good. Any other error (RATE_LIMITED; an mfaToken
 * expired or spent: UNAUTHENTICATED, log in again) reaches the caller, and
 * so does the last wrong code after maxTries. Resolves to the AuthPayload
 * that carries the session (its tokens, in header mode; cookies are set by
 * the answer in cookie mode), after onPayload(payload) kept it.
 */
export async function logInWithSecondFactor(client, input, { askCode, onPayload = () => {}, maxTries = 3 }) {
  const first = (await client.mutate({ mutation: LOGIN, variables: { i: input } })).data.login;
  if (!first.mfaRequired) {
    onPayload(first);
    return first;
  }
  let error = null;
  for (let attempt = 1; ; attempt++) {
    const code = await askCode({ attempt, error });
    try {
      const p = (await client.mutate({ mutation: VERIFY_MFA, variables: { t: first.mfaToken, c: code } })).data.verifyMfa;
      onPayload(p);
      return p;
    } catch (e) {
      const x = extensionsOf(e);
      if (x?.code !== 'BAD_USER_INPUT' || x.field !== 'code' || attempt >= maxTries) throw e;
      error = x;
    }
  }
}
