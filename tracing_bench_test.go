package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/db/dbtest"
)

// BenchmarkMeTracing is an authenticated `me` through the whole handler
// (as BenchmarkMeHandler: warm cache, no network) on three servers in one
// interleaved loop, so that the machine's drift falls on all alike:
// tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT), on with the caller's trace
// unsampled (a traceparent with flags 00: the spans are started but not
// recorded), and on and sampled (every span recorded and sent to a real
// OTLP/HTTP receiver by the batch exporter). It reports each one's time
// per request and x-unsampled and x-sampled, the ratios to off.
//
// The off server runs in a process where a provider has started (the on
// server's), so its checks look into the context for a span: an upper
// bound. In a process with tracing off they are an atomic load each
// (tracing.BenchmarkActive).
func BenchmarkMeTracing(b *testing.B) {
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	b.Cleanup(rcv.Close)
	off := openTestApp(b, testEnv(dbtest.SQLiteURL(b), nil))
	on := openTestApp(b, testEnv(dbtest.SQLiteURL(b), map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL}))
	if off.tracing != nil || on.tracing == nil {
		b.Fatal("the off server traces, or the on one does not")
	}
	me := func(a *app) func(traceparent string) {
		res, err := a.svc.Accounts.Register(context.Background(), "bench@example.com", "password-123")
		if err != nil {
			b.Fatal(err)
		}
		auth := "Bearer " + res.Access.Token
		return func(traceparent string) {
			r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ me { id email role } }"}`))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", auth)
			if traceparent != "" {
				r.Header.Set("traceparent", traceparent)
			}
			w := httptest.NewRecorder()
			a.handler.ServeHTTP(w, r)
			if !strings.Contains(w.Body.String(), "bench@example.com") {
				b.Fatalf("me answered %d %s", w.Code, w.Body.String())
			}
		}
	}
	meOff, meOn := me(off), me(on)
	sampled, unsampled := newTraceparent(true).header, newTraceparent(false).header
	for range 100 { // warm both caches and the query caches
		meOff("")
		meOn(sampled)
	}
	var dOff, dUnsampled, dSampled time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		meOff(sampled) // ignored: the off server continues no trace
		t1 := time.Now()
		meOn(unsampled)
		t2 := time.Now()
		meOn(sampled)
		t3 := time.Now()
		dOff += t1.Sub(t0)
		dUnsampled += t2.Sub(t1)
		dSampled += t3.Sub(t2)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(dOff.Nanoseconds())/n, "off-ns/op")
	b.ReportMetric(float64(dUnsampled.Nanoseconds())/n, "unsampled-ns/op")
	b.ReportMetric(float64(dSampled.Nanoseconds())/n, "sampled-ns/op")
	b.ReportMetric(float64(dUnsampled)/float64(dOff), "x-unsampled")
	b.ReportMetric(float64(dSampled)/float64(dOff), "x-sampled")
}
