package hashworker

import (
	"context"
	"testing"

	"golang.org/x/crypto/argon2"
)

// The server's default argon2id cost (auth.DefaultArgon2Params).
const benchMemory, benchTime = 19 * 1024, 2

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
