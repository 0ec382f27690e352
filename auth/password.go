package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Argon2Params are argon2id's cost parameters.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultArgon2Params are OWASP's recommended minimum for argon2id
// (m=19 MiB, t=2, p=1).
var DefaultArgon2Params = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Password limits. The upper bound keeps a single request from buying
// unbounded hashing work; 256 bytes is far beyond any passphrase.
const (
	MinPasswordChars = 8
	MaxPasswordBytes = 256
)

// Hasher hashes and verifies passwords. Hashes are PHC strings
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash); bcrypt hashes from an
// earlier system still verify and are upgraded on the next login.
type Hasher struct {
	params Argon2Params
	// dummy is verified against when the email is unknown; computed by
	// Warm or by the first VerifyDummy.
	dummy   string
	dummyMu sync.Mutex
	pool    *hashPool
	kdf     KeyDeriver
}

// KeyDeriver computes argon2id keys (argon2.IDKey's arguments and result).
// hashworker.Client computes them in a child process at low priority; the
// default computes them in this process. An error that wraps
// ErrUnavailable is a passing failure of the deriver (SERVICE_UNAVAILABLE);
// any other is internal.
type KeyDeriver interface {
	IDKey(ctx context.Context, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) ([]byte, error)
}

// inlineKDF computes keys in this process.
type inlineKDF struct{}

// InProcessKDF computes argon2id keys in this process, as a Hasher given no
// KeyDeriver does; exported for callers that wrap the deriver (tracing).
var InProcessKDF KeyDeriver = inlineKDF{}

func (inlineKDF) IDKey(_ context.Context, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) ([]byte, error) {
	return argon2.IDKey(password, salt, time, memory, threads, keyLen), nil
}

// DefaultHashWorkers is how many hashes run at once unless configured.
// When the hashes run where the kernel preempts them at once for any
// request (a hash worker at SCHED_IDLE), one per CPU: logins may use every
// core without slowing the requests that only check a token. Otherwise
// (the server's own priority, or a nice value, which under EEVDF still
// delays a waking request by milliseconds once every core hashes), one per
// CPU but one, so that a login flood always leaves a core for them.
func DefaultHashWorkers(preemptible bool) int {
	if preemptible {
		return runtime.NumCPU()
	}
	return max(1, runtime.NumCPU()-1)
}

// NewHasher returns a Hasher for params that runs at most workers hashes at
// once with at most queue callers waiting. kdf computes the argon2id keys;
// nil computes them in this process.
func NewHasher(params Argon2Params, workers, queue int, kdf KeyDeriver) (*Hasher, error) {
	if kdf == nil {
		kdf = inlineKDF{}
	}
	h := &Hasher{params: params, pool: newHashPool(workers, queue), kdf: kdf}
	if params.Memory < 8*uint32(params.Threads) || params.Time < 1 || params.Threads < 1 || params.SaltLen < 8 || params.KeyLen < 16 {
		return nil, fmt.Errorf("argon2id parameters too weak: %+v", params)
	}
	return h, nil
}

// ObserveWait reports every hash's wait for a worker to f. Call it before
// the Hasher is used.
func (h *Hasher) ObserveWait(f func(time.Duration)) { h.pool.onWait = f }

// QueueLength is how many hashes wait for a worker now.
func (h *Hasher) QueueLength() int { return h.pool.QueueLength() }

// Hash returns the PHC string for password with a fresh random salt. It
// returns ErrHashBusy when the pool's queue is full.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	p := h.params
	key, err := h.derive(ctx, password, salt, p, p.KeyLen)
	if err != nil {
		return "", err
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches encoded, and whether encoded
// should be replaced by a hash at the current parameters. A malformed hash
// is an error, not a mismatch, so that corrupt rows get noticed.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error) {
	if strings.HasPrefix(encoded, "$2a$") || strings.HasPrefix(encoded, "$2b$") || strings.HasPrefix(encoded, "$2y$") {
		if perr := h.pool.do(ctx, func() { err = bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password)) }); perr != nil {
			return false, false, perr
		}
		switch {
		case err == nil:
			return true, true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return false, false, nil
		default:
			return false, false, fmt.Errorf("verify bcrypt hash: %w", err)
		}
	}
	p, salt, key, err := decodeArgon2id(encoded)
	if err != nil {
		return false, false, err
	}
	got, err := h.derive(ctx, password, salt, p, uint32(len(key)))
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	cur := h.params
	rehash = p.Memory != cur.Memory || p.Time != cur.Time || p.Threads != cur.Threads ||
		uint32(len(key)) != cur.KeyLen || uint32(len(salt)) != cur.SaltLen
	return true, rehash, nil
}

// derive computes an argon2id key on one of the pool's slots.
//
// The caller stops waiting when ctx ends (the operation timed out, the
// client left), but the slot stays taken until the key is computed: the
// hash cannot be abandoned, and counting it as done while it still holds
// its memory would let the pool's bound be exceeded.
func (h *Hasher) derive(ctx context.Context, password string, salt []byte, p Argon2Params, keyLen uint32) ([]byte, error) {
	if err := h.pool.acquire(ctx); err != nil {
		return nil, err
	}
	type result struct {
		key []byte
		err error
	}
	done := make(chan result, 1)
	pw := []byte(password)
	go func() {
		defer h.pool.release()
		key, err := h.kdf.IDKey(context.WithoutCancel(ctx), pw, salt, p.Time, p.Memory, p.Threads, keyLen)
		clear(pw)
		done <- result{key, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			// A KeyDeriver in another process marks its own failures
			// with ErrUnavailable (retry soon); a refusal is internal.
			return nil, fmt.Errorf("argon2id: %w", r.err)
		}
		return r.key, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// VerifyDummy spends the same time as Verify on a real hash, so that a login
// with an unknown email cannot be told from a wrong password by its timing.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	if err := h.Warm(ctx); err != nil {
		return err
	}
	h.dummyMu.Lock()
	dummy := h.dummy
	h.dummyMu.Unlock()
	_, _, err := h.Verify(ctx, password, dummy)
	return err
}

// Warm computes the hash that VerifyDummy checks against. A server calls
// it at start, so that its first unknown-email login costs one hash like
// every other; a CLI command that never checks a login skips the cost.
func (h *Hasher) Warm(ctx context.Context) error {
	h.dummyMu.Lock()
	defer h.dummyMu.Unlock()
	if h.dummy != "" {
		return nil
	}
	d, err := h.Hash(ctx, NewID())
	if err != nil {
		return err // a busy pool or a worker restart: the next call tries again
	}
	h.dummy = d
	return nil
}

func decodeArgon2id(encoded string) (p Argon2Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("unsupported password hash format")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errors.New("unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("parse argon2 parameters: %w", err)
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, fmt.Errorf("decode salt: %w", err)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return p, nil, nil, fmt.Errorf("decode key: %w", err)
	}
	if len(key) < 16 || p.Time < 1 || p.Threads < 1 || p.Memory < 8 {
		return p, nil, nil, errors.New("argon2 hash has invalid parameters")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}
