package main

import (
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// socketConfig is the websocket transport of subscriptions.
type socketConfig struct {
	Limits    auth.SocketLimits // Total 0: no websockets
	KeepAlive time.Duration
}

// readSockets reads the caps and the keep-alive of websockets.
func readSockets(r *envReader, c *config) {
	s := &c.Sockets
	s.Limits.Total = int(r.uint32("WS_MAX_SOCKETS", 0))
	s.Limits.PerUser = int(r.uint32("WS_MAX_SOCKETS_PER_USER", 1))
	// A ping far apart from the next lets a dead peer hold its socket (and
	// its place under the caps) for long; too close costs every socket a
	// wake-up.
	s.KeepAlive = r.duration("WS_KEEPALIVE", time.Second)
}
