// Package mailtest is a real SMTP server for tests (built on
// github.com/emersion/go-smtp), with faults a test can script: refusals,
// sessions cut during DATA, the server going away and coming back.
package mailtest

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message the server accepted.
type Received struct {
	// From and To are the envelope's addresses.
	From, To string
	// Data is the message as sent, headers and body.
	Data []byte
}

// Server is an SMTP server on a loopback port. Set Refuse and CutData
// before the mail they should meet is sent.
type Server struct {
	t testing.TB
	// Addr is host:port, the same after Restart.
	Addr string
	// Refuse are returned by DATA, in turn, before the server accepts
	// (e.g. &smtp.SMTPError{Code: 451, ...}).
	Refuse []error
	// RefuseRcpt maps recipient addresses to the error RCPT TO answers
	// for them, every time (e.g. 550 for a mailbox that does not exist).
	RefuseRcpt map[string]error
	// CutData counts DATA sessions to cut mid-message, stopping the
	// server as if it crashed; Restart brings it back.
	CutData int

	mu       sync.Mutex
	srv      *smtp.Server
	l        net.Listener // closed by Stop too: Serve may not have taken it yet
	msgs     []Received
	arrived  chan struct{} // closed and replaced on each message
	attempts int           // DATA commands seen
	auths    int           // AUTH commands seen
}

// Start runs a server until t ends.
func Start(t testing.TB) *Server {
	s := &Server{t: t, arrived: make(chan struct{})}
	s.start("127.0.0.1:0")
	t.Cleanup(s.Stop)
	return s
}

// Restart brings a stopped server back on the same address.
func (s *Server) Restart() { s.start(s.Addr) }

func (s *Server) start(addr string) {
	s.t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatal(err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, c: c}, nil }))
	srv.Domain = "test.local"
	// Offer AUTH without TLS, as a careless relay would: the client must
	// refuse to use it.
	srv.AllowInsecureAuth = true
	s.mu.Lock()
	s.srv, s.l, s.Addr = srv, l, l.Addr().String()
	s.mu.Unlock()
	go srv.Serve(l) //nolint:errcheck // ends with Close
}

// Stop closes the listener and every session: the server is gone.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, l := s.srv, s.l
	s.srv, s.l = nil, nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
		l.Close()
	}
}

// Messages are the messages accepted so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Wait returns the first n messages once they have arrived, or fails t
// after timeout.
func (s *Server) Wait(n int, timeout time.Duration) []Received {
	s.t.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		msgs, arrived := append([]Received(nil), s.msgs...), s.arrived
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs[:n]
		}
		select {
		case <-arrived:
		case <-deadline:
			s.t.Fatalf("%d of %d mails arrived in %s", len(msgs), n, timeout)
		}
	}
}

// DataCommands counts the DATA commands seen, accepted or not.
func (s *Server) DataCommands() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Auths counts the AUTH commands seen.
func (s *Server) Auths() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auths
}

type session struct {
	s        *Server
	c        *smtp.Conn
	from, to string
}

// AuthMechanisms offers PLAIN and CRAM-MD5, the second one a client may
// think safe to use without TLS.
func (x *session) AuthMechanisms() []string { return []string{sasl.Plain, "CRAM-MD5"} }

// Auth records that the client authenticated, whatever the mechanism.
func (x *session) Auth(mech string) (sasl.Server, error) {
	x.s.mu.Lock()
	x.s.auths++
	x.s.mu.Unlock()
	if mech == sasl.Plain {
		return sasl.NewPlainServer(func(_, _, _ string) error { return nil }), nil
	}
	return &cramServer{}, nil
}

// cramServer accepts any CRAM-MD5 answer.
type cramServer struct{ challenged bool }

func (c *cramServer) Next(response []byte) ([]byte, bool, error) {
	if !c.challenged {
		c.challenged = true
		return []byte("<1.2@test.local>"), false, nil
	}
	return nil, true, nil
}

func (x *session) Reset()        { x.from, x.to = "", "" }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	refuse := x.s.RefuseRcpt[to]
	x.s.mu.Unlock()
	if refuse != nil {
		return refuse
	}
	x.to = to
	return nil
}

func (x *session) Data(r io.Reader) error {
	s := x.s
	s.mu.Lock()
	s.attempts++
	var refuse error
	if len(s.Refuse) > 0 {
		refuse, s.Refuse = s.Refuse[0], s.Refuse[1:]
	}
	cut := refuse == nil && s.CutData > 0
	if cut {
		s.CutData--
	}
	s.mu.Unlock()
	if cut {
		// Read part of the message, then vanish: the client is mid-DATA.
		_, _ = io.ReadFull(r, make([]byte, 64))
		s.Stop()
		x.c.Conn().Close()
		return errors.New("gone")
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if refuse != nil {
		return refuse
	}
	s.mu.Lock()
	s.msgs = append(s.msgs, Received{From: x.from, To: x.to, Data: b})
	close(s.arrived)
	s.arrived = make(chan struct{})
	s.mu.Unlock()
	return nil
}

// Parsed is a received message taken apart.
type Parsed struct {
	Header mail.Header
	// Text and HTML are the bodies of the text/plain and text/html parts.
	Text, HTML string
}

// Parse takes a multipart message apart, failing t if it is not one.
func Parse(t testing.TB, data []byte) Parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	p := Parsed{Header: m.Header}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("Content-Type %q (%v): want multipart", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = part
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(part)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			p.Text = string(b)
		case "text/html":
			p.HTML = string(b)
		}
	}
	return p
}
