package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
)

// logEmailReport tells the operator, once, what the canonical-email
// migration did and what it left for them: the ids of accounts that now
// share a mailbox (not the emails: logs are not the place for them).
func logEmailReport(log *slog.Logger, r *auth.EmailReport) {
	if r == nil {
		return
	}
	if len(r.Rewrites) > 0 {
		log.Info("emails stored in their canonical form", "accounts", len(r.Rewrites))
	}
	for _, c := range r.Collisions {
		ids := make([]string, len(c.Users))
		for i, u := range c.Users {
			ids[i] = u.ID
		}
		log.Warn("accounts share one mailbox under email normalisation; none was changed, see gqlauth user collisions",
			"ids", strings.Join(ids, ","))
	}
	for _, u := range r.Invalid {
		log.Warn("account email is no longer a valid address (it cannot log in); see gqlauth user collisions", "id", u.ID)
	}
}

// printEmailReport writes a report for `gqlauth user collisions`: every
// group of accounts that share a mailbox, oldest first, and every stored
// email that is invalid or not yet canonical.
func printEmailReport(w io.Writer, r *auth.EmailReport) {
	if !r.NeedsReview() && len(r.Rewrites) == 0 {
		fmt.Fprintln(w, "no collisions: every account has its own mailbox")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROBLEM\tMAILBOX\tID\tSTORED EMAIL\tCREATED")
	for _, c := range r.Collisions {
		for _, u := range c.Users {
			fmt.Fprintf(tw, "collision\t%s\t%s\t%+q\t%s\n", c.Canonical, u.ID, u.Email, u.CreatedAt.Format(time.RFC3339))
		}
	}
	for _, u := range r.Invalid {
		fmt.Fprintf(tw, "invalid\t-\t%s\t%+q\t%s\n", u.ID, u.Email, u.CreatedAt.Format(time.RFC3339))
	}
	for _, rw := range r.Rewrites {
		fmt.Fprintf(tw, "not canonical\t%s\t%s\t%+q\t-\n", rw.To, rw.ID, rw.From)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d collisions, %d invalid, %d not canonical; nothing was changed\n", len(r.Collisions), len(r.Invalid), len(r.Rewrites))
}

// userCollisions checks the stored emails now (rows written by an older
// replica during a rolling deploy included) and prints the report.
func userCollisions(ctx context.Context, store *db.Store, stdout io.Writer) error {
	r, err := store.CheckEmails(ctx)
	if err != nil {
		return err
	}
	printEmailReport(stdout, r)
	return nil
}
