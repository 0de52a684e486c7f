package pebble

import (
	"context"

	"github.com/canonical/pebble/client"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// AddLayer adds a configuration layer to the plan. Only the layer's label and whether it
// is combined are recorded: a layer holds commands and environment values.
func (c *Client) AddLayer(opts *client.AddLayerOptions) error {
	attrs := []attribute.KeyValue{AttrLayer.String(opts.Label), AttrCombine.Bool(opts.Combine)}
	return c.call("AddLayer", attrs, func(context.Context, trace.Span) error { return c.raw.AddLayer(opts) })
}

// PlanBytes returns the plan in YAML. Its content is returned, never recorded.
func (c *Client) PlanBytes(opts *client.PlanOptions) ([]byte, error) {
	var out []byte
	err := c.call("PlanBytes", nil, func(context.Context, trace.Span) error {
		var err error
		out, err = c.raw.PlanBytes(opts)
		return err
	})
	return out, err
}
