package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
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

// Layout of a span line.
const (
	nameWidth = 44 // indentation included
	maxIndent = 20
	barWidth  = 40
	msgWidth  = 80
	attrWidth = 120 // an attribute line, key and value
)

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

	set := newTraceSet()
	skipped, err := eachRow(ctx, b, s.stderr, func(_ buffer.Row, td *tracepb.TracesData) error {
		set.add(td)
		return nil
	})
	if err != nil {
		return err
	}
	keep := func(t *traceTree) bool {
		switch {
		case wantID != "" && t.id != wantID:
			return false
		case *failed && !t.failed():
			return false
		case *event != "":
			return t.dispatchOf(*event) || (*reruns && t.rerunOf(*event))
		}
		return true
	}
	shown := 0
	w := bufio.NewWriter(s.stdout)
	for _, t := range set.traces() {
		if !keep(t) {
			continue
		}
		if shown > 0 {
			fmt.Fprintln(w)
		}
		t.printWith(w, *attrs)
		shown++
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if shown == 0 {
		if len(set.byID) == 0 {
			fmt.Fprintf(s.stderr, "no traces in %s\n", printable(pos[0]))
		} else {
			fmt.Fprintf(s.stderr, "none of the %d traces in %s matches\n", len(set.byID), printable(pos[0]))
		}
	}
	return skipped
}

// print shows the trace without attributes (demo's view).
func (t *traceTree) print(w io.Writer) { t.printWith(w, false) }

// printWith shows the trace, and with attrs the resource's and each span's attributes.
func (t *traceTree) printWith(w io.Writer, attrs bool) {
	var res []*commonpb.KeyValue
	if len(t.roots) > 0 {
		res = t.roots[0].resource.GetAttributes()
	}
	fmt.Fprintf(w, "trace %s  %s  %s  %s", t.id, time.Unix(0, int64(t.start)).UTC().Format(timeLayout),
		formatDuration(t.end-t.start), plural(int64(len(t.spans)), "span"))
	if unit := cmp.Or(stringAttr(res, "juju_unit"), stringAttr(res, "service.name")); unit != "" {
		fmt.Fprintf(w, "  %s", truncate(printable(unit), msgWidth))
	}
	fmt.Fprintln(w)
	if attrs {
		for _, kv := range res {
			fmt.Fprintf(w, "  resource %s\n", formatAttr(kv, attrWidth))
		}
	}
	// An explicit stack, not recursion: a crafted file can chain spans a million deep.
	// Children are pushed last first, so they come off in order.
	type item struct {
		n     *spanNode
		depth int
	}
	stack := make([]item, 0, len(t.roots))
	for i := len(t.roots) - 1; i >= 0; i-- {
		stack = append(stack, item{t.roots[i], 0})
	}
	printed := 0
	seen := make(map[*spanNode]bool, len(t.spans))
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[it.n] { // cannot happen with one parent per span; cheap insurance
			continue
		}
		seen[it.n] = true
		t.printSpan(w, it.n, it.depth, attrs)
		printed++
		for i := len(it.n.children) - 1; i >= 0; i-- {
			stack = append(stack, item{it.n.children[i], it.depth + 1})
		}
	}
	if hidden := len(t.spans) - printed; hidden > 0 {
		fmt.Fprintf(w, "  (%s not shown: their parent ids form a cycle)\n", plural(int64(hidden), "span"))
	}
}

// printSpan prints the line of one span at depth, and its attributes if asked to.
// Indentation stops growing at maxIndent; deeper spans say their depth instead.
func (t *traceTree) printSpan(w io.Writer, n *spanNode, depth int, attrs bool) {
	width := 2 + 2*depth
	label := printable(n.span.Name)
	if width > maxIndent {
		width = maxIndent
		label = fmt.Sprintf("[%d] %s", depth, label)
	}
	indent := strings.Repeat(" ", width)
	name := truncate(indent+label, nameWidth)
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
	if attrs {
		for _, kv := range n.span.Attributes {
			fmt.Fprintf(w, "%s    %s\n", indent, formatAttr(kv, attrWidth))
		}
	}
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
