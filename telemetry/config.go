package telemetry

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// TracesURL is where spans go: tracesEndpoint as it is
// (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), else base with /v1/traces
// appended to its path (OTEL_EXPORTER_OTLP_ENDPOINT), as the OTLP
// exporter specification says; "" when neither is set.
func TracesURL(base, tracesEndpoint string) (string, error) {
	raw, signal := base, false
	if tracesEndpoint != "" {
		raw, signal = tracesEndpoint, true
	}
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("must be an http(s) URL without query, e.g. http://otel-collector:4318")
	}
	if u.User != nil {
		// The URL is shown in errors and logs; credentials go in headers.
		return "", errors.New("must not hold credentials: put them in OTEL_EXPORTER_OTLP_HEADERS")
	}
	if !signal {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
	} else if u.Path == "" {
		u.Path = "/"
	}
	return u.String(), nil
}

// ParseRatio reads OTEL_TRACES_SAMPLER_ARG, the share of traces the
// traceidratio samplers record; "" is 1.
func ParseRatio(arg string) (float64, error) {
	if arg == "" {
		return 1, nil
	}
	r, err := strconv.ParseFloat(arg, 64)
	if err != nil || r < 0 || r > 1 {
		return 0, fmt.Errorf("must be a ratio from 0 to 1, not %q", arg)
	}
	return r, nil
}

// ParseSampler reads OTEL_TRACES_SAMPLER; "" is parentbased_always_on, the
// SDK's default: a caller's decision to record a trace (the sampled flag
// of its traceparent, as a router sends it) is followed.
func ParseSampler(name string, ratio float64) (sdktrace.Sampler, error) {
	switch strings.ToLower(name) {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio)), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio), nil
	}
	return nil, fmt.Errorf("must be always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio, not %q", name)
}

// ParseProtocol reads OTEL_EXPORTER_OTLP_PROTOCOL: whether to send
// http/json rather than http/protobuf. gRPC is refused, not ignored: spans
// sent over HTTP to a collector's gRPC port would vanish without a word.
func ParseProtocol(p string) (json bool, err error) {
	switch p {
	case "", "http/protobuf":
		return false, nil
	case "http/json":
		return true, nil
	case "grpc":
		return false, errors.New("grpc is not supported: use http/protobuf and the collector's OTLP/HTTP port (4318)")
	}
	return false, fmt.Errorf("must be http/protobuf or http/json, not %q", p)
}

// ParseKeyValues reads the key=value,key=value lists of
// OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES, values
// percent-encoded. A malformed entry is an error naming its position, not
// its text, which may be a secret.
func ParseKeyValues(s string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for i, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("entry %d is not key=value", i+1)
		}
		val, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("entry %d (%s): bad percent-encoding", i+1, k)
		}
		out[k] = val
	}
	return out, nil
}
