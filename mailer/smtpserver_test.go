package mailer_test

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

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message the test server accepted.
type received struct {
	from, to string
	data     []byte
}

// smtpServer is a real SMTP server (github.com/emersion/go-smtp) on a
// loopback port, with faults a test can script: answers that refuse, and
// sessions cut during DATA.
type smtpServer struct {
	t    *testing.T
	addr string

	mu       sync.Mutex
	srv      *smtp.Server
	msgs     []received
	refuse   []error // returned by DATA, in turn, before accepting
	cutData  int     // DATA sessions to cut before accepting
	attempts int     // DATA commands seen
	auths    int     // AUTH commands seen
}

func startSMTP(t *testing.T) *smtpServer {
	s := &smtpServer{t: t}
	s.start("127.0.0.1:0")
	t.Cleanup(s.stop)
	return s
}

// start listens on addr (again, after stop: the server "comes back").
func (s *smtpServer) start(addr string) {
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
	s.srv, s.addr = srv, l.Addr().String()
	s.mu.Unlock()
	go srv.Serve(l) //nolint:errcheck // ends with Close
}

// stop closes the listener and every session: the server is gone.
func (s *smtpServer) stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *smtpServer) dataCommands() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

type session struct {
	s        *smtpServer
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
	x.to = to
	return nil
}

func (x *session) Data(r io.Reader) error {
	s := x.s
	s.mu.Lock()
	s.attempts++
	var refuse error
	if len(s.refuse) > 0 {
		refuse, s.refuse = s.refuse[0], s.refuse[1:]
	}
	cut := refuse == nil && s.cutData > 0
	if cut {
		s.cutData--
	}
	s.mu.Unlock()
	if cut {
		// Read part of the message, then vanish: the client is mid-DATA.
		_, _ = io.ReadFull(r, make([]byte, 64))
		s.stop()
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
	s.msgs = append(s.msgs, received{from: x.from, to: x.to, data: b})
	s.mu.Unlock()
	return nil
}

// parsed is a received message taken apart.
type parsed struct {
	header     mail.Header
	text, html string
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	p := parsed{header: m.Header}
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
			p.text = string(b)
		case "text/html":
			p.html = string(b)
		}
	}
	return p
}
