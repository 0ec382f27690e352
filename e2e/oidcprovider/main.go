// Command oidcprovider runs the test OpenID Provider (idp/idptest: the op
// package of zitadel/oidc, with its own login page) as a process, for the
// browser test (e2e/oidc.test.mjs), which builds and starts it:
//
//	oidcprovider -client-id gqlauth -client-secret s \
//	  -redirect-uri http://127.0.0.1:5173/oidc/callback \
//	  -user 'ada:password:ada@example.com:verified'
//
// It prints "oidcprovider listening on ISSUER" once it answers, and runs
// until SIGTERM or SIGINT.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gqlauth/gqlauth/idp/idptest"
)

// list is a repeatable flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var opts idptest.Options
	var redirects, users list
	flag.StringVar(&opts.Addr, "addr", "127.0.0.1:0", "listen address")
	flag.StringVar(&opts.ClientID, "client-id", "gqlauth", "the relying party's client id")
	flag.StringVar(&opts.ClientSecret, "client-secret", "", "its secret")
	flag.Var(&redirects, "redirect-uri", "a redirect URI of the client (repeatable)")
	flag.Var(&users, "user", "USERNAME:PASSWORD:EMAIL:verified|unverified (repeatable); the subject is sub-USERNAME")
	flag.Parse()
	opts.RedirectURIs = redirects
	for _, u := range users {
		f := strings.Split(u, ":")
		if len(f) != 4 {
			fmt.Fprintf(os.Stderr, "oidcprovider: -user %q: want USERNAME:PASSWORD:EMAIL:verified|unverified\n", u)
			os.Exit(2)
		}
		opts.Users = append(opts.Users, idptest.User{Subject: "sub-" + f[0], Username: f[0], Password: f[1], Email: f[2], EmailVerified: f[3] == "verified"})
	}
	p, err := idptest.Start(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "oidcprovider:", err)
		os.Exit(1)
	}
	fmt.Println("oidcprovider listening on", p.Issuer)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	p.Close()
}
