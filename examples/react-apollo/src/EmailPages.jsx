// The pages of the email lifecycle, open whether or not someone is signed
// in: "forgot your password?" (#/forgot-password) and the three pages the
// mailed links lead to (#/verify-email, #/reset-password,
// #/confirm-email-change; see mailedLinks.js for how a link's token gets
// here). A bad link is told by extensions.reason: TOKEN_EXPIRED (ask for
// a new one) or TOKEN_INVALID (used, replaced by a newer link, or cut).
import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useState } from 'react';

import './email.css';
import {
  CONFIRM_EMAIL_CHANGE, ME_VERIFIED, REQUEST_PASSWORD_RESET, RESET_PASSWORD, VERIFY_EMAIL,
} from './emailOperations.js';
import { errorField, errorInfo, errorMessage } from './errors.js';
import { forgetLinkToken, linkToken, once } from './mailedLinks.js';
import { ResendVerification } from './VerifyBanner.jsx';

const ROUTES = ['/forgot-password', '/reset-password', '/verify-email', '/confirm-email-change'];

/** Whether route is one of these pages. */
export const isEmailRoute = (route) => ROUTES.includes(route);

/** The page for route; signedIn says whether `me` answered a user. */
export default function EmailPage({ route, signedIn }) {
  switch (route) {
    case '/forgot-password':
      return <ForgotPassword />;
    case '/reset-password':
      return <ResetPassword />;
    case '/verify-email':
      return <VerifyEmail signedIn={signedIn} />;
    default:
      return <ConfirmEmailChange />;
  }
}

/** The link's token, read once when the page opens. */
const useLinkToken = (route) => useState(() => linkToken(route))[0];

const isLinkError = (info) => info?.code === 'BAD_USER_INPUT' && info.field === 'token';

/** What a refused link means, by extensions.reason. */
function LinkError({ info, children }) {
  const expired = info.reason === 'TOKEN_EXPIRED';
  return (
    <div role="alert" className="link-error" data-testid="link-error" data-reason={info.reason}>
      <p className="error">
        {expired ? 'This link has expired.'
          : 'This link does not work: it was used already, a newer link replaced it, or it was not copied whole.'}
      </p>
      {children}
    </div>
  );
}

/** A page opened without a token: a reload, or a link cut short. */
function NoToken({ children }) {
  return (
    <div role="alert" className="link-error" data-testid="link-error" data-reason="MISSING">
      <p className="error">This page needs the link from the mail.</p>
      <p className="muted">Open the link again. (The page forgets it once loaded, so that it does not stay in the
        address bar or the browser&apos;s history; a reload loses it, but the link still works.)</p>
      {children}
    </div>
  );
}

const askAgain = <p><a href="#/forgot-password">Ask for a new link</a></p>;

function ForgotPassword() {
  const [request] = useMutation(REQUEST_PASSWORD_RESET);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [sentTo, setSentTo] = useState('');

  async function onSubmit(event) {
    event.preventDefault();
    const email = new FormData(event.currentTarget).get('email');
    setBusy(true);
    setError(null);
    try {
      await request({ variables: { email } });
      setSentTo(email);
    } catch (e) {
      setError(errorInfo(e));
    }
    setBusy(false);
  }

  if (sentTo) {
    // The server answers the same whether or not the address has an
    // account, and so does the page.
    return (
      <section className="card narrow" data-testid="reset-requested" role="status">
        <h2>Check your inbox</h2>
        <p>If an account exists for <strong>{sentTo}</strong>, a link to choose a new password is on its way.
          It works once, and not for long.</p>
        <p className="muted">Nothing came? Look in the spam folder, or <button type="button" className="link"
          onClick={() => setSentTo('')}>ask again</button>.</p>
        <p><a href="#/login">Back to sign in</a></p>
      </section>
    );
  }

  const emailError = errorField(error) === 'email';
  return (
    <form onSubmit={onSubmit} className="card narrow" data-testid="forgot-form" noValidate>
      <h2>Forgot your password?</h2>
      <p className="muted">Type your account&apos;s email: we will send it a link to choose a new password.</p>
      <div className="field">
        <label htmlFor="forgot-email">Email</label>
        <input id="forgot-email" name="email" type="email" autoComplete="username" required autoFocus
          aria-invalid={emailError || undefined} aria-describedby={emailError ? 'forgot-email-error' : undefined} />
        {emailError && <span className="error" id="forgot-email-error" data-testid="email-error" role="alert">{errorMessage(error)}</span>}
      </div>
      {error && !emailError && <p role="alert" className="error" data-testid="form-error">{errorMessage(error)}</p>}
      <div className="buttons"><button type="submit" className="primary" disabled={busy}>Send me a link</button></div>
      <p className="muted"><a href="#/login">Back to sign in</a></p>
    </form>
  );
}

