package hashworker

import (
	"context"
	"log/slog"
	"testing"

	"golang.org/x/crypto/argon2"
)

// The server's default argon2id cost (auth.DefaultArgon2Params).
const benchMemory, benchTime = 19 * 1024, 2

// benchNice is the nice value of the worker in BenchmarkIDKeyAllCores.
var benchNice = 5

var benchLog *slog.Logger

// BenchmarkIDKey compares a hash through the worker (pipe, framing,
// another process's scheduling) with the same hash in this process: the
// worker's overhead is the ratio of the two ns/op, which
// `go test -bench IDKey ./hashworker` prints side by side.
func BenchmarkIDKey(b *testing.B) {
	pw, salt := []byte("correct horse battery"), []byte("0123456789abcdef")
	b.Run("inline", func(b *testing.B) {
		for b.Loop() {
			argon2.IDKey(pw, salt, benchTime, benchMemory, 1, 32)
		}
	})
	b.Run("worker", func(b *testing.B) {
		c, err := Start(Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		for b.Loop() {
			if _, err := c.IDKey(context.Background(), pw, salt, benchTime, benchMemory, 1, 32); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIDKeyAllCores is BenchmarkIDKey with a hash in flight per CPU,
// as a login flood keeps them: ns/op is the time per hash of the whole
// machine, so the worker's ratio to inline is what the pipe and the
// second process cost when every core hashes.
func BenchmarkIDKeyAllCores(b *testing.B) {
	pw, salt := []byte("correct horse battery"), []byte("0123456789abcdef")
	b.Run("inline", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				argon2.IDKey(pw, salt, benchTime, benchMemory, 1, 32)
			}
		})
	})
	b.Run("worker", func(b *testing.B) {
		c, err := Start(Options{Nice: benchNice, Log: benchLog})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.IDKey(context.Background(), pw, salt, benchTime, benchMemory, 1, 32); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
