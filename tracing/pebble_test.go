package tracing

import (
	"context"
	"strings"
	"testing"

	"github.com/canonical/pebble/client"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/pebble/pebbletest"
)

// TestCharmPebbleSpansFollowTheHandler: Charm.Pebble's calls are children of the running
// handler's span, and stopping a check reaches the unit log as sys_monitor_disabled.
func TestCharmPebbleSpansFollowTheHandler(t *testing.T) {
	u := newUnit(t)
	sockets := t.TempDir()
	srv, err := pebbletest.NewServer(sockets, "web")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	setup := func(c *Charm) error {
		c.Router.Handle("web-pebble-ready", func(ctx context.Context, _ charmhooks.Event) error {
			web := c.Pebble("web")
			if err := web.AddLayer(&client.AddLayerOptions{Label: "l", LayerData: []byte("checks:\n  up:\n    override: replace\n    exec: {command: /bin/true}\n")}); err != nil {
				return err
			}
			_, err := web.StopChecks(&client.ChecksActionOptions{Names: []string{"up"}})
			return err
		}, charmhooks.HandlerName("ready"))
		return nil
	}
	if status := u.dispatch("web-pebble-ready", map[string]string{"JUJU_WORKLOAD_NAME": "web"}, setup, WithPebbleSocketDir(sockets)); status != 0 {
		t.Fatalf("exit status %d; log %q", status, u.logs())
	}
	spans := u.rec.Ended()
	handler := spanNamed(t, spans, "web-pebble-ready: ready")
	for _, name := range []string{"pebble AddLayer", "pebble StopChecks"} {
		if s := spanNamed(t, spans, name); s.Parent().SpanID() != handler.SpanContext().SpanID() {
			t.Errorf("%s is not a child of the handler span", name)
		}
	}
	found := false
	for _, l := range u.logs() {
		found = found || strings.Contains(l, `"event": "sys_monitor_disabled:`)
	}
	if !found {
		t.Fatalf("no sys_monitor_disabled in the log %q", u.logs())
	}
}

// TestCharmPebbleWorksWithTracingOff: with tracing disabled the client still talks to
// Pebble (through a no-op tracer).
func TestCharmPebbleWorksWithTracingOff(t *testing.T) {
	u := newUnit(t)
	sockets := t.TempDir()
	srv, err := pebbletest.NewServer(sockets, "web")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	setup := func(c *Charm) error {
		c.Router.Handle("config-changed", func(ctx context.Context, _ charmhooks.Event) error {
			return c.Pebble("web").WithContext(ctx).Push(&client.PushOptions{Path: "/a", Source: strings.NewReader("x")})
		})
		return nil
	}
	if status := u.dispatch("config-changed", nil, setup, WithDisabled(), WithPebbleSocketDir(sockets)); status != 0 {
		t.Fatalf("exit status %d", status)
	}
	if _, ok := srv.File("/a"); !ok {
		t.Fatal("the push did not reach Pebble")
	}
	if n := len(u.rec.Ended()); n != 0 {
		t.Fatalf("%d spans with tracing off", n)
	}
}
