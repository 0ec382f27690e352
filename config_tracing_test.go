package main

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

// TestTracingConfig: tracing is off unless an OTLP endpoint is set; the
// standard OTEL_* variables are read as the specification says (the
// traces' own variant first); with tracing on, a mistake stops the start
// with a line naming the variable.
func TestTracingConfig(t *testing.T) {
	c, err := loadConfig(getenvFrom(nil))
	if err != nil || c.Tracing.On() {
		t.Fatalf("default: on=%v, %v", c.Tracing.On(), err)
	}
	c, err = loadConfig(getenvFrom(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}))
	if err != nil || c.Tracing.Endpoint != "http://collector:4318/v1/traces" || c.Tracing.JSON || len(c.Tracing.Headers) != 0 {
		t.Fatalf("%+v, %v", c.Tracing, err)
	}
	if d := c.Tracing.Sampler.Description(); !strings.HasPrefix(d, "ParentBased{root:AlwaysOnSampler") {
		t.Errorf("default sampler %s", d)
	}
	res := attribute.NewSet(c.Tracing.Resource...)
	if v, _ := res.Value("service.name"); v.AsString() != "gqlauth" {
		t.Errorf("service.name %q", v.AsString())
	}
	if v, ok := res.Value("service.version"); !ok || v.AsString() == "" {
		t.Error("no service.version")
	}

	c, err = loadConfig(getenvFrom(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":        "http://collector:4318",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://tempo.example.com/otlp/v1/traces",
		"OTEL_EXPORTER_OTLP_PROTOCOL":        "grpc", // the traces' own wins
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json",
		"OTEL_EXPORTER_OTLP_HEADERS":         "a=1",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS":  "authorization=Bearer%20k",
		"OTEL_SERVICE_NAME":                  "auth-eu",
		"OTEL_RESOURCE_ATTRIBUTES":           "service.name=ignored,deployment.environment.name=prod",
		"OTEL_TRACES_SAMPLER":                "parentbased_traceidratio",
		"OTEL_TRACES_SAMPLER_ARG":            "0.1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	tc := c.Tracing
	if tc.Endpoint != "https://tempo.example.com/otlp/v1/traces" || !tc.JSON || len(tc.Headers) != 1 || tc.Headers["authorization"] != "Bearer k" {
		t.Fatalf("%+v", tc)
	}
	res = attribute.NewSet(tc.Resource...)
	if v, _ := res.Value("service.name"); v.AsString() != "auth-eu" {
		t.Errorf("service.name %q, want OTEL_SERVICE_NAME's", v.AsString())
	}
	if v, _ := res.Value("deployment.environment.name"); v.AsString() != "prod" {
		t.Errorf("deployment.environment.name %q", v.AsString())
	}
	if d := tc.Sampler.Description(); !strings.HasPrefix(d, "ParentBased{root:TraceIDRatioBased{0.1}") {
		t.Errorf("sampler %s", d)
	}

	c, err = loadConfig(getenvFrom(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}))
	if err != nil || c.Tracing.On() {
		t.Fatalf("OTEL_SDK_DISABLED=true: on=%v, %v", c.Tracing.On(), err)
	}

	for env, bad := range map[string]map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":        {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"},
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://u:p@c/v1/traces"},
		"OTEL_EXPORTER_OTLP_PROTOCOL":        {"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
		"OTEL_EXPORTER_OTLP_HEADERS":         {"OTEL_EXPORTER_OTLP_HEADERS": "no-equals-sign"},
		"OTEL_TRACES_SAMPLER":                {"OTEL_TRACES_SAMPLER": "sometimes"},
		"OTEL_TRACES_SAMPLER_ARG":            {"OTEL_TRACES_SAMPLER_ARG": "2"},
		"OTEL_RESOURCE_ATTRIBUTES":           {"OTEL_RESOURCE_ATTRIBUTES": "x"},
		"OTEL_SDK_DISABLED":                  {"OTEL_SDK_DISABLED": "maybe"},
	} {
		if _, ok := bad["OTEL_EXPORTER_OTLP_ENDPOINT"]; !ok {
			bad["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4318"
		}
		if _, err := loadConfig(getenvFrom(bad)); err == nil || !strings.Contains(err.Error(), env+": ") {
			t.Errorf("%v: %v", bad, err)
		}
	}
	// Off, the other variables are not this server's business.
	c, err = loadConfig(getenvFrom(map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_TRACES_SAMPLER": "jaeger_remote"}))
	if err != nil || c.Tracing.On() {
		t.Fatalf("off with another program's OTEL_* settings: on=%v, %v", c.Tracing.On(), err)
	}
}

// TestTracingOffByDefault: a server without an endpoint has no exporter
// and mounts no tracing middleware.
func TestTracingOffByDefault(t *testing.T) {
	a := openTestApp(t, testEnv(sqliteURL(t), nil))
	if a.tracing != nil || a.tracing.Provider() != nil {
		t.Fatal("tracing on without OTEL_EXPORTER_OTLP_ENDPOINT")
	}
}
