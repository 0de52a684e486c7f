package charmhooks_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

const sentinel = "SENTINEL-7f3c9a-do-not-leak"

// TestSentinelSecretNeverLeaks passes a secret value through every writer
// that carries data — secret-add, secret-set, relation-set, state-set and
// action-set — through the real exec runner, the traced runner and the
// slog handler, including failing calls whose errors are logged. The value
// must reach Juju's state and appear in no span and no log line, and in no
// argv except action-set's, which Juju accepts only as arguments.
func TestSentinelSecretNeverLeaks(t *testing.T) {
	st := relationState()
	st.Relations = append(st.Relations, &fakejuju.Relation{ID: 1, Endpoint: "db", RemoteApp: "client"})
	in, exec := unit(t, st, map[string]string{"JUJU_ACTION_NAME": "get-admin-password", "JUJU_ACTION_UUID": "5"})
	rec, tracer := newRecorder(t)

	router := charmhooks.NewRouter()
	router.Use(func(next charmhooks.Handler, info charmhooks.HandlerInfo) charmhooks.Handler {
		return func(ctx context.Context, e charmhooks.Event) error {
			ctx, span := tracer.Start(ctx, info.Event+": "+info.Handler)
			defer span.End()
			return next(ctx, e)
		}
	})
	log := slog.New(charmhooks.NewLogHandler(exec, &charmhooks.LogHandlerOptions{Level: charmhooks.LevelTrace}))
	traced := charmhooks.NewTracedRunner(exec, tracer, charmhooks.WithContext(router.Current),
		charmhooks.WithFailureHook(func(_ context.Context, tool string, err error) {
			log.Log(context.Background(), charmhooks.LevelTrace, "tool failed", "tool", tool, "err", err)
		}))
	tmp := t.TempDir()
	tools := charmhooks.NewTools(traced, charmhooks.WithTempDir(tmp))

	router.HandleAction("get-admin-password", func(ctx context.Context, e charmhooks.Event) error {
		id, err := tools.SecretAdd(map[string]string{"password": sentinel}, charmhooks.SecretOptions{Label: "admin-password"})
		if err != nil {
			return err
		}
		log.Info("secret added", "id", id)
		steps := []struct {
			name string
			err  error
		}{
			{"secret-set", tools.SecretSet(id, map[string]string{"password": sentinel + "-2"}, charmhooks.SecretOptions{})},
			{"relation-set", tools.RelationSetApp("db:1", map[string]string{"password": sentinel})},
			{"state-set", tools.StateSet(map[string]string{"cache": sentinel})},
			{"action-set", tools.ActionSet(map[string]string{"password": sentinel})},
			// Failing writes: their errors are logged and traced.
			{"relation-set gone", tools.RelationSetApp("db:99", map[string]string{"password": sentinel})},
			{"secret-set gone", tools.SecretSet("secret:gone", map[string]string{"password": sentinel}, charmhooks.SecretOptions{})},
		}
		for _, s := range steps {
			if s.err != nil {
				log.Error("step failed", "step", s.name, "err", s.err)
			}
		}
		content, err := tools.SecretGet(id, charmhooks.SecretGetOptions{})
		if err != nil {
			return err
		}
		log.Debug("read secret", "keys", len(content))
		return nil
	})
	ctx, root := tracer.Start(context.Background(), "dispatch")
	if _, err := router.Dispatch(ctx, charmhooks.Event{Name: "get-admin-password", Kind: charmhooks.KindAction}); err != nil {
		t.Fatal(err)
	}
	root.End()

	// The value did reach Juju through every channel.
	got := readState(t, in)
	if len(got.Secrets) != 1 || got.Secrets[0].Content["password"] != sentinel+"-2" ||
		got.Relations[2].LocalAppData["password"] != sentinel || got.UnitState["cache"] != sentinel ||
		got.ActionResults["password"] != sentinel {
		t.Fatalf("the sentinel did not reach every store: %+v", got)
	}

	// argv: only action-set carries it.
	var sawFailure bool
	for _, c := range calls(t, in) {
		sawFailure = sawFailure || c.ExitCode != 0
		for _, a := range c.Args {
			if strings.Contains(a, sentinel) && c.Tool != "action-set" {
				t.Errorf("%s argv carries the sentinel: %q", c.Tool, c.Args)
			}
		}
	}
	if !sawFailure {
		t.Error("no failing call was exercised")
	}

	// Spans: names, attributes, status, events.
	spans := rec.Ended()
	if len(spans) < 8 {
		t.Fatalf("only %d spans recorded", len(spans))
	}
	for _, s := range spans {
		if leak := spanLeak(s); leak != "" {
			t.Errorf("span %s leaks the sentinel in %s", s.Name(), leak)
		}
	}

	// Log lines, including the logged errors of failing calls.
	if len(got.Logs) < 4 {
		t.Fatalf("only %d log lines", len(got.Logs))
	}
	for _, l := range got.Logs {
		if strings.Contains(l.Message, sentinel) {
			t.Errorf("log line leaks the sentinel: %q", l.Message)
		}
	}
	assertEmptyDir(t, tmp)
}

func spanLeak(s sdktrace.ReadOnlySpan) string {
	if strings.Contains(s.Name(), sentinel) {
		return "name"
	}
	if strings.Contains(s.Status().Description, sentinel) {
		return "status"
	}
	for _, kv := range s.Attributes() {
		if strings.Contains(kv.Value.Emit(), sentinel) {
			return "attribute " + string(kv.Key)
		}
	}
	for _, ev := range s.Events() {
		if strings.Contains(ev.Name, sentinel) {
			return "event name"
		}
		for _, kv := range ev.Attributes {
			if strings.Contains(kv.Value.Emit(), sentinel) {
				return fmt.Sprintf("event %s attribute %s", ev.Name, kv.Key)
			}
		}
	}
	return ""
}
