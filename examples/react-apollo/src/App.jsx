// The shell: `me` decides between the sign-in form and the signed-in pages;
// the hash route picks the page.
import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { useEffect } from 'react';

import Account from './Account.jsx';
import Admin from './Admin.jsx';
import { isUnauthenticated } from './apollo.js';
import AuthForm from './AuthForm.jsx';
import { ConfirmPasswordProvider } from './ConfirmPassword.jsx';
import EmailPage, { isEmailRoute } from './EmailPages.jsx';
import { errorInfo, errorMessage } from './errors.js';
import { LOGOUT, ME } from './operations.js';
import { navigate, useRoute } from './router.js';
import VerifyBanner from './VerifyBanner.jsx';

export default function App() {
  const route = useRoute();
  const client = useApolloClient();
  const { data, loading, error, refetch } = useQuery(ME);
  const me = data?.me;

  // After a logout, or a session ended here or elsewhere: forget the
  // user's data. resetStore runs `me` again, now refused, and the page
  // shows the sign-in form.
  async function signedOut() {
    navigate('/login');
    await client.resetStore().catch(() => {});
  }

  let page;
  if (isEmailRoute(route)) {
    // Forgot password and the mailed links' pages: signed in or not.
    page = <EmailPage route={route} signedIn={Boolean(me)} />;
  } else if (me) {
    page = <SignedIn me={me} route={route} onSignedOut={signedOut} />;
  } else if (loading) {
    page = <p>Loading…</p>;
  } else if (isUnauthenticated(error)) {
    page = <AuthForm mode={route === '/signup' ? 'signup' : 'login'} route={route} />;
  } else {
    page = (
      <div className="card narrow">
        <p role="alert" className="error">{errorMessage(errorInfo(error))}</p>
        <button type="button" onClick={() => refetch().catch(() => {})}>Try again</button>
      </div>
    );
  }

  return (
    <>
      <Header me={me} route={route} onSignedOut={signedOut} />
      <main>{page}</main>
    </>
  );
}

function Header({ me, route, onSignedOut }) {
  const [logout, { loading }] = useMutation(LOGOUT);
  const link = (to, label) => <a href={`#${to}`} aria-current={route === to ? 'page' : undefined}>{label}</a>;
  return (
    <header>
      <a className="brand" href="#/">gqlauth example</a>
      {me && (
        <nav aria-label="Main">
          {link('/', 'Home')}
          {link('/account', 'Account')}
          {me.role === 'ADMIN' && link('/admin', 'Admin')}
          <span className="who" data-testid="me-email">{me.email}</span>
          <button type="button" disabled={loading}
            onClick={async () => { await logout().catch(() => {}); await onSignedOut(); }}>
            Log out
          </button>
        </nav>
      )}
    </header>
  );
}

function SignedIn({ me, route, onSignedOut }) {
  // Signed in on #/login or #/signup (a bookmark, the back button): home.
  const away = route === '/login' || route === '/signup';
  useEffect(() => { if (away) navigate('/'); }, [away]);

  let page;
  switch (route) {
    case '/':
    case '/login':
    case '/signup':
      page = <Home me={me} />;
      break;
    case '/account':
      page = <Account me={me} onSignedOut={onSignedOut} />;
      break;
    case '/admin':
      page = me.role === 'ADMIN' ? <Admin me={me} />
        : <p role="alert" className="card error" data-testid="admins-only">Only administrators can see this page.</p>;
      break;
    default:
      page = <p className="card">No page here. <a href="#/">Home</a></p>;
  }
  return <ConfirmPasswordProvider email={me.email}><VerifyBanner />{page}</ConfirmPasswordProvider>;
}

function Home({ me }) {
  return (
    <section className="card">
      <h2>Welcome</h2>
      <p>Signed in as <strong>{me.email}</strong> ({me.role}).</p>
      <p>Your app starts here. <a href="#/account">Account</a> lists where you are signed in
        {me.role === 'ADMIN' && <>; <a href="#/admin">Admin</a> manages users</>}.</p>
    </section>
  );
}
