package pebble

import (
	"context"

	"github.com/canonical/pebble/client"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// WaitChange waits for the change id to finish (Change.Err is set if it failed).
func (c *Client) WaitChange(id string, opts *client.WaitChangeOptions) (*client.Change, error) {
	var out *client.Change
	err := c.call("WaitChange", []attribute.KeyValue{AttrChange.String(id)}, func(_ context.Context, span trace.Span) error {
		var err error
		out, err = c.raw.WaitChange(id, opts)
		if err == nil && out != nil {
			span.SetAttributes(AttrChangeStatus.String(out.Status))
		}
		return err
	})
	return out, err
}

// Change returns the change id as it is now.
func (c *Client) Change(id string) (*client.Change, error) {
	var out *client.Change
	err := c.call("Change", []attribute.KeyValue{AttrChange.String(id)}, func(context.Context, trace.Span) error {
		var err error
		out, err = c.raw.Change(id)
		return err
	})
	return out, err
}

// SysInfo returns the Pebble daemon's version and boot id.
func (c *Client) SysInfo() (*client.SysInfo, error) {
	var out *client.SysInfo
	err := c.call("SysInfo", nil, func(context.Context, trace.Span) error {
		var err error
		out, err = c.raw.SysInfo()
		return err
	})
	return out, err
}
