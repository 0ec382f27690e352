package telemetry

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestOffStartsNothing: without an endpoint there is no provider, so the
// HTTP layer starts no span, and no goroutine runs.
func TestOffStartsNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	tr, err := Start(context.Background(), Config{Sampler: sdktrace.AlwaysSample()}, quiet)
	if err != nil || tr != nil {
		t.Fatalf("off: %v, %v", tr, err)
	}
	if tr.Provider() != nil {
		t.Fatal("off, yet a tracer provider")
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if after := runtime.NumGoroutine(); after != before {
		t.Fatalf("%d goroutines before, %d after", before, after)
	}
}

// TestShutdownSendsBatchedSpans: spans wait in a batch (5 s by default);
// Shutdown sends them, so a stopping server loses none.
func TestShutdownSendsBatchedSpans(t *testing.T) {
	var posts atomic.Int32
	var key atomic.Value
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/traces" && r.Method == http.MethodPost {
			posts.Add(1)
			key.Store(r.Header.Get("X-Key"))
		}
	}))
	defer rcv.Close()
	tr, err := Start(context.Background(), Config{Endpoint: rcv.URL + "/v1/traces", Headers: map[string]string{"X-Key": "k"}}, quiet)
	if err != nil || tr == nil {
		t.Fatalf("on: %v, %v", tr, err)
	}
	_, span := tr.Provider().Tracer("test").Start(context.Background(), "request", trace.WithSpanKind(trace.SpanKindServer))
	span.End()
	if posts.Load() != 0 {
		t.Fatal("exported before the batch was due; the test shows nothing")
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if posts.Load() != 1 || key.Load() != "k" {
		t.Fatalf("%d exports at shutdown with X-Key %v, want 1 with k", posts.Load(), key.Load())
	}
}

func TestTracesURL(t *testing.T) {
	for _, tc := range []struct{ base, traces, want string }{
		{"", "", ""},
		{"http://collector:4318", "", "http://collector:4318/v1/traces"},
		{"http://collector:4318/", "", "http://collector:4318/v1/traces"},
		{"https://otlp.example.com/prefix", "", "https://otlp.example.com/prefix/v1/traces"},
		{"http://collector:4318", "http://tempo:4318/custom", "http://tempo:4318/custom"},
		{"", "http://tempo:4318", "http://tempo:4318/"},
	} {
		got, err := TracesURL(tc.base, tc.traces)
		if err != nil || got != tc.want {
			t.Errorf("TracesURL(%q, %q) = %q, %v; want %q", tc.base, tc.traces, got, err, tc.want)
		}
	}
	for _, bad := range []string{"collector:4318", "grpc://collector:4317", "http://", "http://c:4318/?x=1", "http://user:secret@c:4318"} {
		_, err := TracesURL(bad, "")
		if err == nil {
			t.Errorf("TracesURL(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("the error repeats the URL's password: %v", err)
		}
	}
}

func TestParseSampler(t *testing.T) {
	for name, want := range map[string]string{
		"":                         "ParentBased{root:AlwaysOnSampler",
		"parentbased_always_on":    "ParentBased{root:AlwaysOnSampler",
		"PARENTBASED_ALWAYS_OFF":   "ParentBased{root:AlwaysOffSampler",
		"parentbased_traceidratio": "ParentBased{root:TraceIDRatioBased{0.25}",
		"always_on":                "AlwaysOnSampler",
		"always_off":               "AlwaysOffSampler",
		"traceidratio":             "TraceIDRatioBased{0.25}",
	} {
		s, err := ParseSampler(name, 0.25)
		if err != nil || !strings.HasPrefix(s.Description(), want) {
			t.Errorf("%q: %v, %v; want %s…", name, s, err, want)
		}
	}
	if _, err := ParseSampler("jaeger_remote", 1); err == nil {
		t.Error("jaeger_remote accepted")
	}
	for arg, want := range map[string]float64{"": 1, "0": 0, "0.1": 0.1, "1": 1} {
		if r, err := ParseRatio(arg); err != nil || r != want {
			t.Errorf("ParseRatio(%q) = %v, %v", arg, r, err)
		}
	}
	for _, bad := range []string{"-0.1", "1.5", "half"} {
		if _, err := ParseRatio(bad); err == nil {
			t.Errorf("ParseRatio(%q) accepted", bad)
		}
	}
}

func TestParseProtocol(t *testing.T) {
	for p, json := range map[string]bool{"": false, "http/protobuf": false, "http/json": true} {
		if got, err := ParseProtocol(p); err != nil || got != json {
			t.Errorf("%q: %v, %v", p, got, err)
		}
	}
	for _, bad := range []string{"grpc", "thrift"} {
		if _, err := ParseProtocol(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseKeyValues(t *testing.T) {
	got, err := ParseKeyValues(" api-key = s3cr%2Ct ,deployment.environment.name=prod%20eu")
	if err != nil || len(got) != 2 || got["api-key"] != "s3cr,t" || got["deployment.environment.name"] != "prod eu" {
		t.Fatalf("%v, %v", got, err)
	}
	if got, err := ParseKeyValues(""); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v, %v", got, err)
	}
	for _, bad := range []string{"novalue", "=v", "k=%zz-secret"} {
		_, err := ParseKeyValues(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "novalue") {
			t.Errorf("the error repeats the value: %v", err)
		}
	}
}
