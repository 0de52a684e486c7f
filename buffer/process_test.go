package buffer

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var killIterations = flag.Int("buffer.kill-iterations", 12, "SIGKILL iterations of TestKillAtAnyPoint (use 1000 for the long run)")

// The test binary doubles as the child process of the multi-process tests: with
// BUFFER_TEST_CHILD set, TestMain runs the child and exits instead of running tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("BUFFER_TEST_CHILD"); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

// chunk builds a self-describing chunk: writer, sequence number, then filler.
func chunk(writer, seq uint32, size int) []byte {
	b := make([]byte, max(size, 8))
	binary.BigEndian.PutUint32(b, writer)
	binary.BigEndian.PutUint32(b[4:], seq)
	for i := 8; i < len(b); i++ {
		b[i] = byte(seq + uint32(i))
	}
	return b
}

func runChild(mode string) int {
	path := os.Getenv("BUFFER_TEST_PATH")
	if mode == "open" {
		start := time.Now()
		b, err := Open(path)
		if err != nil {
			fmt.Println("open:", err)
			return 2
		}
		b.Close()
		fmt.Print(time.Since(start))
		return 0
	}
	writer, _ := strconv.Atoi(os.Getenv("BUFFER_TEST_WRITER"))
	count, _ := strconv.Atoi(os.Getenv("BUFFER_TEST_COUNT"))
	size, _ := strconv.Atoi(os.Getenv("BUFFER_TEST_SIZE"))
	if mode == "fsize" {
		// A size-capped file system stand-in: writes past the limit fail as on a full disk.
		signal.Ignore(syscall.SIGXFSZ)
		lim := uint64(512 << 10)
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: lim, Max: lim}); err != nil {
			fmt.Println("setrlimit:", err)
			return 3
		}
	}
	// No eviction: every acknowledged chunk must still be there, however long the run.
	b, err := Open(path, WithBusyTimeout(10*time.Second), WithMaxBytes(1<<40))
	if err != nil {
		fmt.Println("open:", err)
		return 2
	}
	out := bufio.NewWriter(os.Stdout)
	for seq := range count {
		_, err := b.Push(context.Background(), chunk(uint32(writer), uint32(seq), size), MimeProtobuf)
		if err != nil {
			fmt.Fprintf(out, "error %v\n", err)
			fmt.Fprintf(out, "diskfull %v\n", errors.Is(err, ErrDiskFull))
			out.Flush()
			return 1
		}
		// The ack is written only after Push returned nil: the parent may rely on it.
		fmt.Fprintf(out, "ack %d\n", seq)
		out.Flush()
	}
	if err := b.Close(); err != nil {
		fmt.Println("close:", err)
		return 1
	}
	return 0
}

func child(t *testing.T, mode, path string, writer, count, size int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"BUFFER_TEST_CHILD="+mode, "BUFFER_TEST_PATH="+path,
		fmt.Sprintf("BUFFER_TEST_WRITER=%d", writer),
		fmt.Sprintf("BUFFER_TEST_COUNT=%d", count),
		fmt.Sprintf("BUFFER_TEST_SIZE=%d", size))
	return cmd
}

// contents maps (writer, seq) of every row in the file after checking its integrity.
func contents(t *testing.T, path string) map[[2]uint32]bool {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	got := map[[2]uint32]bool{}
	var tables int
	db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'tracing'`).Scan(&tables)
	if tables == 0 {
		return got // killed before the schema was created: nothing can have been acknowledged
	}
	rows, err := db.Query(`SELECT data FROM tracing`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d []byte
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		got[[2]uint32{binary.BigEndian.Uint32(d), binary.BigEndian.Uint32(d[4:])}] = true
	}
	return got
}

func TestTwoProcessesPushToOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	const n = 150
	var cmds []*exec.Cmd
	for w := 1; w <= 2; w++ {
		c := child(t, "push", path, w, n, 2000)
		c.Stdout = nil
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("writer %d: %v", i+1, err)
		}
	}
	got := contents(t, path)
	for w := uint32(1); w <= 2; w++ {
		for s := range uint32(n) {
			if !got[[2]uint32{w, s}] {
				t.Fatalf("writer %d chunk %d lost", w, s)
			}
		}
	}
}

func TestKillAtAnyPoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	acked := map[[2]uint32]bool{}
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	for it := range *killIterations {
		// Sizes straddle the page size and the overflow-page boundaries.
		size := []int{300, 5000, 70000}[it%3]
		c := child(t, "push", path, it, 1_000_000, size)
		stdout, err := c.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a random number of acks, or a random delay, whichever comes first.
		after := rng.IntN(40)
		timer := time.AfterFunc(time.Duration(rng.IntN(400))*time.Millisecond, func() { c.Process.Kill() })
		sc := bufio.NewScanner(stdout)
		n := 0
		for sc.Scan() {
			var seq uint32
			if _, err := fmt.Sscanf(sc.Text(), "ack %d", &seq); err != nil {
				t.Fatalf("child said %q", sc.Text())
			}
			acked[[2]uint32{uint32(it), seq}] = true
			if n++; n >= after {
				c.Process.Kill()
			}
		}
		timer.Stop()
		c.Process.Kill()
		c.Wait()
		got := contents(t, path)
		for k := range acked {
			if !got[k] {
				t.Fatalf("iteration %d: chunk %v acknowledged before the kill is missing", it, k)
			}
		}
	}
	// The survivor can still open and write the file.
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if len(b.Warnings()) != 0 {
		t.Fatalf("warnings after kills: %v", b.Warnings())
	}
	mustPush(t, b, []byte("after"))
}

// TestFullDiskIsClearErrorAndKeepsData fills a real 1 MiB tmpfs where the test may mount
// one (root), and otherwise stands a file-size limit in for the full disk.
func TestFullDiskIsClearErrorAndKeepsData(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err == nil {
		t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
		fullTmpfs(t, filepath.Join(dir, ".tracing-data.db"))
		return
	}
	path := filepath.Join(dir, ".tracing-data.db")
	c := child(t, "fsize", path, 9, 10_000, 20000)
	out, err := c.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("child: %v\n%s", err, out)
	}
	text := string(out)
	// Past RLIMIT_FSIZE a write fails with EFBIG, which SQLite reports as an I/O error.
	if !strings.Contains(text, "error buffer: push: disk I/O error") {
		t.Fatalf("push on a full disk did not report ErrDiskFull:\n%s", lastLines(text, 3))
	}
	acked := strings.Count(text, "ack ")
	got := contents(t, path)
	for s := range uint32(acked) {
		if !got[[2]uint32{9, s}] {
			t.Fatalf("chunk %d acknowledged before the disk filled is missing", s)
		}
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

func fullTmpfs(t *testing.T, path string) {
	ctx := context.Background()
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var acked []int64
	for i := range 1000 {
		id, err := b.Push(ctx, chunk(1, uint32(i), 20000), MimeProtobuf)
		if err != nil {
			if !errors.Is(err, ErrDiskFull) {
				t.Fatalf("push on a full disk: %v, want ErrDiskFull", err)
			}
			break
		}
		acked = append(acked, id)
	}
	if len(acked) == 0 || len(acked) == 1000 {
		t.Fatalf("%d pushes before the disk filled", len(acked))
	}
	// What was acknowledged is still readable from the same, still usable buffer.
	n := 0
	for r, err := range b.Pending(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != acked[n] {
			t.Fatalf("row %d is %d, want %d", n, r.ID, acked[n])
		}
		n++
	}
	if n != len(acked) {
		t.Fatalf("%d rows readable, %d acknowledged", n, len(acked))
	}
}
