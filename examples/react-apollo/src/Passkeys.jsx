// Passkeys (WebAuthn). gqlauth hands out the W3C JSON forms, so the
// browser's own PublicKeyCredential.parseCreationOptionsFromJSON /
// parseRequestOptionsFromJSON read its options and toJSON() writes what it
// takes back: no base64 juggling here.
//
//   PasskeyList       the account page: list, add ("Add a passkey"), rename, delete
//   PasskeySignIn     the sign-in form's "Sign in with a passkey" (the
//                     email, when typed, narrows it to that account's passkeys)
//   PasskeySecondStep a second step's "Use a passkey" instead of a code
import { gql } from '@apollo/client';
import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';

import { Cancelled, useFreshToken } from './ConfirmPassword.jsx';
import { errorInfo, errorMessage } from './errors.js';
import { ago, fullTime } from './format.js';
import './passkeys.css';

const PASSKEY_FIELDS = 'id name createdAt lastUsedAt';
export const MY_PASSKEYS = gql`query MyPasskeys { me { id passkeys { ${PASSKEY_FIELDS} } } }`;
const BEGIN_REGISTRATION = gql`mutation BeginPasskeyRegistration { beginPasskeyRegistration { challengeId options } }`;
const FINISH_REGISTRATION = gql`mutation FinishPasskeyRegistration($challengeId: ID!, $credential: JSON!, $name: String) {
  finishPasskeyRegistration(challengeId: $challengeId, credential: $credential, name: $name) { ${PASSKEY_FIELDS} }
}`;
const RENAME = gql`mutation RenamePasskey($id: ID!, $name: String!) { renamePasskey(id: $id, name: $name) { ${PASSKEY_FIELDS} } }`;
const DELETE = gql`mutation DeletePasskey($id: ID!) { deletePasskey(id: $id) }`;
const BEGIN_LOGIN = gql`mutation BeginPasskeyLogin($email: String) { beginPasskeyLogin(email: $email) { challengeId options } }`;
const FINISH_LOGIN = gql`mutation FinishPasskeyLogin($challengeId: ID!, $credential: JSON!) {
  finishPasskeyLogin(challengeId: $challengeId, credential: $credential) { user { id email role } }
}`;
const VERIFY_MFA_PASSKEY = gql`mutation VerifyMfaPasskey($mfaToken: String!, $challengeId: ID!, $credential: JSON!) {
  verifyMfaPasskey(mfaToken: $mfaToken, challengeId: $challengeId, credential: $credential) { user { id email role mfaEnabled } }
}`;

/** Whether this browser can use passkeys with the JSON forms. */
export const passkeysSupported = () =>
  typeof PublicKeyCredential !== 'undefined' && typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function';

/** A cancelled or timed-out browser prompt: nothing to report. */
const dismissed = (e) => e?.name === 'NotAllowedError' || e?.name === 'AbortError';

/** What to tell the person about a failed passkey ceremony. */
function passkeyError(e) {
  if (e?.name === 'InvalidStateError') return 'This passkey is registered already.';
  if (e instanceof DOMException || e?.name === 'SecurityError') return `The browser refused: ${e.message}`;
  const info = errorInfo(e);
  if (info.code === 'BAD_USER_INPUT' && info.field === 'credential') {
    switch (info.reason) {
      case 'CREDENTIAL_UNKNOWN': return 'This passkey is not registered here (was it deleted?).';
      case 'CHALLENGE_EXPIRED': return 'That took too long. Try again.';
      case 'COUNTER_REGRESSED': return 'This passkey looks copied and was refused. Use another way to sign in.';
      default: return `The passkey was refused (${info.reason}).`;
    }
  }
  return errorMessage(info);
}

/** Runs a login ceremony: beginPasskeyLogin, the browser's prompt, and the credential to finish with. */
async function assert(beginLogin, email) {
  const { data } = await beginLogin({ variables: { email: email || null } });
  const { challengeId, options } = data.beginPasskeyLogin;
  const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
  return { challengeId, credential: credential.toJSON() };
}

/** "Sign in with a passkey" on the sign-in form; email() reads the form's address ('' for none). */
export function PasskeySignIn({ email, onSignedIn }) {
  const [beginLogin] = useMutation(BEGIN_LOGIN);
  const [finishLogin] = useMutation(FINISH_LOGIN);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  if (!passkeysSupported()) return null;

  async function signIn() {
    setBusy(true);
    setError(null);
    try {
      const { challengeId, credential } = await assert(beginLogin, email());
      await finishLogin({ variables: { challengeId, credential } });
    } catch (e) {
      if (!dismissed(e)) setError(passkeyError(e));
      setBusy(false);
      return;
    }
    await onSignedIn();
  }

  return (
    <div className="passkey-signin">
      <button type="button" onClick={signIn} disabled={busy} data-testid="passkey-signin">Sign in with a passkey</button>
      {error && <p role="alert" className="error" data-testid="passkey-error">{error}</p>}
    </div>
  );
}

