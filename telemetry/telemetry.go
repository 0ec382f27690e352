// Package telemetry sends the server's traces to an OpenTelemetry
// collector over OTLP/HTTP, configured by the standard OTEL_* variables.
// It is off unless an endpoint is set: then nothing is created, no
// exporter and no goroutine, and the HTTP layer starts no span, so no
// layer below makes one (see package tracing).
package telemetry

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/gqlauth/gqlauth/tracing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Config is where and how traces are sent, as read from the OTEL_*
// variables (see the settings table). The zero value is off.
type Config struct {
	// Endpoint is the URL spans are POSTed to; "" turns tracing off.
	Endpoint string
	// Headers go with every export (a collector's API key, say).
	Headers map[string]string
	// JSON sends http/json instead of http/protobuf.
	JSON bool
	// Resource describes this process: service.name and the like.
	Resource []attribute.KeyValue
	// Sampler decides which traces are recorded.
	Sampler sdktrace.Sampler
}

// On reports whether c sends traces.
func (c Config) On() bool { return c.Endpoint != "" }

// Tracing is a running exporter: a tracer provider whose spans are
// batched and sent to the collector.
type Tracing struct {
	provider *sdktrace.TracerProvider
}

// Start starts sending traces as c says, or returns nil when c is off.
// Export failures (a collector that is down) are logged to log as
// warnings; they never fail a request.
func Start(ctx context.Context, c Config, log *slog.Logger) (*Tracing, error) {
	if !c.On() {
		return nil, nil
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(c.Endpoint)}
	if len(c.Headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(c.Headers))
	}
	if c.JSON {
		opts = append(opts, otlptracehttp.WithEncoding(otlptracehttp.EncodingJSON))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("OTLP exporter: %w", err)
	}
	res, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithAttributes(c.Resource...))
	if err != nil {
		return nil, fmt.Errorf("OTEL resource: %w", err)
	}
	sampler := c.Sampler
	if sampler == nil {
		sampler = sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
	// The SDK reports export failures to a process-wide handler only.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("trace export failed", "err", err)
	}))
	tracing.Enable()
	return &Tracing{provider: sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sampler),
	)}, nil
}

// Provider is where the HTTP layer starts its spans; nil when t is nil
// (tracing off).
func (t *Tracing) Provider() trace.TracerProvider {
	if t == nil {
		return nil
	}
	return t.provider
}

// Shutdown sends the spans still batched and stops the exporter, waiting
// at most until ctx ends. Nil (tracing off) has nothing to do.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}
