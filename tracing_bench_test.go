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
// (as BenchmarkMeHandler: warm cache, no network) on three servers, in
// alternating blocks of 100 requests so that the machine's drift falls on
// all alike: tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT), on with the
// caller's trace unsampled (a traceparent with flags 00: spans started but
// not recorded), and on and sampled (every span recorded and sent by the
// batch exporter to a real OTLP/HTTP receiver, whose work lands in the
// sampled blocks that fill its batches). It reports the process's CPU
// time per request in each (garbage collection and the exporter included;
// not other programs' load: run it with -cpu 1) and x-unsampled and
// x-sampled, the ratios to off.
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
	arms := []struct {
		name string
		do   func()
		cpu  time.Duration
	}{
		{name: "off", do: func() { meOff(sampled) }}, // the off server continues no trace
		{name: "unsampled", do: func() { meOn(unsampled) }},
		{name: "sampled", do: func() { meOn(sampled) }},
	}
	const block = 100
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += block {
		for i := range arms {
			c0 := processCPU()
			for range min(block, b.N-done) {
				arms[i].do()
			}
			arms[i].cpu += processCPU() - c0
		}
	}
	b.StopTimer()
	n := float64(b.N)
	for _, a := range arms {
		b.ReportMetric(float64(a.cpu.Nanoseconds())/n, a.name+"-cpu-ns/op")
	}
	if arms[0].cpu > 0 {
		b.ReportMetric(float64(arms[1].cpu)/float64(arms[0].cpu), "x-unsampled")
		b.ReportMetric(float64(arms[2].cpu)/float64(arms[0].cpu), "x-sampled")
	}
}
