// For an ADMIN: figures (adminStats), the users (search by email, pages by
// cursor), disable/enable and role changes. The figures and the changes
// need a fresh token: FRESH_TOKEN_REQUIRED opens "Confirm your password".
import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';

import { Cancelled, useFreshToken } from './ConfirmPassword.jsx';
import { errorInfo, errorMessage, hasCode } from './errors.js';
import { fullTime } from './format.js';
import { ADMIN_STATS, ME, SET_USER_DISABLED, SET_USER_ROLE, USERS } from './operations.js';

/** Users a page. */
export const PAGE_SIZE = 10;

export default function Admin({ me }) {
  return (
    <>
      <Stats />
      <Users me={me} />
    </>
  );
}

const figures = [
  ['users', 'Users'], ['admins', 'Admins'], ['activeSessions', 'Active sessions'],
  ['revokedTokens', 'Revoked tokens'], ['loginsLast24h', 'Logins, 24 h'], ['failedLoginsLast24h', 'Failed logins, 24 h'],
];

function Stats() {
  const { data, error, refetch } = useQuery(ADMIN_STATS, { fetchPolicy: 'network-only' });
  const { confirmPassword } = useFreshToken();
  const [confirmError, setConfirmError] = useState(null);

  async function confirm() {
    setConfirmError(null);
    try {
      await confirmPassword();
      await refetch();
    } catch (e) {
      if (!(e instanceof Cancelled)) setConfirmError(errorMessage(errorInfo(e)));
    }
  }

  let body;
  if (data) {
    body = (
      <dl className="stats" data-testid="stats">
        {figures.map(([key, label]) => (
          <div key={key}><dt>{label}</dt><dd data-testid={`stat-${key}`}>{data.adminStats[key]}</dd></div>
        ))}
      </dl>
    );
  } else if (hasCode(error, 'FRESH_TOKEN_REQUIRED')) {
    body = (
      <div className="notice" data-testid="stats-need-password">
        <p>The figures need a recent sign-in.</p>
        <button type="button" onClick={confirm}>Confirm your password</button>
      </div>
    );
  } else if (error) {
    body = <p role="alert" className="error">{errorMessage(errorInfo(error))}</p>;
  } else {
    body = <p>Loading…</p>;
  }
  return (
    <section className="card">
      <h2>Administration</h2>
      {body}
      {confirmError && <p role="alert" className="error">{confirmError}</p>}
    </section>
  );
}

function Users({ me }) {
  const [search, setSearch] = useState('');
  // cursors[i] is the `after` of page i+1: Next pushes, Previous pops.
  const [cursors, setCursors] = useState([null]);
  const variables = { first: PAGE_SIZE, after: cursors.at(-1), search: search || null };
  const { data, error, loading } = useQuery(USERS, { variables, fetchPolicy: 'cache-and-network' });
  const page = data?.users;

  function onSearch(event) {
    event.preventDefault();
    setSearch(new FormData(event.currentTarget).get('search').trim());
    setCursors([null]);
  }

  return (
    <section className="card">
      <h2>Users</h2>
      <form className="search" role="search" onSubmit={onSearch}>
        <label htmlFor="search">Search by email</label>
        <input id="search" name="search" type="search" defaultValue={search} />
        <button type="submit">Search</button>
      </form>
      {error ? <p role="alert" className="error">{errorMessage(errorInfo(error))}</p>
        : !page ? <p>Loading…</p>
          : page.edges.length === 0 ? <p data-testid="no-users">No users{search ? <> matching “{search}”</> : null}.</p>
            : (
              <table data-testid="users" aria-busy={loading}>
                <thead><tr><th>Email</th><th>Role</th><th>Status</th><th>Created</th><th><span className="sr-only">Action</span></th></tr></thead>
                <tbody>{page.edges.map(({ node }) => <UserRow key={node.id} user={node} self={node.id === me.id} />)}</tbody>
              </table>
            )}
      <nav className="pager" aria-label="Pages">
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>Previous</button>
        <span data-testid="page-number">Page {cursors.length}</span>
        <button type="button" disabled={!page?.pageInfo.hasNextPage}
          onClick={() => setCursors([...cursors, page.pageInfo.endCursor])}>Next</button>
      </nav>
    </section>
  );
}

function UserRow({ user, self }) {
  const { withFreshToken } = useFreshToken();
  // The figures count users, admins and sessions: refresh them after a
  // change, and `me` too when admins change their own role.
  const refetchQueries = self ? [ADMIN_STATS, ME] : [ADMIN_STATS];
  const [setDisabled] = useMutation(SET_USER_DISABLED, { refetchQueries });
  const [setRole] = useMutation(SET_USER_ROLE, { refetchQueries });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function change(action) {
    setBusy(true);
    setError(null);
    try {
      await withFreshToken(action);
    } catch (e) {
      if (!(e instanceof Cancelled)) setError(errorMessage(errorInfo(e)));
    }
    setBusy(false);
  }

  return (
    <tr data-testid="user-row" data-email={user.email} className={user.disabled ? 'disabled' : ''}>
      <td>{user.email}{self && <span className="badge">You</span>}</td>
      <td>
        <select aria-label={`Role of ${user.email}`} value={user.role} disabled={busy}
          onChange={(e) => { const role = e.target.value; change(() => setRole({ variables: { userId: user.id, role } })); }}>
          <option value="USER">USER</option>
          <option value="ADMIN">ADMIN</option>
        </select>
      </td>
      <td data-testid="user-status">{user.disabled ? 'Disabled' : 'Active'}</td>
      <td><time dateTime={user.createdAt}>{fullTime(user.createdAt)}</time></td>
      <td>
        <button type="button" disabled={busy || (self && !user.disabled)}
          title={self ? 'You cannot disable your own account' : undefined}
          onClick={() => change(() => setDisabled({ variables: { userId: user.id, disabled: !user.disabled } }))}>
          {user.disabled ? 'Enable' : 'Disable'}
        </button>
        {error && <p role="alert" className="error">{error}</p>}
      </td>
    </tr>
  );
}
