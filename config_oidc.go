package main

import (
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/gqlauth/gqlauth/idp"
)

// oidcConfig is sign-in with providers.
type oidcConfig struct {
	Providers    []idp.Config // none: the feature is off
	RedirectURIs []string
}

// providerID is the syntax of an OIDC_PROVIDERS entry: it becomes part of
// variable names and of the API's provider arguments.
var providerID = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// readOidc reads OIDC_PROVIDERS and each listed provider's settings.
func readOidc(r *envReader, c *config) {
	o := &c.Oidc
	for _, id := range strings.Split(r.get("OIDC_PROVIDERS"), ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		if !providerID.MatchString(id) {
			r.bad("OIDC_PROVIDERS", "%q is not a provider id (lower-case letters, digits and _, starting with a letter)", id)
			continue
		}
		if slices.ContainsFunc(o.Providers, func(p idp.Config) bool { return p.ID == id }) {
			r.bad("OIDC_PROVIDERS", "%q is listed twice", id)
			continue
		}
		o.Providers = append(o.Providers, readProvider(r, c, id))
	}
	for _, u := range strings.Split(r.get("OIDC_REDIRECT_URIS"), ",") {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		if err := checkRedirectURI(u, c.Production); err != "" {
			r.bad("OIDC_REDIRECT_URIS", "%q: %s", u, err)
			continue
		}
		o.RedirectURIs = append(o.RedirectURIs, u)
	}
	if len(o.Providers) > 0 && len(o.RedirectURIs) == 0 {
		r.bad("OIDC_REDIRECT_URIS", "required with OIDC_PROVIDERS: the frontend's callback URL(s), registered at each provider too")
	}
}

// readProvider reads OIDC_<ID>_*.
func readProvider(r *envReader, c *config, id string) idp.Config {
	env := "OIDC_" + strings.ToUpper(id) + "_"
	p := idp.Config{ID: id, Name: r.get(env + "NAME"), Issuer: strings.TrimRight(r.get(env+"ISSUER"), "/"),
		ClientID: r.get(env + "CLIENT_ID"), ClientSecret: r.fromFile(env+"CLIENT_SECRET", true)}
	if p.Name == "" {
		p.Name = strings.ToUpper(id[:1]) + id[1:]
	}
	if u, err := url.Parse(p.Issuer); p.Issuer == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		r.bad(env+"ISSUER", "required for provider %q: its issuer URL, e.g. https://accounts.google.com", id)
	} else if c.Production && u.Scheme != "https" {
		r.bad(env+"ISSUER", "must be https when APP_ENV=production (ID tokens are checked against keys fetched from it), not %q", p.Issuer)
	}
	if p.ClientID == "" {
		r.bad(env+"CLIENT_ID", "required for provider %q: the client id registered at the provider", id)
	}
	scopes := r.get(env + "SCOPES")
	if scopes == "" {
		scopes = strings.Join(idp.DefaultScopes, " ")
	}
	p.Scopes = strings.Fields(scopes)
	if !slices.Contains(p.Scopes, "openid") {
		r.bad(env+"SCOPES", "must include openid, not %q", scopes)
	}
	return p
}

// checkRedirectURI says what is wrong with a redirect URI, or "".
func checkRedirectURI(raw string, production bool) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return "not an absolute http(s) URL"
	case u.Fragment != "":
		return "a redirect URI has no fragment"
	case production && u.Scheme != "https" && !loopbackHost(u.Hostname()):
		// The code travels in it: over plain HTTP anyone on the path reads it.
		return "must be https when APP_ENV=production"
	}
	return ""
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
