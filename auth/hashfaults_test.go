package auth_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/gqlauth/gqlauth/auth"
)

// faultyKDF stands in for the hash worker: it derives a cheap key, or fails
// the way a dead worker does, or holds its caller until released.
type faultyKDF struct {
	mu      sync.Mutex
	err     error         // returned when set
	entered chan struct{} // when set, signalled on entry, and ...
	release chan struct{} // ... the call waits for this
}

func (k *faultyKDF) IDKey(_ context.Context, password, salt []byte, _, _ uint32, _ uint8, keyLen uint32) ([]byte, error) {
	k.mu.Lock()
	err, entered, release := k.err, k.entered, k.release
	k.mu.Unlock()
	if entered != nil {
		entered <- struct{}{}
		<-release
	}
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append(append([]byte{}, password...), salt...))
	return sum[:keyLen], nil
}

func (k *faultyKDF) set(f func(k *faultyKDF)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	f(k)
}

// A hash worker that is down is a passing failure: SERVICE_UNAVAILABLE, so
// clients retry; any other hashing failure is internal. Neither may turn a
// login of an unknown email into an answer that differs from a known one.
func TestHashWorkerFailures(t *testing.T) {
	unavailable := want{Code: auth.CodeUnavailable}
	internal := want{Code: auth.CodeInternal}
	tests := []struct {
		name string
		err  error
		want want
	}{
		{"worker down", fmt.Errorf("hash worker died: %w", auth.ErrUnavailable), unavailable},
		{"worker refused", errors.New("bad parameters"), internal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kdf := &faultyKDF{}
			h := newHarness(t, options{KDF: kdf})
			p := h.newUser("alice@example.com")
			kdf.set(func(k *faultyKDF) { k.err = tc.err })
			_, err := h.login(h.anon(), "alice@example.com", goodPassword)
			check(t, "login", err, tc.want)
			_, err = h.login(h.anon(), "nobody@example.com", goodPassword)
			check(t, "login of an unknown email", err, tc.want)
			_, err = h.register(h.anon(), "bob@example.com", goodPassword)
			check(t, "register", err, tc.want)
			check(t, "changePassword", h.changePassword(h.asUser(p.Access), goodPassword, "a new passphrase"), tc.want)
			_, err = h.operatorCreateUser("carol@example.com", goodPassword, auth.RoleUser)
			check(t, "operator create", err, tc.want)
			// Token work needs no hashing and goes on.
			_, err = h.refresh(h.anon(), p.Refresh)
			check(t, "refresh", err, ok)
		})
	}
}

// With every hashing slot taken and no room to queue, a login is refused
// at once with RATE_LIMITED rather than piling up memory.
func TestHashPoolSaturated(t *testing.T) {
	kdf := &faultyKDF{}
	h := newHarness(t, options{KDF: kdf, HashWorkers: 1, HashQueue: -1})
	h.newUser("alice@example.com")
	entered, release := make(chan struct{}), make(chan struct{})
	kdf.set(func(k *faultyKDF) { k.entered, k.release = entered, release })
	done := make(chan error)
	go func() {
		_, err := h.login(h.anon(), "alice@example.com", goodPassword)
		done <- err
	}()
	<-entered // the one slot is taken
	kdf.set(func(k *faultyKDF) { k.entered, k.release = nil, nil })
	_, err := h.login(h.anon(), "alice@example.com", goodPassword)
	check(t, "login while saturated", err, rateLimited)
	if got := retryAfter(t, err); got != 1 {
		t.Fatalf("retryAfter = %d, want 1", got)
	}
	_, err = h.register(h.anon(), "bob@example.com", goodPassword)
	check(t, "register while saturated", err, rateLimited)
	close(release)
	check(t, "the login holding the slot", <-done, ok)
	_, err = h.login(h.anon(), "alice@example.com", goodPassword)
	check(t, "login after the slot is free", err, ok)
}