/** A second step's "Use a passkey": verifyMfaPasskey with the login's mfaToken. */
export function PasskeySecondStep({ mfaToken, onDone }) {
  const [beginLogin] = useMutation(BEGIN_LOGIN);
  const [verify] = useMutation(VERIFY_MFA_PASSKEY);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  if (!passkeysSupported()) return null;

  async function usePasskey() {
    setBusy(true);
    setError(null);
    try {
      const { challengeId, credential } = await assert(beginLogin, '');
      await verify({ variables: { mfaToken, challengeId, credential } });
    } catch (e) {
      if (!dismissed(e)) setError(passkeyError(e));
      setBusy(false);
      return;
    }
    onDone();
  }

  return (
    <div className="passkey-signin">
      <button type="button" onClick={usePasskey} disabled={busy} data-testid="passkey-second-step">Use a passkey</button>
      {error && <p role="alert" className="error" data-testid="passkey-error">{error}</p>}
    </div>
  );
}

/** The account page's passkeys. */
export function PasskeyList() {
  const { withFreshToken } = useFreshToken();
  const { data, loading, error: loadError, refetch } = useQuery(MY_PASSKEYS, { fetchPolicy: 'network-only' });
  const [begin] = useMutation(BEGIN_REGISTRATION);
  const [finish] = useMutation(FINISH_REGISTRATION);
  const [rename] = useMutation(RENAME);
  const [remove] = useMutation(DELETE);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [editing, setEditing] = useState(null); // the id being renamed

  async function run(action) {
    setBusy(true);
    setError(null);
    try {
      await action();
      await refetch();
    } catch (e) {
      if (!(e instanceof Cancelled) && !dismissed(e)) setError(passkeyError(e));
    }
    setBusy(false);
  }

  const add = (event) => {
    event.preventDefault();
    const name = new FormData(event.currentTarget).get('name') || null;
    const form = event.currentTarget;
    run(async () => {
      const { data: begun } = await withFreshToken(() => begin());
      const { challengeId, options } = begun.beginPasskeyRegistration;
      const created = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
      await withFreshToken(() => finish({ variables: { challengeId, credential: created.toJSON(), name } }));
      form.reset();
    });
  };

  const saveName = (event, id) => {
    event.preventDefault();
    const name = new FormData(event.currentTarget).get('name');
    run(async () => {
      await rename({ variables: { id, name } });
      setEditing(null);
    });
  };

  const passkeys = data?.me?.passkeys ?? [];
  return (
    <section className="passkeys" aria-labelledby="passkeys-title">
      <h3 id="passkeys-title">Passkeys</h3>
      <p className="muted">Sign in with your fingerprint, face or device PIN instead of a password.</p>
      {loading && !data ? <p>Loading…</p>
        : loadError ? <p role="alert" className="error">{errorMessage(errorInfo(loadError))}</p>
          : passkeys.length === 0 ? <p data-testid="no-passkeys">No passkeys yet.</p>
            : (
              <ul data-testid="passkeys">
                {passkeys.map((pk) => (
                  <li key={pk.id} data-testid="passkey-row">
                    {editing === pk.id ? (
                      <form onSubmit={(e) => saveName(e, pk.id)} className="inline" noValidate>
                        <label>
                          <span className="sr-only">Name</span>
                          <input name="name" defaultValue={pk.name} maxLength={64} autoFocus required />
                        </label>
                        <button type="submit" disabled={busy}>Save</button>
                        <button type="button" disabled={busy} onClick={() => setEditing(null)}>Cancel</button>
                      </form>
                    ) : (
                      <>
                        <strong data-testid="passkey-name">{pk.name}</strong>{' '}
                        <span className="muted">
                          added <time dateTime={pk.createdAt} title={fullTime(pk.createdAt)}>{ago(pk.createdAt)}</time>
                          {pk.lastUsedAt ? <>, last used <time dateTime={pk.lastUsedAt} title={fullTime(pk.lastUsedAt)}>{ago(pk.lastUsedAt)}</time></> : ', never used'}
                        </span>{' '}
                        <button type="button" disabled={busy} onClick={() => setEditing(pk.id)}>Rename</button>
                        <button type="button" className="danger" disabled={busy}
                          onClick={() => run(() => withFreshToken(() => remove({ variables: { id: pk.id } })))}>
                          Delete
                        </button>
                      </>
                    )}
                  </li>
                ))}
              </ul>
            )}
      {passkeysSupported() ? (
        <form onSubmit={add} className="inline" noValidate>
          <label>
            Name <input name="name" placeholder="e.g. Laptop" maxLength={64} />
          </label>
          <button type="submit" className="primary" disabled={busy}>Add a passkey</button>
        </form>
      ) : <p className="muted">This browser cannot use passkeys.</p>}
      {error && <p role="alert" className="error" data-testid="passkeys-error">{error}</p>}
    </section>
  );
}
