package pebble

import (
	"context"

	"github.com/canonical/pebble/client"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// serviceAction runs one of the service actions that start a change, recording the
// services named and the change id.
func (c *Client) serviceAction(method string, opts *client.ServiceOptions, fn func(*client.ServiceOptions) (string, error)) (string, error) {
	var id string
	err := c.call(method, serviceAttrs(opts), func(_ context.Context, span trace.Span) error {
		var err error
		id, err = fn(opts)
		if id != "" {
			span.SetAttributes(AttrChange.String(id))
		}
		return err
	})
	return id, err
}

func serviceAttrs(opts *client.ServiceOptions) []attribute.KeyValue {
	if opts == nil || len(opts.Names) == 0 {
		return nil
	}
	return []attribute.KeyValue{AttrServices.StringSlice(opts.Names)}
}

// Start starts the services named in opts and returns the change id.
func (c *Client) Start(opts *client.ServiceOptions) (changeID string, err error) {
	return c.serviceAction("Start", opts, func(o *client.ServiceOptions) (string, error) { return c.raw.Start(o) })
}

// Stop stops the services named in opts and returns the change id.
func (c *Client) Stop(opts *client.ServiceOptions) (changeID string, err error) {
	return c.serviceAction("Stop", opts, func(o *client.ServiceOptions) (string, error) { return c.raw.Stop(o) })
}

// Restart restarts the services named in opts and returns the change id.
func (c *Client) Restart(opts *client.ServiceOptions) (changeID string, err error) {
	return c.serviceAction("Restart", opts, func(o *client.ServiceOptions) (string, error) { return c.raw.Restart(o) })
}

// Replan starts the plan's enabled services and restarts those whose configuration
// changed, and returns the change id.
func (c *Client) Replan(opts *client.ServiceOptions) (changeID string, err error) {
	return c.serviceAction("Replan", opts, func(o *client.ServiceOptions) (string, error) { return c.raw.Replan(o) })
}

// AutoStart starts the plan's enabled services and returns the change id.
func (c *Client) AutoStart(opts *client.ServiceOptions) (changeID string, err error) {
	return c.serviceAction("AutoStart", opts, func(o *client.ServiceOptions) (string, error) { return c.raw.AutoStart(o) })
}

// Services lists the services named in opts (all if none), ordered by name.
func (c *Client) Services(opts *client.ServicesOptions) ([]*client.ServiceInfo, error) {
	var attrs []attribute.KeyValue
	if opts != nil && len(opts.Names) > 0 {
		attrs = append(attrs, AttrServices.StringSlice(opts.Names))
	}
	var out []*client.ServiceInfo
	err := c.call("Services", attrs, func(context.Context, trace.Span) error {
		var err error
		out, err = c.raw.Services(opts)
		return err
	})
	return out, err
}

// SendSignal sends a signal (e.g. SIGHUP) to the services named in opts.
func (c *Client) SendSignal(opts *client.SendSignalOptions) error {
	attrs := []attribute.KeyValue{AttrSignal.String(opts.Signal), AttrServices.StringSlice(opts.Services)}
	return c.call("SendSignal", attrs, func(context.Context, trace.Span) error { return c.raw.SendSignal(opts) })
}
