package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// cmdAudit shows the audit log to an operator: `audit tail [-n N] [--follow]`.
func cmdAudit(ctx context.Context, cfg *config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "tail" {
		return fmt.Errorf("usage: gqlauth audit tail [-n N] [--follow]")
	}
	fs, f := auditFlags("audit tail", stdout)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if f.n < 1 || f.n > auth.MaxPageSize {
		return fmt.Errorf("-n must be between 1 and %d", auth.MaxPageSize)
	}
	op, err := openOperator(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer op.close()
	ctx = auth.AsOperator(ctx)
	page, err := op.svc.Admin.AuditEvents(ctx, f.n, "", "")
	if err != nil {
		return cliError(err)
	}
	events := slices.Clone(page.Events)
	slices.Reverse(events) // oldest first, like tail
	printEvents(stdout, events)
	if !f.follow {
		return nil
	}
	var last int64
	if len(events) > 0 {
		last = events[len(events)-1].ID
	}
	t := time.NewTicker(f.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		page, err := op.svc.Admin.AuditEvents(ctx, auth.MaxPageSize, "", "")
		if err != nil {
			return cliError(err)
		}
		var fresh []auth.AuditEvent
		for _, e := range page.Events {
			if e.ID > last {
				fresh = append(fresh, e)
			}
		}
		slices.Reverse(fresh)
		printEvents(stdout, fresh)
		if len(fresh) > 0 {
			last = fresh[len(fresh)-1].ID
		}
	}
}

// auditArgs are the flags of `audit tail`.
type auditArgs struct {
	n        int
	follow   bool
	interval time.Duration
}

// auditFlags declares the flags of `audit tail`, for running it and for
// --help alike.
func auditFlags(name string, out io.Writer) (*flag.FlagSet, *auditArgs) {
	fs, f := newFlagSet(name, out), &auditArgs{}
	fs.IntVar(&f.n, "n", 20, "how many of the newest events to show")
	fs.BoolVar(&f.follow, "follow", false, "keep printing new events until interrupted")
	fs.DurationVar(&f.interval, "interval", time.Second, "with --follow: how often to look for new events")
	return fs, f
}

func printEvents(w io.Writer, events []auth.AuditEvent) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, e := range events {
		uid := "-"
		if e.UserID != nil {
			uid = *e.UserID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Format(time.RFC3339), e.Type, uid, e.Email, e.IP, e.Detail)
	}
	tw.Flush()
}
