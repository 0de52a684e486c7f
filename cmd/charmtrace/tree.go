package main

import (
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/charmtrace/charmtrace/buffer"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
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

// Layout of a span line.
const (
	nameWidth = 44 // indentation included
	maxIndent = 20
	barWidth  = 40
	msgWidth  = 80
)

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

	set := newTraceSet()
	skipped, err := eachRow(ctx, b, s.stderr, func(_ buffer.Row, td *tracepb.TracesData) error {
		set.add(td)
		return nil
	})
	if err != nil {
		return err
	}
	shown := 0
	for _, t := range set.traces() {
		if (wantID != "" && t.id != wantID) || (*event != "" && !t.matchesEvent(*event)) {
			continue
		}
		if shown > 0 {
			fmt.Fprintln(s.stdout)
		}
		t.print(s.stdout)
		shown++
	}
	if shown == 0 {
		if len(set.byID) == 0 {
			fmt.Fprintf(s.stderr, "no traces in %s\n", pos[0])
		} else {
			fmt.Fprintf(s.stderr, "none of the %d traces in %s matches\n", len(set.byID), pos[0])
		}
	}
	return skipped
}

func (t *traceTree) print(w io.Writer) {
	unit := ""
	if len(t.roots) > 0 {
		r := t.roots[0].resource.GetAttributes()
		unit = cmp.Or(stringAttr(r, "juju_unit"), stringAttr(r, "service.name"))
	}
	fmt.Fprintf(w, "trace %s  %s  %s  %s", t.id, time.Unix(0, int64(t.start)).UTC().Format(timeLayout),
		formatDuration(t.end-t.start), plural(int64(len(t.spans)), "span"))
	if unit != "" {
		fmt.Fprintf(w, "  %s", printable(unit))
	}
	fmt.Fprintln(w)
	printed := 0
	for _, r := range t.roots {
		printed += t.printNode(w, r, 0)
	}
	if hidden := len(t.spans) - printed; hidden > 0 {
		fmt.Fprintf(w, "  (%s not shown: their parent ids form a cycle)\n", plural(int64(hidden), "span"))
	}
}

// printNode prints n and its descendants and returns how many spans it printed.
func (t *traceTree) printNode(w io.Writer, n *spanNode, depth int) int {
	indent := strings.Repeat(" ", min(2+2*depth, maxIndent))
	name := truncate(indent+printable(n.span.Name), nameWidth)
	status, msg := "", ""
	switch n.span.Status.GetCode() {
	case tracepb.Status_STATUS_CODE_OK:
		status = "ok"
	case tracepb.Status_STATUS_CODE_ERROR:
		status, msg = "error", n.span.Status.GetMessage()
	}
	line := fmt.Sprintf("%-*s  %8s  %-5s  |%s|", nameWidth, name, formatDuration(n.end()-n.start()), status, t.bar(n))
	if msg != "" {
		line += "  " + truncate(printable(msg), msgWidth)
	}
	fmt.Fprintln(w, line)
	count := 1
	for _, c := range n.children {
		count += t.printNode(w, c, depth+1)
	}
	return count
}

// bar draws n's place in the trace: barWidth cells for the trace's whole span of time,
// at least one cell per span so that instant spans stay visible.
func (t *traceTree) bar(n *spanNode) string {
	total := float64(t.end - t.start)
	from, to := 0, barWidth
	if total > 0 {
		from = int(float64(n.start()-t.start) / total * barWidth)
		to = int(float64(n.end()-t.start)/total*barWidth + 0.5)
	}
	from = min(from, barWidth-1)
	to = max(min(to, barWidth), from+1)
	return strings.Repeat(" ", from) + strings.Repeat("#", to-from) + strings.Repeat(" ", barWidth-to)
}

// formatDuration prints ns with three significant digits at most (1.23s, 45.6ms, 789µs),
// whole seconds from 100 s up (2m3s).
func formatDuration(ns uint64) string {
	d := time.Duration(min(ns, 1<<63-1))
	for _, unit := range []time.Duration{time.Second, time.Millisecond, time.Microsecond} {
		switch {
		case d >= 100*unit:
			return d.Round(unit).String()
		case d >= 10*unit:
			return d.Round(unit / 10).String()
		case d >= unit:
			return d.Round(unit / 100).String()
		}
	}
	return d.String()
}

// printable replaces control characters, so that a span name cannot move the cursor or
// change colours in the reader's terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

func truncate(s string, width int) string {
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	return string(r[:width-1]) + "…"
}
