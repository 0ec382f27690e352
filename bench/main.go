// Command bench measures gqlauth end to end: it builds the real server,
// seeds its store, drives it over loopback HTTP scenario by scenario, and
// reports each scenario's throughput, latency, errors and memory next to
// floors measured in the same run on the same machine: a bare HTTP handler
// that only verifies the JWT (for `me`) and the raw argon2id hash rate (for
// login and register). `make bench` runs it; see the README's Benchmarks
// section.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
)

// options are the bench's flags.
type options struct {
	DatabaseURL string        // "" for SQLite in a temporary directory
	PGSchema    string        // the schema the bench owns on PostgreSQL
	Users       int           // seeded users (and revocations)
	Duration    time.Duration // recorded time per scenario
	Warmup      time.Duration // unrecorded time before each scenario
	Conc        int           // me, refresh, mix, me-paced and the bare baseline
	HashConc    int           // login and register: hash-bound, a deeper queue only adds latency
	WideConc    int           // me-256
	MeRate      float64       // paced `me` requests/s; 0: a tenth of what `me` reached
	Scenarios   []string      // which scenarios to run; the report lists all
	Out         string        // where to write the Markdown report; "" for nowhere
	ServerBin   string        // a prebuilt server, instead of go build
	Args        []string      // the command line, for the report
	// Argon2 overrides, for the bench's own test only: the report then says
	// that the parameters are not the server's defaults.
	Argon2MemoryKiB, Argon2Time uint
	HashIsolation               string // the server's HASH_ISOLATION; empty for its default
	// Sockets idle subscriptions, SocketsPerUser per user (sockets.go);
	// 0 sockets skips the measurement.
	Sockets, SocketsPerUser int
}

func main() {
	if maybeServeBare() {
		return
	}
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := run(ctx, opts, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, errOut io.Writer) (options, error) {
	o := options{Args: args}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&o.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"), "postgres://… to bench on PostgreSQL (in schema -pg-schema, dropped and recreated); empty: SQLite in a temporary directory")
	fs.StringVar(&o.PGSchema, "pg-schema", "gqlauth_bench", "PostgreSQL schema the bench creates, uses and drops")
	fs.IntVar(&o.Users, "users", 1000, "seeded users, each with one revoked token")
	scale := fs.Int("scale", 0, "seed this many users and revocations instead of -users (e.g. 1000000)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "recorded time per scenario")
	fs.DurationVar(&o.Warmup, "warmup", time.Second, "unrecorded warm-up before each scenario")
	fs.IntVar(&o.Conc, "conc", 64, "connections for me, refresh, mix, me-paced and the bare baseline")
	// Enough callers to keep every hashing worker busy with one waiting
	// behind it, and well inside HASH_WORKERS + HASH_QUEUE (9 per worker),
	// so that a closed loop measures hashing, not the pool refusing work.
	fs.IntVar(&o.HashConc, "hash-conc", 4*runtime.NumCPU(), "connections for login and register (hash-bound)")
	fs.IntVar(&o.WideConc, "wide-conc", 256, "connections for me-256")
	fs.Float64Var(&o.MeRate, "me-rate", 0, "requests/s of paced me (me-paced, me-under-login); 0: a tenth of me's throughput")
	only := fs.String("scenarios", "", "comma-separated scenarios to run (default all): "+strings.Join(scenarioNames(), ","))
	fs.StringVar(&o.Out, "out", "BENCHMARKS.md", "Markdown report file, relative to the repository root; empty: stdout only")
	fs.StringVar(&o.HashIsolation, "hash-isolation", "", "the server's HASH_ISOLATION (idle, nice:N, process, off); empty: the server's default")
	fs.StringVar(&o.ServerBin, "server-bin", "", "use this gqlauth binary instead of building one")
	fs.IntVar(&o.Sockets, "sockets", 10_000, "idle authenticated subscriptions (websockets) for the "+socketsName+" measurement; 0 skips it")
	fs.IntVar(&o.SocketsPerUser, "sockets-user", 100, "sockets per user in the "+socketsName+" measurement; one user holding this many is logged out")
	fs.UintVar(&o.Argon2MemoryKiB, "test-argon2-memory-kib", 0, "tests only: override ARGON2_MEMORY_KIB (default: the server's)")
	fs.UintVar(&o.Argon2Time, "test-argon2-time", 0, "tests only: override ARGON2_TIME (default: the server's)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *scale > 0 {
		o.Users = *scale
	}
	if *only != "" {
		for _, s := range strings.Split(*only, ",") {
			if s = strings.TrimSpace(s); !slices.Contains(scenarioNames(), s) && s != socketsName {
				return o, fmt.Errorf("-scenarios: unknown scenario %q", s)
			}
			o.Scenarios = append(o.Scenarios, strings.TrimSpace(s))
		}
	}
	if o.Users < 1 || o.Conc < 1 || o.HashConc < 1 || o.WideConc < 1 || o.Duration <= 0 || o.Warmup < 0 {
		return o, errors.New("-users, -conc, -hash-conc, -wide-conc and -duration must be positive")
	}
	if o.Sockets < 0 || o.SocketsPerUser < 1 {
		return o, errors.New("-sockets must not be negative, and -sockets-user must be positive")
	}
	return o, nil
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.Name
	}
	return names
}

// runner is one bench run's state.
type runner struct {
	opts       options
	progress   io.Writer
	server     *child
	endpoint   string
	secret     string
	runID      string
	sessions   []*session
	sessionsAt time.Time
	meRPS      float64     // what `me` reached, for the paced rate
	peakReset  atomic.Bool // the server's VmHWM was reset when the last warm-up ended
	bare       *child
}

func (r *runner) client(conc int) *gqlClient {
	return &gqlClient{http: newHTTPClient(conc), endpoint: r.endpoint}
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.progress, "bench: "+format+"\n", args...)
}

