// The second step of a sign-in: the password was right and the account has
// a second factor, so gqlauth answered mfaRequired with an mfaToken (valid 5
// minutes, for verifyMfa only) and no session. The person types a code from
// their authenticator app, or one of their recovery codes; verifyMfa then
// sets the session cookies. A wrong code (BAD_USER_INPUT, field "code")
// keeps the mfaToken usable; an expired or used one means signing in again.
import { useMutation } from '@apollo/client/react';
import { useState } from 'react';

import { errorInfo, errorMessage } from './errors.js';
import { VERIFY_MFA } from './operations.js';
import { PasskeySecondStep } from './Passkeys.jsx';

/** The code form; onDone() runs once the session is open, onRestart() when the mfaToken is spent. */
export default function MfaStep({ mfaToken, onDone, onRestart, autoFocus = true }) {
  const [verifyMfa] = useMutation(VERIFY_MFA);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function onSubmit(event) {
    event.preventDefault();
    event.stopPropagation(); // inside the password dialog's form tree, too
    const code = new FormData(event.currentTarget).get('code');
    setBusy(true);
    setError(null);
    try {
      await verifyMfa({ variables: { mfaToken, code } });
    } catch (e) {
      setError(errorInfo(e));
      setBusy(false);
      return;
    }
    onDone();
  }

  const spent = error?.code === 'UNAUTHENTICATED';
  const message = spent ? 'This sign-in has expired. Sign in again.' : error && errorMessage(error);
  return (
    <form onSubmit={onSubmit} data-testid="mfa-form" noValidate>
      <div className="field">
        <label htmlFor="mfa-code">Authentication code</label>
        <input id="mfa-code" name="code" autoComplete="one-time-code" inputMode="text" autoFocus={autoFocus} required
          aria-invalid={error ? true : undefined} aria-describedby={error ? 'mfa-code-error' : 'mfa-code-hint'} />
        {error
          ? <span className="error" id="mfa-code-error" data-testid="code-error" role="alert">{message}</span>
          : <span className="hint" id="mfa-code-hint">The 6-digit code from your authenticator app, or one of your recovery codes.</span>}
      </div>
      <div className="buttons">
        {spent
          ? <button type="button" className="primary" onClick={onRestart}>Sign in again</button>
          : <button type="submit" className="primary" disabled={busy}>Verify</button>}
        {!spent && <button type="button" onClick={onRestart} disabled={busy}>Cancel</button>}
      </div>
      {!spent && <PasskeySecondStep mfaToken={mfaToken} onDone={onDone} />}
    </form>
  );
}
