// The links gqlauth mails are path routes (APP_URL/verify-email?token=…,
// APP_URL/reset-password?token=…, APP_URL/confirm-email-change?token=…),
// while this app routes by hash. Before anything renders, captureMailedLink
// takes the token out of the address, keeps it in memory only, and
// replaces the address with the page's hash route (history.replaceState,
// so the entry with the token is gone from the tab's history too). The
// token then leaks neither through the address bar, a bookmark, a shared
// screen, nor a Referer header (index.html also sets
// <meta name="referrer" content="no-referrer">, for the requests made
// before this runs). A reload after that has no token: the person opens
// the link from the mail again, which still works until it is used.
const PAGES = ['verify-email', 'reset-password', 'confirm-email-change'];
const LINK = new RegExp(`^(.*/)(${PAGES.join('|')})/?$`);

let held = null; // { route: '/reset-password', token }

/**
 * Recognises a mailed link in loc (the page's location), keeps its token
 * and rewrites the address to APP_URL/#/page. Returns the route it went
 * to, or null when the address is not a mailed link.
 */
export function captureMailedLink(loc = window.location, hist = window.history) {
  const m = LINK.exec(loc.pathname);
  if (!m) return null;
  const route = `/${m[2]}`;
  held = { route, token: new URLSearchParams(loc.search).get('token') || '' };
  hist.replaceState(null, '', `${m[1]}#${route}`);
  return route;
}

/** The token the link to route carried, or '' (none, or already used). */
export const linkToken = (route) => (held?.route === route ? held.token : '');

/** Forgets the token once its link has been used. */
export function forgetLinkToken() {
  held = null;
}

// One call per token, even when React runs an effect twice (StrictMode in
// development): a token works once, so a second call would fail.
const calls = new Map();

/** fn(), run at most once per key; later calls get the first call's promise. */
export function once(key, fn) {
  if (!calls.has(key)) calls.set(key, fn());
  return calls.get(key);
}
