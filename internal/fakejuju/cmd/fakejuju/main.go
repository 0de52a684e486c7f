// Command fakejuju is a fake of Juju's hook tools for tests and the demo.
// Installed under a tool's name (relation-get, secret-add, ...), it acts
// as that tool against the JSON state file named by $FAKEJUJU_STATE and
// records the call beside it. See package internal/fakejuju.
package main

import (
	"os"

	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

func main() {
	os.Exit(fakejuju.Main(os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}
