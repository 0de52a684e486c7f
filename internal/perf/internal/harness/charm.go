package harness

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/tracing"
)

// Setup is the measured charm: its configure handler (start, config-changed,
// update-status) does what the example charm's does — config-get, one span of its
// own, status-set — and then makes spans-1 more spans of its own, 4 attributes each.
func Setup(spans int) tracing.SetupFunc {
	return func(c *tracing.Charm) error {
		configure := func(ctx context.Context, _ charmhooks.Event) error {
			var cfg struct {
				LogLevel string `json:"log-level"`
			}
			if err := c.Tools.ConfigGet(&cfg); err != nil {
				return err
			}
			tracer := otel.Tracer("charmtrace-perf")
			_, span := tracer.Start(ctx, "render workload config")
			span.SetAttributes(attribute.String("workload.log_level", cfg.LogLevel))
			span.End()
			for i := 1; i < spans; i++ {
				_, span := tracer.Start(ctx, "reconcile item")
				span.SetAttributes(attribute.Int("item", i), attribute.String("workload.log_level", cfg.LogLevel),
					attribute.Bool("changed", i%3 == 0), attribute.String("kind", "config-file"))
				span.End()
			}
			return c.Tools.StatusSet(charmhooks.StatusActive, "log level "+cfg.LogLevel)
		}
		for _, hook := range []string{"start", "config-changed", "update-status"} {
			c.Router.Handle(hook, configure, charmhooks.HandlerName("configure/"+hook))
		}
		return nil
	}
}
