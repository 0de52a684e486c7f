package tracing

import (
	"bytes"
	"testing"
)

// envGetter stands in for goops' EnvironmentGetter.
type envGetter map[string]string

func (e envGetter) Get(k string) string { return e[k] }

// Under a harness such as goopstest — the unit's name and model faked, but no charm
// directory and no JUJU_CONTEXT_ID — Wrap still traces the call, in memory, and adds
// no line to the unit's log: a test's log assertions see only the charm's own lines.
func TestWrapOffUnitTracesInMemoryAndLogsNothing(t *testing.T) {
	u := newUnit(t)
	s := &seam{r: u.runner}
	env := envGetter{"JUJU_UNIT_NAME": "testapp/42", "JUJU_MODEL_NAME": "m", "JUJU_MODEL_UUID": "42",
		"JUJU_HOOK_NAME": "start", "JUJU_VERSION": "3.6.0"}
	current := envGetter{} // what goops holds before goopstest's run replaces it
	var stderr bytes.Buffer
	wrapped := Wrap(func() error {
		_, err := s.r.Run("juju-log", "--log-level=INFO", "charm line")
		return err
	}, WithCommandRunner(s.get, s.set), WithEnvGetter(func() envGetter { return current }),
		WithSpanProcessor(u.recorder()), WithStderr(&stderr))
	current = env // the getter is asked at call time, as goopstest needs
	if err := wrapped(); err != nil {
		t.Fatal(err)
	}
	if logs := u.logs(); len(logs) != 1 || logs[0] != "INFO charm line" {
		t.Errorf("unit log %q: want only the charm's line", logs)
	}
	spanNamed(t, u.rec.Ended(), "start")
	if stderr.Len() != 0 {
		t.Errorf("stderr: %q", stderr.String())
	}
}
