package auth_test

// The harness's socket methods, beside harness_test.go so that features
// developed in parallel do not edit the same lines; port them with it.

import (
	"github.com/gqlauth/gqlauth/auth"
)

// openSocket admits a socket and authenticates it with an access token,
// as the websocket transport does with a connection_init payload. The
// socket is closed when the test ends.
func (h *harness) openSocket(tok string) (*auth.Socket, error) {
	claims, err := h.tokens.Parse(tok, auth.AccessToken)
	if err != nil {
		return nil, err
	}
	sk, err := h.svc.Sockets.Admit()
	if err != nil {
		return nil, err
	}
	h.t.Cleanup(sk.Close)
	if _, err := sk.Authenticate(h.anon(), claims); err != nil {
		return nil, err
	}
	return sk, nil
}

// socketEvents subscribes to sessionEvents on sk.
func (h *harness) socketEvents(sk *auth.Socket) (<-chan auth.SessionEvent, error) {
	return h.svc.Sockets.Events(auth.WithSocket(h.anon(), sk))
}

// announce tells the sockets of a change, as the store's notifications do.
func (h *harness) announce(c auth.StateChange) { h.svc.Sockets.Changed(c) }
