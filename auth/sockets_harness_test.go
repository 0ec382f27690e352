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

// socketEvents subscribes to sessionEvents on sk; the channel holds up
// to 16 events.
func (h *harness) socketEvents(sk *auth.Socket) (<-chan auth.SessionEvent, error) {
	ch := make(chan auth.SessionEvent, 16)
	err := h.svc.Sockets.Subscribe(auth.WithSocket(h.anon(), sk), func(ev auth.SessionEvent) {
		select {
		case ch <- ev:
		default:
			h.t.Error("more than 16 events")
		}
	})
	return ch, err
}

// announce tells the sockets of a change, as the store's notifications do.
func (h *harness) announce(c auth.StateChange) { h.svc.Sockets.Changed(c) }

// recheckSockets checks every socket again, as a reconnected listener does.
func (h *harness) recheckSockets() { h.svc.Sockets.RecheckAll() }
