package main

import (
	"log/slog"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/idp"
)

// oidcOptions are the service's options for sign-in with providers, and
// the providers' client (nil when none is configured), which serve warms.
func oidcOptions(cfg *config, log *slog.Logger) (auth.OidcOptions, *idp.Providers) {
	if len(cfg.Oidc.Providers) == 0 {
		return auth.OidcOptions{}, nil
	}
	p := idp.New(cfg.Oidc.Providers, idp.Options{Logger: log})
	return auth.OidcOptions{Providers: p, RedirectURIs: cfg.Oidc.RedirectURIs}, p
}
