// The gqlauth playground: GraphiQL with a fetcher that carries the
// credentials by itself, so that a person gets from zero to `me` without
// copying a token. index.html loads it after React and GraphiQL, all from
// this server (the CSP allows scripts from 'self' only); its settings are
// the data- attributes of #graphiql.
//
// Cookie mode: the browser sends the HttpOnly token cookies; this page
// copies the readable CSRF cookie into the CSRF header on every request.
// Header mode: this page keeps the accessToken of the last login, register
// or refresh answer in memory (never in storage) and sends it as
// `Authorization: Bearer …` until logout or a reload. A header typed in the
// Headers tab always wins.
(function () {
  'use strict';

  const root = document.getElementById('graphiql');
  const cfg = root.dataset;
  const endpoint = cfg.endpoint;
  const cookieMode = cfg.cookies === 'true';
  const headerMode = cfg.headers === 'true';

  if (typeof window.GraphiQL !== 'function' || !window.React || !window.ReactDOM) {
    root.textContent = '';
    const p = document.createElement('p');
    p.className = 'gqlauth-error';
    p.textContent = 'GraphiQL did not load (its files are served by this server under /playground/assets/). The API is at ' + endpoint + '.';
    root.appendChild(p);
    return;
  }

  const h = React.createElement;
  let accessToken = null;
  const listeners = new Set();
  const changed = () => listeners.forEach((f) => f());

  function readCookie(name) {
    for (const part of document.cookie.split(';')) {
      const i = part.indexOf('=');
      if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
    }
    return null;
  }

  const hasHeader = (headers, name) => Object.keys(headers).some((k) => k.toLowerCase() === name.toLowerCase());

  // Remembers the access token of an AuthPayload in the answer (login,
  // register, refresh, under any alias) and forgets it on logout.
  function remember(body) {
    const data = body && body.data;
    if (!data || typeof data !== 'object') return;
    for (const value of Object.values(data)) {
      if (value && typeof value === 'object' && typeof value.accessToken === 'string') {
        accessToken = value.accessToken;
      }
    }
    if (data.logout === true) accessToken = null;
    changed();
  }

  // GraphiQL 4 can send the operation name of the tab it showed before
  // (switching between the default tabs without editing them): a name the
  // document does not define is dropped, and the server runs the
  // document's one operation.
  function currentOperation(params) {
    const name = params.operationName;
    if (!name || !/^[_A-Za-z][_0-9A-Za-z]*$/.test(name)) return params;
    const defined = new RegExp('\\b(query|mutation|subscription)\\s+' + name + '\\b').test(params.query || '');
    return defined ? params : Object.assign({}, params, { operationName: undefined });
  }

  async function fetcher(params, opts) {
    params = currentOperation(params);
    const headers = Object.assign({
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json, application/json',
    }, (opts && opts.headers) || {});
    if (cookieMode && !hasHeader(headers, cfg.csrfHeader)) {
      const csrf = readCookie(cfg.csrfCookie);
      if (csrf) headers[cfg.csrfHeader] = csrf;
    }
    if (headerMode && accessToken && !hasHeader(headers, 'Authorization')) {
      headers.Authorization = 'Bearer ' + accessToken;
    }
    const res = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(params), credentials: 'same-origin' });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return { errors: [{ message: 'HTTP ' + res.status + ', not JSON: ' + text.slice(0, 200) }] };
    }
    if (headerMode) remember(body);
    else changed();
    return body;
  }

  // What the page does with credentials, and whether it holds some now.
  function Status() {
    const [, tick] = React.useState(0);
    React.useEffect(() => {
      const f = () => tick((n) => n + 1);
      listeners.add(f);
      return () => listeners.delete(f);
    }, []);
    let state;
    let how;
    if (headerMode && accessToken) {
      state = 'Logged in.';
      how = 'Sending the accessToken of the last login, register or refresh as Authorization: Bearer (kept in this page only: a reload or logout forgets it; an Authorization header in the Headers tab wins).';
    } else if (cookieMode && readCookie(cfg.csrfCookie)) {
      state = 'Logged in (cookies).';
      how = 'The browser sends the HttpOnly token cookies; this page copies the ' + cfg.csrfCookie + ' cookie into ' + cfg.csrfHeader + ' on every request.';
    } else {
      state = 'Not logged in.';
      how = headerMode
        ? 'Run the LogIn tab (or SignUp): this page keeps the accessToken from the answer and sends it as Authorization: Bearer on later requests.'
        : 'Run the LogIn tab (or SignUp): the browser keeps the token cookies and this page sends the CSRF header by itself.';
    }
    return h('div', { className: 'gqlauth-status', 'data-testid': 'auth-status' }, h('strong', null, state), ' ', how);
  }

  const credentials = [
    headerMode ? 'accessToken' : null,
    headerMode ? 'refreshToken' : null,
    cookieMode ? 'csrfToken' : null,
  ].filter(Boolean).join('\n    ');
  const how = headerMode
    ? '# This page keeps the accessToken of the answer and sends it as\n# Authorization: Bearer on later requests (until logout or a reload).\n'
    : '# The browser keeps the token cookies; this page sends the CSRF header.\n';
  const payload = '{\n    ' + credentials + '\n    expiresIn\n    user { id email role }\n  }';
  const credentialsVars = JSON.stringify({ email: 'alice@example.com', password: 'correct horse battery' }, null, 2);
  const defaultTabs = [
    {
      query: '# Log in with the email and password in Variables, then run the Me tab.\n' + how +
        'mutation LogIn($email: String!, $password: String!) {\n  login(input: { email: $email, password: $password }) ' + payload + '\n}\n',
      variables: credentialsVars,
    },
    {
      query: '# Create the account in Variables (and log in as it).\n' + how +
        'mutation SignUp($email: String!, $password: String!) {\n  register(input: { email: $email, password: $password }) ' + payload + '\n}\n',
      variables: credentialsVars,
    },
    {
      query: '# The caller, once logged in.\nquery Me {\n  me { id email role createdAt }\n  mySessions { id userAgent ip lastUsedAt current }\n}\n',
    },
  ];

  // Everything GraphiQL would keep in localStorage (tabs with their
  // variables and headers, history) lives in this page's memory instead:
  // the LogIn tab's variables hold a password and a typed header may hold a
  // token, and neither belongs in storage that outlives the page.
  const entries = new Map();
  const memoryStorage = {
    getItem: (k) => (entries.has(k) ? entries.get(k) : null),
    setItem: (k, v) => { entries.set(k, String(v)); },
    removeItem: (k) => { entries.delete(k); },
    clear: () => entries.clear(),
    key: (i) => Array.from(entries.keys())[i] ?? null,
    get length() { return entries.size; },
  };

  ReactDOM.createRoot(root).render(
    h(GraphiQL, {
      fetcher,
      storage: memoryStorage,
      defaultTabs,
      defaultEditorToolsVisibility: 'variables',
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    }, h(GraphiQL.Footer, null, h(Status))),
  );
})();