function ResetPassword() {
  const client = useApolloClient();
  const token = useLinkToken('/reset-password');
  const [reset] = useMutation(RESET_PASSWORD);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);

  async function onSubmit(event) {
    event.preventDefault();
    const newPassword = new FormData(event.currentTarget).get('newPassword');
    setBusy(true);
    setError(null);
    try {
      await reset({ variables: { token, newPassword } });
    } catch (e) {
      setError(errorInfo(e));
      setBusy(false);
      return;
    }
    forgetLinkToken();
    setDone(true);
    // Every session of the account has ended and the server cleared this
    // browser's cookies: forget what the cache knew of the user.
    await client.resetStore().catch(() => {});
  }

  let body;
  if (done) {
    body = (
      <div role="status" data-testid="reset-done">
        <p>Your password is changed. Every session of the account has ended, here and on other devices.</p>
        <p><a href="#/login">Sign in with the new password</a></p>
      </div>
    );
  } else if (!token) {
    body = <NoToken>{askAgain}</NoToken>;
  } else if (isLinkError(error)) {
    body = <LinkError info={error}>{askAgain}</LinkError>;
  } else {
    const fieldError = errorField(error) === 'newPassword';
    body = (
      <form onSubmit={onSubmit} data-testid="reset-form" noValidate>
        <div className="field">
          <label htmlFor="newPassword">New password</label>
          <input id="newPassword" name="newPassword" type="password" autoComplete="new-password" required autoFocus
            aria-invalid={fieldError || undefined} aria-describedby={fieldError ? 'newPassword-error' : 'newPassword-hint'} />
          {fieldError
            ? <span className="error" id="newPassword-error" data-testid="newPassword-error" role="alert">{errorMessage(error)}</span>
            : <span className="hint" id="newPassword-hint">At least 8 characters.</span>}
        </div>
        {error && !fieldError && <p role="alert" className="error" data-testid="form-error">{errorMessage(error)}</p>}
        <div className="buttons"><button type="submit" className="primary" disabled={busy}>Set the new password</button></div>
      </form>
    );
  }
  return (
    <section className="card narrow" data-testid="reset-page">
      <h2>Choose a new password</h2>
      {body}
    </section>
  );
}

function VerifyEmail({ signedIn }) {
  const client = useApolloClient();
  const token = useLinkToken('/verify-email');
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState(token ? { busy: true } : {});
  // Signed in: whether the address is verified already, for what to offer
  // after a refused link.
  const { data } = useQuery(ME_VERIFIED, { skip: !signedIn });

  // The link is used on arrival: opening it is the proof.
  useEffect(() => {
    if (!token) return undefined;
    let live = true;
    once(`verify:${token}:${attempt}`, () => client.mutate({ mutation: VERIFY_EMAIL, variables: { token } })).then(
      ({ data: d }) => {
        forgetLinkToken();
        if (live) setState({ user: d.verifyEmail });
      },
      (e) => { if (live) setState({ error: errorInfo(e) }); },
    );
    return () => { live = false; };
  }, [client, token, attempt]);

  let body;
  if (state.busy) {
    body = <p>Verifying your address…</p>;
  } else if (state.user) {
    body = (
      <div role="status" data-testid="verify-done">
        <p>Your address <strong>{state.user.email}</strong> is verified. Thank you.</p>
        <p>{signedIn ? <a href="#/">Continue</a> : <a href="#/login">Sign in</a>}</p>
      </div>
    );
  } else {
    const me = data?.me;
    const next = !signedIn ? <p><a href="#/login">Sign in</a> to get a new link.</p>
      : me?.emailVerified ? <p data-testid="verified-already">Your address <strong>{me.email}</strong> is verified already. <a href="#/">Continue</a></p>
        : me ? <ResendVerification email={me.email} label="Send a new link" /> : null;
    if (!token) {
      body = <NoToken>{next}</NoToken>;
    } else if (isLinkError(state.error)) {
      body = <LinkError info={state.error}>{next}</LinkError>;
    } else {
      // Throttled, or the server out of reach: the link is not spent.
      body = (
        <div role="alert">
          <p className="error">{errorMessage(state.error)}</p>
          <button type="button" onClick={() => { setState({ busy: true }); setAttempt((a) => a + 1); }}>Try again</button>
        </div>
      );
    }
  }
  return (
    <section className="card narrow" data-testid="verify-page">
      <h2>Verify your address</h2>
      {body}
    </section>
  );
}

function ConfirmEmailChange() {
  const client = useApolloClient();
  const token = useLinkToken('/confirm-email-change');
  const [confirm] = useMutation(CONFIRM_EMAIL_CHANGE);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [user, setUser] = useState(null);

  // A click, not on arrival: the switch ends every session, which a mail
  // scanner following the link must not do.
  async function onConfirm() {
    setBusy(true);
    setError(null);
    try {
      const { data } = await confirm({ variables: { token } });
      forgetLinkToken();
      setUser(data.confirmEmailChange);
      await client.resetStore().catch(() => {});
    } catch (e) {
      setError(errorInfo(e));
      setBusy(false);
    }
  }

  const again = <p>Sign in and ask for the change again on the <a href="#/account">Account</a> page.</p>;
  let body;
  if (user) {
    body = (
      <div role="status" data-testid="change-done">
        <p>Your account now uses <strong>{user.email}</strong>. Every session of the account has ended, this one
          included.</p>
        <p><a href="#/login">Sign in with the new address</a></p>
      </div>
    );
  } else if (!token) {
    body = <NoToken>{again}</NoToken>;
  } else if (isLinkError(error)) {
    body = <LinkError info={error}>{again}</LinkError>;
  } else {
    body = (
      <>
        <p>Switch your account to the address this link was sent to? You will be signed out everywhere, and sign in
          again with the new address.</p>
        {error && (
          <p role="alert" className="error" data-testid="form-error">
            {error.code === 'EMAIL_TAKEN' ? 'Another account has taken this address since you asked.' : errorMessage(error)}
          </p>
        )}
        <div className="buttons">
          <button type="button" className="primary" onClick={onConfirm} disabled={busy}>Switch to the new address</button>
        </div>
      </>
    );
  }
  return (
    <section className="card narrow" data-testid="change-page">
      <h2>Confirm your new address</h2>
      {body}
    </section>
  );
}
