package spantree

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Layout of a span line.
const (
	NameWidth = 44 // indentation included
	maxIndent = 20
	BarWidth  = 40
	MsgWidth  = 80
	AttrWidth = 120 // an attribute line, key and value
)

// TimeLayout is how times are printed.
const TimeLayout = "2006-01-02 15:04:05.000 UTC"

// Options change what Print shows.
type Options struct {
	// Timeless leaves out everything that changes from run to run — the trace id,
	// start time, durations and bars — so that the text suits a golden file: the
	// trace header keeps the span count and unit, each span line its name and status.
	Timeless bool
	// Attrs shows each span's attributes under it, and the trace's resource attributes
	// under its header.
	Attrs bool
}

// Len is the number of traces in the set.
func (ts *Set) Len() int { return len(ts.byID) }

// Print writes the traces keep accepts (all when keep is nil) as the waterfalls
// `charmtrace tree` prints, oldest first with a blank line between, and returns how
// many it wrote. It links the spans, so call it once per Set.
func (ts *Set) Print(w io.Writer, opts Options, keep func(*Trace) bool) int {
	shown := 0
	for _, t := range ts.Traces() {
		if keep != nil && !keep(t) {
			continue
		}
		if shown > 0 {
			fmt.Fprintln(w)
		}
		t.Print(w, opts)
		shown++
	}
	return shown
}

// Print writes the trace: a header line, then one line per span, indented under its
// parent.
func (t *Trace) Print(w io.Writer, opts Options) {
	unit := ""
	if len(t.roots) > 0 {
		r := t.roots[0].resource.GetAttributes()
		unit = cmp.Or(StringAttr(r, "juju_unit"), StringAttr(r, "service.name"))
	}
	if opts.Timeless {
		fmt.Fprintf(w, "trace  %s", spans(len(t.spans)))
	} else {
		fmt.Fprintf(w, "trace %s  %s  %s  %s", t.ID, time.Unix(0, int64(t.start)).UTC().Format(TimeLayout),
			FormatDuration(t.end-t.start), spans(len(t.spans)))
	}
	if unit != "" {
		fmt.Fprintf(w, "  %s", Truncate(Printable(unit), MsgWidth))
	}
	fmt.Fprintln(w)
	if opts.Attrs && len(t.roots) > 0 {
		for _, kv := range t.roots[0].resource.GetAttributes() {
			fmt.Fprintf(w, "  resource %s\n", FormatAttr(kv, AttrWidth))
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
		t.printSpan(w, it.n, it.depth, opts)
		printed++
		for i := len(it.n.children) - 1; i >= 0; i-- {
			stack = append(stack, item{it.n.children[i], it.depth + 1})
		}
	}
	if hidden := len(t.spans) - printed; hidden > 0 {
		fmt.Fprintf(w, "  (%s not shown: their parent ids form a cycle)\n", spans(hidden))
	}
}

func spans(n int) string {
	if n == 1 {
		return "1 span"
	}
	return fmt.Sprintf("%d spans", n)
}

// printSpan prints the line of one span at depth, and its attributes if asked to.
// Indentation stops growing at maxIndent; deeper spans say their depth instead.
func (t *Trace) printSpan(w io.Writer, n *spanNode, depth int, opts Options) {
	width := 2 + 2*depth
	label := Printable(n.span.Name)
	if width > maxIndent {
		width = maxIndent
		label = fmt.Sprintf("[%d] %s", depth, label)
	}
	indent := strings.Repeat(" ", width)
	name := Truncate(indent+label, NameWidth)
	status, msg := "", ""
	switch n.span.Status.GetCode() {
	case tracepb.Status_STATUS_CODE_OK:
		status = "ok"
	case tracepb.Status_STATUS_CODE_ERROR:
		status, msg = "error", n.span.Status.GetMessage()
	}
	var line string
	if opts.Timeless {
		line = strings.TrimRight(fmt.Sprintf("%-*s  %-5s", NameWidth, name, status), " ")
	} else {
		line = fmt.Sprintf("%-*s  %8s  %-5s  |%s|", NameWidth, name, FormatDuration(n.end()-n.start()), status, t.bar(n))
	}
	if msg != "" {
		line += "  " + Truncate(Printable(msg), MsgWidth)
	}
	fmt.Fprintln(w, line)
	if opts.Attrs {
		for _, kv := range n.span.Attributes {
			fmt.Fprintf(w, "%s    %s\n", indent, FormatAttr(kv, AttrWidth))
		}
	}
}

// bar draws n's place in the trace: BarWidth cells for the trace's whole span of time,
// at least one cell per span so that instant spans stay visible.
func (t *Trace) bar(n *spanNode) string {
	total := float64(t.end - t.start)
	from, to := 0, BarWidth
	if total > 0 {
		from = int(float64(n.start()-t.start) / total * BarWidth)
		to = int(float64(n.end()-t.start)/total*BarWidth + 0.5)
	}
	from = min(from, BarWidth-1)
	to = max(min(to, BarWidth), from+1)
	return strings.Repeat(" ", from) + strings.Repeat("#", to-from) + strings.Repeat(" ", BarWidth-to)
}

// FormatDuration prints ns with three significant digits at most (1.23s, 45.6ms, 789µs),
// whole seconds from 100 s up (2m3s).
func FormatDuration(ns uint64) string {
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
