// The caller's sessions (mySessions): one per device or browser signed in,
// most recently used first, this one marked. Each can be logged out
// (revokeSession: its tokens stop working at once), or all at once
// (logout with allSessions).
import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';

import ChangeEmail from './ChangeEmail.jsx';
import { errorInfo, errorMessage } from './errors.js';
import { ago, device, fullTime } from './format.js';
import { LOGOUT, MY_SESSIONS, REVOKE_SESSION } from './operations.js';
import { PasskeyList } from './Passkeys.jsx';
import { LinkedAccounts } from './Oidc.jsx';
import TwoFactor from './TwoFactor.jsx';

export default function Account({ me, onSignedOut }) {
  const { data, error, loading, refetch } = useQuery(MY_SESSIONS, { fetchPolicy: 'network-only' });
  const [revokeSession] = useMutation(REVOKE_SESSION);
  const [logout] = useMutation(LOGOUT);
  const [busy, setBusy] = useState(null); // the id being logged out, or 'all'
  const [actionError, setActionError] = useState(null);

  async function run(id, action, signsOut) {
    setBusy(id);
    setActionError(null);
    try {
      await action();
      if (signsOut) return onSignedOut();
      await refetch();
    } catch (e) {
      setActionError(errorMessage(errorInfo(e)));
    }
    setBusy(null);
  }

  const sessions = data?.mySessions ?? [];
  return (
    <section className="card">
      <h2>Account</h2>
      <p>Signed in as <strong>{me.email}</strong> · role {me.role}</p>

      <TwoFactor me={me} />
      <PasskeyList />
      <LinkedAccounts />

      <h3>Where you are signed in</h3>
      {loading && !data ? <p>Loading…</p>
        : error ? <p role="alert" className="error">{errorMessage(errorInfo(error))}</p>
          : (
            <table data-testid="sessions">
              <thead>
                <tr><th>Device</th><th>IP address</th><th>Signed in</th><th>Last used</th><th><span className="sr-only">Action</span></th></tr>
              </thead>
              <tbody>
                {sessions.map((s) => (
                  <tr key={s.id} data-testid="session-row" className={s.current ? 'current' : ''}>
                    <td title={s.userAgent}>
                      {device(s.userAgent)}
                      {s.current && <span className="badge" data-testid="current-session">This device</span>}
                    </td>
                    <td>{s.ip}</td>
                    <td><time dateTime={s.createdAt} title={fullTime(s.createdAt)}>{ago(s.createdAt)}</time></td>
                    <td><time dateTime={s.lastUsedAt} title={fullTime(s.lastUsedAt)}>{ago(s.lastUsedAt)}</time></td>
                    <td>
                      <button type="button" disabled={busy !== null}
                        onClick={() => run(s.id, () => revokeSession({ variables: { id: s.id } }), s.current)}>
                        Log out this device
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      {actionError && <p role="alert" className="error">{actionError}</p>}

      <ChangeEmail me={me} />

      <div className="everywhere">
        <p>Lost a device, or signed in somewhere you should not have? End every session, this one included.</p>
        <button type="button" className="danger" disabled={busy !== null}
          onClick={() => run('all', () => logout({ variables: { allSessions: true } }), true)}>
          Log out everywhere
        </button>
      </div>
    </section>
  );
}
