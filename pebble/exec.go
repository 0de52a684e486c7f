package pebble

import (
	"context"
	"path"

	"github.com/canonical/pebble/client"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Exec starts opts.Command in the container. The span records the executable (the
// command's first word) and how many arguments follow it, never the arguments, the
// environment, the working directory's contents or the process's input and output.
// Waiting for the process is a span of its own ("pebble Wait"), a sibling of this one.
func (c *Client) Exec(opts *client.ExecOptions) (*ExecProcess, error) {
	var attrs []attribute.KeyValue
	if len(opts.Command) > 0 {
		attrs = append(attrs, AttrExecutable.String(path.Base(opts.Command[0])), AttrExecArgc.Int(len(opts.Command)-1))
	}
	if opts.ServiceContext != "" {
		attrs = append(attrs, AttrServices.StringSlice([]string{opts.ServiceContext}))
	}
	var p *client.ExecProcess
	parent := c.parent()
	err := c.call("Exec", attrs, func(context.Context, trace.Span) error {
		var err error
		p, err = c.raw.Exec(opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	// The Wait span has the Exec call's parent, not the Exec span, which has ended.
	waiter := c.WithContext(parent)
	return &ExecProcess{raw: p, client: waiter, attrs: attrs}, nil
}

// ExecProcess is a command started with Exec. It has the canonical ExecProcess's methods
// (and so satisfies goops' PebbleExecProcess); Wait is traced.
type ExecProcess struct {
	raw    *client.ExecProcess
	client *Client
	attrs  []attribute.KeyValue
}

// Wait waits for the command to finish: nil for exit status 0, a *client.ExitError for
// another. The exit status is recorded.
func (p *ExecProcess) Wait() error {
	return p.client.call("Wait", p.attrs, func(_ context.Context, span trace.Span) error {
		err := p.raw.Wait()
		if err == nil {
			span.SetAttributes(AttrExitCode.Int(0))
		}
		return err
	})
}

// SendSignal sends a signal (e.g. "SIGTERM") to the running command.
func (p *ExecProcess) SendSignal(signal string) error { return p.raw.SendSignal(signal) }

// SendResize tells a command run with a terminal its new size.
func (p *ExecProcess) SendResize(width, height int) error { return p.raw.SendResize(width, height) }