// run is one whole bench run; the report is printed to stdout, written to
// opts.Out and returned. Progress goes to progress.
func run(ctx context.Context, opts options, stdout, progress io.Writer) (*report, error) {
	r := &runner{opts: opts, progress: progress, runID: randomHex(4)}
	rep := &report{Date: time.Now().UTC(), Machine: readMachine(), Opts: opts}

	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "gqlauth-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	serverEnv, params := serverSettings(opts)
	rep.Params = params
	// The server's HASH_WORKERS default for its isolation (nice:5 unless set).
	// The server's default: one per CPU when the hashes run at SCHED_IDLE
	// (the default idle+nice:5, or idle).
	rep.HashWorkers = auth.DefaultHashWorkers(opts.HashIsolation == "" || strings.HasPrefix(opts.HashIsolation, "idle"))
	rep.HashIsolation = cmp.Or(opts.HashIsolation, "(the server's default)")

	// The store: a fresh SQLite file, or a schema of our own on PostgreSQL,
	// dropped first so that every run starts from the same state.
	dbURL := "sqlite:" + filepath.Join(tmp, "bench.db")
	rep.Store = "SQLite (modernc, WAL), a file in " + os.TempDir()
	if opts.DatabaseURL != "" {
		if dbURL, err = db.ResetPostgresSchema(ctx, opts.DatabaseURL, opts.PGSchema); err != nil {
			return nil, err
		}
		defer func() {
			if err := db.DropPostgresSchema(context.Background(), opts.DatabaseURL, opts.PGSchema); err != nil {
				r.logf("drop schema %s: %v", opts.PGSchema, err)
			}
		}()
		rep.Store = "PostgreSQL (lib/pq), schema " + opts.PGSchema + " on " + redactURL(opts.DatabaseURL)
	}
	serverEnv["DATABASE_URL"] = dbURL
	if r.secret, err = newSecret(); err != nil {
		return nil, err
	}
	serverEnv["JWT_SECRET"] = r.secret

	bin := opts.ServerBin
	if bin == "" {
		r.logf("building the server")
		if bin, err = buildServer(ctx, root, tmp); err != nil {
			return nil, err
		}
	}
	r.logf("seeding %d users and %d revoked tokens", opts.Users, opts.Users)
	t0 := time.Now()
	if rep.DBVersion, err = seed(ctx, dbURL, params, opts.Users, progress); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	rep.SeedTime = time.Since(t0)

	cmd := exec.CommandContext(ctx, bin, "serve")
	cmd.Env = childEnv(serverEnv)
	if r.server, err = startChild(ctx, "gqlauth", cmd, "gqlauth listening on ", nil); err != nil {
		return nil, err
	}
	defer func() {
		if err := r.server.stop(20 * time.Second); err != nil {
			r.logf("%v", err)
		}
	}()
	r.endpoint = r.server.URL + "/graphql"

	defer func() {
		if r.bare != nil {
			r.bare.stop(5 * time.Second) //nolint:errcheck // killed if it does not stop
		}
	}()
	rep.LoadAvg[0] = loadAverage()
	for _, sc := range scenarios {
		row := row{Name: sc.Name, What: sc.What, Conc: sc.Conc(&opts)}
		if len(opts.Scenarios) > 0 && !slices.Contains(opts.Scenarios, sc.Name) {
			rep.Rows = append(rep.Rows, row)
			continue
		}
		if sc.Floor != "" {
			if row.Floor, err = r.floor(ctx, sc.Floor, row.Conc, rep); err != nil {
				return nil, err
			}
		}
		r.logf("scenario %s (%d connections, %s + %s)", sc.Name, row.Conc, opts.Warmup, opts.Duration)
		r.peakReset.Store(false)
		res, err := sc.run(ctx, r, row.Conc)
		row.PeakReset = r.peakReset.Load()
		if err == nil {
			err = r.server.alive()
		}
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
		if res.Mem, err = r.server.memory(); err != nil {
			return nil, err
		}
		if sc.Name == "me" {
			r.meRPS = res.Load.RPS()
		}
		row.Result = res
		rep.Rows = append(rep.Rows, row)
	}
	if opts.runsSockets() {
		if rep.Sockets, err = r.runSockets(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", socketsName, err)
		}
		if err := r.server.alive(); err != nil {
			return nil, err
		}
	}
	rep.LoadAvg[1] = loadAverage()
	rep.evaluate()
	if err := r.writeReport(rep, root, stdout); err != nil {
		return nil, err
	}
	return rep, nil
}

