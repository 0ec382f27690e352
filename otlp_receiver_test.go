package main

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP trace receiver, what an OpenTelemetry
// collector, Jaeger or Tempo listens with on port 4318: POST /v1/traces
// with a protobuf ExportTraceServiceRequest, answered with an
// ExportTraceServiceResponse.
type otlpReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  [][]byte // every request body, uncompressed: for a byte-level scan
	spans   []recvSpan
	headers []http.Header
}

// recvSpan is a received span with its ids in hex and its attributes as
// strings.
type recvSpan struct {
	Name                      string
	Kind                      tracepb.Span_SpanKind
	TraceID, SpanID, ParentID string
	Attrs                     map[string]string
	Events                    []recvEvent
	StatusCode                tracepb.Status_StatusCode
	StatusMessage             string
	Resource                  map[string]string
}

type recvEvent struct {
	Name  string
	Attrs map[string]string
}

// startOTLPReceiver starts a receiver until the test ends.
func startOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *otlpReceiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != "/v1/traces" {
		http.NotFound(w, req)
		return
	}
	if req.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		http.Error(w, "want application/x-protobuf, got "+ct, http.StatusUnsupportedMediaType)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var export collectorpb.ExportTraceServiceRequest
	if err := proto.Unmarshal(raw, &export); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, raw)
	r.headers = append(r.headers, req.Header.Clone())
	for _, rs := range export.ResourceSpans {
		res := attrMap(rs.GetResource().GetAttributes())
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				r.spans = append(r.spans, toRecvSpan(s, res))
			}
		}
	}
	r.mu.Unlock()
	out, _ := proto.Marshal(&collectorpb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func toRecvSpan(s *tracepb.Span, res map[string]string) recvSpan {
	rs := recvSpan{
		Name: s.Name, Kind: s.Kind,
		TraceID: hex.EncodeToString(s.TraceId), SpanID: hex.EncodeToString(s.SpanId), ParentID: hex.EncodeToString(s.ParentSpanId),
		Attrs: attrMap(s.Attributes), Resource: res,
		StatusCode: s.GetStatus().GetCode(), StatusMessage: s.GetStatus().GetMessage(),
	}
	for _, e := range s.Events {
		rs.Events = append(rs.Events, recvEvent{Name: e.Name, Attrs: attrMap(e.Attributes)})
	}
	for _, l := range s.Links {
		// Links are not made by gqlauth; keep their attributes scannable.
		rs.Events = append(rs.Events, recvEvent{Name: "link", Attrs: attrMap(l.Attributes)})
	}
	return rs
}

func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = anyString(kv.Value)
	}
	return m
}

// anyString renders an attribute value of any type as text.
func anyString(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *commonpb.AnyValue_DoubleValue:
		return fmt.Sprint(x.DoubleValue)
	case *commonpb.AnyValue_BytesValue:
		return string(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		var parts []string
		for _, e := range x.ArrayValue.Values {
			parts = append(parts, anyString(e))
		}
		return strings.Join(parts, ",")
	case *commonpb.AnyValue_KvlistValue:
		var parts []string
		for k, val := range attrMap(x.KvlistValue.Values) {
			parts = append(parts, k+"="+val)
		}
		return strings.Join(parts, ",")
	}
	return ""
}

// Spans returns what has been received so far.
func (r *otlpReceiver) Spans() []recvSpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recvSpan(nil), r.spans...)
}

// leaks lists where any of secrets appears in what was received: in a
// span's name, attributes, events, links or status, in the resource, or
// anywhere in the raw bodies (which holds all of these and every other
// field).
func (r *otlpReceiver) leaks(secrets []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var found []string
	check := func(where, text string) {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				found = append(found, fmt.Sprintf("%s holds %.12q…", where, s))
			}
		}
	}
	for _, s := range r.spans {
		check("span name "+s.Name, s.Name)
		check(s.Name+" status", s.StatusMessage)
		for k, v := range s.Attrs {
			check(s.Name+" attribute "+k, k+"="+v)
		}
		for _, e := range s.Events {
			check(s.Name+" event "+e.Name, e.Name)
			for k, v := range e.Attrs {
				check(s.Name+" event "+e.Name+" attribute "+k, k+"="+v)
			}
		}
		for k, v := range s.Resource {
			check("resource attribute "+k, k+"="+v)
		}
	}
	for i, b := range r.bodies {
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				found = append(found, fmt.Sprintf("export %d holds %.12q…", i, s))
			}
		}
	}
	return found
}

// traceparent is a W3C traceparent header as a router sends it: a new
// trace id, the router's span id, sampled or not.
type traceparent struct{ traceID, parentID, header string }

func newTraceparent(sampled bool) traceparent {
	var tid [16]byte
	var sid [8]byte
	rand.Read(tid[:])
	rand.Read(sid[:])
	flags := "00"
	if sampled {
		flags = "01"
	}
	tp := traceparent{traceID: hex.EncodeToString(tid[:]), parentID: hex.EncodeToString(sid[:])}
	tp.header = "00-" + tp.traceID + "-" + tp.parentID + "-" + flags
	return tp
}
