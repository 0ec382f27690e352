package main

import (
	"bufio"
	"context"
	"errors"
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
		return errors.New("usage: gqlauth user create|set-role|list|collisions|disable|enable|revoke-sessions [flags]; see gqlauth user SUBCOMMAND --help")
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("user "+sub, stdout)
	email := fs.String("email", "", "the user's email")
	role := fs.String("role", "", "USER or ADMIN")
	search := fs.String("search", "", "list: only emails containing this")
	limit := fs.Int("limit", 50, "list: how many users")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if sub == "list" || sub == "collisions" {
		a, err := openApp(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.close()
		if sub == "collisions" {
			return userCollisions(ctx, a, stdout)
		}
		return listUsers(ctx, a, *search, *limit, stdout)
	}
	if *email == "" {
		return errors.New("--email is required")
	}
	r := auth.Role(strings.ToUpper(*role))
	switch sub {
	case "create":
		if *role == "" {
			r = auth.RoleUser
		}
		if !r.Valid() {
			return fmt.Errorf("--role must be USER or ADMIN, not %q", *role)
		}
		password, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		a, err := openApp(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.close()
		u, err := a.svc.CreateUser(ctx, *email, password, r)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "created user %s (%s) with role %s\n", u.Email, u.ID, u.Role)
		return nil
	case "set-role":
		if !r.Valid() {
			return fmt.Errorf("--role must be USER or ADMIN, not %q", *role)
		}
		a, err := openApp(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.close()
		u, err := a.svc.SetRoleByEmail(ctx, *email, r)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "user %s (%s) now has role %s\n", u.Email, u.ID, u.Role)
		return nil
	case "disable", "enable":
		a, err := openApp(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.close()
		u, err := a.svc.SetDisabledByEmail(ctx, *email, sub == "disable")
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "user %s (%s) %sd\n", u.Email, u.ID, sub)
		return nil
	case "revoke-sessions":
		a, err := openApp(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.close()
		n, err := a.svc.RevokeSessionsByEmail(ctx, *email)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "ended %d sessions of %s\n", n, *email)
		return nil
	default:
		return fmt.Errorf("unknown user command %q (want create, set-role, list, collisions, disable, enable or revoke-sessions)", sub)
	}
}

func listUsers(ctx context.Context, a *app, search string, limit int, stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tDISABLED\tCREATED")
	after := ""
	for shown := 0; shown < limit; {
		page, err := a.svc.OperatorListUsers(ctx, min(limit-shown, auth.MaxPageSize), after, search)
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