// writeReport prints the report and writes it to -out, relative to the
// repository root.
func (r *runner) writeReport(rep *report, root string, stdout io.Writer) error {
	md := rep.markdown()
	fmt.Fprint(stdout, md)
	if r.opts.Out == "" {
		return nil
	}
	out := r.opts.Out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
		return err
	}
	r.logf("wrote %s", out)
	return nil
}

// serverSettings is the server's environment, less the store and the
// secret, and the argon2id parameters it will hash with: its defaults
// unless a test overrides them.
func serverSettings(opts options) (map[string]string, auth.Argon2Params) {
	params := auth.DefaultArgon2Params
	env := map[string]string{
		"ADDR":      "127.0.0.1:0",
		"LOG_LEVEL": "warn",
		"METRICS":   "false",
		// High enough never to trip: throttles are still counted in the
		// database on every credential mutation, as in production, but do
		// not refuse the bench's thousands of logins per account and IP.
		"RATE_LIMIT_ACCOUNT": "1000000000",
		"RATE_LIMIT_IP":      "1000000000",
	}
	if opts.HashIsolation != "" {
		env["HASH_ISOLATION"] = opts.HashIsolation
	}
	if opts.Sockets > 0 {
		// The caps at exactly what the subscriptions measurement opens.
		env["WS_MAX_SOCKETS"] = strconv.Itoa(opts.Sockets)
		env["WS_MAX_SOCKETS_PER_USER"] = strconv.Itoa(opts.SocketsPerUser)
	}
	if opts.Argon2MemoryKiB > 0 {
		params.Memory = uint32(opts.Argon2MemoryKiB)
		env["ARGON2_MEMORY_KIB"] = strconv.FormatUint(uint64(opts.Argon2MemoryKiB), 10)
	}
	if opts.Argon2Time > 0 {
		params.Time = uint32(opts.Argon2Time)
		env["ARGON2_TIME"] = strconv.FormatUint(uint64(opts.Argon2Time), 10)
	}
	return env, params
}

// newSecret is a JWT_SECRET as the README suggests generating one: 48
// random bytes, base64.
func newSecret() (string, error) {
	b := make([]byte, 48)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
