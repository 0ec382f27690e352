// "Confirm your password": gqlauth answers FRESH_TOKEN_REQUIRED to admin
// figures and changes unless the access token came from a login (not from
// a refresh), so that a stolen refresh token cannot administer accounts.
// The app then asks for the password (and, with a second factor, a code),
// logs in again (a new session with a fresh token, in new cookies), ends
// the session it replaces, and retries.
import { useApolloClient, useMutation } from '@apollo/client/react';
import { createContext, useContext, useEffect, useRef, useState } from 'react';

import { errorField, errorInfo, errorMessage, hasCode } from './errors.js';
import MfaStep from './MfaStep.jsx';
import { LOGIN, MY_SESSIONS, REVOKE_SESSION } from './operations.js';

const Confirm = createContext(null);

/** Thrown by confirmPassword() and withFreshToken() when the user cancels. */
export class Cancelled extends Error {
  constructor() { super('cancelled'); this.name = 'Cancelled'; }
}

/** Provides useFreshToken() to the signed-in pages; email is the caller's. */
export function ConfirmPasswordProvider({ email, children }) {
  const [pending, setPending] = useState(null); // { resolve, reject } while the dialog is open
  const open = useRef(null);

  // One dialog at a time: a second caller waits on the first one's answer.
  function confirmPassword() {
    open.current ??= new Promise((resolve, reject) => setPending({ resolve, reject }))
      .finally(() => { open.current = null; setPending(null); });
    return open.current;
  }

  return (
    <Confirm.Provider value={confirmPassword}>
      {children}
      {pending && <ConfirmDialog email={email} onDone={pending.resolve} onCancel={() => pending.reject(new Cancelled())} />}
    </Confirm.Provider>
  );
}

/**
 * Returns { confirmPassword, withFreshToken }. confirmPassword() opens the
 * dialog and resolves once the cookies hold a fresh token (rejects with
 * Cancelled). withFreshToken(action) runs action and, if it is refused with
 * FRESH_TOKEN_REQUIRED, confirms the password and runs it once more.
 */
export function useFreshToken() {
  const confirmPassword = useContext(Confirm);
  async function withFreshToken(action) {
    try {
      return await action();
    } catch (e) {
      if (!hasCode(e, 'FRESH_TOKEN_REQUIRED')) throw e;
      await confirmPassword();
      return action();
    }
  }
  return { confirmPassword, withFreshToken };
}

function ConfirmDialog({ email, onDone, onCancel }) {
  const client = useApolloClient();
  const [login] = useMutation(LOGIN);
  const [revokeSession] = useMutation(REVOKE_SESSION);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [second, setSecond] = useState(null); // { mfaToken, before } while a code is asked for
  const dialog = useRef(null);

  useEffect(() => {
    const d = dialog.current;
    d.showModal();
    return () => d.close();
  }, []);

  async function onSubmit(event) {
    event.preventDefault();
    const password = new FormData(event.currentTarget).get('password');
    setBusy(true);
    setError(null);
    try {
      // The session this login replaces: its refresh cookie is about to be
      // overwritten, so nothing could use it again; end it rather than
      // leave it in the account's session list.
      const before = await client.query({ query: MY_SESSIONS, fetchPolicy: 'network-only' })
        .then(({ data }) => data.mySessions.find((s) => s.current)?.id, () => null);
      const { data } = await login({ variables: { input: { email, password } } });
      if (data.login.mfaRequired) {
        setSecond({ mfaToken: data.login.mfaToken, before });
        setBusy(false);
        return;
      }
      await replaced(before);
    } catch (e) {
      setError(errorInfo(e));
      setBusy(false);
    }
  }

  async function replaced(before) {
    if (before) await revokeSession({ variables: { id: before } }).catch(() => {});
    onDone();
  }

  const wrong = error?.code === 'INVALID_CREDENTIALS' || errorField(error) === 'password';
  if (second) {
    return (
      <dialog ref={dialog} aria-labelledby="confirm-title" onCancel={(e) => { e.preventDefault(); onCancel(); }}>
        <h2 id="confirm-title">Confirm your password</h2>
        <p>Now a code from your authenticator app.</p>
        <MfaStep mfaToken={second.mfaToken} onDone={() => replaced(second.before)} onRestart={onCancel} />
      </dialog>
    );
  }
  return (
    // Escape closes a modal dialog by itself: turn that into Cancel.
    <dialog ref={dialog} aria-labelledby="confirm-title" onCancel={(e) => { e.preventDefault(); onCancel(); }}>
      <form onSubmit={onSubmit} noValidate>
        <h2 id="confirm-title">Confirm your password</h2>
        <p>This needs a recent sign-in. Enter the password of <strong>{email}</strong> to continue.</p>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" autoFocus
            aria-invalid={wrong || undefined} aria-describedby={error ? 'confirm-error' : undefined} />
        </label>
        {error && (
          <p role="alert" id="confirm-error" className="error">
            {error.code === 'INVALID_CREDENTIALS' ? 'Wrong password.' : errorMessage(error)}
          </p>
        )}
        <div className="buttons">
          <button type="submit" className="primary" disabled={busy}>Confirm</button>
          <button type="button" onClick={onCancel} disabled={busy}>Cancel</button>
        </div>
      </form>
    </dialog>
  );
}
