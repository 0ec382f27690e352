// Two-factor authentication on the account page: enrolling an
// authenticator app (enrollTotp shows a secret as a QR code; confirmTotp
// with a first code turns it on and returns ten recovery codes, shown this
// once), new recovery codes, and turning it off. Each needs a fresh token:
// withFreshToken asks for the password (and a code) when it is not.
import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';

import { Cancelled, useFreshToken } from './ConfirmPassword.jsx';
import { errorInfo, errorMessage } from './errors.js';
import {
  CONFIRM_TOTP, DISABLE_TOTP, ENROLL_TOTP, ME, MY_SESSIONS, RECOVERY_CODES_REMAINING, REGENERATE_RECOVERY_CODES,
} from './operations.js';

export default function TwoFactor({ me }) {
  const client = useApolloClient();
  const { withFreshToken } = useFreshToken();
  const [enroll] = useMutation(ENROLL_TOTP);
  const [confirm] = useMutation(CONFIRM_TOTP);
  const [regenerate] = useMutation(REGENERATE_RECOVERY_CODES);
  const [disable] = useMutation(DISABLE_TOTP);
  const [enrollment, setEnrollment] = useState(null); // { secret, uri, qrSvg } until confirmed
  const [codes, setCodes] = useState(null); // recovery codes to show once
  const [asking, setAsking] = useState(null); // 'regenerate' | 'disable': a code is asked for
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function run(action) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      if (!(e instanceof Cancelled)) setError(errorInfo(e));
    }
    setBusy(false);
  }

  const refreshMe = () => client.refetchQueries({ include: [ME, MY_SESSIONS] });

  const start = () => run(async () => {
    const { data } = await withFreshToken(() => enroll());
    setEnrollment(data.enrollTotp);
  });

  const submitCode = (event) => {
    event.preventDefault();
    const code = new FormData(event.currentTarget).get('code');
    run(async () => {
      if (enrollment) {
        const { data } = await withFreshToken(() => confirm({ variables: { code } }));
        setEnrollment(null);
        setCodes(data.confirmTotp);
        await refreshMe();
      } else if (asking === 'regenerate') {
        const { data } = await withFreshToken(() => regenerate({ variables: { code } }));
        setAsking(null);
        setCodes(data.regenerateRecoveryCodes);
      } else {
        await withFreshToken(() => disable({ variables: { code } }));
        setAsking(null);
        await refreshMe(); // the other sessions have ended
      }
    });
  };

  const codeForm = (label, button) => (
    <form onSubmit={submitCode} className="code-form" noValidate>
      <div className="field">
        <label htmlFor="totp-code">{label}</label>
        <input id="totp-code" name="code" autoComplete="one-time-code" required autoFocus
          aria-invalid={error ? true : undefined} aria-describedby={error ? 'totp-code-error' : undefined} />
        {error && <span className="error" id="totp-code-error" data-testid="totp-error" role="alert">{errorMessage(error)}</span>}
      </div>
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy}>{button}</button>
        <button type="button" disabled={busy} onClick={() => { setEnrollment(null); setAsking(null); setError(null); }}>Cancel</button>
      </div>
    </form>
  );

  let body;
  if (codes) {
    body = (
      <>
        <p>Your recovery codes. Each signs you in once without your app: keep them somewhere safe. They are not shown again.</p>
        <ol className="recovery-codes" data-testid="recovery-codes">
          {codes.map((c) => <li key={c}><code>{c}</code></li>)}
        </ol>
        <button type="button" className="primary" onClick={() => setCodes(null)}>I have saved them</button>
      </>
    );
  } else if (enrollment) {
    body = (
      <>
        <p>Scan this code with your authenticator app, or type the key in by hand.</p>
        <img className="qr" data-testid="totp-qr" alt="QR code of your authenticator key" width="200" height="200"
          src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrollment.qrSvg)}`} />
        <p>Key: <code data-testid="totp-secret">{enrollment.secret}</code></p>
        {codeForm('Code from your app', 'Turn on')}
      </>
    );
  } else if (!me.mfaEnabled) {
    body = (
      <>
        <p data-testid="mfa-status">Off. With it on, signing in also needs a code from an authenticator app.</p>
        <button type="button" className="primary" disabled={busy} onClick={start}>Set up two-factor authentication</button>
        {error && <p role="alert" className="error">{errorMessage(error)}</p>}
      </>
    );
  } else {
    body = (
      <>
        <p data-testid="mfa-status">On. <Remaining /></p>
        {asking
          ? codeForm(asking === 'disable' ? 'A code to turn it off' : 'A code for new recovery codes',
            asking === 'disable' ? 'Turn off' : 'Get new codes')
          : (
            <div className="buttons">
              <button type="button" onClick={() => setAsking('regenerate')}>New recovery codes</button>
              <button type="button" className="danger" onClick={() => setAsking('disable')}>Turn off</button>
            </div>
          )}
      </>
    );
  }
  return (
    <div className="two-factor" data-testid="two-factor">
      <h3>Two-factor authentication</h3>
      {body}
    </div>
  );
}

// recoveryCodesRemaining is @mfa: shown to a session signed in with the
// second factor, left out otherwise.
function Remaining() {
  const { data } = useQuery(RECOVERY_CODES_REMAINING, { fetchPolicy: 'network-only', errorPolicy: 'ignore' });
  const n = data?.recoveryCodesRemaining;
  if (n == null) return null;
  return <span data-testid="codes-left">{n} recovery code{n === 1 ? '' : 's'} left.</span>;
}
