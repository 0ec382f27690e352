package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
	"github.com/gqlauth/gqlauth/mailer/mailtest"
)

// TestServeSendsQueuedMail: the server's background sender delivers a
// mail put in the outbox (as a use case's transaction will) to the SMTP
// server of SMTP_URL, from MAIL_FROM, and /metrics exports the outbox.
func TestServeSendsQueuedMail(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		srv := mailtest.Start(t)
		s := startServer(t, testEnv(dbURL, map[string]string{"SMTP_URL": "smtp://" + srv.Addr, "MAIL_FROM": "Example <noreply@example.com>"}))
		store, err := db.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		link := "http://localhost:5173/reset-password?token=t0k3n"
		m := &auth.Mail{To: "ada@example.com", Template: auth.MailResetPassword, Data: map[string]string{"Link": link, "Email": "ada@example.com"}}
		if err := store.Tx(context.Background(), func(q auth.Queries) error { return q.EnqueueMail(context.Background(), m, time.Now()) }); err != nil {
			t.Fatal(err)
		}
		got := srv.Wait(1, 30*time.Second)[0]
		p := mailtest.Parse(t, got.Data)
		if got.From != "noreply@example.com" || got.To != "ada@example.com" || !strings.Contains(p.Text, link) {
			t.Fatalf("received from %q to %q:\n%s", got.From, got.To, p.Text)
		}
		_, body := get(t, s.URL+"/metrics")
		for _, name := range []string{"gqlauth_mail_queued", "gqlauth_mail_sent_total", "gqlauth_mail_failed_total", "gqlauth_mail_oldest_queued_seconds"} {
			if !strings.Contains(body, name) {
				t.Errorf("/metrics lacks %s", name)
			}
		}
	})
}
