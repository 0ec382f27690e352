package db_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
	"github.com/gqlauth/gqlauth/db/dbtest"
)

func enqueue(t *testing.T, s *db.Store, to string, at time.Time) {
	t.Helper()
	m := &auth.Mail{To: to, Template: auth.MailVerifyEmail, Data: map[string]string{"Link": "https://app/verify-email?token=" + to}}
	if err := s.Tx(ctx, func(q auth.Queries) error { return q.EnqueueMail(ctx, m, at) }); err != nil {
		t.Fatal(err)
	}
}

// TestMailOutbox walks a mail through the outbox: enqueued in a
// transaction (and not when it rolls back), claimed once under a lease,
// claimable again when the lease runs out, released by a failure until its
// next attempt, never claimed once sent, pruned after its retention.
func TestMailOutbox(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, url string) {
		s := dbtest.Open(t, url)
		rollback := errors.New("rollback")
		err := s.Tx(ctx, func(q auth.Queries) error {
			if err := q.EnqueueMail(ctx, &auth.Mail{To: "lost@example.com", Template: auth.MailResetPassword}, t0); err != nil {
				t.Fatal(err)
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		enqueue(t, s, "a@example.com", t0)
		enqueue(t, s, "b@example.com", t0.Add(time.Second))

		got, err := s.ClaimMail(ctx, t0.Add(time.Second), time.Minute, 10)
		if err != nil || len(got) != 2 {
			t.Fatalf("claim: %+v, %v", got, err)
		}
		a := got[0]
		if a.To != "a@example.com" || a.Template != auth.MailVerifyEmail || a.Attempts != 1 ||
			a.Data["Link"] != "https://app/verify-email?token=a@example.com" || !a.CreatedAt.Equal(t0) {
			t.Fatalf("claimed %+v", a)
		}
		if again, err := s.ClaimMail(ctx, t0.Add(30*time.Second), time.Minute, 10); err != nil || len(again) != 0 {
			t.Fatalf("claimed under a lease: %+v, %v", again, err)
		}
		st, err := s.MailStats(ctx)
		if err != nil || st.Queued != 2 || st.Retrying != 0 || !st.OldestQueued.Equal(t0) {
			t.Fatalf("stats %+v, %v", st, err)
		}

		// a fails and waits for its next attempt; b's sender crashed.
		if err := s.MarkMailFailed(ctx, a.ID, t0.Add(5*time.Minute), "421 try later"); err != nil {
			t.Fatal(err)
		}
		got, err = s.ClaimMail(ctx, t0.Add(2*time.Minute), time.Minute, 10)
		if err != nil || len(got) != 1 || got[0].To != "b@example.com" || got[0].Attempts != 2 {
			t.Fatalf("after b's lease ran out: %+v, %v", got, err)
		}
		if err := s.MarkMailSent(ctx, got[0].ID, t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		st, err = s.MailStats(ctx)
		if err != nil || st.Queued != 1 || st.Retrying != 1 || !st.OldestQueued.Equal(t0) {
			t.Fatalf("stats %+v, %v", st, err)
		}
		got, err = s.ClaimMail(ctx, t0.Add(5*time.Minute), time.Minute, 10)
		if err != nil || len(got) != 1 || got[0].To != "a@example.com" || got[0].Attempts != 2 {
			t.Fatalf("a's retry: %+v, %v", got, err)
		}
		if err := s.MarkMailSent(ctx, a.ID, t0.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if again, err := s.ClaimMail(ctx, t0.Add(time.Hour), time.Minute, 10); err != nil || len(again) != 0 {
			t.Fatalf("sent mail claimed again: %+v, %v", again, err)
		}
		if st, err := s.MailStats(ctx); err != nil || st.Queued != 0 || !st.OldestQueued.IsZero() {
			t.Fatalf("stats %+v, %v", st, err)
		}

		if n, err := s.PruneMail(ctx, t0.Add(3*time.Minute)); err != nil || n != 1 {
			t.Fatalf("prune: %d, %v", n, err)
		}
		if n, err := s.PruneMail(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("prune: %d, %v", n, err)
		}
	})
}

// TestMailClaimedOnce: senders claiming at once (replicas) never get the
// same mail, and between them they get every mail.
func TestMailClaimedOnce(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, url string) {
		s := dbtest.Open(t, url)
		const mails, senders = 60, 4
		for i := range mails {
			enqueue(t, s, string(rune('a'+i%26))+"@example.com", t0)
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		errs := make(chan error, senders)
		for range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := s.ClaimMail(ctx, t0, time.Minute, 3)
					if err != nil {
						errs <- err
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, m := range got {
						seen[m.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(seen) != mails {
			t.Fatalf("%d of %d mails claimed", len(seen), mails)
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("mail %d claimed %d times", id, n)
			}
		}
	})
}
