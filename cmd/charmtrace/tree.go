package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/internal/spantree"
)

const treeUsage = `Usage: charmtrace tree [--event NAME [--reruns]] [--trace ID] [--failed] [--attrs] DB

Shows every trace in the buffer DB as an indented waterfall, oldest trace first: one
line per span with its name, duration, status (ok, error, or blank when unset) and a
bar placing the span within its trace, followed by the status message of failed spans.

Spans are grouped by trace id across rows, so a dispatch whose spans were exported in
several batches, or several dispatches sharing a trace through a Juju parent, show as
one tree. A span whose parent is not in the buffer is shown at the top level; spans whose
parents form a cycle are counted, not shown.

--event keeps the dispatches of one Juju event: a root span named NAME or with the
attribute juju.event=NAME (charmtrace), or a root with a child span named
"NAME: <handler>" (ops), that is not a re-run of a deferred event. A deferred event is
re-run at the start of later dispatches of other events; --reruns adds the traces of
those dispatches too (their re-run handler spans carry juju.deferred=true in charmtrace,
deferred=true in ops).

--failed keeps the traces in which some span has the status error.
--attrs shows each span's attributes under it, and each trace's resource attributes.

Names longer than the name column, and long messages and values, are cut with a "…".
Every text taken from the file is shown with control, bidi and other invisible
characters written as escapes (\x1b, \u202e), so a crafted file cannot drive the
terminal. The file is opened read-only and never modified.
`

func runTree(ctx context.Context, s *streams, args []string) error {
	fs := newFlagSet(s, "tree", treeUsage)
	event := fs.String("event", "", "show only dispatches of the Juju event `NAME` (for example install)")
	reruns := fs.Bool("reruns", false, "with --event, also show dispatches that re-ran a deferred NAME")
	traceID := fs.String("trace", "", "show only the trace with this `ID` (32 hex digits)")
	failed := fs.Bool("failed", false, "show only traces with a span whose status is error")
	attrs := fs.Bool("attrs", false, "show each span's attributes and each trace's resource attributes")
	pos, err := fs.parse(args, 1, "one buffer file")
	if err != nil {
		return err
	}
	if *reruns && *event == "" {
		return usagef("--reruns needs --event")
	}
	wantID := strings.ToLower(*traceID)
	if b, err := hex.DecodeString(wantID); wantID != "" && (err != nil || len(b) != 16) {
		return usagef("--trace %q is not a trace id (32 hex digits)", printable(*traceID))
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
	keep := func(t *spantree.Trace) bool {
		switch {
		case wantID != "" && t.ID != wantID:
			return false
		case *failed && !t.Failed():
			return false
		case *event != "":
			return t.DispatchOf(*event) || (*reruns && t.RerunOf(*event))
		}
		return true
	}
	w := bufio.NewWriter(s.stdout)
	shown := set.Print(w, spantree.Options{Attrs: *attrs}, keep)
	if err := w.Flush(); err != nil {
		return err
	}
	if shown == 0 {
		if set.Len() == 0 {
			fmt.Fprintf(s.stderr, "no traces in %s\n", printable(pos[0]))
		} else {
			fmt.Fprintf(s.stderr, "none of the %d traces in %s matches\n", set.Len(), printable(pos[0]))
		}
	}
	return skipped
}
