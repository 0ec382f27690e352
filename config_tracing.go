package main

import (
	"maps"
	"slices"
	"strings"

	"github.com/gqlauth/gqlauth/telemetry"
	"go.opentelemetry.io/otel/attribute"
)

// readTracing reads the standard OTEL_* variables that gqlauth honours
// itself (the exporter also reads its TLS, timeout and compression
// variables from the process environment, as every OpenTelemetry SDK
// does). Tracing is off unless an endpoint is set.
func readTracing(r *envReader, c *config) {
	t := &c.Tracing
	if r.boolean("OTEL_SDK_DISABLED", false) {
		return
	}
	var err error
	if t.Endpoint, err = telemetry.TracesURL(r.get("OTEL_EXPORTER_OTLP_ENDPOINT"), r.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")); err != nil {
		env := "OTEL_EXPORTER_OTLP_ENDPOINT"
		if r.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
			env = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
		}
		r.bad(env, "%v", err)
	}
	if t.Endpoint == "" {
		// Off: the other OTEL_* variables may be meant for other programs
		// sharing the environment (an OTLP/gRPC agent's protocol, say).
		return
	}
	env := signalSpecific(r, "OTEL_EXPORTER_OTLP_PROTOCOL")
	if t.JSON, err = telemetry.ParseProtocol(r.get(env)); err != nil {
		r.bad(env, "%v", err)
	}
	env = signalSpecific(r, "OTEL_EXPORTER_OTLP_HEADERS")
	if t.Headers, err = telemetry.ParseKeyValues(r.get(env)); err != nil {
		r.bad(env, "%v", err)
	}
	ratio, err := telemetry.ParseRatio(r.get("OTEL_TRACES_SAMPLER_ARG"))
	if err != nil {
		r.bad("OTEL_TRACES_SAMPLER_ARG", "%v", err)
	}
	if t.Sampler, err = telemetry.ParseSampler(r.get("OTEL_TRACES_SAMPLER"), ratio); err != nil {
		r.bad("OTEL_TRACES_SAMPLER", "%v", err)
	}
	res, err := telemetry.ParseKeyValues(r.get("OTEL_RESOURCE_ATTRIBUTES"))
	if err != nil {
		r.bad("OTEL_RESOURCE_ATTRIBUTES", "%v", err)
		res = map[string]string{}
	}
	// OTEL_SERVICE_NAME wins over a service.name among the attributes.
	res["service.name"] = r.get("OTEL_SERVICE_NAME")
	if _, ok := res["service.version"]; !ok {
		res["service.version"] = readBuildInfo().Version
	}
	for _, k := range slices.Sorted(maps.Keys(res)) {
		t.Resource = append(t.Resource, attribute.String(k, res[k]))
	}
}

// signalSpecific is the traces' own variant of an OTLP variable
// (OTEL_EXPORTER_OTLP_TRACES_X) when it is set, else the general one: the
// specification gives the signal's own precedence.
func signalSpecific(r *envReader, env string) string {
	traces := strings.Replace(env, "OTEL_EXPORTER_OTLP_", "OTEL_EXPORTER_OTLP_TRACES_", 1)
	if r.get(traces) != "" {
		return traces
	}
	return env
}
