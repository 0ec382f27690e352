package tracing

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// SpanHash is the span of one argon2id derivation (a password hashed or
// verified). Its start, after the caller's span began, shows how long the
// hash waited for a worker.
const SpanHash = "password.hash"

// KeyDeriver is auth.KeyDeriver, repeated so that this package needs
// nothing of the domain.
type KeyDeriver interface {
	IDKey(ctx context.Context, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) ([]byte, error)
}

// TraceKeyDeriver wraps kdf so that each derivation in a traced request is
// a span carrying argon2id's cost parameters: nothing else of a hash is
// fit for a span.
func TraceKeyDeriver(kdf KeyDeriver) KeyDeriver { return tracedKDF{kdf} }

type tracedKDF struct{ next KeyDeriver }

func (k tracedKDF) IDKey(ctx context.Context, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) ([]byte, error) {
	if !Active(ctx) {
		return k.next.IDKey(ctx, password, salt, time, memory, threads, keyLen)
	}
	ctx, span := Start(ctx, SpanHash, trace.SpanKindInternal,
		attribute.String("password.algorithm", "argon2id"),
		attribute.Int64("argon2.memory_kib", int64(memory)),
		attribute.Int64("argon2.time", int64(time)),
		attribute.Int("argon2.threads", int(threads)))
	defer span.End()
	key, err := k.next.IDKey(ctx, password, salt, time, memory, threads, keyLen)
	if err != nil {
		Fail(span, errorType(err))
	}
	return key, err
}

// errorType names err's kind for error.type.
func errorType(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "error"
}
