// Subscriptions over the websocket with the `graphql-ws` client, as a
// browser tab would run them (in Node, `ws` stands in for the browser's
// WebSocket): sessionEvents tells the tab at once that it was logged out
// elsewhere, the socket closes with 4401, a socket re-authenticates in
// band with a ping carrying a refreshed token, and in cookie mode the
// socket needs the CSRF value in connectionParams.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';

import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import { gql, gqlData, register } from './lib/gql.mjs';
import { startServer } from './lib/server.mjs';

const password = 'correct horse battery';
const SESSION_EVENTS = 'subscription { sessionEvents { type at } }';

/**
 * A graphql-ws client of srv with connectionParams params, never
 * reconnecting. WebSocketImpl may add headers (a browser's cookies).
 * Resolves once a sessionEvents subscription is in place, to:
 *   events   the events received so far (type strings)
 *   event(t) resolves when an event of type t has arrived
 *   closed   resolves to the socket's CloseEvent ({ code, reason })
 *   ping(p)  sends a ping with payload p; resolves to the pong's payload
 *   dispose()
 */
async function subscribeEvents(srv, params, { WebSocketImpl = WebSocket } = {}) {
  let socket;
  // graphql-ws emits `connected` before it sends the subscribe message
  // that was waiting for the acknowledgement: a ping sent on `connected`
  // would reach the server first. The client's sends are watched so that
  // the ping below goes after the subscribe.
  let subscribeSent;
  const subscribing = new Promise((resolve) => { subscribeSent = resolve; });
  const pongs = [];
  let closedWith;
  const closed = new Promise((resolve) => { closedWith = resolve; });
  const client = createClient({
    url: srv.graphqlURL.replace(/^http/, 'ws'),
    webSocketImpl: WebSocketImpl,
    connectionParams: params,
    retryAttempts: 0,
    lazy: true,
    on: {
      opened: (s) => {
        socket = s;
        const send = s.send.bind(s);
        s.send = (data, ...rest) => {
          send(data, ...rest);
          if (JSON.parse(data).type === 'subscribe') subscribeSent();
        };
      },
      pong: (received, payload) => { if (received) pongs.shift()?.(payload); },
      closed: (e) => closedWith({ code: e.code, reason: e.reason }),
    },
  });
  const events = [];
  const waiters = [];
  const settle = () => {
    for (const w of [...waiters]) {
      if (events.includes(w.type)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  client.subscribe({ query: SESSION_EVENTS }, {
    next: (r) => {
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      events.push(r.data.sessionEvents.type);
      settle();
    },
    error: () => {}, // the close, which `closed` reports
    complete: () => {},
  });
  // A pong, or a rejection if the socket closes first.
  const ping = (payload) => Promise.race([
    new Promise((resolve) => {
      pongs.push(resolve);
      socket.send(JSON.stringify({ type: 'ping', ...(payload ? { payload } : {}) }));
    }),
    closed.then((c) => { throw new Error(`socket closed (${c.code}) before the pong`); }),
  ]);
  await Promise.race([subscribing, closed]);
  if (socket && socket.readyState === WebSocket.OPEN) {
    // The server handles a client's messages in order, a subscription's
    // setup included: after this pong, sessionEvents is in place.
    await ping();
  }
  return {
    events,
    // Rejects if the socket closes first, so that a missing event fails
    // the test instead of leaving it waiting.
    event: (type) => Promise.race([
      new Promise((resolve) => { waiters.push({ type, resolve }); settle(); }),
      closed.then(async (c) => {
        await sleep(100); // an event read in the same turn as the close
        if (!events.includes(type)) throw new Error(`socket closed (${c.code}) before ${type}; events: ${events}`);
      }),
    ]),
    closed,
    ping,
    dispose: () => client.dispose(),
  };
}

describe('sessionEvents over graphql-ws', () => {
  test('a logout elsewhere: SESSION_REVOKED, then close 4401', async () => {
    const srv = await startServer();
    try {
      const tab = await register(srv.graphqlURL, 'tab@example.com', password);
      const other = await gqlData(srv.graphqlURL, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }',
        { variables: { i: { email: 'tab@example.com', password } } });
      const sub = await subscribeEvents(srv, { Authorization: `Bearer ${tab.accessToken}` });
      // Another device logs every session out.
      await gqlData(srv.graphqlURL, 'mutation { logout(allSessions: true) }', { token: other.login.accessToken });
      await sub.event('SESSION_REVOKED');
      assert.deepEqual(await sub.closed, { code: 4401, reason: 'Unauthorized' });
      assert.deepEqual(sub.events, ['SESSION_REVOKED']);
      sub.dispose();
    } finally {
      await srv.stop();
    }
  });

  test('no token, or a bad one: close 4401 before anything runs', async () => {
    const srv = await startServer();
    try {
      for (const params of [{}, { Authorization: 'Bearer nonsense' }]) {
        const sub = await subscribeEvents(srv, params);
        assert.deepEqual(await sub.closed, { code: 4401, reason: 'Unauthorized' });
        assert.deepEqual(sub.events, []);
        sub.dispose();
      }
    } finally {
      await srv.stop();
    }
  });

  test('re-authentication in band: a ping carrying a refreshed token keeps the socket past the old expiry', async () => {
    // Tokens live 4 s, less than the 30 s warning: TOKEN_EXPIRING comes
    // as soon as the subscription starts.
    const srv = await startServer({ ACCESS_TOKEN_TTL: '4s', JWT_LEEWAY: '0s' });
    try {
      const first = await register(srv.graphqlURL, 'renew@example.com', password);
      const expiry = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).exp * 1000;
      const sub = await subscribeEvents(srv, { Authorization: `Bearer ${first.accessToken}` });
      await sub.event('TOKEN_EXPIRING');

      // What an app does on TOKEN_EXPIRING: refresh over HTTP (a second
      // on, so that the new token expires later), then hand the new
      // access token to the socket in a ping.
      await sleep(1100);
      const r = await gqlData(srv.graphqlURL, 'mutation($r: String) { refresh(refreshToken: $r) { accessToken } }',
        { variables: { r: first.refreshToken } });
      const fresh = r.refresh.accessToken;
      assert.ok(expiry(fresh) > expiry(first.accessToken));
      const pong = await sub.ping({ Authorization: `Bearer ${fresh}` });
      assert.equal(Date.parse(pong.expiresAt), expiry(fresh));

      // Past the first token's expiry, the socket is open.
      await sleep(expiry(first.accessToken) - Date.now() + 300);
      await sub.ping();
      // At the new token's, it closes.
      assert.deepEqual(await sub.closed, { code: 4401, reason: 'Unauthorized' });
      assert.ok(Date.now() >= expiry(fresh) - 100, 'closed before the new token expired');
      sub.dispose();
    } finally {
      await srv.stop();
    }
  });

  test('cookie mode: the cookie counts with X-CSRF-Token in connectionParams', async () => {
    const srv = await startServer({ TOKEN_LOCATION: 'cookies', COOKIE_SECURE: 'false' });
    try {
      const res = await fetch(srv.graphqlURL, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation($i: RegisterInput!) { register(input: $i) { csrfToken } }',
          variables: { i: { email: 'crumbs@example.com', password } },
        }),
      });
      const csrf = (await res.json()).data.register.csrfToken;
      const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const origin = srv.url.replace(/\/$/, '');
      // The browser adds the site's cookies and its Origin to the handshake.
      class BrowserWebSocket extends WebSocket {
        constructor(url, protocols) {
          super(url, protocols, { headers: { Cookie: cookie, Origin: origin } });
        }
      }

      const without = await subscribeEvents(srv, {}, { WebSocketImpl: BrowserWebSocket });
      assert.deepEqual(await without.closed, { code: 4401, reason: 'Unauthorized' });
      without.dispose();

      const sub = await subscribeEvents(srv, { 'X-CSRF-Token': csrf }, { WebSocketImpl: BrowserWebSocket });
      const logout = await gql(srv.graphqlURL, 'mutation { logout }', { headers: { cookie, 'x-csrf-token': csrf } });
      assert.equal(logout.errors, undefined, JSON.stringify(logout.errors));
      await sub.event('SESSION_REVOKED');
      assert.deepEqual(await sub.closed, { code: 4401, reason: 'Unauthorized' });
      sub.dispose();
    } finally {
      await srv.stop();
    }
  });
});
