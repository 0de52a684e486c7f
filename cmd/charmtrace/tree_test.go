package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/buffer"
)

// traceHeaders returns the "trace ..." lines of tree output.
func traceHeaders(out string) []string {
	var h []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "trace ") {
			h = append(h, l)
		}
	}
	return h
}

// Several dispatches parented to one Juju trace, each exported span by span into rows of
// its own, come out as one tree.
func TestTreeGroupsATraceAcrossRowsAndDispatches(t *testing.T) {
	path := bufferPath(t)
	juju := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x77, 15: 0x01}, SpanID: trace.SpanID{0x66, 7: 0x01}, Remote: true,
		TraceFlags: trace.FlagsSampled,
	})
	mustWriteDispatches(t, path,
		dispatch{event: "config-changed", parent: juju},
		dispatch{event: "install", at: 5e8},
		dispatch{event: "update-status", at: 1e9, parent: juju})
	if n := len(rowsOf(t, path)); n != 9 {
		t.Fatalf("fixture has %d rows, want 9 (one per span)", n)
	}
	code, out, errOut := runCLI(t, "tree", path)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	h := traceHeaders(out)
	if len(h) != 2 {
		t.Fatalf("want 2 traces, got %q:\n%s", h, out)
	}
	shared := "trace " + juju.TraceID().String()
	if !strings.HasPrefix(h[0], shared) || !strings.Contains(h[0], "  1.1s  6 spans  example/0") {
		t.Errorf("first trace %q, want the shared Juju trace spanning 1.1s with 6 spans", h[0])
	}
	// Both dispatches are top-level trees of the shared trace (their parent, Juju's span,
	// is not in the buffer), in time order.
	block := out[:strings.Index(out, "\n\ntrace ")]
	for _, want := range []string{
		"\n  config-changed  ", "\n    config-changed: onEvent  ", "\n      secret-get  ",
		"\n  update-status  ", "\n    update-status: onEvent  ",
	} {
		if !strings.Contains(block, want) {
			t.Errorf("shared trace lacks %q:\n%s", want, block)
		}
	}
	if strings.Index(block, "config-changed") > strings.Index(block, "update-status") {
		t.Errorf("roots not in time order:\n%s", block)
	}
}

func TestTreeFilters(t *testing.T) {
	path := bufferPath(t)
	mustWriteDispatches(t, path, dispatch{event: "install"}, dispatch{event: "start", at: 1e9},
		dispatch{event: "start", at: 2e9})
	for _, c := range []struct {
		args      []string
		want      []string // trace ids, by their last digit
		errSubstr string
	}{
		{[]string{"--event", "start"}, []string{"2", "3"}, ""},
		{[]string{"--event", "install"}, []string{"1"}, ""},
		{[]string{"--trace", "4b000000000000000000000000000002"}, []string{"2"}, ""},
		{[]string{"--trace", "4B000000000000000000000000000003"}, []string{"3"}, ""}, // hex is case-insensitive
		{[]string{"--trace", "4b000000000000000000000000000003", "--event", "install"}, nil, "none of the 3 traces"},
		{[]string{"--event", "remove"}, nil, "none of the 3 traces in " + path + " matches"},
	} {
		code, out, errOut := runCLI(t, append([]string{"tree", path}, c.args...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d, stderr %q", c.args, code, errOut)
		}
		var got []string
		for _, h := range traceHeaders(out) {
			got = append(got, h[len("trace 4b00000000000000000000000000000"):][:1])
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) || !strings.Contains(errOut, c.errSubstr) {
			t.Errorf("%v: traces %v, want %v; stderr %q", c.args, got, c.want, errOut)
		}
	}
}

func TestTreeOpsBuffer(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	if err := writeOpsBuffer(path); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "tree", path)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	want := `trace 0000000000000000000000000000abce  2026-03-01 11:58:20.000 UTC  50ms  1 span  pyapp/0
  ops.main                                        50ms         |########################################|

trace 0000000000000000000000000000abcd  2026-03-01 12:00:00.000 UTC  400ms  2 spans  pyapp/0
  ops.main                                       400ms         |########################################|
    start: PyCharm                               200ms  error  |          ####################          |  boom
`
	if out != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
	// ops names handler spans "<event>: <charm class>" under a bare ops.main root.
	_, out, _ = runCLI(t, "tree", "--event", "start", path)
	if h := traceHeaders(out); len(h) != 1 || !strings.Contains(h[0], "abcd") {
		t.Fatalf("--event start on an ops buffer: %q", h)
	}
}

func TestTreeSkipsRowsThatDoNotDecode(t *testing.T) {
	path := bufferPath(t)
	mustWriteDispatches(t, path, dispatch{event: "install"})
	b, err := buffer.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	badProto, _ := b.Push(ctx, []byte{0x0a, 0xff, 0x01}, buffer.MimeProtobuf) // length past the end
	nanJSON, _ := b.Push(ctx, []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"r","value":{"doubleValue":NaN}}]}]}]}]}`), buffer.MimeJSON)
	otherMime, _ := b.Push(ctx, []byte("hello"), "text/plain")
	b.Close()

	for _, args := range [][]string{{"tree", path}, {"export", path}, {"export", "--format", "protobuf", path}} {
		code, out, errOut := runCLI(t, args...)
		if code != exitFailure {
			t.Errorf("%v: exit %d, want %d", args, code, exitFailure)
		}
		for _, want := range []string{
			fmt.Sprintf("warning: skipped row %d: not OTLP protobuf", badProto),
			fmt.Sprintf("warning: skipped row %d: not OTLP/JSON", nanJSON),
			fmt.Sprintf("warning: skipped row %d: unknown content type \"text/plain\"", otherMime),
			"3 of 6 rows could not be decoded",
		} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, errOut)
			}
		}
		// The good rows are all there.
		if !strings.Contains(out, "secret-get") && args[1] != "--format" {
			t.Errorf("%v: the decodable rows are missing:\n%s", args, out)
		}
	}
}

// Showing the traces of a buffer: an install that went well and a start whose hook tool
// failed. Each span's bar places it within its trace.
func Example_tree() {
	dir, err := os.MkdirTemp("", "charmtrace-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, ".tracing-data.db")
	if err := writeDispatches(path, dispatch{event: "install"},
		dispatch{event: "start", at: 1e9, failure: "ERROR permission denied"}); err != nil {
		panic(err)
	}

	Run(context.Background(), []string{"tree", path}, os.Stdout, os.Stderr)
	// Output:
	// trace 4b000000000000000000000000000001  2026-03-01 12:00:00.000 UTC  100ms  3 spans  example/0
	//   install                                        100ms  ok     |########################################|
	//     install: onEvent                              80ms         |    ################################    |
	//       secret-get                                  20ms         |        ########                        |
	//
	// trace 4b000000000000000000000000000002  2026-03-01 12:00:01.000 UTC  100ms  3 spans  example/0
	//   start                                          100ms  ok     |########################################|
	//     start: onEvent                                80ms  error  |    ################################    |  handler failed
	//       secret-get                                  20ms  error  |        ########                        |  ERROR permission denied
}
