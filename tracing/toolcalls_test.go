package tracing

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// Issue 17: every hook-tool call is a process that talks to the unit agent, so these
// tests count the calls tracing adds, by the fake runner's call log.

// allCalls dispatches event with no charm handlers and lists every hook tool it called,
// juju-log included.
func (u *unit) allCalls(event string, extra map[string]string, opts ...Option) []string {
	u.t.Helper()
	before := len(u.runner.Calls())
	u.dispatch(event, extra, noSetup, opts...)
	var calls []string
	for _, c := range u.runner.Calls()[before:] {
		calls = append(calls, c.Tool)
	}
	return calls
}

// added is what on calls beyond off, as a sorted list of tool names: tracing's share
// of a dispatch. A tool off calls more often than on shows as "-tool".
func added(off, on []string) []string {
	n := map[string]int{}
	for _, c := range on {
		n[c]++
	}
	for _, c := range off {
		n[c]--
	}
	var out []string
	for tool, k := range n {
		for ; k > 0; k-- {
			out = append(out, tool)
		}
		for ; k < 0; k++ {
			out = append(out, "-"+tool)
		}
	}
	sort.Strings(out)
	return out
}

func count(calls []string, tool string) int {
	n := 0
	for _, c := range calls {
		if c == tool {
			n++
		}
	}
	return n
}

