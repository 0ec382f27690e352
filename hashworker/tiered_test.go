package hashworker

import (
	"context"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

func startTiered(t *testing.T, slots int, starveAfter time.Duration) *Tiered {
	t.Helper()
	tw, err := StartTiered(Options{}, Options{Nice: 5}, slots, starveAfter)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tw.Close() })
	return tw
}

// TestTieredHashesInTheIdleWorker: on a machine with CPU to spare every
// hash runs at SCHED_IDLE, and the keys are argon2id's.
func TestTieredHashesInTheIdleWorker(t *testing.T) {
	tw := startTiered(t, 2*runtime.NumCPU(), time.Minute)
	if tw.PID() == 0 || tw.FallbackPID() == 0 || tw.PID() == tw.FallbackPID() {
		t.Fatalf("worker pids %d and %d", tw.PID(), tw.FallbackPID())
	}
	for _, pid := range []int{tw.PID(), tw.FallbackPID()} {
		for tid, s := range threadSched(t, pid) {
			want := [2]int{0, min(19, niceOf(t, os.Getpid())+5)}
			if pid == tw.PID() {
				want = [2]int{5, niceOf(t, os.Getpid())} // SCHED_IDLE
			}
			if runtime.GOOS == "linux" && s != want {
				t.Errorf("worker %d thread %s: policy %d nice %d, want %v", pid, tid, s[0], s[1], want)
			}
		}
	}
	var wg sync.WaitGroup
	for range 2 * runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := tw.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 1, 1024, 1, 32)
			if err != nil || len(got) != 32 {
				t.Errorf("IDKey: %x, %v", got, err)
			}
		}()
	}
	wg.Wait()
	if n := tw.Fallbacks(); n != 0 {
		t.Fatalf("%d hashes fell back with the idle worker not starved", n)
	}
}

// TestTieredFallsBackWhenStarved: with every core kept busy at normal
// priority the idle worker gets next to no CPU. A hash starving there is
// sent to the niced worker too once it has waited starveAfter, and
// answered from there while the CPU is still busy; while it is that late,
// new hashes go to the niced worker at once. (Time is fake: the clock the
// wait is measured on, and the timer that sends the twin.)
func TestTieredFallsBackWhenStarved(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SCHED_IDLE is Linux's")
	}
	tw := startTiered(t, 4, time.Second)
	var mu sync.Mutex
	now := time.Now()
	tw.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	hedge := make(chan time.Time)
	tw.hedgeAfter = func(time.Duration) <-chan time.Time { return hedge }

	var stop atomic.Bool
	var spin sync.WaitGroup
	for range runtime.NumCPU() {
		spin.Add(1)
		go func() {
			defer spin.Done()
			runtime.LockOSThread()
			for !stop.Load() {
			}
		}()
	}
	defer func() { stop.Store(true); spin.Wait() }()

	// A hash long enough to starve in the idle worker for the whole test.
	type result struct {
		key []byte
		err error
	}
	starved := make(chan result, 1)
	go func() {
		key, err := tw.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 8, 16*1024, 1, 32)
		starved <- result{key, err}
	}()
	for inflight := 0; inflight == 0; runtime.Gosched() {
		tw.mu.Lock()
		inflight = len(tw.inflight)
		tw.mu.Unlock()
	}
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	if _, err := tw.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 1, 1024, 1, 32); err != nil {
		t.Fatal(err)
	}
	if tw.Fallbacks() != 1 {
		t.Fatalf("%d hashes fell back; want the one sent while the idle worker was starved", tw.Fallbacks())
	}
	hedge <- now // the starved hash has waited starveAfter
	r := <-starved
	if r.err != nil {
		t.Fatalf("the starved hash, sent to the niced worker too: %v", r.err)
	}
	if tw.Fallbacks() != 2 || stop.Load() {
		t.Fatalf("%d fallbacks", tw.Fallbacks())
	}
	want := argon2.IDKey([]byte("pw"), []byte("saltsalt"), 8, 16*1024, 1, 32)
	if string(r.key) != string(want) {
		t.Fatal("the answer is not argon2id's key")
	}
}

// TestTieredBoundsTheIdleWorker: the idle worker holds at most slots
// hashes (abandoned twins count), so a hash beyond them goes to the niced
// worker: at most twice the pool's hashes hold memory at once.
func TestTieredBoundsTheIdleWorker(t *testing.T) {
	tw := startTiered(t, 1, time.Minute)
	tw.hedgeAfter = func(time.Duration) <-chan time.Time { return nil } // never
	first := make(chan error, 1)
	go func() {
		_, err := tw.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 8, 16*1024, 1, 32)
		first <- err
	}()
	for inflight := 0; inflight == 0; runtime.Gosched() {
		tw.mu.Lock()
		inflight = len(tw.inflight)
		tw.mu.Unlock()
	}
	if _, err := tw.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 1, 1024, 1, 32); err != nil {
		t.Fatal(err)
	}
	if n := tw.Fallbacks(); n != 1 {
		t.Fatalf("%d hashes went to the niced worker; want the one beyond the idle worker's slot", n)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
}
