// Sign in with an OpenID Connect provider (Google, Microsoft, GitLab, a
// company's Keycloak…), and linking providers to the account.
//
// The flow: beginOidcLogin answers the provider's authorization URL; the
// browser goes there, signs in, and comes back to /oidc/callback?code=…&state=…
// (a real path, allow-listed in OIDC_REDIRECT_URIS and registered at the
// provider); the callback page calls finishOidcLogin (or finishOidcLink),
// which sets the session cookies (or answers mfaRequired, as a password
// login does).
//
// Before leaving, the page keeps the provider, the purpose and the state in
// sessionStorage; the callback refuses a state this tab did not start, so
// that a link planted on a victim cannot sign them in to someone else's
// account (login CSRF). The server checks the rest: the state is single
// use, bound to the provider and 10 minutes, and the ID token's nonce.
import { gql } from '@apollo/client';
import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useRef, useState } from 'react';

import { useFreshToken } from './ConfirmPassword.jsx';
import { errorInfo, errorMessage } from './errors.js';
import MfaStep from './MfaStep.jsx';
import './oidc.css';

export const OIDC_PROVIDERS = gql`query OidcProviders { oidcProviders { id name } }`;
const MY_IDENTITIES = gql`query MyIdentities { me { id identities { provider email createdAt } } }`;
const BEGIN_LOGIN = gql`mutation BeginOidcLogin($provider: String!, $redirectUri: String!) {
  beginOidcLogin(provider: $provider, redirectUri: $redirectUri) { url }
}`;
const FINISH_LOGIN = gql`mutation FinishOidcLogin($provider: String!, $code: String!, $state: String!) {
  finishOidcLogin(provider: $provider, code: $code, state: $state) { mfaRequired mfaToken user { id email role } }
}`;
const BEGIN_LINK = gql`mutation BeginOidcLink($provider: String!, $redirectUri: String!) {
  beginOidcLink(provider: $provider, redirectUri: $redirectUri) { url }
}`;
const FINISH_LINK = gql`mutation FinishOidcLink($provider: String!, $code: String!, $state: String!) {
  finishOidcLink(provider: $provider, code: $code, state: $state) { id identities { provider email createdAt } }
}`;
const UNLINK = gql`mutation UnlinkIdentity($provider: String!) {
  unlinkIdentity(provider: $provider) { id identities { provider email createdAt } }
}`;

const CALLBACK_PATH = '/oidc/callback';
const PENDING = 'gqlauth.oidc';

/** Whether this page load is the provider sending the browser back. */
export const isOidcCallback = () => location.pathname === CALLBACK_PATH;

const redirectUri = () => `${location.origin}${CALLBACK_PATH}`;

/** Leaves for the provider, remembering what for. */
function leaveFor(url, provider, purpose) {
  const state = new URL(url).searchParams.get('state');
  sessionStorage.setItem(PENDING, JSON.stringify({ provider, purpose, state }));
  location.assign(url);
}

/** "Sign in with …" buttons, one per configured provider (none: nothing). */
export function OidcButtons() {
  const { data } = useQuery(OIDC_PROVIDERS);
  const [begin] = useMutation(BEGIN_LOGIN);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const providers = data?.oidcProviders ?? [];
  if (providers.length === 0) return null;

  async function signIn(provider) {
    setBusy(true);
    setError(null);
    try {
      const { data: d } = await begin({ variables: { provider: provider.id, redirectUri: redirectUri() } });
      leaveFor(d.beginOidcLogin.url, provider.id, 'login');
    } catch (e) {
      setError(errorInfo(e));
      setBusy(false);
    }
  }

  return (
    <div className="oidc" data-testid="oidc-buttons">
      <p className="muted">or</p>
      {providers.map((p) => (
        <button key={p.id} type="button" disabled={busy} onClick={() => signIn(p)}>Sign in with {p.name}</button>
      ))}
      {error && <p role="alert" className="error" data-testid="oidc-error">{errorMessage(error)}</p>}
    </div>
  );
}

/** What to tell the person about a failed finish. */
function finishMessage(info, purpose) {
  if (info.code === 'IDENTITY_LINK_REQUIRED') {
    return 'An account with this email address already exists. Sign in with your password, then link this provider on your Account page.';
  }
  if (info.reason === 'STATE_EXPIRED') return 'This sign-in took too long. Start again.';
  if (info.reason === 'STATE_INVALID') return `This ${purpose === 'link' ? 'link' : 'sign-in'} was already used or was not started here. Start again.`;
  if (info.reason === 'PROVIDER_UNAVAILABLE') return 'The provider cannot be reached right now. Try again later.';
  return errorMessage(info);
}

