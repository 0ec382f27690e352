package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"golang.org/x/term"
)

// cmdUser administers accounts without a token, on the operator's authority
// (whoever can reach the database already holds every account).
func cmdUser(ctx context.Context, cfg *config, log *slog.Logger, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: gqlauth user create|set-role|list|collisions|disable|enable|revoke-sessions|verify|reset-mfa [flags]; see gqlauth user SUBCOMMAND --help")
	}
	sub, args := args[0], args[1:]
	fs, f := userFlags("user "+sub, stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch sub {
	case "list", "collisions", "create", "set-role", "disable", "enable", "revoke-sessions", "verify", "reset-mfa":
	default:
		return fmt.Errorf("unknown user command %q (want create, set-role, list, collisions, disable, enable, revoke-sessions, verify or reset-mfa)", sub)
	}
	if sub != "list" && sub != "collisions" && f.email == "" {
		return errors.New("--email is required")
	}
	r := auth.Role(strings.ToUpper(f.role))
	if sub == "create" && f.role == "" {
		r = auth.RoleUser
	}
	if (sub == "create" || sub == "set-role") && !r.Valid() {
		return fmt.Errorf("--role must be USER or ADMIN, not %q", f.role)
	}
	var password string
	if sub == "create" {
		var err error
		if password, err = readPassword(stdin, stderr); err != nil {
			return err
		}
	}
	op, err := openOperator(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer op.close()
	if sub == "collisions" {
		return userCollisions(ctx, op.store, stdout)
	}
	ctx = auth.AsOperator(ctx)
	admin := op.svc.Admin
	if sub == "list" {
		return listUsers(ctx, admin, f.search, f.limit, stdout)
	}
	if sub == "create" {
		u, err := admin.CreateUser(ctx, f.email, password, r)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "created user %s (%s) with role %s\n", u.Email, u.ID, u.Role)
		return nil
	}
	u, err := admin.UserByEmail(ctx, f.email)
	if err != nil {
		return cliError(err)
	}
	switch sub {
	case "set-role":
		if u, err = admin.SetRole(ctx, u.ID, r); err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "user %s (%s) now has role %s\n", u.Email, u.ID, u.Role)
	case "disable", "enable":
		if u, err = admin.SetDisabled(ctx, u.ID, sub == "disable"); err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "user %s (%s) %sd\n", u.Email, u.ID, sub)
	case "revoke-sessions":
		n, err := admin.RevokeSessions(ctx, u.ID)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "ended %d sessions of %s\n", n, u.Email)
	case "verify":
		if u, err = admin.VerifyEmail(ctx, u.ID); err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "user %s (%s) has a verified address\n", u.Email, u.ID)
	case "reset-mfa":
		if _, err := op.svc.Mfa.ResetUserMfa(ctx, u.ID); err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "removed the second factor of %s (%s) and ended their sessions\n", u.Email, u.ID)
	}
	return nil
}

// userArgs are the flags of the user subcommands.
type userArgs struct {
	email, role, search string
	limit               int
}

// userFlags declares the user subcommands' flags, for running them and
// for --help alike.
func userFlags(name string, out io.Writer) (*flag.FlagSet, *userArgs) {
	fs, f := newFlagSet(name, out), &userArgs{}
	fs.StringVar(&f.email, "email", "", "the user's email")
	fs.StringVar(&f.role, "role", "", "USER or ADMIN")
	fs.StringVar(&f.search, "search", "", "list: only emails containing this")
	fs.IntVar(&f.limit, "limit", 50, "list: how many users")
	return fs, f
}

func listUsers(ctx context.Context, admin *auth.Admin, search string, limit int, stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tDISABLED\tCREATED")
	after := ""
	for shown := 0; shown < limit; {
		page, err := admin.Users(ctx, min(limit-shown, auth.MaxPageSize), after, search)
		if err != nil {
			return cliError(err)
		}
		for _, u := range page.Users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\n", u.ID, u.Email, u.Role, u.Disabled(), u.CreatedAt.Format(time.RFC3339))
		}
		shown += len(page.Users)
		if !page.HasNextPage {
			break
		}
		after = page.EndCursor
	}
	return tw.Flush()
}

// readPassword prompts without echo on a terminal, and otherwise reads the
// first line of stdin, so that passwords never need to be in argv.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Repeat password: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(p1) != string(p2) {
			return "", errors.New("passwords do not match")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin")
	}
	return line, nil
}

// cliError shows an operator the safe message of a service error.
func cliError(err error) error {
	var e *auth.Error
	if errors.As(err, &e) && e.Code != auth.CodeInternal {
		return errors.New(e.Message)
	}
	return err
}
