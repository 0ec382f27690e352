package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gqlauth/gqlauth/db"
)

// cmdMigrate runs `migrate` (apply what is pending and say what was
// applied) and `migrate status` (list every migration, applying nothing,
// so a deploy can be checked before it runs).
func cmdMigrate(ctx context.Context, cfg *config, log *slog.Logger, args []string, stdout io.Writer) error {
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	fs := newFlagSet(strings.TrimSpace("migrate "+sub), stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if sub != "" && sub != "status" {
		return fmt.Errorf("unknown migrate command %q (want migrate or migrate status)", sub)
	}
	store, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer store.Close()
	if sub == "status" {
		return migrationStatus(ctx, store, stdout)
	}
	applied, err := store.ApplyMigrations(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range applied {
		fmt.Fprintf(stdout, "applied %d %s\n", m.Version, m.Name)
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "migrations applied (%s): none pending\n", store.Dialect())
	} else {
		fmt.Fprintf(stdout, "migrations applied (%s): %d new\n", store.Dialect(), len(applied))
	}
	if r := store.EmailMigrationReport(); r != nil && r.NeedsReview() {
		printEmailReport(stdout, r)
	}
	return nil
}

// migrationStatus prints every migration, applied or pending, and how many
// are pending.
func migrationStatus(ctx context.Context, store *db.Store, stdout io.Writer) error {
	ms, err := store.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tSTATE\tAPPLIED AT")
	pending := 0
	for _, m := range ms {
		state, at := "applied", m.AppliedAt.Format(time.RFC3339)
		if !m.Applied() {
			state, at = "pending", "-"
			pending++
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", m.Version, m.Name, state, at)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%d applied, %d pending (%s)\n", len(ms)-pending, pending, store.Dialect())
	return nil
}
