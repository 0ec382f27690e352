package metrics

import "github.com/prometheus/client_golang/prometheus"

// ObserveSockets exports the open websockets (subscriptions), authenticated
// or not, as gqlauth_websockets_open: what WS_MAX_SOCKETS caps.
func (m *Metrics) ObserveSockets(open func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gqlauth_websockets_open",
		Help: "Open websockets (subscriptions), authenticated or not; WS_MAX_SOCKETS caps them."},
		func() float64 { return float64(open()) }))
}