/** The page at /oidc/callback: finishes the sign-in (or the link) and goes home. */
export function OidcCallback() {
  const [finishLogin] = useMutation(FINISH_LOGIN);
  const [finishLink] = useMutation(FINISH_LINK);
  const [error, setError] = useState(null);
  const [mfaToken, setMfaToken] = useState(null);
  const started = useRef(false);
  const pending = useRef(JSON.parse(sessionStorage.getItem(PENDING) ?? 'null'));
  const home = (route = '/') => location.replace(`/#${route}`);

  useEffect(() => {
    if (started.current) return; // StrictMode runs effects twice; a state works once
    started.current = true;
    const params = new URLSearchParams(location.search);
    const code = params.get('code');
    const state = params.get('state');
    const p = pending.current;
    sessionStorage.removeItem(PENDING);
    if (params.get('error')) {
      setError({ message: `The provider refused: ${params.get('error_description') || params.get('error')}.` });
      return;
    }
    if (!p || !code || !state || state !== p.state) {
      setError({ message: 'This sign-in was not started in this browser tab. Start again.' });
      return;
    }
    const vars = { variables: { provider: p.provider, code, state } };
    (async () => {
      try {
        if (p.purpose === 'link') {
          await finishLink(vars);
          home('/account');
          return;
        }
        const { data } = await finishLogin(vars);
        if (data.finishOidcLogin.mfaRequired) {
          setMfaToken(data.finishOidcLogin.mfaToken);
          return;
        }
        home();
      } catch (e) {
        setError({ message: finishMessage(errorInfo(e), p.purpose) });
      }
    })();
  }, [finishLogin, finishLink]);

  let body;
  if (mfaToken) {
    body = (
      <section className="card narrow" data-testid="mfa-step">
        <h2>Two-factor authentication</h2>
        <MfaStep mfaToken={mfaToken} onDone={() => home()} onRestart={() => home('/login')} />
      </section>
    );
  } else if (error) {
    body = (
      <section className="card narrow">
        <p role="alert" className="error" data-testid="oidc-error">{error.message}</p>
        <a href={pending.current?.purpose === 'link' ? '/#/account' : '/#/login'}>Back</a>
      </section>
    );
  } else {
    body = <p className="card narrow" data-testid="oidc-finishing">Signing you in…</p>;
  }
  return (
    <>
      <header><a className="brand" href="/#/">gqlauth example</a></header>
      <main>{body}</main>
    </>
  );
}

/** The account page's "Sign-in providers": link or unlink each one. */
export function LinkedAccounts() {
  const { data: providers } = useQuery(OIDC_PROVIDERS);
  const { data } = useQuery(MY_IDENTITIES, { fetchPolicy: 'network-only' });
  const [beginLink] = useMutation(BEGIN_LINK);
  const [unlink] = useMutation(UNLINK);
  const { withFreshToken } = useFreshToken();
  const [busy, setBusy] = useState(null);
  const [error, setError] = useState(null);
  const list = providers?.oidcProviders ?? [];
  if (list.length === 0) return null;
  const linked = new Map((data?.me.identities ?? []).map((i) => [i.provider, i]));

  async function run(id, action) {
    setBusy(id);
    setError(null);
    try {
      await withFreshToken(action);
    } catch (e) {
      if (e?.name !== 'Cancelled') setError(errorMessage(errorInfo(e)));
    }
    setBusy(null);
  }

  return (
    <>
      <h3>Sign-in providers</h3>
      <ul className="providers" data-testid="linked-providers">
        {list.map((p) => {
          const identity = linked.get(p.id);
          return (
            <li key={p.id} data-testid={`provider-${p.id}`}>
              <span>{p.name}</span>
              {identity
                ? <>
                  <span className="badge" data-testid="linked">Linked{identity.email ? ` (${identity.email})` : ''}</span>
                  <button type="button" disabled={busy !== null}
                    onClick={() => run(p.id, () => unlink({ variables: { provider: p.id } }))}>Unlink</button>
                </>
                : <button type="button" disabled={busy !== null}
                  onClick={() => run(p.id, async () => {
                    const { data: d } = await beginLink({ variables: { provider: p.id, redirectUri: redirectUri() } });
                    leaveFor(d.beginOidcLink.url, p.id, 'link');
                  })}>Link {p.name}</button>}
            </li>
          );
        })}
      </ul>
      {error && <p role="alert" className="error" data-testid="providers-error">{error}</p>}
    </>
  );
}
