package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
)

// Environment of the writer process (TestBufferWriterProcess).
const (
	envWriterBuffer = "CHARMTRACE_TEST_WRITER_BUFFER" // the buffer to write
	envWriterLock   = "CHARMTRACE_TEST_WRITER_LOCK"   // the hook lock to hold per dispatch; "" = none
	envWriterStop   = "CHARMTRACE_TEST_WRITER_STOP"   // stop when this file exists
	envWriterPause  = "CHARMTRACE_TEST_WRITER_PAUSE"  // between dispatches
)

// TestBufferWriterProcess is not a test: it is a charm's dispatches, started as a process
// of its own by TestPullWhileWriting. Each dispatch opens the buffer, pushes three rows
// and closes it (which checkpoints the log into the main file), holding the hook lock
// from start to end when one is named, as the unit agent does for a hook.
func TestBufferWriterProcess(t *testing.T) {
	path := os.Getenv(envWriterBuffer)
	if path == "" {
		t.Skip("the writer process of TestPullWhileWriting")
	}
	stop := os.Getenv(envWriterStop)
	pause, _ := time.ParseDuration(os.Getenv(envWriterPause))
	var seq uint64
	for i := 0; i < 10000; i++ {
		if _, err := os.Stat(stop); err == nil {
			os.Exit(0)
		}
		unlock := func() {}
		if lp := os.Getenv(envWriterLock); lp != "" {
			f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o600)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			unlock = func() { f.Close() }
		}
		b, err := buffer.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for range 3 {
			seq++
			if _, err := b.Push(context.Background(), checkedRow(seq), "application/x-test"); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		if err := b.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		unlock()
		time.Sleep(pause)
	}
	os.Exit(0)
}

// checkedRow is a row that says whether it was read whole: its sequence number, a
// random-length filler, and the SHA-256 of both.
func checkedRow(seq uint64) []byte {
	data := binary.BigEndian.AppendUint64(nil, seq)
	data = append(data, make([]byte, 100+rand.IntN(30000))...)
	sum := sha256.Sum256(data)
	return append(data, sum[:]...)
}

// readCheckedRows returns the sequence numbers of a pulled copy's rows, oldest first,
// and fails the test for a row that is not whole.
func readCheckedRows(t *testing.T, path string) []uint64 {
	t.Helper()
	b, err := openReadOnly(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var seqs []uint64
	for r, err := range b.Pending(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		d := r.Data
		if len(d) < 40 {
			t.Fatalf("row %d is %d bytes: half-read", r.ID, len(d))
		}
		if sum := sha256.Sum256(d[:len(d)-32]); string(sum[:]) != string(d[len(d)-32:]) {
			t.Fatalf("row %d does not match its checksum: half-read", r.ID)
		}
		seqs = append(seqs, binary.BigEndian.Uint64(d))
	}
	return seqs
}

// TestPullWhileWriting pulls a unit's buffer while another process writes it. Under the
// hook lock every copy is whole: it passes the integrity check and holds every row the
// finished dispatches pushed, each row whole, with no gap. A writer that ignores the lock
// may make a copy fail, clearly; it never makes a damaged copy pass.
func TestPullWhileWriting(t *testing.T) {
	for _, tc := range []struct {
		name     string
		withLock bool
		pause    time.Duration
		pulls    int
	}{
		{"dispatches hold the hook lock", true, 2 * time.Millisecond, 4},
		// Without the lock, only the check of sizes and times sees a write: the writer
		// leaves it room, or every try would meet a write.
		{"writer ignores the hook lock", false, 20 * time.Millisecond, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fakeModel(t, "iaas", "my-app/0")
			path := filepath.Join(cfg.CharmDir("my-app/0"), ".tracing-data.db")
			stop := filepath.Join(t.TempDir(), "stop")
			w := exec.Command(os.Args[0], "-test.run=^TestBufferWriterProcess$")
			w.Env = append(os.Environ(), envWriterBuffer+"="+path, envWriterStop+"="+stop, envWriterPause+"="+tc.pause.String())
			if tc.withLock {
				w.Env = append(w.Env, envWriterLock+"="+filepath.Join(cfg.UnitRoot("my-app/0"), "hook.lock"))
			}
			var werr strings.Builder
			w.Stderr = &werr
			if err := w.Start(); err != nil {
				t.Fatal(err)
			}
			waited := false
			defer func() {
				os.WriteFile(stop, nil, 0o600)
				if !waited {
					w.Wait()
				}
			}()
			// Let the writer create the buffer and push a first dispatch.
			for i := 0; i < 500; i++ {
				if _, err := os.Stat(path); err == nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			out := t.TempDir()
			var last uint64
			pulled := 0
			for i := range tc.pulls {
				code, _, stderr := runCLI(t, "pull", "-o", out, "my-app/0")
				if code != 0 {
					if tc.withLock {
						t.Fatalf("pull %d under the hook lock: exit %d\n%s", i, code, stderr)
					}
					if !strings.Contains(stderr, "kept changing") && !strings.Contains(stderr, "integrity check") {
						t.Fatalf("pull %d failed without saying the copy was not consistent:\n%s", i, stderr)
					}
					t.Logf("pull %d refused a copy that was not consistent:\n%s", i, stderr)
					continue
				}
				// The writer's rows reach the buffer's cap on a slow run, and the oldest are
				// evicted: a copy holds a run of consecutive rows ending at the newest.
				seqs := readCheckedRows(t, filepath.Join(out, "my-app-0.tracing-data.db"))
				for j, s := range seqs {
					if s != seqs[0]+uint64(j) {
						t.Fatalf("pull %d: row %d has sequence %d after %d: rows are missing", i, j, s, seqs[0])
					}
				}
				var newest uint64
				if len(seqs) > 0 {
					newest = seqs[len(seqs)-1]
				}
				if newest < last {
					t.Fatalf("pull %d ends at row %d, before the %d of the pull before", i, newest, last)
				}
				if tc.withLock && newest%3 != 0 {
					t.Fatalf("pull %d ends at row %d: a dispatch was copied half-way", i, newest)
				}
				last = newest
				pulled++
			}
			os.WriteFile(stop, nil, 0o600)
			err := w.Wait()
			waited = true
			if err != nil {
				t.Fatalf("writer: %v\n%s", err, werr.String())
			}
			// Without the lock, a copy is only promised to be whole when it is accepted,
			// not to be accepted.
			if tc.withLock && last == 0 {
				t.Fatalf("no pull saw a row (%d pulls succeeded)", pulled)
			}
			t.Logf("%d of %d pulls succeeded; the last ended at row %d", pulled, tc.pulls, last)
			assertNothingLeft(t, cfg)
		})
	}
}
