// Command example is the goops charm's dispatch binary: the charm's Configure, traced
// by charmtrace.
package main

import (
	"os"

	"github.com/gruyaume/goops"

	"github.com/charmtrace/charmtrace/examples/goops"
	"github.com/charmtrace/charmtrace/pebble"
	"github.com/charmtrace/charmtrace/tracing"
)

func main() {
	// charm.Traced is the one Wrap line: goops' runner seam decorated for the call, the
	// Juju environment read through goops' getter. goops.Pebble(...) hands out traced
	// clients; installed here in main, never in what goopstest runs, since goops cannot
	// give back goopstest's fake getter.
	traced := charm.Traced(tracing.WithPebble(func(newClient func(string) *pebble.Client) {
		goops.SetPebbleGetter(charm.PebbleGetter{New: newClient})
	}))
	if err := traced(); err != nil {
		goops.LogErrorf("could not configure charm: %v", err)
		os.Exit(1) // safe: Wrap has already stored the trace
	}
}
