package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/internal/spantree"
)

const treeUsage = `Usage: charmtrace tree [--event NAME] [--trace ID] DB

Shows every trace in the buffer DB as an indented waterfall, oldest trace first: one
line per span with its name, duration, status (ok, error, or blank when unset) and a
bar placing the span within its trace, followed by the status message of failed spans.

Spans are grouped by trace id across rows, so a dispatch whose spans were exported in
several batches, or several dispatches sharing a trace through a Juju parent, show as
one tree. A span whose parent is not in the buffer is shown at the top level.

--event keeps the traces of one Juju event: a root span named NAME or with the attribute
juju.event=NAME (charmtrace), or a root with a child span named "NAME: <handler>" (ops).
The file is opened read-only and never modified.
`

func runTree(ctx context.Context, s *streams, args []string) error {
	fs := newFlagSet(s, "tree", treeUsage)
	event := fs.String("event", "", "show only traces of the Juju event `NAME` (for example install)")
	traceID := fs.String("trace", "", "show only the trace with this `ID` (32 hex digits)")
	pos, err := fs.parse(args, 1, "one buffer file")
	if err != nil {
		return err
	}
	wantID := strings.ToLower(*traceID)
	if b, err := hex.DecodeString(wantID); wantID != "" && (err != nil || len(b) != 16) {
		return usagef("--trace %q is not a trace id (32 hex digits)", *traceID)
	}
	b, err := openReadOnly(ctx, pos[0])
	if err != nil {
		return err
	}
	defer b.Close()

	set := spantree.NewSet()
	skipped, err := eachRow(ctx, b, s.stderr, func(_ buffer.Row, td *tracepb.TracesData) error {
		set.Add(td)
		return nil
	})
	if err != nil {
		return err
	}
	shown := set.Print(s.stdout, spantree.Options{}, func(t *spantree.Trace) bool {
		return (wantID == "" || t.ID == wantID) && (*event == "" || t.MatchesEvent(*event))
	})
	if shown == 0 {
		if set.Len() == 0 {
			fmt.Fprintf(s.stderr, "no traces in %s\n", pos[0])
		} else {
			fmt.Fprintf(s.stderr, "none of the %d traces in %s matches\n", set.Len(), pos[0])
		}
	}
	return skipped
}

// printable replaces control characters in text shown on a terminal.
func printable(s string) string { return spantree.Printable(s) }
