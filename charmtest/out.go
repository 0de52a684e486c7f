package charmtest

import (
	"encoding/json"
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/internal/spantree"
)

// Out is what one run left: the unit's state, the action's outcome, the hook-tool calls
// and log lines, and what tracing recorded.
type Out struct {
	// State is the state after the run: databags, statuses, secrets, ports, stored
	// values and the deferral queue as the run left them.
	State State

	// ExitCode is the dispatch's exit status: 0, 1 when setup or a handler failed,
	// tracing.ExitPanic after a panic. Stderr is what the process would have printed.
	ExitCode int
	Stderr   string

	ActionResults     map[string]string // flat: "a.b" for nested keys
	ActionLogs        []string
	ActionFailed      bool
	ActionFailMessage string

	// Logs are the juju-log lines in order, tracing's own included (the jhack lines
	// at DEBUG, security events at TRACE), as `juju debug-log` shows them.
	Logs []LogLine
	// Calls are the hook-tool calls in order, with their arguments.
	Calls []Call

	// Spans are the dispatch's finished spans.
	Spans []sdktrace.ReadOnlySpan
	// Rows are the trace buffer's rows after the run, in the order a drain sends them.
	Rows []buffer.Row
}

// LogLine is one juju-log line: its level and message (with Juju's "endpoint:id: "
// prefix in relation hooks).
type LogLine struct {
	Level   string
	Message string
}

// Call is one hook-tool call as Juju's agent saw it. Standard input is counted, never
// kept.
type Call struct {
	Tool       string
	Args       []string
	StdinBytes int
	ExitCode   int
}

// SecurityEvent is one OWASP security event the dispatch logged.
type SecurityEvent struct {
	Event       string `json:"event"` // e.g. authz_fail:secret-get, sys_crash:*errors.errorString
	Level       string `json:"level"`
	Description string `json:"description"`
	AppID       string `json:"appid"`
}

// SecurityEvents returns the security events among the logs, in order.
func (o *Out) SecurityEvents() []SecurityEvent {
	var evs []SecurityEvent
	for _, l := range o.Logs {
		if l.Level != "TRACE" || !strings.Contains(l.Message, `"security"`) {
			continue
		}
		var e struct {
			Type string `json:"type"`
			SecurityEvent
		}
		if json.Unmarshal([]byte(l.Message), &e) == nil && e.Type == "security" {
			evs = append(evs, e.SecurityEvent)
		}
	}
	return evs
}

// CharmLogs returns the log lines the charm wrote, without tracing's own (the jhack
// lines, warnings that start "tracing", security events).
func (o *Out) CharmLogs() []LogLine {
	var out []LogLine
	for _, l := range o.Logs {
		m := l.Message
		if strings.HasPrefix(m, "Starting root trace with id=") || strings.HasPrefix(m, "Emitting Juju event ") ||
			strings.HasPrefix(m, "tracing") || (l.Level == "TRACE" && strings.Contains(m, `"type": "security"`)) {
			continue
		}
		out = append(out, l)
	}
	return out
}

// Span returns the first span of that name, or nil.
func (o *Out) Span(name string) sdktrace.ReadOnlySpan {
	for _, s := range o.Spans {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

// Tree renders the buffer's rows as `charmtrace tree` prints them.
func (o *Out) Tree() string { return o.tree(spantree.Options{}) }

// TimelessTree is Tree without trace ids, times, durations and bars: the same text from
// run to run, for golden files.
func (o *Out) TimelessTree() string { return o.tree(spantree.Options{Timeless: true}) }

func (o *Out) tree(opts spantree.Options) string {
	set := spantree.NewSet()
	for _, r := range o.Rows {
		if r.Mime != buffer.MimeProtobuf {
			continue
		}
		var td tracepb.TracesData
		if proto.Unmarshal(r.Data, &td) == nil {
			set.Add(&td)
		}
	}
	var b strings.Builder
	set.Print(&b, opts, nil)
	return b.String()
}
