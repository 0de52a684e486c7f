// Command example is the goops charm's dispatch binary: the charm's Configure, traced
// by charmtrace.
package main

import (
	"os"

	"github.com/gruyaume/goops"

	"github.com/charmtrace/charmtrace/examples/goops"
)

func main() {
	// charm.Traced is the one Wrap line: goops' runner seam decorated for the call,
	// the Juju environment read through goops' getter.
	if err := charm.Traced()(); err != nil {
		goops.LogErrorf("could not configure charm: %v", err)
		os.Exit(1) // safe: Wrap has already stored the trace
	}
}
