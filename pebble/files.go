package pebble

import (
	"context"

	"github.com/canonical/pebble/client"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Push writes opts.Source to opts.Path in the container. The path is recorded, the
// content never.
func (c *Client) Push(opts *client.PushOptions) error {
	return c.call("Push", pathAttrs(opts.Path), func(context.Context, trace.Span) error { return c.raw.Push(opts) })
}

// Pull reads the file at opts.Path into opts.Target. The path is recorded, the content
// never.
func (c *Client) Pull(opts *client.PullOptions) error {
	return c.call("Pull", pathAttrs(opts.Path), func(context.Context, trace.Span) error { return c.raw.Pull(opts) })
}

// ListFiles lists the directory (or file) at opts.Path.
func (c *Client) ListFiles(opts *client.ListFilesOptions) ([]*client.FileInfo, error) {
	var out []*client.FileInfo
	err := c.call("ListFiles", pathAttrs(opts.Path), func(context.Context, trace.Span) error {
		var err error
		out, err = c.raw.ListFiles(opts)
		return err
	})
	return out, err
}

// MakeDir creates the directory at opts.Path.
func (c *Client) MakeDir(opts *client.MakeDirOptions) error {
	return c.call("MakeDir", pathAttrs(opts.Path), func(context.Context, trace.Span) error { return c.raw.MakeDir(opts) })
}

// RemovePath removes the file or directory at opts.Path.
func (c *Client) RemovePath(opts *client.RemovePathOptions) error {
	return c.call("RemovePath", pathAttrs(opts.Path), func(context.Context, trace.Span) error { return c.raw.RemovePath(opts) })
}

func pathAttrs(path string) []attribute.KeyValue {
	return []attribute.KeyValue{AttrPath.String(path)}
}
