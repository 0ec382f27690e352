// Apollo Client for gqlauth in cookie mode (TOKEN_LOCATION=cookies).
//
// The access and refresh tokens live in HttpOnly cookies the page cannot
// read; the browser sends them with credentials: 'include'. Every request
// also sends the readable gqlauth_csrf cookie's value in X-CSRF-Token (the
// double-submit check a cross-site page cannot pass). When the access token
// has expired the server answers UNAUTHENTICATED with reason TOKEN_EXPIRED:
// the error link then refreshes, once for all operations that failed
// meanwhile, and retries the operation. Any other reason means: log in.
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { Observable } from 'rxjs';

const GRAPHQL = '/graphql';

/** The gqlauth_csrf cookie's value, or '' when logged out. */
export function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)gqlauth_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : '';
}

export const isUnauthenticated = (error) =>
  CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');

const isTokenExpired = (error) =>
  CombinedGraphQLErrors.is(error) &&
  error.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED' && e.extensions?.reason === 'TOKEN_EXPIRED');

// `refresh` with no argument reads the refresh cookie; it needs the CSRF
// header like any cookie-authenticated request. A plain fetch, outside the
// link chain, so that it cannot loop through the error link.
async function refresh() {
  const res = await fetch(GRAPHQL, {
    method: 'POST',
    credentials: 'include',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken() },
    body: JSON.stringify({ query: 'mutation { refresh { csrfToken } }' }),
  });
  const body = await res.json();
  if (body.errors?.length) throw new CombinedGraphQLErrors(body, body.errors);
}

// Single flight: concurrent expired operations share one refresh.
let refreshing = null;
function refreshOnce() {
  refreshing ??= refresh().finally(() => { refreshing = null; });
  return refreshing;
}

const errorLink = new ErrorLink(({ error, operation, forward }) => {
  const ctx = operation.getContext();
  if (!isTokenExpired(error) || ctx.retried) return;
  operation.setContext({ retried: true });
  return new Observable((observer) => {
    let sub;
    let cancelled = false;
    // The CSRF value changes with every refresh: if it differs from the one
    // this operation was sent with, another operation has refreshed already.
    const ready = csrfToken() !== ctx.csrfSent ? Promise.resolve() : refreshOnce();
    ready.then(
      () => { if (!cancelled) sub = forward(operation).subscribe(observer); },
      (err) => observer.error(err),
    );
    return () => { cancelled = true; sub?.unsubscribe(); };
  });
});

// Runs for every request, retries included, so a retry sends the new value.
const csrfLink = new SetContextLink(({ headers }) => {
  const csrf = csrfToken();
  return { csrfSent: csrf, headers: { ...headers, ...(csrf ? { 'X-CSRF-Token': csrf } : {}) } };
});

export const client = new ApolloClient({
  link: ApolloLink.from([errorLink, csrfLink, new HttpLink({ uri: GRAPHQL, credentials: 'include' })]),
  cache: new InMemoryCache(),
});
