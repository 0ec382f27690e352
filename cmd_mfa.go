package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/gqlauth/gqlauth/auth"
)

const mfaUsage = "usage: gqlauth mfa rekey: seal every TOTP secret again under MFA_ENCRYPTION_KEY, after a rotation (MFA_ENCRYPTION_KEY_PREVIOUS holds the old key)"

// cmdMfa runs `gqlauth mfa rekey`, the last step of rotating
// MFA_ENCRYPTION_KEY: the server already opens secrets with the previous
// key and reseals each at its next code; this reseals the rest at once,
// so that MFA_ENCRYPTION_KEY_PREVIOUS can be removed.
func cmdMfa(ctx context.Context, cfg *config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "rekey" {
		return errors.New(mfaUsage)
	}
	if err := newFlagSet("mfa rekey", stdout).Parse(args[1:]); err != nil {
		return err
	}
	op, err := openMfaOperator(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer op.close()
	r, err := op.svc.Mfa.RekeyTotpSecrets(auth.AsOperator(ctx))
	if r != nil {
		fmt.Fprintf(stdout, "resealed %d TOTP secrets under the current key; %d were current already\n", r.Resealed, r.Current)
		if r.Skipped > 0 {
			fmt.Fprintf(stdout, "%d changed during the pass (a login or an enrollment) and were left as they are\n", r.Skipped)
		}
	}
	if err != nil {
		return cliError(err)
	}
	if n := len(r.Unreadable); n > 0 {
		return fmt.Errorf("%d TOTP secrets open under no configured key (users %s): keep MFA_ENCRYPTION_KEY_PREVIOUS set to the key they were sealed with, or reset their factor (gqlauth user reset-mfa); their recovery codes still work",
			n, listSome(r.Unreadable, 20))
	}
	return nil
}

// listSome joins the first max of ids, saying how many more there are.
func listSome(ids []string, max int) string {
	if len(ids) <= max {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:max], ", "), len(ids)-max)
}
