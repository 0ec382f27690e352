// Sign in (#/login) and sign up (#/signup): one form with both buttons, so
// that a person who typed their details on the wrong page loses nothing.
// The route picks the heading and the default button (the one Enter
// presses). The server checks every rule (valid email, password length)
// and answers a typed error shown next to its field: the browser's own
// validation is off (noValidate) so that the rules live in one place.
import { useApolloClient, useMutation } from '@apollo/client/react';
import { useState } from 'react';

import { errorField, errorInfo, errorMessage } from './errors.js';
import MfaStep from './MfaStep.jsx';
import { PasskeySignIn } from './Passkeys.jsx';
import { OidcButtons } from './Oidc.jsx';
import { LOGIN, REGISTER } from './operations.js';
import { navigate } from './router.js';

export default function AuthForm({ mode, route }) {
  const client = useApolloClient();
  const [login] = useMutation(LOGIN);
  const [register] = useMutation(REGISTER);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [mfaToken, setMfaToken] = useState(null); // the second step, while set
  const signup = mode === 'signup';

  // Signed in: forget whatever the cache held and run `me` again. A deep
  // link (#/admin while signed out) stays where it was.
  async function signedIn() {
    if (route === '/login' || route === '/signup') navigate('/');
    await client.resetStore().catch(() => {});
  }

  async function onSubmit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const input = { email: form.get('email'), password: form.get('password') };
    const action = (event.nativeEvent.submitter?.value ?? mode) === 'signup' ? register : login;
    setBusy(true);
    setError(null);
    let data;
    try {
      ({ data } = await action({ variables: { input } }));
    } catch (e) {
      setError(errorInfo(e));
      setBusy(false);
      return;
    }
    if (data.login?.mfaRequired) {
      setMfaToken(data.login.mfaToken);
      setBusy(false);
      return;
    }
    await signedIn();
  }

  if (mfaToken) {
    return (
      <section className="card narrow" data-testid="mfa-step">
        <h2>Two-factor authentication</h2>
        <MfaStep mfaToken={mfaToken} onDone={signedIn} onRestart={() => setMfaToken(null)} />
      </section>
    );
  }

  const field = errorField(error);
  const fieldError = (name) => field === name && (
    <span className="error" id={`${name}-error`} data-testid={`${name}-error`} role="alert">
      {errorMessage(error)}
    </span>
  );
  const described = (name) => (field === name ? { 'aria-invalid': true, 'aria-describedby': `${name}-error` } : {});

  const loginButton = <button key="login" type="submit" value="login" className={signup ? '' : 'primary'} disabled={busy}>Log in</button>;
  const signupButton = <button key="signup" type="submit" value="signup" className={signup ? 'primary' : ''} disabled={busy}>Create account</button>;

  return (
    <form onSubmit={onSubmit} data-testid="login-form" className="card narrow" noValidate>
      <h2>{signup ? 'Create an account' : 'Sign in'}</h2>
      <div className="field">
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="username" required {...described('email')} />
        {fieldError('email')}
      </div>
      <div className="field">
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" required
          autoComplete={signup ? 'new-password' : 'current-password'} {...described('password')} />
        {signup && field !== 'password' && <span className="hint">At least 8 characters.</span>}
        {fieldError('password')}
      </div>
      {!signup && <a className="forgot" href="#/forgot-password">Forgot your password?</a>}
      {error && !field && <p role="alert" className="error" data-testid="form-error">{errorMessage(error)}</p>}
      <div className="buttons">{signup ? [signupButton, loginButton] : [loginButton, signupButton]}</div>
      {!signup && <PasskeySignIn email={() => document.getElementById('email')?.value ?? ''} onSignedIn={signedIn} />}
      <OidcButtons />
      <p className="muted">
        {signup ? <>Have an account? <a href="#/login">Sign in</a></> : <>New here? <a href="#/signup">Create an account</a></>}
      </p>
    </form>
  );
}
