package tracing

import (
	"context"
	"errors"
	"io"
	"testing"

	"go.opentelemetry.io/otel"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/charmhooks"
)

// flushNow stores the spans ended so far, as the batch timeout would in a longer
// dispatch: the rows pushed before a failure must be raised too.
func flushNow(ctx context.Context) {
	// The global provider routes to the running dispatch's SDK provider: flush that one.
	if g, ok := otel.GetTracerProvider().(*dispatchProviders); ok {
		if tp := g.pick(ctx); tp != nil {
			tp.ForceFlush(ctx)
		}
	}
}

func TestRowsOfAFailedDispatchGetTheFailedPriority(t *testing.T) {
	boom := errors.New("boom")
	for _, c := range []struct {
		name  string
		setup SetupFunc
	}{
		{"handler error", func(ch *Charm) error {
			ch.Router.Handle("config-changed", func(ctx context.Context, _ charmhooks.Event) error {
				ch.Tools.StatusSet(charmhooks.StatusMaintenance, "")
				flushNow(ctx)
				return boom
			})
			return nil
		}},
		{"handler panic", func(ch *Charm) error {
			ch.Router.Handle("config-changed", func(ctx context.Context, _ charmhooks.Event) error {
				ch.Tools.StatusSet(charmhooks.StatusMaintenance, "")
				flushNow(ctx)
				panic(boom)
			})
			return nil
		}},
		{"setup error", func(ch *Charm) error {
			ch.Tools.StatusSet(charmhooks.StatusMaintenance, "")
			flushNow(context.Background())
			return boom
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := newUnit(t)
			// An earlier, successful dispatch keeps its observed rows.
			if status := u.dispatch("start", nil, func(ch *Charm) error {
				ch.Router.Handle("start", func(context.Context, charmhooks.Event) error { return nil })
				return nil
			}); status != 0 {
				t.Fatalf("start: status %d", status)
			}
			before := len(u.rows())
			if status := u.dispatch("config-changed", nil, c.setup, func(cfg *config) { cfg.stderr = io.Discard }); status == 0 {
				t.Fatal("the failed dispatch exited 0")
			}
			rows := u.rows()
			if len(rows)-before < 2 {
				t.Fatalf("%d rows from the failed dispatch, want one flushed mid-dispatch and one at its end", len(rows)-before)
			}
			count := map[int]int{}
			for _, r := range rows {
				count[r.Priority]++
			}
			if count[buffer.PriorityFailed] != len(rows)-before || count[buffer.PriorityObserved] != before {
				t.Fatalf("rows by priority %v: want the %d of the failed dispatch at %d, the %d before at %d",
					count, len(rows)-before, buffer.PriorityFailed, before, buffer.PriorityObserved)
			}
		})
	}
}

func TestWrapFailureGetsTheFailedPriority(t *testing.T) {
	u := newUnit(t)
	env := map[string]string{}
	for k, v := range u.env {
		env[k] = v
	}
	env["JUJU_DISPATCH_PATH"], env["JUJU_HOOK_NAME"] = "hooks/config-changed", "config-changed"
	u.runner.SetEnv(env)
	s := &seam{r: u.runner}
	Wrap(func() error { return errors.New("configure failed") },
		WithCommandRunner(s.get, s.set), WithGetenv(func(k string) string { return env[k] }))()
	rows := u.rows()
	if len(rows) == 0 {
		t.Fatal("nothing stored")
	}
	for _, r := range rows {
		if r.Priority != buffer.PriorityFailed {
			t.Fatalf("row %d at priority %d, want %d", r.ID, r.Priority, buffer.PriorityFailed)
		}
	}
}
