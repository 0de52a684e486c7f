// Command k8s is an example Kubernetes (sidecar) charm written in Go, traced by
// charmtrace. Its work is Pebble calls into the workload container "web":
//
//   - web-pebble-ready: push the workload's configuration file, add a Pebble layer
//     with the service and its health check, replan;
//   - config-changed: push the new configuration and restart the service;
//   - action rotate-key: exec the workload's admin tool with the new key as an argument;
//   - action pause-monitoring: stop the health check (a sys_monitor_disabled event).
//
// Every Pebble call is a span ("pebble Push", "pebble Replan", ...) under the handler
// or under the charm's own span, recording paths, names and the executable, never the
// file's content, the environment's values or the exec's arguments.
package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/canonical/pebble/client"
	"go.opentelemetry.io/otel"
	"gopkg.in/yaml.v3"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/pebble"
	"github.com/charmtrace/charmtrace/tracing"
)

const (
	container  = "web"
	service    = "web"
	check      = "web-alive"
	configPath = "/etc/web/web.conf"
)

func main() { tracing.Main(setup) }

func setup(c *tracing.Charm) error {
	ch := &charm{tools: c.Tools, web: c.Pebble(container)}
	c.Router.Handle(container+"-pebble-ready", ch.pebbleReady, charmhooks.HandlerName("pebble-ready"))
	c.Router.Handle("config-changed", ch.configChanged, charmhooks.HandlerName("config-changed"))
	c.Router.HandleAction("rotate-key", ch.rotateKey, charmhooks.HandlerName("rotate-key"))
	c.Router.HandleAction("pause-monitoring", ch.pauseMonitoring, charmhooks.HandlerName("pause-monitoring"))
	return nil
}

type charm struct {
	tools *charmhooks.Tools
	web   *pebble.Client
}

type config struct {
	Greeting string `json:"greeting"`
	LogLevel string `json:"log-level"`
}

// pebbleReady configures the workload inside a span of the charm's own: the calls made
// with its context are that span's children in the trace.
func (ch *charm) pebbleReady(ctx context.Context, _ charmhooks.Event) error {
	ctx, span := otel.Tracer("charmtrace-k8s-example").Start(ctx, "configure workload")
	defer span.End()
	tools, web := ch.tools.WithContext(ctx), ch.web.WithContext(ctx)

	var cfg config
	if err := tools.ConfigGet(&cfg); err != nil {
		return err
	}
	if err := pushConfig(web, cfg); err != nil {
		return err
	}
	data, err := layer(cfg)
	if err != nil {
		return err
	}
	if err := web.AddLayer(&client.AddLayerOptions{Label: "web", Combine: true, LayerData: data}); err != nil {
		return fmt.Errorf("add the web layer: %w", err)
	}
	if _, err := web.Replan(&client.ServiceOptions{}); err != nil {
		return fmt.Errorf("replan: %w", err)
	}
	return tools.StatusSet(charmhooks.StatusActive, "")
}

// configChanged applies new configuration: a new file, and a restart to read it. The
// log level lives in the layer, so the layer is updated too; Restart picks up both.
func (ch *charm) configChanged(ctx context.Context, _ charmhooks.Event) error {
	var cfg config
	if err := ch.tools.ConfigGet(&cfg); err != nil {
		return err
	}
	if err := pushConfig(ch.web, cfg); err != nil {
		var conn client.ConnectionError
		if errors.As(err, &conn) {
			// The container is not up yet: pebble-ready will configure it. (A push
			// fails at once; a GET such as SysInfo would be retried for 5 s.)
			return ch.tools.StatusSet(charmhooks.StatusWaiting, "waiting for the web container")
		}
		return err
	}
	data, err := layer(cfg)
	if err != nil {
		return err
	}
	if err := ch.web.AddLayer(&client.AddLayerOptions{Label: "web", Combine: true, LayerData: data}); err != nil {
		return fmt.Errorf("update the web layer: %w", err)
	}
	if _, err := ch.web.Restart(&client.ServiceOptions{Names: []string{service}}); err != nil {
		return fmt.Errorf("restart %s: %w", service, err)
	}
	return ch.tools.StatusSet(charmhooks.StatusActive, "")
}

type rotateParams struct {
	Key string `json:"key"`
}

// rotateKey runs the workload's admin tool with the new key as its argument. The key
// travels to Pebble in the exec request; the span records only "web-admin" and the
// number of arguments.
func (ch *charm) rotateKey(ctx context.Context, _ charmhooks.Event) error {
	var p rotateParams
	if err := ch.tools.ActionGet(&p); err != nil {
		return err
	}
	var out strings.Builder
	proc, err := ch.web.Exec(&client.ExecOptions{Command: []string{"/usr/bin/web-admin", "set-key", p.Key}, Stdout: &out})
	if err != nil {
		return fmt.Errorf("start web-admin: %w", err)
	}
	if err := proc.Wait(); err != nil {
		return fmt.Errorf("web-admin: %w", err)
	}
	return ch.tools.ActionSet(map[string]string{"rotated": "true"})
}

// pauseMonitoring stops the health check; tracing reports it as sys_monitor_disabled.
func (ch *charm) pauseMonitoring(ctx context.Context, _ charmhooks.Event) error {
	if _, err := ch.web.StopChecks(&client.ChecksActionOptions{Names: []string{check}}); err != nil {
		return fmt.Errorf("stop %s: %w", check, err)
	}
	return ch.tools.StatusSet(charmhooks.StatusMaintenance, "health check paused")
}

func pushConfig(web *pebble.Client, cfg config) error {
	body := "greeting: " + cfg.Greeting + "\n"
	if err := web.Push(&client.PushOptions{Path: configPath, Source: strings.NewReader(body), MakeDirs: true, Permissions: 0o600}); err != nil {
		return fmt.Errorf("push %s: %w", configPath, err)
	}
	return nil
}

// layer is the workload's Pebble layer: the service, with the log level in its
// environment, and its liveness check. It is marshalled, not templated, so a
// configuration value cannot change the layer's structure.
func layer(cfg config) ([]byte, error) {
	l := map[string]any{
		"summary": "web workload",
		"services": map[string]any{service: map[string]any{
			"override":    "replace",
			"command":     "/usr/bin/web --config " + configPath,
			"startup":     "enabled",
			"environment": map[string]string{"WEB_LOG_LEVEL": cfg.LogLevel},
		}},
		"checks": map[string]any{check: map[string]any{
			"override": "replace",
			"level":    "alive",
			"http":     map[string]string{"url": "http://localhost:8080/health"},
		}},
	}
	return yaml.Marshal(l)
}
