package e2e

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/charmtrace/charmtrace/internal/fakejuju"
	"github.com/charmtrace/charmtrace/internal/otlpreceiver"
	"github.com/charmtrace/charmtrace/internal/testcerts"
)

// world is one run of the lifecycle: the unit, the receiver and what each step did.
type world struct {
	unit     *Unit
	recv     *otlpreceiver.Receiver
	steps    []Step
	received []int // requests the receiver had got after each step
	// charmFiles holds, after each step, the content of every file in the charm
	// directory (the buffer with its -wal and -shm, the unit state database), by name.
	charmFiles []map[string][]byte
}

// runLifecycle builds the example charm and the fake hook tools, starts an HTTPS
// receiver with a private CA and runs the demo's Lifecycle against it.
func runLifecycle(t *testing.T) *world {
	t.Helper()
	ctx := t.Context()
	bins, err := Build(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ca, err := testcerts.NewRoot("e2e CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.NewLeaf(testcerts.LeafOptions{})
	if err != nil {
		t.Fatal(err)
	}
	recv, err := otlpreceiver.Start(otlpreceiver.WithTLS(leaf))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { recv.Close() })
	u, err := NewUnit(t.TempDir(), bins, &fakejuju.State{Unit: "example/0", Leader: true,
		Config: map[string]any{"log-level": "info"}})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{unit: u, recv: recv}
	err = Lifecycle(ctx, u, Target{URL: recv.URL(), CA: string(ca.PEM())}, func(s Step) {
		for _, d := range s.Dispatches {
			t.Logf("%-34s exit %d  %v", d.Hook, d.ExitCode, d.Duration.Round(time.Millisecond))
		}
		w.steps = append(w.steps, s)
		w.received = append(w.received, len(recv.Requests()))
		w.charmFiles = append(w.charmFiles, readCharmDir(t, u.CharmDir))
		t.Logf("  after %q: %d rows buffered, %d requests received", s.Title, s.Buffer.Rows, len(recv.Requests()))
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// readCharmDir returns the content of each regular file in dir.
func readCharmDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = raw
	}
	return files
}

// trace is the received spans of one trace id.
type trace struct {
	root  otlpreceiver.Span
	spans map[string]otlpreceiver.Span // by span id in hex
}

func (tr *trace) named(name string) []otlpreceiver.Span {
	var out []otlpreceiver.Span
	for _, s := range tr.spans {
		if s.Span.GetName() == name {
			out = append(out, s)
		}
	}
	return out
}

// descendsFromRoot reports whether following parents from s reaches the trace's
// root within the trace.
func (tr *trace) descendsFromRoot(s otlpreceiver.Span) bool {
	for range len(tr.spans) {
		parent, ok := tr.spans[hex.EncodeToString(s.Span.GetParentSpanId())]
		if !ok {
			return false
		}
		if parent.Span == tr.root.Span {
			return true
		}
		s = parent
	}
	return false
}

// tracesByRoot groups the received spans by trace and indexes the traces by the name
// of their root span.
func tracesByRoot(t *testing.T, spans []otlpreceiver.Span) map[string][]*trace {
	t.Helper()
	byID := map[string]*trace{}
	for _, s := range spans {
		id := hex.EncodeToString(s.Span.GetTraceId())
		tr := byID[id]
		if tr == nil {
			tr = &trace{spans: map[string]otlpreceiver.Span{}}
			byID[id] = tr
		}
		sid := hex.EncodeToString(s.Span.GetSpanId())
		if _, dup := tr.spans[sid]; dup {
			t.Errorf("span %s of trace %s received twice", sid, id)
		}
		tr.spans[sid] = s
		if len(s.Span.GetParentSpanId()) == 0 {
			if tr.root.Span != nil {
				t.Errorf("trace %s has two roots: %q and %q", id, tr.root.Span.GetName(), s.Span.GetName())
			}
			tr.root = s
		}
	}
	out := map[string][]*trace{}
	for id, tr := range byID {
		if tr.root.Span == nil {
			t.Errorf("trace %s arrived without its root span", id)
			continue
		}
		out[tr.root.Span.GetName()] = append(out[tr.root.Span.GetName()], tr)
	}
	return out
}

func attr(attrs []*commonpb.KeyValue, key string) (string, bool) {
	for _, kv := range attrs {
		if kv.GetKey() == key {
			return kv.GetValue().GetStringValue(), true
		}
	}
	return "", false
}

func TestLifecycle(t *testing.T) {
	w := runLifecycle(t)
	spans := w.recv.Spans()
	traces := tracesByRoot(t, spans)

	t.Run("buffered until the CA arrives", func(t *testing.T) {
		// Steps 0-4: install, start, update-status, the db relation, then the https
		// tracing relation without a CA. Nothing may leave the unit; each step adds
		// to the buffer.
		for i := range 5 {
			if w.received[i] != 0 {
				t.Errorf("after %q the receiver had %d requests, want 0", w.steps[i].Title, w.received[i])
			}
			if i > 0 && w.steps[i].Buffer.Rows <= w.steps[i-1].Buffer.Rows {
				t.Errorf("after %q: %d rows, no more than before", w.steps[i].Title, w.steps[i].Buffer.Rows)
			}
		}
		if w.received[5] == 0 || w.steps[5].Buffer.Rows != 0 {
			t.Error("nothing was delivered once the CA arrived")
		}
	})

	t.Run("every dispatch delivered, none left", func(t *testing.T) {
		want := map[string]int{}
		for _, s := range w.steps {
			for _, d := range s.Dispatches {
				want[d.Hook.Name]++
			}
		}
		for name, n := range want {
			if got := len(traces[name]); got != n {
				t.Errorf("%d traces rooted at %q, want %d (one per dispatch)", got, name, n)
			}
		}
		if len(traces) != len(want) {
			t.Errorf("traces with roots %v, want one per dispatch of %v", keys(traces), want)
		}
		last := w.steps[len(w.steps)-1].Buffer
		if last.Rows != 0 || len(last.Drops) != 0 {
			t.Errorf("buffer after the last dispatch: %d rows, drops %v", last.Rows, last.Drops)
		}
		for _, r := range w.recv.Requests() {
			if r.Status != 200 || r.ContentType != "application/x-protobuf" {
				t.Errorf("request answered %d, type %q", r.Status, r.ContentType)
			}
		}
	})

	t.Run("install and start traces keep their parentage", func(t *testing.T) {
		cases := []struct {
			root, handler string
			tools         []string
		}{
			{"install", "install: install", []string{"is-leader", "secret-info-get", "secret-add"}},
			{"start", "start: configure/start", []string{"config-get", "status-set"}},
		}
		for _, c := range cases {
			if len(traces[c.root]) != 1 {
				t.Errorf("%d %s traces", len(traces[c.root]), c.root)
				continue
			}
			tr := traces[c.root][0]
			for _, s := range tr.spans {
				if s.Span != tr.root.Span && !tr.descendsFromRoot(s) {
					t.Errorf("%s: span %q does not descend from the root", c.root, s.Span.GetName())
				}
			}
			handlers := tr.named(c.handler)
			if len(handlers) != 1 || !bytes.Equal(handlers[0].Span.GetParentSpanId(), tr.root.Span.GetSpanId()) {
				t.Errorf("%s: want one handler span %q, child of the root; got %d", c.root, c.handler, len(handlers))
				continue
			}
			handler := handlers[0].Span
			for _, tool := range c.tools {
				got := tr.named(tool)
				if len(got) != 1 {
					t.Errorf("%s: %d %s spans, want 1", c.root, len(got), tool)
					continue
				}
				if name, _ := attr(got[0].Span.GetAttributes(), "juju.hook_tool.name"); name != tool {
					t.Errorf("%s: %s span has hook tool attribute %q", c.root, tool, name)
				}
				if !bytes.Equal(got[0].Span.GetParentSpanId(), handler.GetSpanId()) {
					t.Errorf("%s: %s span is not a child of the handler span", c.root, tool)
				}
			}
			// The reconciliation runs outside any handler: under the root. It asks the
			// unit agent only on install (a fresh buffer); start trusts what it stored.
			ids := tr.named("relation-ids")
			switch {
			case c.root == "install" && (len(ids) == 0 || !bytes.Equal(ids[0].Span.GetParentSpanId(), tr.root.Span.GetSpanId())):
				t.Errorf("%s: no relation-ids span under the root", c.root)
			case c.root == "start" && len(ids) != 0:
				t.Errorf("%s: %d relation-ids spans, want none on a routine dispatch", c.root, len(ids))
			}
		}
		if tr := traces["start"]; len(tr) == 1 {
			user := tr[0].named("render workload config")
			if len(user) != 1 || user[0].Scope.GetName() != "charmtrace-example" {
				t.Fatalf("start: want one user span from the charm's tracer, got %d", len(user))
			}
			if v, _ := attr(user[0].Span.GetAttributes(), "workload.log_level"); v != "info" {
				t.Errorf("user span workload.log_level = %q", v)
			}
			if h := tr[0].named("start: configure/start"); len(h) != 1 || !bytes.Equal(user[0].Span.GetParentSpanId(), h[0].Span.GetSpanId()) {
				t.Error("user span is not a child of the handler span")
			}
		}
	})

	t.Run("resource attributes", func(t *testing.T) {
		want := map[string]string{
			"service.name": "example", "service.namespace": ModelUUID, "service.namespace.name": ModelName,
			"service.instance.id": "0", "charm": "charmtrace-example", "charm_type": "go",
			"juju_model": ModelName, "juju_model_uuid": ModelUUID, "juju_application": "example", "juju_unit": "example/0",
		}
		for _, s := range spans {
			for k, v := range want {
				if got, _ := attr(s.Resource.GetAttributes(), k); got != v {
					t.Fatalf("span %q: resource %s = %q, want %q", s.Span.GetName(), k, got, v)
				}
			}
		}
	})

	t.Run("the admin password leaks nowhere", func(t *testing.T) {
		st, err := w.unit.Tools.State()
		if err != nil {
			t.Fatal(err)
		}
		var password string
		for _, s := range st.Secrets {
			if s.Label == "admin-password" {
				password = s.Content["password"]
			}
		}
		if len(password) < 16 {
			t.Fatalf("admin password %q: too short to scan for", password)
		}
		// Controls: the password did travel, so the scans below look for something
		// that exists: to the client over the relation, and in the fake Juju's state.
		var shared bool
		for _, r := range st.Relations {
			shared = shared || (r.Endpoint == "db" && r.LocalAppData["password"] == password)
		}
		if raw, err := os.ReadFile(w.unit.Tools.StatePath); err != nil || !shared || !bytes.Contains(raw, []byte(password)) {
			t.Fatalf("control failed: shared over db %v, in the state file: %v", shared, err)
		}

		var leaks []string
		scan := func(where string, data []byte) {
			if bytes.Contains(data, []byte(password)) {
				leaks = append(leaks, where)
			}
		}
		for _, s := range spans {
			text, err := protojson.Marshal(s.Span) // name, attributes, events, status, links
			if err != nil {
				t.Fatal(err)
			}
			scan("span "+s.Span.GetName(), text)
		}
		for i, r := range w.recv.Requests() {
			scan(fmt.Sprintf("request body %d", i), r.Body)
		}
		// Every file the charm keeps, after every step: the buffer with its -wal and
		// -shm (the db relation's spans waited there), the unit state database.
		var bufferFiles int
		for i, files := range w.charmFiles {
			for name, raw := range files {
				if strings.HasPrefix(name, ".tracing-data.db") && len(raw) > 0 {
					bufferFiles++
				}
				scan(fmt.Sprintf("charm dir file %s after step %d", name, i+1), raw)
			}
		}
		if bufferFiles == 0 {
			t.Fatal("no buffer file to scan")
		}
		for _, l := range st.Logs {
			scan("juju-log line", []byte(l.Message))
		}
		calls, err := w.unit.Tools.Calls()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range calls {
			scan(c.Tool+" argv", []byte(strings.Join(c.Args, "\x00")))
		}
		for _, s := range w.steps {
			for _, d := range s.Dispatches {
				scan(d.Hook.Name+" output", d.Output)
			}
		}
		if len(leaks) > 0 {
			t.Errorf("the admin password is in: %v", leaks)
		}
		// Secret content went to secret-add in files that are gone now.
		if left, err := os.ReadDir(w.unit.TempDir); err != nil || len(left) != 0 {
			t.Errorf("hook temp dir holds %d entries (%v)", len(left), err)
		}
	})

	t.Run("action over exec", func(t *testing.T) { testAction(t, w) })
}

// The action runs as a real process too: its result is the password, and its trace
// records which key it set, not the value. (action-set takes results only as
// arguments, so this runs after the argv scan above.)
func testAction(t *testing.T, w *world) {
	before := len(w.recv.Spans())
	res, err := w.unit.Dispatch(t.Context(), Hook{Name: "get-admin-password", Action: true})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("action: exit %d, %v\n%s", res.ExitCode, err, res.Output)
	}
	st, err := w.unit.Tools.State()
	if err != nil {
		t.Fatal(err)
	}
	password := st.ActionResults["password"]
	if password == "" || password != st.Secrets[0].Content["password"] {
		t.Fatalf("action results %v", st.ActionResults)
	}
	traces := tracesByRoot(t, w.recv.Spans()[before:])
	if len(traces["action get-admin-password"]) != 1 {
		t.Fatalf("action traces: %v", keys(traces))
	}
	set := traces["action get-admin-password"][0].named("action-set")
	if len(set) != 1 {
		t.Fatal("no action-set span")
	}
	text, err := protojson.Marshal(set[0].Span)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(text, []byte(password)) {
		t.Error("the action-set span carries the password")
	}
	if keys, ok := stringList(set[0].Span.GetAttributes(), "juju.hook_tool.keys"); !ok || !slices.Equal(keys, []string{"password"}) {
		t.Errorf("action-set span keys = %v", keys)
	}
}

func stringList(attrs []*commonpb.KeyValue, key string) ([]string, bool) {
	for _, kv := range attrs {
		if kv.GetKey() == key {
			var out []string
			for _, v := range kv.GetValue().GetArrayValue().GetValues() {
				out = append(out, v.GetStringValue())
			}
			return out, true
		}
	}
	return nil, false
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
