package reliability

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// world holds what the suite's items share: the example charm and the fake hook
// tools, built once by the e2e harness on first use.
type world struct {
	dir  string
	bins *e2e.Binaries
}

// binaries builds the example charm and the fakejuju executable, once per suite.
func (w *world) binaries(t *testing.T) e2e.Binaries {
	t.Helper()
	if w.bins == nil {
		began := time.Now()
		bins, err := e2e.Build(t.Context(), filepath.Join(w.dir, "bin"))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("built the example charm and the fake hook tools in %v", time.Since(began).Round(time.Millisecond))
		w.bins = &bins
	}
	return *w.bins
}

// unit lays out a fresh leader unit of the example charm in a temporary directory.
func (w *world) unit(t *testing.T, name string) *e2e.Unit {
	t.Helper()
	u, err := e2e.NewUnit(t.TempDir(), w.binaries(t), &fakejuju.State{Unit: name, Leader: true,
		Config: map[string]any{"log-level": "info"}})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// dispatch runs one hook of u and fails t if it could not run or exited non-zero.
func dispatch(t *testing.T, u *e2e.Unit, h e2e.Hook) e2e.Result {
	t.Helper()
	res, err := u.Dispatch(t.Context(), h)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("%s exited %d:\n%s", h, res.ExitCode, res.Output)
	}
	return res
}

// relHook is the relation-<kind> hook of rel, about its first remote unit unless
// kind is "created".
func relHook(rel *fakejuju.Relation, kind string) e2e.Hook {
	h := e2e.Hook{Name: rel.Endpoint + "-relation-" + kind, Relation: rel}
	if kind != "created" {
		for name := range rel.RemoteUnitsData {
			if h.RemoteUnit == "" || name < h.RemoteUnit {
				h.RemoteUnit = name
			}
		}
	}
	return h
}

// relate adds a relation to u, failing t on error.
func relate(t *testing.T, u *e2e.Unit, endpoint, remoteApp string, appData map[string]string) *fakejuju.Relation {
	t.Helper()
	rel, err := u.Relate(endpoint, remoteApp, []string{remoteApp + "/0"}, appData)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

// warnings are the WARNING lines of the unit's log a dispatch wrote.
func warnings(res e2e.Result) []string {
	var out []string
	for _, l := range res.Logs {
		if l.Level == "WARNING" {
			out = append(out, l.Message)
		}
	}
	return out
}

// ms formats a duration in milliseconds for the table.
func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

// quoteAll joins messages for the table, each quoted.
func quoteAll(msgs []string) string {
	q := make([]string, len(msgs))
	for i, m := range msgs {
		q[i] = fmt.Sprintf("%q", m)
	}
	return strings.Join(q, ", ")
}
