package main

import (
	"log/slog"
	"net"
	"net/url"
	"strings"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/passkey"
)

// readWebAuthn reads the passkeys' relying party. Outside production the
// allowed origins default to what `go run .` serves and the example app
// runs on: http://localhost with ADDR's port (the playground), and
// APP_URL's origin when it is on WEBAUTHN_RP_ID. Production names them:
// an origin allowed by mistake is a phishing page's way to passkeys.
func readWebAuthn(r *envReader, c *config) {
	w := &c.WebAuthn
	w.RPID = strings.ToLower(r.get("WEBAUTHN_RP_ID"))
	if w.RPID == "" || strings.ContainsAny(w.RPID, ":/ ") || net.ParseIP(w.RPID) != nil {
		r.bad("WEBAUTHN_RP_ID", "must be a domain (the site's host or a registrable suffix of it, e.g. example.com), not %q", w.RPID)
		return
	}
	w.RPName = r.get("WEBAUTHN_RP_NAME")
	if len(w.RPName) > 64 {
		r.bad("WEBAUTHN_RP_NAME", "must be at most 64 characters")
	}
	if v := r.get("WEBAUTHN_ORIGINS"); v != "" {
		for o := range strings.SplitSeq(v, ",") {
			if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
				w.Origins = append(w.Origins, o)
			}
		}
	} else if c.Production {
		r.bad("WEBAUTHN_ORIGINS", "required when APP_ENV=production: the https origins of the pages that use passkeys, e.g. https://app.example.com")
		return
	} else {
		// None may apply (ADDR without a port, APP_URL elsewhere): then
		// passkeys are off, which openApp tells in the log.
		w.Origins = defaultOrigins(c, w.RPID)
	}
	for _, o := range w.Origins {
		if problem := originProblem(o, w.RPID); problem != "" {
			r.bad("WEBAUTHN_ORIGINS", "%q: %s", o, problem)
		}
	}
}

// defaultOrigins are the development origins on rpID.
func defaultOrigins(c *config, rpID string) []string {
	var out []string
	if _, port, err := net.SplitHostPort(c.Addr); err == nil && port != "" && port != "0" && rpID == "localhost" {
		out = append(out, "http://localhost:"+port)
	}
	if u, err := url.Parse(c.Mail.AppURL); err == nil && onRPID(u.Hostname(), rpID) {
		if o := u.Scheme + "://" + u.Host; len(out) == 0 || out[0] != o {
			out = append(out, o)
		}
	}
	return out
}

// originProblem says what is wrong with an allowed origin, or "": it is
// scheme://host[:port], https (or http on localhost, which browsers treat
// as secure), on rpID.
func originProblem(origin, rpID string) string {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "must be scheme://host[:port]"
	}
	host := u.Hostname()
	switch {
	case u.Scheme != "https" && !(u.Scheme == "http" && (host == "localhost" || strings.HasSuffix(host, ".localhost"))):
		return "must be https (http only on localhost)"
	case !onRPID(host, rpID):
		return "its host must be WEBAUTHN_RP_ID (" + rpID + ") or a subdomain of it"
	}
	return ""
}

// onRPID reports whether host may use passkeys of rpID.
func onRPID(host, rpID string) bool {
	host = strings.ToLower(host)
	return host == rpID || strings.HasSuffix(host, "."+rpID)
}

// relyingParty is the passkeys' relying party of cfg; nil, and a warning,
// when no origin is allowed (development only: production requires them).
func relyingParty(cfg *config, log *slog.Logger) (auth.WebAuthnRP, error) {
	if len(cfg.WebAuthn.Origins) == 0 {
		log.Warn("passkeys are off: no origin may use them (set WEBAUTHN_ORIGINS)")
		return nil, nil
	}
	return passkey.New(cfg.WebAuthn)
}
