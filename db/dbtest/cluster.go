package dbtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// Cluster is a throwaway PostgreSQL server of a test's own, on a spare
// port, that the test may stop and start to simulate an outage without
// touching the shared server.
type Cluster struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	asPG bool // run the server binaries as the postgres user (we are root)
}

// StartCluster runs initdb and starts the server. Without PostgreSQL's
// server binaries it skips, or fails when PostgreSQL is required.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if PostgresRequired() {
			t.Fatal("PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql")
		}
		t.Skip("PostgreSQL server binaries not found")
	}
	c := &Cluster{t: t, bin: filepath.Dir(bins[len(bins)-1]), asPG: os.Geteuid() == 0}
	c.dir = t.TempDir()
	if c.asPG {
		// initdb refuses to run as root; the data directory must belong
		// to the user that runs the server.
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs a postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chmod(filepath.Dir(c.dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(c.dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	data := filepath.Join(c.dir, "data")
	c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
	c.Start()
	t.Cleanup(func() { c.pgctl("stop", "-m", "immediate") })
	return c
}

// URL connects to the cluster's postgres database.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.port, c.dir)
	c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "log"), "-o", opts, "-w", "start")
}

// Stop shuts the server down at once, as a crash or a failover would.
func (c *Cluster) Stop() {
	c.t.Helper()
	c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
}

func (c *Cluster) pgctl(args ...string) {
	all := append([]string{"-D", filepath.Join(c.dir, "data"), "-w"}, args...)
	cmd := c.command("pg_ctl", all...)
	_ = cmd.Run()
}

func (c *Cluster) run(name string, args ...string) {
	c.t.Helper()
	if out, err := c.command(name, args...).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		c.t.Fatalf("%s %v: %v\n%s\n%s", name, args, err, out, log)
	}
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.asPG {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}
