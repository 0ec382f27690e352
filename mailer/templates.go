// Package mailer delivers the mail that use cases put in the outbox:
// templates render each mail's subject, plain-text and HTML parts, a
// Transport hands the message to SMTP (or to the log when no SMTP server
// is configured), and a Sender drains the outbox with retries.
package mailer

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"

	"github.com/gqlauth/gqlauth/auth"
)

//go:embed templates
var defaults embed.FS

// Names are the templates every Templates has.
var Names = []string{auth.MailVerifyEmail, auth.MailResetPassword, auth.MailConfirmEmailChange, auth.MailEmailChanged}

type template struct {
	subject, text *texttemplate.Template
	html          *htmltemplate.Template
}

// Templates render mails by template name.
type Templates struct{ byName map[string]template }

// Message is a rendered mail.
type Message struct {
	From, To, Subject string
	// Text and HTML are the two alternative parts of the body.
	Text, HTML string
}

// LoadTemplates parses the embedded templates, each file replaced by the
// file of the same name in dir when dir is set and has it (NAME.subject,
// NAME.txt, NAME.html), so an operator can reword one part without copying
// the rest. A template that does not parse fails here, at start-up, rather
// than when its first mail is sent.
func LoadTemplates(dir string) (*Templates, error) {
	t := &Templates{byName: map[string]template{}}
	read := func(file string) (string, error) {
		if dir != "" {
			b, err := os.ReadFile(filepath.Join(dir, file))
			if err == nil {
				return string(b), nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("mailer: MAIL_TEMPLATES_DIR: %w", err)
			}
		}
		b, err := defaults.ReadFile("templates/" + file)
		return string(b), err
	}
	for _, name := range Names {
		var src [3]string
		for i, ext := range []string{".subject", ".txt", ".html"} {
			s, err := read(name + ext)
			if err != nil {
				return nil, err
			}
			src[i] = s
		}
		var tp template
		var err error
		opt := "missingkey=error"
		if tp.subject, err = texttemplate.New(name + ".subject").Option(opt).Parse(strings.TrimSpace(src[0])); err != nil {
			return nil, fmt.Errorf("mailer: %w", err)
		}
		if tp.text, err = texttemplate.New(name + ".txt").Option(opt).Parse(src[1]); err != nil {
			return nil, fmt.Errorf("mailer: %w", err)
		}
		if tp.html, err = htmltemplate.New(name + ".html").Option(opt).Parse(src[2]); err != nil {
			return nil, fmt.Errorf("mailer: %w", err)
		}
		t.byName[name] = tp
	}
	return t, nil
}

// Render fills m's template with its data. The HTML part is escaped by
// html/template, so an address or link cannot inject markup.
func (t *Templates) Render(from string, m *auth.Mail) (*Message, error) {
	tp, ok := t.byName[m.Template]
	if !ok {
		return nil, fmt.Errorf("mailer: no template %q", m.Template)
	}
	data := m.Data
	if data == nil {
		data = map[string]string{}
	}
	var subject, text, html bytes.Buffer
	if err := tp.subject.Execute(&subject, data); err != nil {
		return nil, fmt.Errorf("mailer: %w", err)
	}
	if err := tp.text.Execute(&text, data); err != nil {
		return nil, fmt.Errorf("mailer: %w", err)
	}
	if err := tp.html.Execute(&html, data); err != nil {
		return nil, fmt.Errorf("mailer: %w", err)
	}
	// A subject is one header line: a newline in data must not add headers.
	subj := strings.Join(strings.Fields(subject.String()), " ")
	return &Message{From: from, To: m.To, Subject: subj, Text: text.String(), HTML: html.String()}, nil
}