func mergeEnv(env map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// tracingAndCA returns a tracing relation whose provider publishes receiverURL and a
// certificate_transfer v1 relation whose provider publishes caPEM.
func tracingAndCA(receiverURL, caPEM string) (tr, ca *fakejuju.Relation) {
	pems, _ := json.Marshal([]string{caPEM})
	return &fakejuju.Relation{ID: 7, Endpoint: "charm-tracing", RemoteApp: "tempo",
			RemoteAppData: map[string]string{"receivers": receiversJSON(receiverURL)}},
		&fakejuju.Relation{ID: 9, Endpoint: "receive-ca-cert", RemoteApp: "ca",
			RemoteAppData: map[string]string{"certificates": string(pems), "version": "1"}}
}

// routineEvents are dispatches that say nothing about the tracing or CA relations.
var routineEvents = []struct {
	event string
	env   map[string]string
}{
	{"start", nil},
	{"config-changed", nil},
	{"update-status", nil},
	{"leader-settings-changed", nil},
	{"db-relation-changed", map[string]string{"JUJU_RELATION": "db", "JUJU_RELATION_ID": "db:3", "JUJU_REMOTE_APP": "client"}},
	{"action:backup", nil},
}

// checkRoutine dispatches each routine event with tracing off (CHARMTRACE_DISABLE=1) and
// on, with and without the jhack line, and checks what tracing added: no relation-ids,
// and one juju-log call (the jhack line) or none.
func checkRoutine(t *testing.T, u *unit) {
	t.Helper()
	for _, e := range routineEvents {
		off := u.allCalls(e.event, mergeEnv(e.env, DisableEnv, "1"))
		for _, c := range []struct {
			name string
			opts []Option
			want []string
		}{
			{"default", nil, []string{"juju-log"}},
			{"WithoutJhackLine", []Option{WithoutJhackLine()}, nil},
		} {
			on := u.allCalls(e.event, e.env, c.opts...)
			t.Logf("%-24s %-16s off %d %v, on %d %v", e.event, c.name, len(off), off, len(on), on)
			if n := count(on, "relation-ids"); n != 0 {
				t.Errorf("%s (%s): %d relation-ids calls, want 0", e.event, c.name, n)
			}
			if got := added(off, on); !slices.Equal(got, c.want) {
				t.Errorf("%s (%s): tracing added hook-tool calls %v, want %v", e.event, c.name, got, c.want)
			}
		}
	}
}

func TestRoutineDispatchAddsOnlyTheJhackLine(t *testing.T) {
	t.Run("no tracing relation", func(t *testing.T) {
		u := newUnit(t)
		u.st.Relations = []*fakejuju.Relation{{ID: 3, Endpoint: "db", RemoteApp: "client"}}
		u.dispatch("install", nil, noSetup) // a fresh buffer: the one look at the relations
		checkRoutine(t, u)
		if d := u.destination(); d.URL != "" {
			t.Fatalf("destination = %+v", d)
		}
	})

	t.Run("related to a receiver", func(t *testing.T) {
		recv, caPEM := newTLSReceiver(t)
		u := newUnit(t)
		tr, ca := tracingAndCA(recv.URL, caPEM)
		db := &fakejuju.Relation{ID: 3, Endpoint: "db", RemoteApp: "client"}
		u.st.Relations = []*fakejuju.Relation{tr, ca, db}
		u.dispatch("install", nil, noSetup)
		u.dispatch("charm-tracing-relation-changed", relationEnv(tr), noSetup)
		u.dispatch("receive-ca-cert-relation-changed", relationEnv(ca), noSetup)
		if d := u.destination(); d.URL != recv.URL+"/v1/traces" || d.CA == "" {
			t.Fatalf("destination = %+v", d)
		}
		logs := len(u.runner.State().Logs)
		checkRoutine(t, u)
		// The stored destination was used without asking: everything was delivered.
		if len(u.rows()) != 0 || recv.received() == 0 {
			t.Fatalf("rows left %d, requests received %d", len(u.rows()), recv.received())
		}
		for _, l := range u.runner.State().Logs[logs:] {
			if l.Level == "WARNING" {
				t.Errorf("warning on a healthy unit: %s", l.Message)
			}
		}
	})
}

// The relation events (and leader-elected, upgrade-charm) make no more hook-tool calls
// than before routine dispatches stopped calling relation-ids.
func TestRelationEventCallsDoNotGrow(t *testing.T) {
	recv, caPEM := newTLSReceiver(t)
	u := newUnit(t)
	tr, ca := tracingAndCA(recv.URL, caPEM)
	withUnit := func(rel *fakejuju.Relation, unit string) map[string]string {
		return mergeEnv(relationEnv(rel), "JUJU_REMOTE_UNIT", unit)
	}
	departed := func(rel *fakejuju.Relation, unit string) map[string]string {
		return mergeEnv(relationEnv(rel), "JUJU_REMOTE_UNIT", unit, "JUJU_DEPARTING_UNIT", unit)
	}
	// ceiling: every hook-tool call of the dispatch with tracing on (juju-log included),
	// as measured on main before this change (commit 3390840) through this same sequence.
	steps := []struct {
		event   string
		env     map[string]string
		ceiling int
	}{
		{"install", nil, 3},
		{"charm-tracing-relation-created", relationEnv(tr), 7},
		{"charm-tracing-relation-joined", withUnit(tr, "tempo/0"), 6},
		{"charm-tracing-relation-changed", withUnit(tr, "tempo/0"), 4},
		{"receive-ca-cert-relation-created", relationEnv(ca), 5},
		{"receive-ca-cert-relation-joined", withUnit(ca, "ca/0"), 3},
		{"receive-ca-cert-relation-changed", withUnit(ca, "ca/0"), 3},
		{"leader-elected", nil, 5},
		{"upgrade-charm", nil, 3},
		{"charm-tracing-relation-departed", departed(tr, "tempo/0"), 3},
		{"receive-ca-cert-relation-departed", departed(ca, "ca/0"), 3},
		{"receive-ca-cert-relation-broken", relationEnv(ca), 3},
		{"charm-tracing-relation-broken", relationEnv(tr), 3},
		{"leader-elected", nil, 3},
		{"upgrade-charm", nil, 3},
	}
	for _, s := range steps {
		switch {
		case strings.HasPrefix(s.event, "charm-tracing-relation-created"):
			u.st.Relations = append(u.st.Relations, tr)
		case strings.HasPrefix(s.event, "receive-ca-cert-relation-created"):
			u.st.Relations = append(u.st.Relations, ca)
		case strings.HasSuffix(s.event, "-relation-broken"):
			// Juju runs relation-broken once the relation has left the model.
			u.st.Relations = slices.DeleteFunc(u.st.Relations, func(r *fakejuju.Relation) bool { return r.Endpoint == s.env["JUJU_RELATION"] })
		}
		off := u.allCalls(s.event, mergeEnv(s.env, DisableEnv, "1"))
		on := u.allCalls(s.event, s.env)
		t.Logf("%-34s off %d, on %d: tracing added %v", s.event, len(off), len(on), added(off, on))
		if len(on) > s.ceiling {
			t.Errorf("%s: %d hook-tool calls, want at most %d: %v", s.event, len(on), s.ceiling, on)
		}
		if s.event == "receive-ca-cert-relation-changed" {
			if d := u.destination(); d.URL != recv.URL+"/v1/traces" || d.CA == "" {
				t.Fatalf("destination once both relations are in = %+v", d)
			}
		}
	}
	if d := u.destination(); d.URL != "" {
		t.Fatalf("destination after both relations are broken = %+v", d)
	}
}

// A drain that failed says the stored destination may be stale: the next dispatch asks
// the unit agent once; later ones trust the store again until another failure is noted.
func TestFailedDrainMakesTheNextDispatchRecheck(t *testing.T) {
	var status atomic.Int64
	status.Store(http.StatusNotFound)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	moved := newReceiver(t)
	u := newUnit(t)
	u.dispatch("install", nil, noSetup)
	rel := &fakejuju.Relation{ID: 7, Endpoint: "charm-tracing", RemoteApp: "tempo",
		RemoteAppData: map[string]string{"receivers": receiversJSON(srv.URL)}}
	u.st.Relations = append(u.st.Relations, rel)
	u.dispatch("charm-tracing-relation-changed", relationEnv(rel), noSetup) // its drain fails: 404
	if len(u.rows()) == 0 {
		t.Fatal("the failing receiver took the rows")
	}

	// The receiver moved without an event reaching this unit (tracing was off then).
	rel.RemoteAppData["receivers"] = receiversJSON(moved.URL)
	calls := u.allCalls("update-status", nil)
	if n := count(calls, "relation-ids"); n != 1 {
		t.Fatalf("update-status after a failed drain: %d relation-ids calls, want 1: %v", n, calls)
	}
	if d := u.destination(); d.URL != moved.URL+"/v1/traces" {
		t.Fatalf("destination after the re-check = %+v, want the provider's new URL", d)
	}
	u.setSetting("exporter.backoff", "") // the back-off window ends
	calls = u.allCalls("update-status", nil)
	if n := count(calls, "relation-ids"); n != 0 {
		t.Fatalf("update-status after the re-check: %d relation-ids calls, want 0: %v", n, calls)
	}
	if len(u.rows()) != 0 || moved.received() == 0 {
		t.Fatalf("rows left %d, requests to the new receiver %d", len(u.rows()), moved.received())
	}
	if calls := u.allCalls("config-changed", nil); count(calls, "relation-ids") != 0 {
		t.Fatalf("config-changed once delivering again: %v", calls)
	}

	// A failure that persists is re-checked once, not on every dispatch.
	rel.RemoteAppData["receivers"] = receiversJSON(srv.URL)
	u.dispatch("charm-tracing-relation-changed", relationEnv(rel), noSetup) // fails again
	for i, want := range []int{1, 0, 0} {
		u.setSetting("exporter.backoff", "") // it drains, and fails, every time
		if n := count(u.allCalls("update-status", nil), "relation-ids"); n != want {
			t.Fatalf("update-status %d after the failure: %d relation-ids calls, want %d", i+1, n, want)
		}
	}

	// Once the relation is gone, the failure noted for it asks nothing more.
	u.st.Relations = nil
	u.dispatch("charm-tracing-relation-broken", relationEnv(rel), noSetup)
	if n := count(u.allCalls("update-status", nil), "relation-ids"); n != 0 {
		t.Fatalf("update-status with no relation after a failure: %d relation-ids calls", n)
	}
}

// upgrade-charm may bring a charmtrace that reads relations differently: it always
// checks the relation with the unit agent, related or not.
func TestUpgradeCharmRechecks(t *testing.T) {
	u := newUnit(t)
	u.dispatch("install", nil, noSetup)
	if n := count(u.allCalls("upgrade-charm", nil), "relation-ids"); n != 1 {
		t.Fatalf("upgrade-charm, no relation: %d relation-ids calls, want 1", n)
	}
	recv := newReceiver(t)
	rel := &fakejuju.Relation{ID: 7, Endpoint: "charm-tracing", RemoteApp: "tempo",
		RemoteAppData: map[string]string{"receivers": receiversJSON(recv.URL)}}
	u.st.Relations = []*fakejuju.Relation{rel}
	u.dispatch("charm-tracing-relation-changed", relationEnv(rel), noSetup)
	if n := count(u.allCalls("upgrade-charm", nil), "relation-ids"); n != 1 {
		t.Fatalf("upgrade-charm, related: %d relation-ids calls, want 1", n)
	}
	if n := count(u.allCalls("update-status", nil), "relation-ids"); n != 0 {
		t.Fatalf("update-status after upgrade-charm: %d relation-ids calls, want 0", n)
	}
}

// A reconciliation that failed leaves the stored view unsure: the next dispatch reads
// the relations again instead of trusting it.
func TestFailedReconcileMakesTheNextDispatchRecheck(t *testing.T) {
	recv := newReceiver(t)
	u := newUnit(t)
	u.dispatch("install", nil, noSetup)
	rel := &fakejuju.Relation{ID: 7, Endpoint: "charm-tracing", RemoteApp: "tempo",
		RemoteAppData: map[string]string{"receivers": receiversJSON(recv.URL)}}
	u.st.Relations = []*fakejuju.Relation{rel}
	u.st.Faults = []*fakejuju.Fault{{Tool: "relation-get", Stderr: "connection to the unit agent timed out"}}
	u.dispatch("charm-tracing-relation-changed", relationEnv(rel), noSetup)
	if d := u.destination(); d.URL != "" {
		t.Fatalf("destination although the databag could not be read = %+v", d)
	}
	u.st.Faults = nil
	calls := u.allCalls("update-status", nil)
	if n := count(calls, "relation-ids"); n != 1 {
		t.Fatalf("update-status after a failed reconciliation: %d relation-ids calls, want 1: %v", n, calls)
	}
	if d := u.destination(); d.URL != recv.URL+"/v1/traces" {
		t.Fatalf("destination after the re-check = %+v", d)
	}
	if n := count(u.allCalls("update-status", nil), "relation-ids"); n != 0 {
		t.Fatalf("the next update-status: %d relation-ids calls, want 0", n)
	}
}
