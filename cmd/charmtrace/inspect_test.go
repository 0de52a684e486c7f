package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/internal/testcerts"
)

// writeBusyBuffer makes a buffer with everything inspect reports: default and observed
// rows, a row with failed attempts, a drop, and a destination with a CA bundle and a URL
// carrying secrets.
func writeBusyBuffer(t *testing.T) (path string, caPEM []byte) {
	t.Helper()
	path = bufferPath(t)
	mustWriteDispatches(t, path, dispatch{event: "install"}, dispatch{event: "start", at: 1e9})
	ca, err := testcerts.NewRoot("inspect test CA")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b, err := buffer.Open(path, buffer.WithMaxBytes(256<<10))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Push(ctx, bytes.Repeat([]byte{1}, 300<<10), buffer.MimeProtobuf); !errors.Is(err, buffer.ErrTooLarge) {
		t.Fatalf("oversized push: %v, want ErrTooLarge", err)
	}
	id, err := b.Push(ctx, []byte{}, buffer.MimeProtobuf)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.MarkObserved(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := b.RecordAttempt(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.SetDestination(ctx, buffer.Destination{
		URL: "https://admin:hunter2@tempo.example:4318/v1/traces?token=s3cret",
		CA:  string(ca.PEM()),
	}); err != nil {
		t.Fatal(err)
	}
	return path, ca.PEM()
}

func TestInspect(t *testing.T) {
	path, caPEM := writeBusyBuffer(t)
	before := dirState(t, filepath.Dir(path))
	code, out, errOut := runCLI(t, "inspect", path)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	assertUnchanged(t, before, dirState(t, filepath.Dir(path)))

	st := statsOf(t, path)
	for _, want := range []string{
		fmt.Sprintf("file          %s (%s on disk, WAL included)\n", path, humanBytes(st.FileBytes)),
		fmt.Sprintf("rows          7 (%s of trace data)\n", humanBytes(st.Bytes)),
		"  priority 50  1 row, 0 B (observed dispatches)\n",
		fmt.Sprintf("  priority 10  6 rows, %s (default)\n", humanBytes(st.Bytes)),
		"formats       application/x-protobuf 7 (OTLP protobuf)\n",
		"oldest row    " + st.Oldest.UTC().Format(timeLayout) + "\n",
		"newest row    " + st.Newest.UTC().Format(timeLayout) + "\n",
		"failed sends  1 row tried without success (at most 2 attempts)\n",
		"destination   https://REDACTED@tempo.example:4318/v1/traces?REDACTED, CA bundle set (1 certificate, not shown)\n",
		"drops         too_large 1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	assertNoSecrets(t, out, caPEM)
}

func TestInspectJSON(t *testing.T) {
	path, caPEM := writeBusyBuffer(t)
	code, out, errOut := runCLI(t, "inspect", "--json", path)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	assertNoSecrets(t, out, caPEM)
	var got inspection
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("not the inspection JSON: %v\n%s", err, out)
	}
	st := statsOf(t, path)
	if got.Rows != st.Rows || got.Bytes != st.Bytes || got.FileBytes != st.FileBytes || got.Path != path {
		t.Errorf("counts = %+v, stats %+v", got, st)
	}
	if len(got.Priorities) != 2 || got.Priorities[0] != (priorityCount{50, 1, 0}) || got.Priorities[1].Priority != 10 || got.Priorities[1].Rows != 6 {
		t.Errorf("priorities = %+v", got.Priorities)
	}
	if got.Oldest == nil || !got.Oldest.Equal(st.Oldest) || !got.Newest.Equal(st.Newest) {
		t.Errorf("oldest/newest = %v/%v, want %v/%v", got.Oldest, got.Newest, st.Oldest, st.Newest)
	}
	if got.Destination != (destinationView{URL: "https://REDACTED@tempo.example:4318/v1/traces?REDACTED", CASet: true, CACertificates: 1}) {
		t.Errorf("destination = %+v", got.Destination)
	}
	if got.Drops["too_large"] != 1 || len(got.Drops) != 1 || got.FailedRows != 1 || got.MaxAttempts != 2 {
		t.Errorf("drops %v, failed rows %d, max attempts %d", got.Drops, got.FailedRows, got.MaxAttempts)
	}
	if got.Formats[buffer.MimeProtobuf] != 7 {
		t.Errorf("formats = %v", got.Formats)
	}
}

func TestInspectOpsBuffer(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	if err := writeOpsBuffer(path); err != nil {
		t.Fatal(err)
	}
	before := dirState(t, filepath.Dir(path))
	code, out, errOut := runCLI(t, "inspect", path)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"rows          2 (",
		"  priority 50  1 row, " + humanBytes(int64(len(opsSpans))) + " (observed dispatches)\n",
		"  priority 10  1 row, " + humanBytes(int64(len(opsInstall))) + " (default)\n",
		"formats       application/json 2 (OTLP/JSON, from Python ops)\n",
		"oldest row    unknown (rows written by Python ops carry no time)\n",
		"destination   http://tempo-0.tempo-endpoints:4318/v1/traces, no CA bundle (system roots for https)\n",
		"drops         none\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// An ops file is left exactly as it was: no charmtrace columns or tables added.
	assertUnchanged(t, before, dirState(t, filepath.Dir(path)))
}

func TestInspectEmptyBufferWithoutDestination(t *testing.T) {
	path := bufferPath(t)
	b, err := buffer.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	code, out, _ := runCLI(t, "inspect", path)
	if code != exitOK || !strings.Contains(out, "rows          0 (0 B of trace data)\n") ||
		!strings.Contains(out, "destination   none (buffer only: no tracing relation yet)") ||
		strings.Contains(out, "oldest") || strings.Contains(out, "formats") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestSafeURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                                   "",
		"https://tempo:4318/v1/traces":       "https://tempo:4318/v1/traces",
		"http://u:p@10.0.0.1:4318/v1/traces": "http://REDACTED@10.0.0.1:4318/v1/traces",
		"https://h/v1/traces?api_key=k#frag": "https://h/v1/traces?REDACTED",
		"http://[::1]:namedport":             "(not a valid URL, not shown)",
	} {
		if got := safeURL(in); got != want {
			t.Errorf("safeURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func assertNoSecrets(t *testing.T, out string, caPEM []byte) {
	t.Helper()
	block := strings.Split(string(caPEM), "\n")[1] // a line of the certificate's base64
	for _, secret := range []string{"hunter2", "s3cret", "admin", "BEGIN CERTIFICATE", block,
		base64.StdEncoding.EncodeToString(caPEM)} {
		if strings.Contains(out, secret) {
			t.Errorf("output contains %q:\n%s", secret, out)
		}
	}
}

func statsOf(t *testing.T, path string) buffer.Stats {
	t.Helper()
	b, err := buffer.Open(path, buffer.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	st, err := b.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Inspecting a buffer Python ops left behind.
func Example_inspect() {
	dir, err := os.MkdirTemp("", "charmtrace-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, ".tracing-data.db")
	if err := writeOpsBuffer(path); err != nil {
		panic(err)
	}

	var out bytes.Buffer
	Run(context.Background(), []string{"inspect", path}, &out, os.Stderr)
	fmt.Print(strings.ReplaceAll(out.String(), dir, "DIR"))
	// Output:
	// file          DIR/.tracing-data.db (20.0 KiB on disk, WAL included)
	// rows          2 (1.5 KiB of trace data)
	//   priority 50  1 row, 1.1 KiB (observed dispatches)
	//   priority 10  1 row, 404 B (default)
	// formats       application/json 2 (OTLP/JSON, from Python ops)
	// oldest row    unknown (rows written by Python ops carry no time)
	// destination   http://tempo-0.tempo-endpoints:4318/v1/traces, no CA bundle (system roots for https)
	// drops         none
}

// A buffer copied off a unit while a dispatch was running comes with its WAL: the copy's
// rows include the ones only the WAL holds, and neither file is changed by reading them.
func TestInspectCopyWithItsWAL(t *testing.T) {
	live := bufferPath(t)
	b, err := buffer.Open(live)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := range 3 {
		if _, err := b.Push(context.Background(), []byte{byte(i)}, buffer.MimeProtobuf); err != nil {
			t.Fatal(err)
		}
	}
	copyDir := t.TempDir()
	for _, suffix := range []string{"", "-wal"} {
		data, err := os.ReadFile(live + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if suffix == "-wal" && len(data) == 0 {
			t.Fatal("fixture: the live buffer's WAL is empty")
		}
		if err := os.WriteFile(filepath.Join(copyDir, "copy.db"+suffix), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	before := dirState(t, copyDir)
	code, out, errOut := runCLI(t, "inspect", filepath.Join(copyDir, "copy.db"))
	if code != exitOK || !strings.Contains(out, "rows          3 (3 B of trace data)") {
		t.Fatalf("exit %d, stderr %q:\n%s", code, errOut, out)
	}
	assertUnchanged(t, before, dirState(t, copyDir))
}
