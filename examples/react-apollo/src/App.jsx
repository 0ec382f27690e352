import { gql } from '@apollo/client';
import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';

import { isUnauthenticated } from './apollo.js';

const ME = gql`query Me { me { id email role } }`;
const LOGIN = gql`mutation Login($input: LoginInput!) { login(input: $input) { user { id email } } }`;
const REGISTER = gql`mutation Register($input: RegisterInput!) { register(input: $input) { user { id email } } }`;
const LOGOUT = gql`mutation Logout { logout }`;

export default function App() {
  const { data, loading, error } = useQuery(ME);
  return (
    <main>
      <h1>gqlauth · React + Apollo</h1>
      {loading ? <p>Loading…</p>
        : data?.me ? <Profile me={data.me} />
          : isUnauthenticated(error) ? <LoginForm />
            : <p role="alert">Error: {error?.message}</p>}
    </main>
  );
}

function Profile({ me }) {
  const client = useApolloClient();
  const [logout, { loading }] = useMutation(LOGOUT);
  async function onLogout() {
    await logout();
    // Forget the user's data. This runs `me` again, which is now refused:
    // useQuery renders that (the login form), so the promise's rejection
    // needs no handling of its own.
    await client.resetStore().catch(() => {});
  }
  return (
    <section>
      <p>Signed in as <strong data-testid="me-email">{me.email}</strong> ({me.role})</p>
      <button type="button" onClick={onLogout} disabled={loading}>Log out</button>
    </section>
  );
}

function LoginForm() {
  const client = useApolloClient();
  const [login, loginState] = useMutation(LOGIN);
  const [register, registerState] = useMutation(REGISTER);
  const [message, setMessage] = useState('');
  const busy = loginState.loading || registerState.loading;

  async function onSubmit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const input = { email: form.get('email'), password: form.get('password') };
    const action = event.nativeEvent.submitter?.value === 'register' ? register : login;
    setMessage('');
    try {
      await action({ variables: { input } });
      await client.refetchQueries({ include: [ME] });
    } catch (e) {
      setMessage(e.message);
    }
  }

  return (
    <form onSubmit={onSubmit} data-testid="login-form">
      <p>Signed out.</p>
      <label>Email <input name="email" type="email" autoComplete="username" required /></label>
      <label>Password <input name="password" type="password" autoComplete="current-password" minLength={8} required /></label>
      <div>
        <button type="submit" value="login" disabled={busy}>Log in</button>
        <button type="submit" value="register" disabled={busy}>Create account</button>
      </div>
      {message && <p role="alert">{message}</p>}
    </form>
  );
}
