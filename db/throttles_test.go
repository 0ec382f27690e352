package db_test

import (
	"sync"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/db/dbtest"
)

// TestThrottleHits counts several keys in one statement: each once even
// when named twice, a window that has ended starting again at 1.
func TestThrottleHits(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, url string) {
		s := dbtest.Open(t, url)
		for i := 1; i <= 3; i++ {
			got, err := s.ThrottleHits(ctx, []string{"login:ip:a", "login:account:b", "login:ip:a"}, time.Minute, t0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got["login:ip:a"].Count != i || got["login:account:b"].Count != i {
				t.Fatalf("hit %d: %+v", i, got)
			}
			if until := got["login:ip:a"].Until; !until.Equal(t0.Add(time.Minute)) {
				t.Fatalf("window ends %v, want %v", until, t0.Add(time.Minute))
			}
		}
		got, err := s.ThrottleHits(ctx, []string{"login:ip:a"}, time.Minute, t0.Add(time.Minute))
		if err != nil || got["login:ip:a"].Count != 1 {
			t.Fatalf("after the window: %+v, %v", got, err)
		}
		if n, _, err := s.ThrottleCount(ctx, "login:account:b", t0); err != nil || n != 3 {
			t.Fatalf("single count %d, %v", n, err)
		}
	})
}

// TestThrottleHitsDoNotDeadlock: requests naming the same two keys in
// either order all count, without PostgreSQL finding a deadlock (the keys
// are locked in one order whatever order they come in).
func TestThrottleHitsDoNotDeadlock(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, url string) {
		s := dbtest.Open(t, url)
		const workers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			keys := []string{"k:ip", "k:account"}
			if w%2 == 1 {
				keys = []string{"k:account", "k:ip"}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					if _, err := s.ThrottleHits(ctx, keys, time.Hour, t0); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for _, k := range []string{"k:ip", "k:account"} {
			if n, _, err := s.ThrottleCount(ctx, k, t0); err != nil || n != workers*each {
				t.Fatalf("%s counted %d, want %d (%v)", k, n, workers*each, err)
			}
		}
	})
}
