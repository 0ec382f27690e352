//go:build !unix

package graph

import "time"

// processCPU is not measured here; the benchmark reports no cpu-ns/op.
func processCPU() time.Duration { return 0 }
