package harness

import (
	"context"
	"database/sql"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

func TestSummarizeAndPairs(t *testing.T) {
	s := Summarize([]float64{5, 1, 3, 2})
	if s != (Summary{N: 4, Min: 1, Median: 2.5, Max: 5}) {
		t.Errorf("Summarize = %+v", s)
	}
	if s := Summarize([]float64{7, 1, 3}); s.Median != 3 {
		t.Errorf("odd median = %v, want 3", s.Median)
	}
	if s := Summarize(nil); s.N != 0 {
		t.Errorf("empty = %+v", s)
	}
	d, err := Pairwise([]float64{10, 20}, []float64{4, 5}, Diff)
	if err != nil || d[0] != 6 || d[1] != 15 {
		t.Errorf("Pairwise Diff = %v, %v", d, err)
	}
	if _, err := Pairwise([]float64{1}, []float64{1, 2}, Ratio); err == nil {
		t.Error("unequal runs paired without an error")
	}
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i)
	}
	if p := Percentile(xs, 99); p != 99 {
		t.Errorf("p99 of 1..100 = %v, want 99", p)
	}
	if !math.IsNaN(Percentile(nil, 50)) {
		t.Error("percentile of nothing is a number")
	}
}

func TestParseHyperfine(t *testing.T) {
	in := `{"results":[{"command":"env X=0 a","mean":0.02,"user":0.01,"system":0.005,"times":[0.021,0.019],"exit_codes":[0,0],"parameters":{"d":"0"}},
	{"command":"env X=1 a","times":[0.03],"exit_codes":[0],"parameters":{"d":"1"}}]}`
	res, err := ParseHyperfine(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Parameters["d"] != "0" || len(res[0].Times) != 2 || res[1].Times[0] != 0.03 || res[0].User != 0.01 {
		t.Errorf("parsed %+v", res)
	}
	bad := `{"results":[{"command":"x","times":[0.1],"exit_codes":[1]}]}`
	if _, err := ParseHyperfine(strings.NewReader(bad)); err == nil {
		t.Error("a failed run was accepted as a measurement")
	}
}

func TestParseTimeV(t *testing.T) {
	in := `	Command being timed: "env X=1 /bin/dispatch"
	User time (seconds): 0.01
	System time (seconds): 0.02
	Elapsed (wall clock) time (h:mm:ss or m:ss): 0:01.50
	Maximum resident set size (kbytes): 31744
	Exit status: 0
Command exited with non-zero status 3
	Command being timed: "b"
	Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02:03
	Maximum resident set size (kbytes): 2048
	Exit status: 3
`
	recs, err := ParseTimeV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	r := recs[0]
	if r.Command != "env X=1 /bin/dispatch" || r.MaxRSSKB != 31744 || r.Elapsed != 1500*time.Millisecond || r.User != 10*time.Millisecond || r.Sys != 20*time.Millisecond {
		t.Errorf("first record %+v", r)
	}
	if recs[1].Elapsed != time.Hour+2*time.Minute+3*time.Second || recs[1].ExitStatus != 3 {
		t.Errorf("second record %+v", recs[1])
	}
	if _, err := ParseTimeV(strings.NewReader("\tCommand being timed: \"x\"\n")); err == nil {
		t.Error("a record without its RSS was accepted")
	}
}

func TestParseGoBench(t *testing.T) {
	in := `goos: linux
BenchmarkExportSpans/floor-2         	     351	   3096732 ns/op	      5670 cpu-ns/span	       330.3 encoded-B/span	 1187143 B/op	   18990 allocs/op
BenchmarkExportSpans/exporter-2      	     237	   4791696 ns/op	        22.01 p99-ms
BenchmarkDrain/http-2                	      26	  44123952 ns/op	  59.41 MB/s
BenchmarkExportSpans/floor-2         	     300	   3000000 ns/op	      5000 cpu-ns/span
PASS
`
	res, err := ParseGoBench(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || res[0].Name != "BenchmarkExportSpans/floor" || res[0].N != 351 || res[2].Metrics["MB/s"] != 59.41 {
		t.Errorf("parsed %+v", res)
	}
	if got := Metric(res, "BenchmarkExportSpans/floor", "cpu-ns/span"); len(got) != 2 || got[0] != 5670 || got[1] != 5000 {
		t.Errorf("Metric = %v", got)
	}
}

func TestParseStrace(t *testing.T) {
	in := `100 fcntl(9</u/.tracing-data.db-shm>, F_SETLK, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=120, l_len=1}) = 0
100 fcntl(9</u/.tracing-data.db-shm>, F_SETLK, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=121, l_len=2}) = 0
100 fcntl(9</u/.tracing-data.db-shm>, F_SETLK, {l_type=F_UNLCK, l_whence=SEEK_SET, l_start=121, l_len=2}) = 0
100 fcntl(9</u/.tracing-data.db-shm>, F_SETLK, {l_type=F_UNLCK, l_whence=SEEK_SET, l_start=120, l_len=1}) = 0
101 fcntl(9</u/.tracing-data.db-shm>, F_SETLK, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=120, l_len=1} <unfinished ...>
100 <... fcntl resumed>) = 0
101 pwrite64(8</u/.tracing-data.db-wal>, "\0\0\0\1", 24, 32) = 24
101 fsync(8</u/.tracing-data.db-wal>) = 0
102 fcntl(9</u/.tracing-data.db-shm>, F_SETLK, {l_type=F_UNLCK, l_whence=SEEK_SET, l_start=120, l_len=1}) = 0
102 fcntl(9</u/.tracing-data.db-shm>, F_SETLK, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=120, l_len=1}) = 0
102 fcntl(9</u/.tracing-data.db-shm>, F_SETLK, {l_type=F_UNLCK, l_whence=SEEK_SET, l_start=120, l_len=1}) = 0
102 fcntl(3</u/.unit-state.db-shm>, F_SETLK, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=120, l_len=1}) = 0
103 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 5
103 connect(5<TCP:[1]>, {sa_family=AF_INET, sin_port=htons(4318), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS
`
	c, err := ParseStrace(strings.NewReader(in), ".tracing-data.db")
	if err != nil {
		t.Fatal(err)
	}
	want := StraceCounts{Sockets: 1, Connects: 1, WriteTx: 1, EmptyWriteTx: 1, Recoveries: 1, Fsyncs: 1}
	if c != want {
		t.Errorf("counts %+v, want %+v", c, want)
	}
}

// CountWALCommits counts one frame per committed write transaction while a reader keeps
// the WAL from being checkpointed away.
func TestCountWALCommits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(2)
	if _, err := db.Exec(`CREATE TABLE t (v BLOB)`); err != nil {
		t.Fatal(err)
	}
	before, err := CountWALCommits(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reader, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if _, err := reader.ExecContext(ctx, `BEGIN`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := db.Exec(`INSERT INTO t VALUES (zeroblob(10000))`); err != nil {
			t.Fatal(err)
		}
	}
	after, err := CountWALCommits(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if after-before != 3 {
		t.Errorf("%d commits counted for 3 inserts (%d before, %d after)", after-before, before, after)
	}
	reader.ExecContext(ctx, `ROLLBACK`)
	if n, err := CountWALCommits(filepath.Join(t.TempDir(), "none-wal")); n != 0 || err != nil {
		t.Errorf("missing WAL: %d, %v", n, err)
	}
}
