package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/charmtrace/charmtrace/internal/otlpreceiver"
)

// The whole demo, as the README runs it: it must pass, show every step and the trees,
// and remove its work directory.
func TestDemo(t *testing.T) {
	code, stdout, stderr := runCLI(t, "demo")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"Building the example charm",
		"\n1. install\n", "\n3. update-status (no receiver yet: buffered)\n",
		"no CA has arrived on receive-ca-cert",
		"\n7. update-status",
		"\nPASS: the install and start traces",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if n := strings.Count(stdout, " exit 0 "); n != 13 {
		t.Errorf("%d dispatches exited 0, want 13", n)
	}
	if n := len(regexp.MustCompile(`(?m)^trace [0-9a-f]{32} `).FindAllString(stdout, -1)); n != 13 {
		t.Errorf("%d trace trees, want 13", n)
	}
	if !regexp.MustCompile(`(?m)^    install: install +`).MatchString(stdout) {
		t.Error("the install trace's handler span is not shown under its root")
	}
	if m := regexp.MustCompile(`\n   buffer: (\d+) rows? waiting\n   receiver: \d+ requests so far\n\nThe receiver`).FindStringSubmatch(stdout); m == nil || m[1] != "0" {
		t.Errorf("the buffer is not empty at the end: %v", m)
	}
	// The demo is a script of run steps, shown as typed.
	for _, want := range []string{"$ charmtrace run init DIR --charm", "$ charmtrace run hook DIR install\n",
		"$ charmtrace run set DIR app-data receive-ca-cert certificates=@"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	dir := regexp.MustCompile(`charm directory (\S+)`).FindStringSubmatch(stdout)
	if dir == nil {
		t.Fatal("no charm directory in the output")
	}
	if _, err := os.Stat(dir[1]); !os.IsNotExist(err) {
		t.Errorf("work directory left behind: %v", err)
	}
}

func TestDemoTakesNoArguments(t *testing.T) {
	if code, _, stderr := runCLI(t, "demo", "extra"); code != exitUsage {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestDemoVerdict(t *testing.T) {
	root := func(name, unit string) otlpreceiver.Span {
		return otlpreceiver.Span{
			Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "juju_unit",
				Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: unit}}}}},
			Span: &tracepb.Span{Name: name, TraceId: make([]byte, 16), SpanId: []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		}
	}
	child := root("secret-add", demoUnit)
	child.Span.ParentSpanId = []byte{1, 2, 3, 4, 5, 6, 7, 8}
	named := root("install", demoUnit)
	named.Span.ParentSpanId = child.Span.ParentSpanId // an install span that is not a root
	cases := []struct {
		name  string
		spans []otlpreceiver.Span
		ok    bool
		line  string
	}{
		{"nothing", nil, false, "FAIL: no install or start trace reached the receiver (0 of 13 dispatches traced there)."},
		{"install only", []otlpreceiver.Span{root("install", demoUnit), child}, false, "FAIL: no start trace reached the receiver (1 of 13 dispatches traced there)."},
		{"another unit", []otlpreceiver.Span{root("install", "other/1"), root("start", "other/1")}, false, "FAIL: no install or start trace"},
		{"not roots", []otlpreceiver.Span{named, child}, false, "FAIL: no install or start trace"},
		{"both", []otlpreceiver.Span{root("install", demoUnit), child, root("start", demoUnit)}, true,
			"PASS: the install and start traces, buffered before any receiver existed, reached the receiver over TLS; 2 of 13 dispatches traced there."},
	}
	for _, c := range cases {
		v := judge(c.spans, 13)
		if v.ok != c.ok || !strings.HasPrefix(v.line, c.line) {
			t.Errorf("%s: verdict %+v", c.name, v)
		}
	}
}
