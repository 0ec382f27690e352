package mailer_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
	"github.com/gqlauth/gqlauth/db/dbtest"
	"github.com/gqlauth/gqlauth/mailer"
	"github.com/gqlauth/gqlauth/mailer/mailtest"
)

var ctx = context.Background()

// clock is a fake clock the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

const link = "https://app.example.com/verify-email?token=abc123"

// fixture is an outbox in a real SQLite store, a sender on a fake clock
// and the log it writes.
type fixture struct {
	store  *db.Store
	clock  *clock
	sender *mailer.Sender
	log    *bytes.Buffer
}

func newFixture(t *testing.T, tr mailer.Transport) *fixture {
	t.Helper()
	tpl, err := mailer.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: dbtest.Open(t, dbtest.SQLiteURL(t)), clock: &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, log: &bytes.Buffer{}}
	f.sender = &mailer.Sender{Outbox: f.store, Templates: tpl, Transport: tr, From: "gqlauth <noreply@example.com>",
		Log: slog.New(slog.NewTextHandler(f.log, nil)), Now: f.clock.Now, SendTimeout: 5 * time.Second}
	return f
}

func (f *fixture) enqueue(t *testing.T, to string) {
	t.Helper()
	m := &auth.Mail{To: to, Template: auth.MailVerifyEmail, Data: map[string]string{"Link": link, "Email": to}}
	if err := f.store.Tx(ctx, func(q auth.Queries) error { return q.EnqueueMail(ctx, m, f.clock.Now()) }); err != nil {
		t.Fatal(err)
	}
}

