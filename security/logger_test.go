package security_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/charmtrace/charmtrace/security"
)

const (
	modelUUID = "0c5e8a3f-1d2b-4c6a-9e7f-8a1b2c3d4e5f"
	unit      = "myapp/0"
	appID     = modelUUID + "-" + unit
)

// at is a fixed instant in a non-UTC zone: the datetime field must still
// come out in UTC.
var at = time.Date(2025, 3, 4, 7, 6, 7, 890123456, time.FixedZone("CEST", 2*3600))

// sent is one call a Sink received.
type sent struct{ level, message string }

// recorder is a Sink that keeps what it is given.
type recorder struct {
	mu   sync.Mutex
	msgs []sent
}

func (r *recorder) sink(_ context.Context, level, message string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, sent{level, message})
	return nil
}

func newLogger(sink security.Sink, stderr *bytes.Buffer) *security.Logger {
	return security.New(modelUUID, unit, sink,
		security.WithClock(func() time.Time { return at }),
		security.WithStderr(stderr))
}

func TestEventJSON(t *testing.T) {
	uid := strconv.Itoa(os.Getuid())
	head := `{"datetime": "2025-03-04T05:06:07.890123+00:00", `
	for _, tc := range []struct {
		name string
		emit func(context.Context, *security.Logger)
		want string
	}{{
		name: "sys_crash of a wrapped error names the wrapped type",
		emit: func(ctx context.Context, l *security.Logger) {
			l.SysCrash(ctx, fmt.Errorf("load config: %w", &fs.PathError{Op: "open", Path: "/secret/hunter2", Err: fs.ErrNotExist}))
		},
		want: head + `"level": "WARN", "type": "security", "appid": "` + appID + `", "event": "sys_crash:*fs.PathError", "description": "Uncaught error of type *fs.PathError in charm code."}`,
	}, {
		name: "sys_crash of a plain error",
		emit: func(ctx context.Context, l *security.Logger) { l.SysCrash(ctx, errors.New("password=hunter2")) },
		want: head + `"level": "WARN", "type": "security", "appid": "` + appID + `", "event": "sys_crash:*errors.errorString", "description": "Uncaught error of type *errors.errorString in charm code."}`,
	}, {
		name: "sys_crash of a panic with a string",
		emit: func(ctx context.Context, l *security.Logger) { l.SysCrashPanic(ctx, "token hunter2 rejected") },
		want: head + `"level": "WARN", "type": "security", "appid": "` + appID + `", "event": "sys_crash:string", "description": "Panic with a value of type string in charm code."}`,
	}, {
		name: "sys_crash of a runtime panic",
		emit: func(ctx context.Context, l *security.Logger) {
			defer func() { l.SysCrashPanic(ctx, recover()) }()
			var v any = "hunter2"
			_ = v.(int)
		},
		want: head + `"level": "WARN", "type": "security", "appid": "` + appID + `", "event": "sys_crash:*runtime.TypeAssertionError", "description": "Panic with a value of type *runtime.TypeAssertionError in charm code."}`,
	}, {
		name: "sys_restart",
		emit: func(ctx context.Context, l *security.Logger) { l.SysRestart(ctx) },
		want: head + `"level": "WARN", "type": "security", "appid": "` + appID + `", "event": "sys_restart:` + uid + `", "description": "Rebooting unit \"myapp/0\" in model \"` + modelUUID + `\"."}`,
	}, {
		name: "sys_monitor_disabled",
		emit: func(ctx context.Context, l *security.Logger) { l.SysMonitorDisabled(ctx, "http-ready") },
		want: head + `"level": "WARN", "type": "security", "appid": "` + appID + `", "event": "sys_monitor_disabled:` + uid + `,http-ready", "description": "Stopped check \"http-ready\"."}`,
	}, {
		name: "authz_fail as leader",
		emit: func(ctx context.Context, l *security.Logger) { l.AuthzFail(ctx, "relation-get", 1, true) },
		want: head + `"level": "CRITICAL", "type": "security", "appid": "` + appID + `", "event": "authz_fail:relation-get", "description": "Hook command \"relation-get\" (as leader) failed with code 1."}`,
	}, {
		name: "authz_fail not as leader",
		emit: func(ctx context.Context, l *security.Logger) { l.AuthzFail(ctx, "relation-set", 1, false) },
		want: head + `"level": "CRITICAL", "type": "security", "appid": "` + appID + `", "event": "authz_fail:relation-set", "description": "Hook command \"relation-set\" failed with code 1."}`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var r recorder
			var stderr bytes.Buffer
			tc.emit(context.Background(), newLogger(r.sink, &stderr))
			if len(r.msgs) != 1 {
				t.Fatalf("sink got %d messages, want 1", len(r.msgs))
			}
			if got := r.msgs[0]; got.level != "TRACE" || got.message != tc.want {
				t.Errorf("sink got level %q\n%s\nwant TRACE\n%s", got.level, got.message, tc.want)
			}
			if order, _ := keys(t, r.msgs[0].message); len(order) != 6 {
				t.Errorf("keys %v", order)
			}
			if strings.Contains(r.msgs[0].message, "hunter2") {
				t.Error("the event copied the error's message")
			}
			if stderr.Len() != 0 {
				t.Errorf("stderr: %q", stderr.String())
			}
		})
	}
}

