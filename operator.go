package main

import (
	"context"
	"log/slog"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
)

// operator is what the CLI's account commands need: the store and the use
// cases, which they call on the operator's authority (auth.AsOperator).
// It starts no hash worker and builds no cache, metrics or GraphQL
// handler: a command hashes at most one password, in this process. It
// has no token signer either: no command issues or verifies a token, and
// building one would generate (and warn about) a JWT secret for nothing.
type operator struct {
	store *db.Store
	svc   *auth.Service
}

// openOperator opens the store and wires the use cases for the CLI,
// without the TOTP sealing key: its commands only remove factors.
func openOperator(ctx context.Context, cfg *config, log *slog.Logger) (*operator, error) {
	return wireOperator(ctx, cfg, log, false)
}

// openMfaOperator is openOperator with the TOTP sealing key, for the one
// command that opens secrets (mfa rekey).
func openMfaOperator(ctx context.Context, cfg *config, log *slog.Logger) (*operator, error) {
	return wireOperator(ctx, cfg, log, true)
}

func wireOperator(ctx context.Context, cfg *config, log *slog.Logger, withMfaKey bool) (*operator, error) {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	hasher, err := auth.NewHasher(cfg.Argon2, 1, 1, nil)
	if err != nil {
		store.Close()
		return nil, err
	}
	opts := serviceOptions(cfg, log)
	if withMfaKey {
		if opts.MFA, err = mfaOptions(ctx, cfg, store); err != nil {
			store.Close()
			return nil, err
		}
	}
	return &operator{store: store, svc: auth.NewService(store, nil, hasher, opts)}, nil
}

func (o *operator) close() error { return o.store.Close() }
