package tracing

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// grafanaTraceID is the derived-field regex Grafana's Loki data source is usually given
// to link a log line to Tempo.
var grafanaTraceID = regexp.MustCompile(`trace_id=(\w+)`)

func loggingSetup(c *Charm) error {
	c.Logger.Info("setting up")
	c.Router.Handle("start", func(ctx context.Context, _ charmhooks.Event) error {
		c.Logger.Info("starting", "unit", "testapp/42") // no context: the handler's span
		ctx, span := otel.Tracer("charm").Start(ctx, "work")
		c.Logger.InfoContext(ctx, "working") // the charm's own span
		span.End()
		return nil
	}, charmhooks.HandlerName("onStart"))
	return nil
}

func TestLogLinesCarryTheCurrentSpan(t *testing.T) {
	u := newUnit(t)
	if status := u.dispatch("start", nil, loggingSetup); status != 0 {
		t.Fatalf("status %d", status)
	}
	spans := u.rec.Ended()
	root, handler, work := spanNamed(t, spans, "start"), spanNamed(t, spans, "start: onStart"), spanNamed(t, spans, "work")
	tid := root.SpanContext().TraceID().String()
	suffix := func(sid string) string { return " trace_id=" + tid + " span_id=" + sid }
	for _, want := range []string{
		"INFO setting up" + suffix(root.SpanContext().SpanID().String()),
		"INFO starting unit=testapp/42" + suffix(handler.SpanContext().SpanID().String()),
		"INFO working" + suffix(work.SpanContext().SpanID().String()),
	} {
		if !slices.Contains(u.logs(), want) {
			t.Fatalf("no line %q in %q", want, u.logs())
		}
		if m := grafanaTraceID.FindStringSubmatch(want); m == nil || m[1] != tid {
			t.Fatalf("Grafana's regex finds %v in %q", m, want)
		}
	}
	// jhack's lines stay exactly as jhack parses them: no ids appended.
	var jhack [][]string
	for _, c := range u.runner.Calls() {
		if c.Tool == "juju-log" && len(c.Args) == 4 &&
			(strings.HasPrefix(c.Args[3], "Starting root trace") || strings.HasPrefix(c.Args[3], "Emitting Juju event")) {
			jhack = append(jhack, c.Args)
		}
	}
	want := [][]string{
		{"--log-level", "DEBUG", "--", "Starting root trace with id='" + tid + "'."},
		{"--log-level", "DEBUG", "--", "Emitting Juju event start."},
	}
	if !slices.EqualFunc(jhack, want, slices.Equal) {
		t.Fatalf("jhack's juju-log calls\n got %q\nwant %q", jhack, want)
	}
}

func TestWithoutLogTraceIDs(t *testing.T) {
	u := newUnit(t)
	if status := u.dispatch("start", nil, loggingSetup, WithoutLogTraceIDs()); status != 0 {
		t.Fatalf("status %d", status)
	}
	for _, want := range []string{"INFO setting up", "INFO starting unit=testapp/42", "INFO working"} {
		if !slices.Contains(u.logs(), want) {
			t.Fatalf("no line %q in %q", want, u.logs())
		}
	}
}

func TestNoLogTraceIDsWhenTracingIsOff(t *testing.T) {
	u := newUnit(t)
	if status := u.dispatch("start", map[string]string{DisableEnv: "1",
		"TRACEPARENT": "00-" + jujuTrace + "-" + jujuSpan + "-01"}, loggingSetup); status != 0 {
		t.Fatalf("status %d", status)
	}
	for _, l := range u.logs() {
		if strings.Contains(l, "trace_id=") {
			t.Fatalf("a trace id was logged with tracing off: %q", l)
		}
	}
}
