package charm

import (
	"github.com/canonical/pebble/client"
	"github.com/gruyaume/goops"

	"github.com/charmtrace/charmtrace/pebble"
)

// PebbleGetter is a goops.PebbleGetter whose clients are charmtrace's traced ones. main
// installs it through tracing.WithPebble:
//
//	tracing.WithPebble(func(newClient func(string) *pebble.Client) {
//		goops.SetPebbleGetter(charm.PebbleGetter{New: newClient})
//	})
type PebbleGetter struct {
	New func(container string) *pebble.Client
}

// Pebble returns the traced client of container.
func (g PebbleGetter) Pebble(container string) goops.PebbleClient {
	return goopsPebble{g.New(container)}
}

// goopsPebble adapts a pebble.Client to goops.PebbleClient: every method but Exec has the
// same signature, and Exec must return goops' own interface type.
type goopsPebble struct{ *pebble.Client }

func (p goopsPebble) Exec(opts *client.ExecOptions) (goops.PebbleExecProcess, error) {
	proc, err := p.Client.Exec(opts)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return proc, nil
}
