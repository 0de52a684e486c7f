package charmhooks_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

func TestLogHandlerLevelsAndFormat(t *testing.T) {
	fake := fakejuju.NewRunner(&fakejuju.State{Unit: "myapp/0"}, nil)
	log := slog.New(charmhooks.NewLogHandler(fake, &charmhooks.LogHandlerOptions{Level: charmhooks.LevelTrace}))

	ctx := context.Background()
	log.Log(ctx, charmhooks.LevelTrace, "trace")
	log.Debug("debug")
	log.Info("info", "relation", "db:1", "ok", true)
	log.Warn("warn", slog.Group("tls", "ca", "set"))
	log.With("unit", "myapp/0").WithGroup("g").Error("error", "msg", "two words", "empty", "")
	log.Log(ctx, charmhooks.LevelCritical, "critical")
	log.Log(ctx, charmhooks.LevelCritical+4, "beyond critical")

	want := []fakejuju.LogLine{
		{Level: "TRACE", Message: "trace"},
		{Level: "DEBUG", Message: "debug"},
		{Level: "INFO", Message: "info relation=db:1 ok=true"},
		{Level: "WARNING", Message: "warn tls.ca=set"},
		{Level: "ERROR", Message: `error unit=myapp/0 g.msg="two words" g.empty=""`},
		{Level: "CRITICAL", Message: "critical"},
		{Level: "CRITICAL", Message: "beyond critical"},
	}
	if got := fake.State().Logs; !reflect.DeepEqual(got, want) {
		t.Errorf("logs\n got %+v\nwant %+v", got, want)
	}
	for _, c := range fake.Calls() {
		if c.Tool != "juju-log" || c.Args[0] != "--log-level" || c.Args[2] != "--" {
			t.Errorf("call %+v", c)
		}
	}
}

func TestLogHandlerDefaultLevel(t *testing.T) {
	fake := fakejuju.NewRunner(&fakejuju.State{Unit: "myapp/0"}, nil)
	log := slog.New(charmhooks.NewLogHandler(fake, nil))
	log.Log(context.Background(), charmhooks.LevelTrace, "dropped")
	log.Debug("kept")
	if got := fake.State().Logs; len(got) != 1 || got[0].Message != "kept" {
		t.Errorf("logs = %+v", got)
	}
}

// reentrant logs from inside its own juju-log call, as a runner that
// reports its own activity through slog would.
type reentrant struct {
	inner charmhooks.Runner
	log   *slog.Logger
	depth int
}

func (r *reentrant) Run(name string, args ...string) ([]byte, error) {
	r.depth++
	if r.depth < 5 {
		r.log.Info("runner saw " + name)
	}
	return r.inner.Run(name, args...)
}

func TestLogHandlerNeverRecurses(t *testing.T) {
	fake := fakejuju.NewRunner(&fakejuju.State{Unit: "myapp/0"}, nil)
	var fallback bytes.Buffer
	r := &reentrant{inner: fake}
	r.log = slog.New(charmhooks.NewLogHandler(r, &charmhooks.LogHandlerOptions{Fallback: &fallback}))

	r.log.Info("outer")
	if got := fake.State().Logs; len(got) != 1 || got[0].Message != "outer" {
		t.Errorf("juju-log lines = %+v, want only the outer record", got)
	}
	if r.depth != 1 {
		t.Errorf("runner entered %d times, want 1", r.depth)
	}
	if got := fallback.String(); got != "INFO runner saw juju-log\n" {
		t.Errorf("fallback = %q", got)
	}
}

type failing struct{}

func (failing) Run(name string, _ ...string) ([]byte, error) {
	return nil, &charmhooks.ToolError{Tool: name, ExitCode: 1, Stderr: "ERROR permission denied"}
}

func TestLogHandlerJujuLogFails(t *testing.T) {
	var fallback bytes.Buffer
	log := slog.New(charmhooks.NewLogHandler(failing{}, &charmhooks.LogHandlerOptions{Fallback: &fallback}))
	log.Warn("still seen", "err", errors.New("x"))
	got := fallback.String()
	if !strings.HasPrefix(got, "WARNING still seen err=x (juju-log failed: ") || strings.Count(got, "\n") != 1 {
		t.Errorf("fallback = %q", got)
	}
}

func TestJujuLevel(t *testing.T) {
	for l, want := range map[slog.Level]charmhooks.LogLevel{
		charmhooks.LevelTrace - 1: charmhooks.LogTrace, charmhooks.LevelTrace: charmhooks.LogTrace,
		slog.LevelDebug: charmhooks.LogDebug, slog.LevelDebug + 1: charmhooks.LogDebug,
		slog.LevelInfo: charmhooks.LogInfo, slog.LevelWarn: charmhooks.LogWarning, slog.LevelError: charmhooks.LogError,
		slog.LevelError + 3: charmhooks.LogError, charmhooks.LevelCritical: charmhooks.LogCritical,
	} {
		if got := charmhooks.JujuLevel(l); got != want {
			t.Errorf("JujuLevel(%v) = %s, want %s", l, got, want)
		}
	}
}
