package hashworker

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// childEnv marks a process as a hash worker. It is the whole environment
// the parent gives the worker (with GOMAXPROCS and GOGC when set), so no
// secret in the server's environment reaches it.
const childEnv = "GQLAUTH_HASH_WORKER"

// RunIfChild turns the process into a hash worker and never returns when
// it was started as one; otherwise it returns at once. Call it first thing
// in main, and in TestMain of any test binary that starts workers, since
// the worker is the same executable as its parent.
func RunIfChild() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	in, out := pipes()
	if err := serve(in, out); err != nil {
		fmt.Fprintln(os.Stderr, "hash worker:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// idleRelease is how long the worker waits without work before it gives
// its freed hash memory back to the operating system.
const idleRelease = 2 * time.Second

// serve answers requests from r on w until r ends, which is how the
// parent (or its death) stops the worker. Requests run concurrently: the
// parent bounds how many are in flight.
//
// Memory: each hash allocates its whole cost and drops it, and with Go's
// default GOGC the heap holds about twice the hashes in flight (56 MiB RSS
// under a login flood with one hashing slot, measured). Collecting before
// every hash held that to one block (36 MiB) but cost 2-7 ms a hash in
// the server binary, whose heap the collector must mark, and login
// throughput fell from 0.91-0.97x to 0.80-0.84x of the raw hash rate; so
// the collector keeps its own pace. After idleRelease without work the
// memory goes back to the OS (17 MiB idle, mostly the binary's pages).
func serve(r io.Reader, w io.Writer) error {
	var inflight atomic.Int64
	release := time.AfterFunc(time.Hour, func() {
		if inflight.Load() == 0 {
			debug.FreeOSMemory()
		}
	})
	release.Stop()
	bw := bufio.NewWriter(w)
	var wmu sync.Mutex
	send := func(p []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		if err := writeFrame(bw, p); err != nil {
			return err
		}
		return bw.Flush()
	}
	if err := send([]byte(hello)); err != nil {
		return err
	}
	// Requests are read without a buffer, so that no copy of a password
	// outlives the frame cleared below.
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		frame, err := readFrame(r)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var q request
		if err := q.unmarshal(frame); err != nil {
			return err // the stream is out of step; the parent restarts us
		}
		wg.Add(1)
		inflight.Add(1)
		go func() {
			defer wg.Done()
			rep := reply{ID: q.ID}
			if err := q.check(); err != nil {
				rep.Err = err.Error()
			} else {
				rep.Key = argon2.IDKey(q.Password, q.Salt, q.Time, q.Memory, q.Threads, q.KeyLen)
			}
			clear(frame) // the password is no longer needed
			// Counted out before the reply goes, which the parent's next
			// request may follow at once.
			if inflight.Add(-1) == 0 {
				release.Reset(idleRelease)
			}
			if err := send(rep.marshal()); err != nil {
				fmt.Fprintln(os.Stderr, "hash worker: write reply:", err)
				os.Exit(1)
			}
		}()
	}
}
