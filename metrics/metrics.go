// Package metrics defines gqlauth's Prometheus metrics. The other packages
// know nothing of Prometheus: they report through small hooks that main
// wires to these collectors.
package metrics

import (
	"database/sql"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds every collector, registered on its own registry so that
// tests and several servers in one process do not collide.
type Metrics struct {
	reg            *prometheus.Registry
	operations     *prometheus.CounterVec
	opDuration     *prometheus.HistogramVec
	authOutcomes   *prometheus.CounterVec
	securityEvents *prometheus.CounterVec
	hashWait       prometheus.Histogram
	opLabels       *labelCap
}

// New creates the collectors. queueLength reads the hashing pool's queue;
// db is the pool whose statistics are exported.
func New(db *sql.DB, queueLength func() int) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), opLabels: &labelCap{max: MaxOperationLabels}}
	m.operations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gqlauth_graphql_operations_total",
		Help: "GraphQL operations by operation (a listed name, else the root field) and outcome (ok or the first error code).",
	}, []string{"operation", "outcome"})
	m.opDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gqlauth_graphql_operation_duration_seconds",
		Help:    "GraphQL operation latency by operation name and outcome.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"operation", "outcome"})
	m.authOutcomes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gqlauth_auth_checks_total",
		Help: "Authentication checks of guarded fields by code (OK when passed) and reason.",
	}, []string{"code", "reason"})
	m.securityEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gqlauth_security_events_total",
		Help: "Audited security events by type: login_succeeded, login_failed, rate_limited, refresh_reuse_detected, ...",
	}, []string{"type"})
	m.hashWait = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "gqlauth_hash_wait_seconds",
		Help:    "Time a password hash waited for a worker of the hashing pool.",
		Buckets: []float64{.0001, .001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
	queue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gqlauth_hash_queue_length",
		Help: "Password hashes waiting for a worker now.",
	}, func() float64 { return float64(queueLength()) })
	m.reg.MustRegister(m.operations, m.opDuration, m.authOutcomes, m.securityEvents, m.hashWait, queue,
		collectors.NewDBStatsCollector(db, "gqlauth"),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Operation records one GraphQL operation under its label, at most
// MaxOperationLabels of them.
func (m *Metrics) Operation(name, outcome string, d time.Duration) {
	if name == "" {
		name = otherLabel
	}
	name = m.opLabels.admit(name)
	m.operations.WithLabelValues(name, outcome).Inc()
	m.opDuration.WithLabelValues(name, outcome).Observe(d.Seconds())
}

// AuthCheck records the outcome of a directive's check.
func (m *Metrics) AuthCheck(code, reason string) {
	m.authOutcomes.WithLabelValues(code, reason).Inc()
}

// SecurityEvent records an audited event.
func (m *Metrics) SecurityEvent(typ string) { m.securityEvents.WithLabelValues(typ).Inc() }

// HashWait records how long a hash waited for a worker.
func (m *Metrics) HashWait(d time.Duration) { m.hashWait.Observe(d.Seconds()) }

// CacheStats is what the auth cache reports (see package cache).
type CacheStats struct {
	Hits, Misses, Evictions uint64
	Users, Sessions, Tokens int
	Capacity                int
	Live                    bool
}

// ObserveHashWorker exports how often the password hash worker process was
// started again after it died (a rising count is worth an alert).
func (m *Metrics) ObserveHashWorker(restarts func() int64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "gqlauth_hash_worker_restarts_total", Help: "Times the password hash worker was restarted after dying.",
	}, func() float64 { return float64(restarts()) }))
}

// ObserveCache exports the auth cache's hit and miss counts, its entries
// per kind against their bound, and whether it is live (hearing changes)
// or bypassed.
func (m *Metrics) ObserveCache(read func() CacheStats) {
	counter := func(name, help string, f func(CacheStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(read())) })
	}
	entries := func(kind string, f func(CacheStats) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gqlauth_cache_entries", Help: "Entries in the auth cache, by kind.",
			ConstLabels: prometheus.Labels{"kind": kind}}, func() float64 { return float64(f(read())) })
	}
	m.reg.MustRegister(
		counter("gqlauth_cache_hits_total", "Authenticated requests answered from memory.", func(s CacheStats) uint64 { return s.Hits }),
		counter("gqlauth_cache_misses_total", "Authenticated requests that read the database.", func(s CacheStats) uint64 { return s.Misses }),
		counter("gqlauth_cache_evictions_total", "Entries forgotten because their row changed.", func(s CacheStats) uint64 { return s.Evictions }),
		entries("users", func(s CacheStats) int { return s.Users }),
		entries("sessions", func(s CacheStats) int { return s.Sessions }),
		entries("tokens", func(s CacheStats) int { return s.Tokens }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gqlauth_cache_capacity", Help: "The bound on entries of each kind."},
			func() float64 { return float64(read().Capacity) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gqlauth_cache_live", Help: "1 while changes are heard and the cache is used; 0 while it is bypassed."},
			func() float64 {
				if read().Live {
					return 1
				}
				return 0
			}),
	)
}

// BuildInfo exports which build is running as gqlauth_build_info, a gauge
// of 1 whose labels carry the version, the Go version and the revision, so
// that dashboards can tell replicas of different builds apart.
func (m *Metrics) BuildInfo(version, goVersion, revision string) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "gqlauth_build_info",
		Help:        "The running build: version, Go version and VCS revision; always 1.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": goVersion, "revision": revision},
	})
	g.Set(1)
	m.reg.MustRegister(g)
}

// MailStats is what the mail sender reports (see package mailer).
type MailStats struct {
	// Queued and Retrying count unsent mails, Retrying those whose last
	// attempt failed.
	Queued, Retrying int
	// OldestAge is how long the oldest unsent mail has waited.
	OldestAge time.Duration
	// Sent and Failed count deliveries and failed attempts; Abandoned,
	// mails given up.
	Sent, Failed, Abandoned uint64
}

// ObserveMail exports the outbox: mail waiting (a rising oldest age means
// SMTP is down or refusing), deliveries and failed attempts.
func (m *Metrics) ObserveMail(read func() MailStats) {
	gauge := func(name, help string, f func(MailStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(read()) })
	}
	counter := func(name, help string, f func(MailStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(read())) })
	}
	m.reg.MustRegister(
		gauge("gqlauth_mail_queued", "Mails in the outbox not yet sent.", func(s MailStats) float64 { return float64(s.Queued) }),
		gauge("gqlauth_mail_retrying", "Queued mails whose last delivery attempt failed.", func(s MailStats) float64 { return float64(s.Retrying) }),
		gauge("gqlauth_mail_oldest_queued_seconds", "How long the oldest unsent mail has waited.", func(s MailStats) float64 { return s.OldestAge.Seconds() }),
		counter("gqlauth_mail_sent_total", "Mails delivered by this process.", func(s MailStats) uint64 { return s.Sent }),
		counter("gqlauth_mail_failed_total", "Failed delivery attempts by this process (retried unless given up).", func(s MailStats) uint64 { return s.Failed }),
		counter("gqlauth_mail_abandoned_total", "Mails this process gave up: refused for good by the SMTP server, or older than their links.", func(s MailStats) uint64 { return s.Abandoned }),
	)
}