func TestNilErrorIsNoCrash(t *testing.T) {
	var r recorder
	newLogger(r.sink, new(bytes.Buffer)).SysCrash(context.Background(), nil)
	if len(r.msgs) != 0 {
		t.Fatalf("sink got %v", r.msgs)
	}
}

func TestDatetimeWithoutMicroseconds(t *testing.T) {
	// Python's isoformat() drops the fraction when it is zero.
	var r recorder
	l := security.New(modelUUID, unit, r.sink,
		security.WithClock(func() time.Time { return time.Date(2025, 3, 4, 5, 6, 7, 999, time.UTC) }))
	l.AuthzFail(context.Background(), "secret-get", 1, false)
	if want := `{"datetime": "2025-03-04T05:06:07+00:00", "level"`; !strings.HasPrefix(r.msgs[0].message, want) {
		t.Fatalf("got %s, want prefix %s", r.msgs[0].message, want)
	}
}

func TestJSONEscapingMatchesPython(t *testing.T) {
	// The expected text is what Python's json.dumps writes for the same
	// string (ensure_ascii, so non-ASCII and DEL become \u escapes and an
	// emoji a surrogate pair; <>& and / stay literal).
	var r recorder
	check := "a\"b\\c<>&\x7f\x00\x1f\t\n\r\b\f éé€😀/\xff"
	newLogger(r.sink, new(bytes.Buffer)).SysMonitorDisabled(context.Background(), check)
	want := `"event": "sys_monitor_disabled:` + strconv.Itoa(os.Getuid()) +
		`,a\"b\\c<>&\u007f\u0000\u001f\t\n\r\b\f \u00e9\u00e9\u20ac\ud83d\ude00/\ufffd", `
	if !strings.Contains(r.msgs[0].message, want) {
		t.Fatalf("got %s\nwant it to contain %s", r.msgs[0].message, want)
	}
	// And any JSON reader gets the check name back (the invalid byte as
	// U+FFFD).
	_, v := keys(t, r.msgs[0].message)
	if got, want := v["event"], "sys_monitor_disabled:"+strconv.Itoa(os.Getuid())+","+strings.ToValidUTF8(check, "\uFFFD"); got != want {
		t.Errorf("decoded event %q, want %q", got, want)
	}
}

// runner is a fake hook-tool runner that records argv and can fail.
type runner struct {
	calls [][]string
	// fail, when set, is the stderr of a failing call; onFail runs first,
	// as a traced runner reporting the authorisation failure would.
	fail   string
	onFail func()
}

func (r *runner) Run(name string, args ...string) ([]byte, error) {
	r.calls = append(r.calls, append([]string{name}, args...))
	if r.fail == "" {
		return nil, nil
	}
	if r.onFail != nil {
		r.onFail()
	}
	return nil, fmt.Errorf("%s: exit status 1: %s", name, r.fail)
}

func TestJujuLogArgv(t *testing.T) {
	var r runner
	var stderr bytes.Buffer
	newLogger(security.JujuLog(&r), &stderr).AuthzFail(context.Background(), "relation-set", 1, true)
	want := []string{"juju-log", "--log-level", "TRACE", "--",
		`{"datetime": "2025-03-04T05:06:07.890123+00:00", "level": "CRITICAL", "type": "security", "appid": "` + appID +
			`", "event": "authz_fail:relation-set", "description": "Hook command \"relation-set\" (as leader) failed with code 1."}`}
	if len(r.calls) != 1 || strings.Join(r.calls[0], "\x00") != strings.Join(want, "\x00") {
		t.Fatalf("argv %q\nwant %q", r.calls, want)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %q", stderr.String())
	}
}

