package pebble

import (
	"context"

	"github.com/canonical/pebble/client"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

func checkAttrs(names []string) []attribute.KeyValue {
	if len(names) == 0 {
		return nil
	}
	return []attribute.KeyValue{AttrChecks.StringSlice(names)}
}

// Checks lists the health checks named in opts (all if none) at opts.Level.
func (c *Client) Checks(opts *client.ChecksOptions) ([]*client.CheckInfo, error) {
	var out []*client.CheckInfo
	err := c.call("Checks", checkAttrs(opts.Names), func(context.Context, trace.Span) error {
		var err error
		out, err = c.raw.Checks(opts)
		return err
	})
	return out, err
}

// StartChecks starts the checks named in opts.
func (c *Client) StartChecks(opts *client.ChecksActionOptions) (*client.ChecksActionResult, error) {
	var out *client.ChecksActionResult
	err := c.call("StartChecks", checkAttrs(opts.Names), func(context.Context, trace.Span) error {
		var err error
		out, err = c.raw.StartChecks(opts)
		return err
	})
	return out, err
}

// StopChecks stops the checks named in opts. Stopping a check disables health
// monitoring of the workload: with WithSecurityLogger, each check Pebble reports as
// stopped is a sys_monitor_disabled security event, recorded on this call's span too.
func (c *Client) StopChecks(opts *client.ChecksActionOptions) (*client.ChecksActionResult, error) {
	var out *client.ChecksActionResult
	err := c.call("StopChecks", checkAttrs(opts.Names), func(ctx context.Context, _ trace.Span) error {
		var err error
		out, err = c.raw.StopChecks(opts)
		if err == nil && out != nil && c.sec != nil {
			for _, name := range out.Changed {
				c.sec.SysMonitorDisabled(ctx, name)
			}
		}
		return err
	})
	return out, err
}

// Health reports whether the checks named in opts (all if none) are up at opts.Level.
func (c *Client) Health(opts *client.HealthOptions) (bool, error) {
	var healthy bool
	err := c.call("Health", checkAttrs(opts.Names), func(context.Context, trace.Span) error {
		var err error
		healthy, err = c.raw.Health(opts)
		return err
	})
	return healthy, err
}
