package charm_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/canonical/pebble/client"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/charmtrace/charmtrace/examples/goops"
	"github.com/charmtrace/charmtrace/pebble"
	"github.com/charmtrace/charmtrace/pebble/pebbletest"
	"github.com/charmtrace/charmtrace/tracing"
	"github.com/gruyaume/goops"
)

// metadata declares the two relations tracing reads.
const metadata = `name: example
requires:
  charm-tracing:
    interface: tracing
    limit: 1
  receive-ca-cert:
    interface: certificate_transfer
`

// hookTools answers the hook tools tracing itself calls around a dispatch.
type hookTools struct{}

func (hookTools) Run(name string, args ...string) ([]byte, error) {
	if name == "relation-ids" {
		return []byte("[]\n"), nil
	}
	return nil, nil
}

// TestGoopsPebbleCallsAreTraced: with the getter installed through tracing.WithPebble, a
// goops charm's goops.Pebble(...) calls are spans under the dispatch's root span, and an
// exec's arguments stay out of them.
func TestGoopsPebbleCallsAreTraced(t *testing.T) {
	dir, sockets := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "charmcraft.yaml"), []byte(metadata), 0o644); err != nil {
		t.Fatal(err)
	}
	srv, err := pebbletest.NewServer(sockets, "web")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.HandleExec("rotate", func(pebbletest.ExecRequest) pebbletest.ExecResult { return pebbletest.ExecResult{} })
	env := map[string]string{"JUJU_UNIT_NAME": "example/0", "JUJU_MODEL_NAME": "m", "JUJU_MODEL_UUID": "u",
		"JUJU_CHARM_DIR": dir, "JUJU_DISPATCH_PATH": "hooks/config-changed"}
	old := goops.GetCommandRunner()
	defer goops.SetCommandRunner(old)
	goops.SetCommandRunner(hookTools{})

	configure := func() error {
		web := goops.Pebble("web")
		if err := web.Push(&client.PushOptions{Path: "/etc/web.conf", Source: strings.NewReader("x"), MakeDirs: true}); err != nil {
			return err
		}
		proc, err := web.Exec(&client.ExecOptions{Command: []string{"rotate", password}})
		if err != nil {
			return err
		}
		return proc.Wait()
	}
	rec := tracetest.NewSpanRecorder()
	err = tracing.Wrap(configure,
		tracing.WithCommandRunner(goops.GetCommandRunner, goops.SetCommandRunner),
		tracing.WithGetenv(func(k string) string { return env[k] }),
		tracing.WithPebbleSocketDir(sockets),
		tracing.WithPebble(func(newClient func(string) *pebble.Client) {
			goops.SetPebbleGetter(charm.PebbleGetter{New: newClient})
		}),
		tracing.WithSpanProcessor(rec))()
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := srv.File("/etc/web.conf"); !ok || string(f.Content) != "x" {
		t.Fatal("the push did not reach the fake Pebble")
	}
	spans := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		spans[s.Name()] = s
		for _, kv := range s.Attributes() {
			if strings.Contains(kv.Value.Emit(), password) {
				t.Errorf("%s: %s holds the exec argument", s.Name(), kv.Key)
			}
		}
	}
	root := spans["config-changed"]
	for _, name := range []string{"pebble Push", "pebble Exec", "pebble Wait"} {
		if s := spans[name]; s == nil || root == nil || s.Parent().SpanID() != root.SpanContext().SpanID() {
			t.Errorf("%s is not a child of the root span", name)
		}
	}
}
