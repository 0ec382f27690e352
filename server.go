// Command gqlauth is a GraphQL authentication server: accounts, JWT access
// and refresh tokens, sessions and roles, on PostgreSQL or embedded SQLite.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/gqlauth/gqlauth/hashworker"
)

func main() {
	hashworker.RunIfChild() // the password hash worker is this binary too
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "gqlauth:", err)
		}
		os.Exit(2)
	}
}

// run is the whole program with its dependencies passed in, so that tests
// run it exactly as main does.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd, rest := "serve", []string{}
	if len(args) > 1 {
		cmd, rest = args[1], args[2:]
	}
	if cmd == "-h" || cmd == "--help" || cmd == "help" {
		usage(stdout)
		return nil
	}
	if cmd == "version" || cmd == "--version" || cmd == "-version" {
		printVersion(stdout)
		return nil
	}
	// --help anywhere answers before the configuration is checked, so that
	// a broken environment can still be read about.
	if slices.ContainsFunc(rest, func(a string) bool { return a == "-h" || a == "--help" || a == "-help" }) {
		return subcommandHelp(stdout, cmd, rest)
	}
	if cmd == "keys" {
		return cmdKeys(rest, stdout) // needs no configuration or database
	}
	if cmd == "config" {
		return cmdConfig(rest, stdout) // documents the configuration; reads none
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		tuneGC(getenv, cfg, log)
		return cmdServe(ctx, cfg, log, rest, stdout)
	case "migrate":
		return cmdMigrate(ctx, cfg, log, rest, stdout)
	case "user":
		return cmdUser(ctx, cfg, log, rest, stdin, stdout, stderr)
	case "audit":
		return cmdAudit(ctx, cfg, log, rest, stdout)
	case "mfa":
		return cmdMfa(ctx, cfg, log, rest, stdout)
	default:
		usage(stderr)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "gqlauth: a GraphQL authentication server\n%s\n", readBuildInfo())
	fmt.Fprint(w, `
Usage:
  gqlauth [serve]                          run the server (the default)
  gqlauth version                          this build's version, revision and Go version (also --version)
  gqlauth migrate                          apply database migrations, print each, and exit
  gqlauth migrate status                   list applied and pending migrations; changes nothing
  gqlauth user create --email E [--role R] create a user; the password is read from stdin
  gqlauth user set-role --email E --role R set a user's role (USER or ADMIN)
  gqlauth user list [--search S] [--limit N]
  gqlauth user collisions                  accounts whose emails are one mailbox
  gqlauth user disable|enable --email E    disabling ends every session at once
  gqlauth user revoke-sessions --email E   end every session of a user
  gqlauth user verify --email E            mark a user's address verified, without a link
  gqlauth user reset-mfa --email E         remove a user's second factor (a lost device); ends their sessions
  gqlauth mfa rekey                        after rotating MFA_ENCRYPTION_KEY: reseal every TOTP secret under it
  gqlauth audit tail [-n N] [--follow]     the newest security events
  gqlauth keys generate --algorithm A --out FILE
                                           a new EdDSA, ES256 or RS256 private key
  gqlauth COMMAND --help                   a command's flags and every setting

Every setting comes from the environment:

`)
	printSettings(w)
}

// newFlagSet is a subcommand's flag set; its usage lists the flags and the
// settings every command reads.
func newFlagSet(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage of gqlauth %s:\n", name)
		fs.PrintDefaults()
		fmt.Fprintln(out, "\nSettings (environment):")
		printSettings(out)
	}
	return fs
}

func subcommandHelp(w io.Writer, cmd string, rest []string) error {
	name := cmd
	if (cmd == "user" || cmd == "audit" || cmd == "migrate" || cmd == "mfa") && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		name += " " + rest[0]
	}
	switch cmd {
	case "serve", "migrate", "mfa":
		newFlagSet(name, w).Usage()
	case "user":
		fs, _ := userFlags(name, w)
		fs.Usage()
	case "keys":
		fs, _, _, _ := keysFlags(w)
		fs.Usage()
	case "audit":
		fs, _ := auditFlags(name, w)
		fs.Usage()
	default:
		usage(w)
	}
	return nil
}

func newLogger(cfg *config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func cmdServe(ctx context.Context, cfg *config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := newFlagSet("serve", stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "store", a.store.Dialect(), "playground", cfg.Playground)
	if cfg.LocalOnly {
		log.Info("listening on this machine only (the development default); set ADDR=:8080 to listen on every interface")
	}
	// Tests and scripts read this line to learn the port when ADDR ends in :0.
	fmt.Fprintf(stdout, "gqlauth listening on %s\n", displayURL(ln.Addr()))
	return a.serve(ctx, ln)
}

// displayURL is a URL a person can open: a wildcard host becomes localhost.
func displayURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
