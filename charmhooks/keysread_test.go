package charmhooks_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// TestRelationGetRecordsKeysRead: reading a whole databag (relation-get -) records the
// keys the tool printed, never their values. Before the fix the span had no keys.
func TestRelationGetRecordsKeysRead(t *testing.T) {
	const sentinel = "value-sentinel-7f3a"
	st := relationState()
	st.Relations[0].RemoteAppData = map[string]string{"url": "http://" + sentinel, "ca": sentinel}
	st.Relations[0].RemoteUnitsData["tempo/0"] = map[string]string{"ingress-address": sentinel}
	st.UnitState = map[string]string{"counter": sentinel}
	st.Storage = map[string]charmhooks.Storage{"data/0": {Kind: "filesystem", Location: "/srv/" + sentinel}}
	rec, tracer := newRecorder(t)
	tools := charmhooks.NewTools(charmhooks.NewTracedRunner(fakejuju.NewRunner(st, nil), tracer))

	if _, err := tools.RelationGetApp("charm-tracing:7", "tempo"); err != nil {
		t.Fatal(err)
	}
	if _, err := tools.RelationGet("charm-tracing:7", "tempo/0"); err != nil {
		t.Fatal(err)
	}
	if _, err := tools.StateGetAll(); err != nil {
		t.Fatal(err)
	}
	if _, err := tools.StorageGet("data/0"); err != nil {
		t.Fatal(err)
	}
	if _, err := tools.RelationUnits("charm-tracing:7"); err != nil { // a list: no keys
		t.Fatal(err)
	}

	want := [][]string{{"ca", "url"}, {"ingress-address"}, {"counter"}, {"kind", "location"}, nil}
	spans := rec.Ended()
	if len(spans) != len(want) {
		t.Fatalf("%d spans, want %d", len(spans), len(want))
	}
	for i, s := range spans {
		a := attrs(s)
		got := a[charmhooks.AttrKeys].AsStringSlice()
		if !slices.Equal(got, want[i]) {
			t.Errorf("%s keys = %q, want %q", s.Name(), got, want[i])
		}
		for k, v := range a {
			if strings.Contains(v.Emit(), sentinel) {
				t.Errorf("%s attribute %s holds a value read: %s", s.Name(), k, v.Emit())
			}
		}
	}
}

// TestKeysReadAreBounded: a remote application writes relation data, so the keys it
// chose are untrusted: a span keeps at most 64, each at most 128 bytes.
func TestKeysReadAreBounded(t *testing.T) {
	st := relationState()
	bag := map[string]string{strings.Repeat("k", 129): "v"}
	for i := range 100 {
		bag[fmt.Sprintf("key-%03d", i)] = "v"
	}
	st.Relations[0].RemoteAppData = bag
	rec, tracer := newRecorder(t)
	tools := charmhooks.NewTools(charmhooks.NewTracedRunner(fakejuju.NewRunner(st, nil), tracer))
	if _, err := tools.RelationGetApp("charm-tracing:7", "tempo"); err != nil {
		t.Fatal(err)
	}
	keys := attrs(rec.Ended()[0])[charmhooks.AttrKeys].AsStringSlice()
	if len(keys) != 64 || keys[0] != "key-000" || keys[63] != "key-063" {
		t.Fatalf("keys = %d %q...", len(keys), keys[:min(3, len(keys))])
	}
}