func smtpTransport(t *testing.T, srv *mailtest.Server) mailer.Transport {
	t.Helper()
	tr, err := mailer.NewSMTP("smtp://" + srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestSMTPDelivery: a queued mail reaches a real SMTP server with the
// right envelope and headers, a plain-text and an HTML part, both
// carrying the link; it is marked sent and not delivered again.
func TestSMTPDelivery(t *testing.T) {
	srv := mailtest.Start(t)
	f := newFixture(t, smtpTransport(t, srv))
	f.enqueue(t, "ada@example.com")
	if n := f.sender.Drain(ctx); n != 1 {
		t.Fatalf("delivered %d, want 1; log:\n%s", n, f.log)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages received", len(msgs))
	}
	m := msgs[0]
	if m.From != "noreply@example.com" || m.To != "ada@example.com" {
		t.Fatalf("envelope from %q to %q", m.From, m.To)
	}
	p := mailtest.Parse(t, m.Data)
	if got := p.Header.Get("Subject"); got != "Verify your email address" {
		t.Fatalf("Subject %q", got)
	}
	if got := p.Header.Get("To"); !strings.Contains(got, "ada@example.com") {
		t.Fatalf("To %q", got)
	}
	if got := p.Header.Get("From"); !strings.Contains(got, "noreply@example.com") {
		t.Fatalf("From %q", got)
	}
	if !strings.Contains(p.Text, link) || !strings.Contains(p.Text, "ada@example.com") {
		t.Fatalf("text part lacks the link or address:\n%s", p.Text)
	}
	if !strings.Contains(p.HTML, `href="`+link+`"`) {
		t.Fatalf("HTML part lacks the link:\n%s", p.HTML)
	}
	f.clock.Add(time.Hour)
	if n := f.sender.Drain(ctx); n != 0 || len(srv.Messages()) != 1 {
		t.Fatalf("sent again: %d, %d received", n, len(srv.Messages()))
	}
	if st := f.sender.Stats(); st.Sent != 1 || st.Failed != 0 || st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestSMTPRefusedThenAccepted: a server answering 451 and then 452 (both
// temporary) makes the sender back off and retry (the mail stays queued, counted as
// retrying); once the server accepts, the mail is delivered exactly once.
func TestSMTPRefusedThenAccepted(t *testing.T) {
	srv := mailtest.Start(t)
	srv.Refuse = []error{
		&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"},
		&smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "insufficient system storage"},
	}
	f := newFixture(t, smtpTransport(t, srv))
	f.enqueue(t, "ada@example.com")
	if n := f.sender.Drain(ctx); n != 0 {
		t.Fatalf("delivered %d on a refusal", n)
	}
	if n := f.sender.Drain(ctx); n != 0 {
		t.Fatal("retried before its backoff")
	}
	if st := f.sender.Stats(); st.Failed != 1 || st.Queued != 1 || st.Retrying != 1 {
		t.Fatalf("stats after a refusal %+v", st)
	}
	f.clock.Add(mailer.DefaultBaseBackoff)
	if n := f.sender.Drain(ctx); n != 0 {
		t.Fatalf("delivered %d on the second refusal", n)
	}
	f.clock.Add(2 * mailer.DefaultBaseBackoff)
	if n := f.sender.Drain(ctx); n != 1 {
		t.Fatalf("delivered %d once accepted; log:\n%s", n, f.log)
	}
	f.clock.Add(time.Hour)
	f.sender.Drain(ctx)
	if got := len(srv.Messages()); got != 1 || srv.DataCommands() != 3 {
		t.Fatalf("%d messages in %d attempts, want 1 in 3", got, srv.DataCommands())
	}
	if !strings.Contains(f.log.String(), "451") {
		t.Fatalf("the refusal is not logged:\n%s", f.log)
	}
}

// TestSMTPServerVanishes: the server disappears in the middle of DATA and
// stays away for longer than the backoff cap; the mail waits, and once the
// server is back it is delivered, once, within the cap.
func TestSMTPServerVanishes(t *testing.T) {
	srv := mailtest.Start(t)
	srv.CutData = 1
	f := newFixture(t, smtpTransport(t, srv))
	f.enqueue(t, "ada@example.com")
	f.enqueue(t, "bob@example.com")
	if n := f.sender.Drain(ctx); n != 0 {
		t.Fatalf("delivered %d to a vanished server", n)
	}
	// Down for twenty minutes: every attempt fails, the backoff grows to
	// its cap (uncapped, it would be over 15 minutes by now).
	for range 80 {
		f.clock.Add(15 * time.Second)
		if n := f.sender.Drain(ctx); n != 0 {
			t.Fatalf("delivered %d while the server is down", n)
		}
	}
	if st := f.sender.Stats(); st.Queued != 2 || st.Failed < 10 {
		t.Fatalf("stats while down %+v", st)
	}
	srv.Restart()
	f.clock.Add(mailer.DefaultMaxBackoff)
	if n := f.sender.Drain(ctx); n != 2 {
		t.Fatalf("delivered %d within the backoff cap of the server's return, want 2; log:\n%s", n, f.log)
	}
	msgs := srv.Messages()
	if len(msgs) != 2 || msgs[0].To == msgs[1].To {
		t.Fatalf("received %d messages: %+v", len(msgs), msgs)
	}
}

// TestSMTPCredentialsNeedTLS: with credentials in SMTP_URL, a server that
// offers AUTH but no STARTTLS gets neither an authentication nor the mail.
func TestSMTPCredentialsNeedTLS(t *testing.T) {
	srv := mailtest.Start(t)
	tr, err := mailer.NewSMTP("smtp://user:secret@" + srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, tr)
	f.enqueue(t, "ada@example.com")
	if n := f.sender.Drain(ctx); n != 0 || len(srv.Messages()) != 0 || srv.DataCommands() != 0 {
		t.Fatalf("sent without TLS: %d; log:\n%s", n, f.log)
	}
	if srv.Auths() != 0 {
		t.Fatal("the client authenticated without TLS")
	}
	if strings.Contains(f.log.String(), "secret") {
		t.Fatalf("the password is in the log:\n%s", f.log)
	}
}

// TestLogTransport: without SMTP_URL each mail is written to the log at
// INFO with its link, and counts as sent.
func TestLogTransport(t *testing.T) {
	var buf bytes.Buffer
	tr, err := mailer.NewTransport("", slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, tr)
	f.enqueue(t, "ada@example.com")
	if n := f.sender.Drain(ctx); n != 1 {
		t.Fatalf("delivered %d", n)
	}
	out := buf.String()
	if !strings.Contains(out, "level=INFO") || !strings.Contains(out, link) || !strings.Contains(out, "ada@example.com") {
		t.Fatalf("log lacks the mail:\n%s", out)
	}
}

// TestTemplatesOverride: a file in MAIL_TEMPLATES_DIR replaces its part of
// the default template, the other parts stay; the HTML part escapes data.
func TestTemplatesOverride(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "reset-password.subject"), []byte("Nouveau mot de passe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tpl, err := mailer.LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tpl.Render("noreply@example.com", &auth.Mail{To: "a@example.com", Template: auth.MailResetPassword,
		Data: map[string]string{"Link": link, "Email": `<b>x</b>`}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Nouveau mot de passe" || !strings.Contains(m.Text, link) || strings.Contains(m.HTML, "<b>x</b>") {
		t.Fatalf("rendered %+v", m)
	}
	if err := os.WriteFile(filepath.Join(dir, "verify-email.html"), []byte("{{.Link"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mailer.LoadTemplates(dir); err == nil {
		t.Fatal("a template that does not parse was loaded")
	}
}

// TestSenderStops: Run returns when its context ends.
func TestSenderStops(t *testing.T) {
	f := newFixture(t, mailer.LogTransport{Log: slog.New(slog.DiscardHandler)})
	c, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { f.sender.Run(c); close(done) }()
	cancel()
	<-done
}

// TestSMTPPermanentRefusalGivesUp: a 550 5.1.1 to one recipient and a
// 552 5.3.4 to one message are refusals of that mail for good: each is
// tried once, given up (logged with the reply, counted, no longer queued,
// never claimed again), and mail to other recipients still goes out. A
// 554 5.7.1 (relaying denied: the relay's configuration, the same for
// every mail) is retried, so that waiting mail goes out once it is fixed.
func TestSMTPPermanentRefusalGivesUp(t *testing.T) {
	srv := mailtest.Start(t)
	srv.RefuseRcpt = map[string]error{
		"nobody@example.com":  &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"},
		"relayed@example.com": &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "relay access denied"},
	}
	f := newFixture(t, smtpTransport(t, srv))
	f.enqueue(t, "nobody@example.com")
	f.enqueue(t, "ada@example.com")
	if n := f.sender.Drain(ctx); n != 1 {
		t.Fatalf("delivered %d, want 1 (ada's); log:\n%s", n, f.log)
	}
	srv.Refuse = []error{&smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "message too big"}}
	f.enqueue(t, "bob@example.com")
	f.enqueue(t, "relayed@example.com")
	if n := f.sender.Drain(ctx); n != 0 {
		t.Fatalf("delivered %d of refused mail", n)
	}
	for range 3 {
		f.clock.Add(time.Hour)
		f.sender.Drain(ctx)
	}
	st := f.sender.Stats()
	if st.Abandoned != 2 || st.Sent != 1 || st.Queued != 1 {
		t.Fatalf("stats %+v, want 2 given up, 1 sent, 1 (relay-denied) still queued", st)
	}
	if st.Failed != 2+4 {
		t.Fatalf("%d failed attempts, want 2 given up at once and 4 relay refusals retried", st.Failed)
	}
	if got := len(srv.Messages()); got != 1 || srv.DataCommands() != 2 {
		t.Fatalf("%d messages in %d DATA commands, want 1 in 2 (no retry of a refused message)", got, srv.DataCommands())
	}
	if !strings.Contains(f.log.String(), "given up") || !strings.Contains(f.log.String(), "550") {
		t.Fatalf("the give-up is not logged with the reply:\n%s", f.log)
	}
	// The relay is fixed: the waiting mail goes out.
	srv.RefuseRcpt = nil
	f.clock.Add(time.Hour)
	if n := f.sender.Drain(ctx); n != 1 {
		t.Fatalf("delivered %d once the relay accepts", n)
	}
}

// TestSenderGivesUpOldMail: with the server down, a mail is retried until
// it is MaxAge old (its links are dead by then), then given up; a
// younger mail still goes out when the server returns.
func TestSenderGivesUpOldMail(t *testing.T) {
	srv := mailtest.Start(t)
	f := newFixture(t, smtpTransport(t, srv))
	f.sender.MaxAge = map[string]time.Duration{auth.MailVerifyEmail: time.Hour}
	srv.Stop()
	f.enqueue(t, "old@example.com")
	f.sender.Drain(ctx)
	f.clock.Add(50 * time.Minute)
	f.enqueue(t, "young@example.com")
	f.sender.Drain(ctx)
	if st := f.sender.Stats(); st.Abandoned != 0 || st.Queued != 2 {
		t.Fatalf("before MaxAge: %+v", st)
	}
	f.clock.Add(10 * time.Minute)
	f.sender.Drain(ctx)
	if st := f.sender.Stats(); st.Abandoned != 1 || st.Queued != 1 {
		t.Fatalf("at MaxAge: %+v, want the old mail given up and the young one queued", st)
	}
	srv.Restart()
	f.clock.Add(time.Minute)
	if n := f.sender.Drain(ctx); n != 1 {
		t.Fatalf("delivered %d after the server came back", n)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].To != "young@example.com" {
		t.Fatalf("received %+v, want only young@", msgs)
	}
}

// TestSealedLinksOpenedOnlyWithTheirKey: a link sealed by the use cases is
// opened by the sender and delivered in clear; one sealed under another
// signing key (rotated since) cannot be opened and is given up, not sent
// broken.
func TestSealedLinksOpenedOnlyWithTheirKey(t *testing.T) {
	sealer := func(secret string) *auth.Sealer {
		k, err := auth.NewHMACKey([]byte(strings.Repeat(secret, 32)))
		if err != nil {
			t.Fatal(err)
		}
		s, err := auth.NewSealer(k, "mail outbox")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	mine, other := sealer("a"), sealer("b")
	srv := mailtest.Start(t)
	f := newFixture(t, smtpTransport(t, srv))
	f.sender.Sealer = mine
	for _, s := range []*auth.Sealer{mine, other} {
		sealed, err := s.Seal(link)
		if err != nil {
			t.Fatal(err)
		}
		m := &auth.Mail{To: "ada@example.com", Template: auth.MailVerifyEmail, Data: map[string]string{"Link": sealed, "Email": "ada@example.com"}}
		if err := f.store.Tx(ctx, func(q auth.Queries) error { return q.EnqueueMail(ctx, m, f.clock.Now()) }); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.sender.Drain(ctx); n != 1 {
		t.Fatalf("delivered %d, want 1", n)
	}
	if p := mailtest.Parse(t, srv.Messages()[0].Data); !strings.Contains(p.Text, link) || strings.Contains(p.Text, "sealed:") {
		t.Fatalf("the delivered mail does not carry the opened link:\n%s", p.Text)
	}
	if st := f.sender.Stats(); st.Abandoned != 1 || st.Queued != 0 {
		t.Fatalf("stats %+v, want the foreign-sealed mail given up", st)
	}
}
