package charmhooks_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

func modelState() *fakejuju.State {
	st := relationState()
	st.Storage = map[string]charmhooks.Storage{
		"data/0": {Kind: "filesystem", Location: "/srv/data"},
		"data/1": {Kind: "filesystem", Location: "/srv/data1"},
		"logs/0": {Kind: "block", Location: "/dev/sdb"},
	}
	st.Resources = map[string]string{"workload-image": "/var/lib/juju/agents/unit-myapp-0/resources/workload-image/image.json"}
	st.Relations[0].RemoteModelUUID = "remote-model"
	return st
}

// TestExecModelTools runs the typed wrappers of the tools goops offers and charmhooks
// lacked through the fake tools as real processes: argv, output and Juju's errors.
func TestExecModelTools(t *testing.T) {
	st := modelState()
	in, r := unit(t, st, map[string]string{"JUJU_STORAGE_ID": "logs/0"})
	tools := charmhooks.NewTools(r)

	s, err := tools.StorageGet("data/1")
	if err != nil || s != (charmhooks.Storage{Kind: "filesystem", Location: "/srv/data1"}) {
		t.Fatalf("StorageGet = %+v, %v", s, err)
	}
	if s, err := tools.StorageGet(""); err != nil || s.Kind != "block" {
		t.Fatalf("StorageGet of the hook's storage = %+v, %v", s, err)
	}
	_, err = tools.StorageGet("data/9")
	var te *charmhooks.ToolError
	if !errors.As(err, &te) || te.ExitCode != 2 || te.Stderr != `ERROR invalid value "data/9" for option -s: storage "data/9" not found` {
		t.Fatalf("StorageGet of a missing id: %v", err)
	}
	if ids, err := tools.StorageList("data"); err != nil || !slices.Equal(ids, []string{"data/0", "data/1"}) {
		t.Fatalf("StorageList(data) = %q, %v", ids, err)
	}
	if ids, err := tools.StorageList(""); err != nil || len(ids) != 3 {
		t.Fatalf("StorageList() = %q, %v", ids, err)
	}
	if err := tools.StorageAdd("data", 2); err != nil {
		t.Fatal(err)
	}
	if err := tools.StorageAdd("data", 0); err == nil {
		t.Fatal("StorageAdd with count 0 succeeded")
	}

	g, err := tools.GoalState()
	if err != nil || g.Units["myapp/0"].Status != "active" || g.Relations["charm-tracing"]["tempo"].Status != "joined" ||
		g.Relations["charm-tracing"]["tempo/1"].Status != "active" {
		t.Fatalf("GoalState = %+v, %v", g, err)
	}
	path, err := tools.ResourceGet("workload-image")
	if err != nil || path != st.Resources["workload-image"] {
		t.Fatalf("ResourceGet = %q, %v", path, err)
	}
	if _, err := tools.ResourceGet("missing"); !errors.As(err, &te) || te.ExitCode != 1 {
		t.Fatalf("ResourceGet of a missing resource: %v", err)
	}
	if _, err := tools.CredentialGet(); !errors.Is(err, charmhooks.ErrUnauthorized) {
		t.Fatalf("CredentialGet of an untrusted app: %v, want unauthorized", err)
	}
	if uuid, err := tools.RelationModelUUID("charm-tracing:7"); err != nil || uuid != "remote-model" {
		t.Fatalf("RelationModelUUID = %q, %v", uuid, err)
	}
	if uuid, err := tools.RelationModelUUID("charm-tracing:9"); err != nil || uuid != "model-uuid" {
		t.Fatalf("RelationModelUUID of a same-model relation = %q, %v", uuid, err)
	}

	var argv [][]string
	for _, c := range calls(t, in) {
		argv = append(argv, append([]string{c.Tool}, c.Args...))
	}
	want := [][]string{
		{"storage-get", "--format=json", "-s", "data/1"},
		{"storage-get", "--format=json"},
		{"storage-get", "--format=json", "-s", "data/9"},
		{"storage-list", "--format=json", "data"},
		{"storage-list", "--format=json"},
		{"storage-add", "data=2"},
		{"goal-state", "--format=json"},
		{"resource-get", "workload-image"},
		{"resource-get", "missing"},
		{"credential-get", "--format=json"},
		{"relation-model-get", "--format=json", "-r", "charm-tracing:7"},
		{"relation-model-get", "--format=json", "-r", "charm-tracing:9"},
	}
	if !reflect.DeepEqual(argv, want) {
		t.Fatalf("argv\n got %q\nwant %q", argv, want)
	}
	if got := readState(t, in).StorageAdded["data"]; got != 2 {
		t.Fatalf("storage added = %d, want 2", got)
	}
}

func TestCredentialGetOfATrustedApp(t *testing.T) {
	st := modelState()
	st.Credential = &charmhooks.CloudSpec{Type: "kubernetes", Name: "k8s", Endpoint: "https://10.0.0.1:6443",
		Credential: &charmhooks.CloudCredential{AuthType: "oauth2", Attributes: map[string]string{"Token": "tok-sentinel"}}}
	tools := charmhooks.NewTools(fakejuju.NewRunner(st, nil))
	spec, err := tools.CredentialGet()
	if err != nil || !reflect.DeepEqual(spec, *st.Credential) {
		t.Fatalf("CredentialGet = %+v, %v", spec, err)
	}
}
