package tracing

import (
	"errors"
	"testing"

	"go.opentelemetry.io/otel/codes"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// seam stands in for goops' package-level command runner.
type seam struct{ r charmhooks.Runner }

func (s *seam) get() charmhooks.Runner  { return s.r }
func (s *seam) set(r charmhooks.Runner) { s.r = r }

func TestWrapTracesAFuncCharmThroughItsRunnerSeam(t *testing.T) {
	u := newUnit(t)
	s := &seam{r: u.runner}
	boom := errors.New("configure failed")
	charm := func() error {
		// A goops charm calls hook tools through the package-level runner.
		if _, err := s.r.Run("status-set", "active", "ok"); err != nil {
			return err
		}
		return boom
	}
	env := map[string]string{}
	for k, v := range u.env {
		env[k] = v
	}
	env["JUJU_DISPATCH_PATH"], env["JUJU_HOOK_NAME"] = "hooks/config-changed", "config-changed"
	env["JUJU_CONTEXT_ID"] = "testapp/42-config-changed-1" // on a unit: tracing logs through the runner
	u.runner.SetEnv(env)
	err := Wrap(charm,
		WithCommandRunner(s.get, s.set),
		WithGetenv(func(k string) string { return env[k] }),
		WithSpanProcessor(u.recorder()))()
	if err != boom {
		t.Fatalf("Wrap returned %v, want the charm's own error", err)
	}
	if s.r != u.runner {
		t.Fatal("the original runner was not put back")
	}
	spans := u.rec.Ended()
	root := spanNamed(t, spans, "config-changed")
	if root.Status().Code != codes.Error {
		t.Fatal("root span not failed")
	}
	if tool := spanNamed(t, spans, "status-set"); tool.Parent().SpanID() != root.SpanContext().SpanID() {
		t.Fatal("hook-tool span is not a child of the root span")
	}
	if len(u.rows()) == 0 {
		t.Fatal("nothing stored in the buffer")
	}
}
