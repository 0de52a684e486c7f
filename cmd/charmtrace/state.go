package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/charmtrace/charmtrace/state"
)

const stateUsage = `Usage: charmtrace state [--json] FILE

Shows what the unit state database FILE ($JUJU_CHARM_DIR/.unit-state.db) holds: the queue
of deferred events, oldest first (event, the handler that deferred it, when it was
deferred, and how many dispatches have re-run it since), and the keys of the stored
values with their size. Values and event snapshots are never shown: they may hold
secrets. After upgrade-charm from a Python charm, the Python framework's own queue (its
notice table) is listed too.

Every text from the file is shown with control characters replaced. The file is opened
read-only and never modified; one with an unfinished transaction (a -journal beside it)
must be read from a copy, as --unit does.
`

func runState(ctx context.Context, s *streams, args []string) error {
	fs := newFlagSet(s, "state", stateUsage)
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	pos, err := fs.parse(args, 1, "one state file")
	if err != nil {
		return err
	}
	sum, err := state.Summarize(ctx, pos[0])
	if err != nil {
		return err
	}
	v := viewState(pos[0], sum)
	if *asJSON {
		enc := json.NewEncoder(s.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	return v.print(s.stdout)
}

// stateView is a Summary with every text made printable; its JSON form is the --json
// output.
type stateView struct {
	Path          string         `json:"path"`
	SchemaVersion int            `json:"schemaVersion"`
	Deferred      []deferredView `json:"deferred"`
	Keys          []keyView      `json:"keys"`
	OpsNotices    []deferredView `json:"opsDeferred,omitempty"`
}

type deferredView struct {
	ID         int64      `json:"id"`
	Event      string     `json:"event"`
	Handler    string     `json:"handler"`
	DeferredAt *time.Time `json:"deferredAt,omitempty"` // absent when unknown
	ReRuns     int        `json:"reRuns"`
}

type keyView struct {
	Owner string `json:"owner"`
	Key   string `json:"key"`
	Bytes int    `json:"bytes"`
}

func viewState(path string, s *state.Summary) *stateView {
	v := &stateView{Path: printable(path), SchemaVersion: s.SchemaVersion,
		Deferred: viewDeferred(s.Deferred), Keys: []keyView{}, OpsNotices: viewDeferred(s.OpsNotices)}
	for _, k := range s.Keys {
		v.Keys = append(v.Keys, keyView{Owner: printable(k.Owner), Key: printable(k.Key), Bytes: k.Bytes})
	}
	if len(v.OpsNotices) == 0 {
		v.OpsNotices = nil
	}
	return v
}

func viewDeferred(ds []state.DeferredSummary) []deferredView {
	out := []deferredView{}
	for _, d := range ds {
		dv := deferredView{ID: d.ID, Event: printable(d.Event), Handler: printable(d.Handler), ReRuns: d.ReRuns}
		if !d.DeferredAt.IsZero() {
			at := d.DeferredAt
			dv.DeferredAt = &at
		}
		out = append(out, dv)
	}
	return out
}

func (v *stateView) print(w io.Writer) error {
	fmt.Fprintf(w, "%s\n", v.Path)
	if v.SchemaVersion == 0 {
		fmt.Fprintln(w, "no charmtrace state in this file")
	} else {
		fmt.Fprintf(w, "schema version %d\n", v.SchemaVersion)
	}
	fmt.Fprintf(w, "\ndeferred events: %d\n", len(v.Deferred))
	printDeferred(w, v.Deferred, true)
	fmt.Fprintf(w, "\nstored keys: %d (values are never shown)\n", len(v.Keys))
	if len(v.Keys) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  OWNER\tKEY\tBYTES")
		for _, k := range v.Keys {
			fmt.Fprintf(tw, "  %s\t%s\t%d\n", k.Owner, k.Key, k.Bytes)
		}
		tw.Flush()
	}
	if len(v.OpsNotices) > 0 {
		fmt.Fprintf(w, "\nPython framework's deferred events (notice table): %d\n", len(v.OpsNotices))
		printDeferred(w, v.OpsNotices, false)
	}
	return nil
}

func printDeferred(w io.Writer, ds []deferredView, withTimes bool) {
	if len(ds) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if withTimes {
		fmt.Fprintln(tw, "  ID\tEVENT\tHANDLER\tDEFERRED AT\tRE-RUNS")
	} else {
		fmt.Fprintln(tw, "  ID\tEVENT\tOBSERVER")
	}
	for _, d := range ds {
		if !withTimes {
			fmt.Fprintf(tw, "  %d\t%s\t%s\n", d.ID, d.Event, d.Handler)
			continue
		}
		at := "unknown"
		if d.DeferredAt != nil {
			at = d.DeferredAt.UTC().Format(time.DateTime + "Z")
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%d\n", d.ID, d.Event, d.Handler, at, d.ReRuns)
	}
	tw.Flush()
}
