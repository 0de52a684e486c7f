package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/perf/internal/harness"
)

// cmdP8 runs update-status on a unit with no destination under strace and prints the
// counts (harness.StraceDispatch).
func cmdP8(args []string) error {
	fs := flag.NewFlagSet("p8", flag.ContinueOnError)
	dir := fs.String("dir", "", "a unit with a buffer and no tracing relation")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := harness.LoadUnit(*dir)
	if err != nil {
		return err
	}
	c, err := harness.StraceDispatch(context.Background(), u, "update-status")
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(c)
}

// cmdP9 runs harness.ToolCallScenario on a new unit in DIR, related to an HTTPS
// receiver it starts, and prints the cases.
func cmdP9(args []string) error {
	fs := flag.NewFlagSet("p9", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory for the new unit")
	var bins e2e.Binaries
	fs.StringVar(&bins.Charm, "charm", "", "the charm's dispatch executable")
	fs.StringVar(&bins.FakeJuju, "fakejuju", "", "the fakejuju executable")
	fs.StringVar(&bins.Metadata, "meta", "", "the charm's charmcraft.yaml")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || bins.Charm == "" || bins.FakeJuju == "" || bins.Metadata == "" {
		return errors.New("-dir, -charm, -fakejuju and -meta are required")
	}
	recv, err := harness.StartReceiver(harness.Discard, true)
	if err != nil {
		return err
	}
	defer recv.Close()
	cases, err := harness.ToolCallScenario(context.Background(), *dir, bins, recv)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(cases)
}
