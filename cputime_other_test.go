//go:build !unix

package main

import "time"

// processCPU is not measured here; BenchmarkMeTracing reports no CPU time.
func processCPU() time.Duration { return 0 }
