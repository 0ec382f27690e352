// "Change email" on the account page: requestEmailChange mails a link to
// the new address (and a notice to the current one); the account switches
// only when that link is opened (#/confirm-email-change). The request
// needs a fresh token, so it goes through withFreshToken: refused
// FRESH_TOKEN_REQUIRED, it asks for the password and tries once more.
import { useMutation } from '@apollo/client/react';
import { useState } from 'react';

import { Cancelled, useFreshToken } from './ConfirmPassword.jsx';
import './email.css';
import { REQUEST_EMAIL_CHANGE } from './emailOperations.js';
import { errorInfo, errorMessage } from './errors.js';

export default function ChangeEmail({ me }) {
  const { withFreshToken } = useFreshToken();
  const [request] = useMutation(REQUEST_EMAIL_CHANGE);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [sentTo, setSentTo] = useState('');

  async function onSubmit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const newEmail = new FormData(form).get('newEmail');
    setBusy(true);
    setError(null);
    setSentTo('');
    try {
      await withFreshToken(() => request({ variables: { newEmail } }));
      setSentTo(newEmail);
      form.reset();
    } catch (e) {
      setError(e instanceof Cancelled ? { code: 'CANCELLED' } : errorInfo(e));
    }
    setBusy(false);
  }

  // The new address's problems go beside it; the rest under the form.
  const onField = error && (error.code === 'EMAIL_TAKEN' || (error.code === 'BAD_USER_INPUT' && error.field === 'newEmail'));
  const message = !error ? ''
    : error.code === 'CANCELLED' ? 'Nothing was sent: changing the address needs your password.'
      : error.code === 'EMAIL_TAKEN' ? 'Another account uses this address.'
        : errorMessage(error);

  return (
    <form onSubmit={onSubmit} className="change-email" data-testid="change-email-form" noValidate>
      <h3>Email address</h3>
      <p className="muted">Your account uses <strong>{me.email}</strong>. To change it, type the new address: we send it a
        link, and the account switches when you open it (you then sign in again, everywhere).</p>
      <div className="field">
        <label htmlFor="newEmail">New email</label>
        <input id="newEmail" name="newEmail" type="email" autoComplete="email" required
          aria-invalid={onField || undefined} aria-describedby={onField ? 'newEmail-error' : undefined} />
        {onField && <span className="error" id="newEmail-error" data-testid="newEmail-error" role="alert">{message}</span>}
      </div>
      {error && !onField && <p role="alert" className="error" data-testid="change-email-error">{message}</p>}
      {sentTo && (
        <p role="status" data-testid="change-email-sent">
          We sent a link to <strong>{sentTo}</strong>. Open it to switch; until then you sign in
          with <strong>{me.email}</strong>.
        </p>
      )}
      <div className="buttons"><button type="submit" disabled={busy}>Send a confirmation link</button></div>
    </form>
  );
}
