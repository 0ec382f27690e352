package graph

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// attackShapes build the most expensive document of each kind that fits in
// size bytes. Each is a way to make checking cost more than the bytes sent.
var attackShapes = []struct {
	name  string
	build func(size int) string
}{
	// Fragments spreading the next twice: 2^levels paths.
	{"doubling", func(size int) string {
		return fill("{ ...F0 }", size, func(i int) string {
			return " fragment F" + strconv.Itoa(i) + " on Query { ...F" + strconv.Itoa(i+1) + " ...F" + strconv.Itoa(i+1) + " }"
		}, func(i int) string { return " fragment F" + strconv.Itoa(i) + " on Query { __typename }" })
	}},
	// One field repeated: pairwise comparisons in OverlappingFieldsCanBeMerged.
	{"fields", func(size int) string {
		return fill("{", size, func(int) string { return " __typename" }, func(int) string { return " }" })
	}},
	// Fragments spread side by side: pairwise fragment comparisons.
	{"fragments", func(size int) string {
		var spreads, defs strings.Builder
		for i := 0; ; i++ {
			s, d := " ...F"+strconv.Itoa(i), " fragment F"+strconv.Itoa(i)+" on Query { __typename }"
			if 4+spreads.Len()+len(s)+defs.Len()+len(d) > size {
				return "{" + spreads.String() + " }" + defs.String()
			}
			spreads.WriteString(s)
			defs.WriteString(d)
		}
	}},
	// Inline fragments nested in each other: each level collects all below.
	{"nesting", func(size int) string {
		n := (size - 16) / (len(" ... on Query {") + 2)
		return "{" + strings.Repeat(" ... on Query {", n) + " __typename" + strings.Repeat(" }", n) + " }"
	}},
	// Variables, each used once: rules look each use up among the definitions.
	{"variables", func(size int) string {
		var defs, uses strings.Builder
		for i := 0; ; i++ {
			d, u := " $v"+strconv.Itoa(i)+": _Any!", " $v"+strconv.Itoa(i)
			if 60+defs.Len()+len(d)+uses.Len()+len(u) > size {
				return "query(" + defs.String() + ") { _entities(representations: [" + uses.String() + "]) { __typename } }"
			}
			defs.WriteString(d)
			uses.WriteString(u)
		}
	}},
	// One small query padded with a comment: bytes that are not tokens.
	{"comment", func(size int) string {
		q := "{ __typename } #"
		return q + strings.Repeat("x", max(0, size-len(q)))
	}},
}

// fill appends parts to head until the next one would pass size, then the
// tail (whose length is not counted against size: a few bytes).
func fill(head string, size int, part, tail func(int) string) string {
	var b strings.Builder
	b.WriteString(head)
	i := 0
	for ; b.Len()+len(part(i))+len(tail(i+1)) <= size; i++ {
		b.WriteString(part(i))
	}
	b.WriteString(tail(i))
	return b.String()
}

var benchSizes = []int{1 << 10, 10 << 10, 100 << 10, 1 << 20}

// BenchmarkRefuseAttack answers each attack shape at growing sizes through
// the real handler (JSON decoding, the node budget, gqlgen's parse and
// validation, the shape limits, execution if it gets that far). Each
// request differs by a trailing comment, as an attacker's would, so the
// query cache never answers. cpu-ns/op is the process's CPU time per
// request (with -cpu 1, garbage collection included), which other work on
// a shared machine does not inflate as it does ns/op. The baseline,
// measured in the same loop, is parsing the same document alone with the
// same token limit: parse-cpu-ns/op, and x-parse the ratio.
//
//	go test ./graph -run '^$' -bench RefuseAttack -benchtime 20x -cpu 1
func BenchmarkRefuseAttack(b *testing.B) {
	limits := DefaultLimits
	h := NewHandler(nil, HandlerOptions{Introspection: true, Limits: limits, Timeout: 10 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, shape := range attackShapes {
		for _, size := range append(benchSizes, 0) {
			name := shape.name + "/" + sizeName(size)
			if size == 0 {
				// The largest document of this shape within the node budget:
				// the most that reaches gqlgen's validation.
				size = largestWithin(limits, shape.build)
				name = shape.name + "/budget"
				if size == 1<<20 {
					continue // not bounded by nodes: the 1MB case is this one
				}
			}
			doc := shape.build(size - 16) // room for the varying comment
			b.Run(name, func(b *testing.B) {
				var parse, cpu time.Duration
				code := ""
				for i := range b.N {
					b.StopTimer()
					q := doc + " #" + strconv.Itoa(i)
					body, _ := json.Marshal(map[string]string{"query": q})
					start := processCPU()
					_, _ = parser.ParseQueryWithTokenLimit(&ast.Source{Input: q}, limits.MaxTokens)
					parse += processCPU() - start
					b.StartTimer()
					before := processCPU()
					code = serve(b, h, body)
					cpu += processCPU() - before
				}
				b.StopTimer()
				b.ReportMetric(float64(len(doc)), "bytes")
				if cpu > 0 {
					b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
					b.ReportMetric(float64(parse.Nanoseconds())/float64(b.N), "parse-cpu-ns/op")
					b.ReportMetric(float64(cpu)/float64(max(parse, 1)), "x-parse")
				}
				b.Logf("%s: %d bytes, answered %s", name, len(doc), code)
			})
		}
	}
}

func serve(b *testing.B, h http.Handler, body []byte) string {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var resp struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		b.Fatalf("%d: %s", rec.Code, rec.Body.String())
	}
	if len(resp.Errors) == 0 {
		return "data"
	}
	code, _ := resp.Errors[0].Extensions["code"].(string)
	return code
}

// largestWithin finds the size at which build's document reaches the
// node budget (or the token limit, or 1 MiB).
func largestWithin(l Limits, build func(int) string) int {
	lo, hi := 64, 1<<20
	for lo < hi {
		mid := (lo + hi + 1) / 2
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: build(mid - 16)}, l.MaxTokens)
		if err == nil && countNodes(doc) <= l.MaxNodes {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return strconv.Itoa(n>>20) + "MB"
	}
	return strconv.Itoa(n>>10) + "KB"
}