func TestFailingJujuLogIsNotRetried(t *testing.T) {
	// juju-log fails with "permission denied"; the runtime reports that as
	// an authz_fail from inside the failing call, which would loop forever
	// in the Python framework.
	var stderr bytes.Buffer
	r := &runner{fail: "ERROR permission denied"}
	l := newLogger(security.JujuLog(r), &stderr)
	ctx := context.Background()
	r.onFail = func() { l.AuthzFail(ctx, "juju-log", 1, false) }

	l.SysRestart(ctx)
	if len(r.calls) != 1 {
		t.Fatalf("juju-log ran %d times, want 1", len(r.calls))
	}
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if len(lines) != 2 ||
		!strings.Contains(lines[0], `"event": "authz_fail:juju-log"`) ||
		!strings.Contains(lines[1], `"event": "sys_restart:`) || !strings.Contains(lines[1], "permission denied") {
		t.Fatalf("stderr:\n%s", stderr.String())
	}

	// Later events go straight to stderr, once each.
	stderr.Reset()
	l.SysMonitorDisabled(ctx, "ready")
	if len(r.calls) != 1 {
		t.Fatalf("juju-log ran again after failing: %q", r.calls)
	}
	if n := strings.Count(stderr.String(), `"event": "sys_monitor_disabled:`); n != 1 {
		t.Fatalf("stderr has the event %d times:\n%s", n, stderr.String())
	}
}

func TestPanickingSinkIsAFailure(t *testing.T) {
	var stderr bytes.Buffer
	calls := 0
	l := newLogger(func(context.Context, string, string) error {
		calls++
		panic("sink bug")
	}, &stderr)
	l.SysCrash(context.Background(), errors.New("x"))
	l.SysCrash(context.Background(), errors.New("y"))
	if calls != 1 {
		t.Fatalf("sink called %d times, want 1", calls)
	}
	if n := strings.Count(stderr.String(), `"event": "sys_crash:`); n != 2 {
		t.Fatalf("stderr:\n%s", stderr.String())
	}
}

func TestNilSinkWritesToStderr(t *testing.T) {
	var stderr bytes.Buffer
	newLogger(nil, &stderr).AuthzFail(context.Background(), "secret-get", 1, false)
	if !strings.Contains(stderr.String(), `"event": "authz_fail:secret-get"`) {
		t.Fatalf("stderr: %q", stderr.String())
	}
}

func TestConcurrentEvents(t *testing.T) {
	var r recorder
	var stderr bytes.Buffer
	l := newLogger(r.sink, &stderr)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { l.SysMonitorDisabled(context.Background(), strconv.Itoa(i)) })
	}
	wg.Wait()
	// An event raised while another is being sent goes to stderr: none is
	// lost and none is sent twice.
	if n := len(r.msgs) + strings.Count(stderr.String(), "\n"); n != 8 {
		t.Fatalf("%d events delivered, want 8 (sink %d, stderr %q)", n, len(r.msgs), stderr.String())
	}
}

func TestSpanEvent(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	defer tp.Shutdown(context.Background())
	ctx, span := tp.Tracer("test").Start(context.Background(), "dispatch")

	var r recorder
	newLogger(r.sink, new(bytes.Buffer)).AuthzFail(ctx, "relation-set", 1, true)
	span.End()

	ended := sr.Ended()
	if len(ended) != 1 || len(ended[0].Events()) != 1 {
		t.Fatalf("spans %v", ended)
	}
	ev := ended[0].Events()[0]
	if ev.Name != "authz_fail" {
		t.Errorf("span event %q, want authz_fail", ev.Name)
	}
	want := map[attribute.Key]string{
		"security.level":       "CRITICAL",
		"security.event":       "authz_fail:relation-set",
		"security.description": `Hook command "relation-set" (as leader) failed with code 1.`,
	}
	for _, kv := range ev.Attributes {
		if want[kv.Key] != kv.Value.AsString() {
			t.Errorf("attribute %s = %q, want %q", kv.Key, kv.Value.AsString(), want[kv.Key])
		}
		delete(want, kv.Key)
	}
	if len(want) != 0 {
		t.Errorf("missing attributes %v", want)
	}
}
