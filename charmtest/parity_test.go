package charmtest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
	"github.com/charmtrace/charmtrace/internal/faketools"
)

var fakeJujuBinary string

func TestMain(m *testing.M) { fakejuju.TestMain(m, &fakeJujuBinary) }

// parityWorld is a unit with one relation of each kind the tools distinguish and
// secrets of every ownership.
func parityWorld(leader bool) *faketools.State {
	return &faketools.State{
		Unit: "app/0", Leader: leader, ModelUUID: "m-uuid",
		Config: map[string]any{"port": 8080, "name": "x"},
		Relations: []*faketools.Relation{
			{ID: 3, Endpoint: "db", RemoteApp: "client", LocalAppData: map[string]string{"own": "a"},
				RemoteAppData: map[string]string{"remote": "b"}, RemoteUnitsData: map[string]map[string]string{"client/0": {"u": "1"}}},
			{ID: 5, Endpoint: "peers", RemoteApp: "app", Peer: true, LocalAppData: map[string]string{"p": "q"}},
		},
		Secrets: []*faketools.Secret{
			{ID: "secret:own1", Owner: "application", Label: "mine", Revision: 2, Content: map[string]string{"pass": "w"}},
			{ID: "secret:unit1", Owner: "unit", Revision: 1, Content: map[string]string{"key": "k"}},
			{ID: "secret:shared", Revision: 4, Content: map[string]string{"tok": "t"}},
			{ID: "secret:moved", Revision: 3, Content: map[string]string{"tok": "new"}, Tracked: 2, TrackedContent: map[string]string{"tok": "old"}},
			{ID: "secret:denied", Revision: 1, NotGranted: true, Content: map[string]string{"no": "n"}},
		},
		UnitState: map[string]string{"a": "1"},
		Ports:     []faketools.Port{{Spec: "80/tcp"}},
		Networks:  map[string]charmhooks.Network{"db": {IngressAddresses: []string{"10.0.0.1"}}},
	}
}

type parityCase struct {
	name   string
	leader bool
	env    map[string]string
	call   func(*charmhooks.Tools) (any, error)
}

var hookEnv = map[string]string{"JUJU_HOOK_NAME": "db-relation-changed", "JUJU_RELATION_ID": "db:3",
	"JUJU_REMOTE_UNIT": "client/0", "JUJU_REMOTE_APP": "client"}
var actionEnv = map[string]string{"JUJU_ACTION_NAME": "do"}

func none(err error) (any, error) { return nil, err }

// One case (at least) per method of charmhooks.Tools, each against the refusals Juju
// gives as well as the successes.
var parityCases = []parityCase{
	{"IsLeader", true, nil, func(t *charmhooks.Tools) (any, error) { return t.IsLeader() }},
	{"ConfigGet", false, nil, func(t *charmhooks.Tools) (any, error) { var m map[string]any; err := t.ConfigGet(&m); return m, err }},
	{"Reboot", false, nil, func(t *charmhooks.Tools) (any, error) { return none(t.Reboot(false)) }},
	{"Reboot/in action", false, actionEnv, func(t *charmhooks.Tools) (any, error) { return none(t.Reboot(true)) }},
	{"RelationIDs", false, nil, func(t *charmhooks.Tools) (any, error) { return t.RelationIDs("db") }},
	{"RelationUnits", false, nil, func(t *charmhooks.Tools) (any, error) { return t.RelationUnits("db:3") }},
	{"RelationUnits/unknown", false, nil, func(t *charmhooks.Tools) (any, error) { return t.RelationUnits("db:9") }},
	{"RelationApp", false, nil, func(t *charmhooks.Tools) (any, error) { return t.RelationApp("db:3") }},
	{"RelationGet/remote unit", false, hookEnv, func(t *charmhooks.Tools) (any, error) { return t.RelationGet("", "") }},
	{"RelationGet/unknown unit", false, nil, func(t *charmhooks.Tools) (any, error) { return t.RelationGet("db:3", "client/7") }},
	{"RelationGetApp/remote", false, nil, func(t *charmhooks.Tools) (any, error) { return t.RelationGetApp("db:3", "client") }},
	{"RelationGetApp/own as non-leader", false, nil, func(t *charmhooks.Tools) (any, error) { return t.RelationGetApp("db:3", "app") }},
	{"RelationGetApp/own peer", false, nil, func(t *charmhooks.Tools) (any, error) { return t.RelationGetApp("peers:5", "app") }},
	{"RelationGetApp/unknown relation", true, nil, func(t *charmhooks.Tools) (any, error) { return t.RelationGetApp("db:99", "client") }},
	{"RelationSet", false, nil, func(t *charmhooks.Tools) (any, error) {
		return none(t.RelationSet("db:3", map[string]string{"x": "y"}))
	}},
	{"RelationSetApp/leader", true, nil, func(t *charmhooks.Tools) (any, error) {
		return none(t.RelationSetApp("db:3", map[string]string{"own": ""}))
	}},
	{"RelationSetApp/non-leader", false, nil, func(t *charmhooks.Tools) (any, error) {
		return none(t.RelationSetApp("db:3", map[string]string{"x": "y"}))
	}},
	{"SecretAdd/leader", true, nil, func(t *charmhooks.Tools) (any, error) {
		return t.SecretAdd(map[string]string{"password": "p"}, charmhooks.SecretOptions{Label: "new"})
	}},
	{"SecretAdd/non-leader", false, nil, func(t *charmhooks.Tools) (any, error) {
		return t.SecretAdd(map[string]string{"password": "p"}, charmhooks.SecretOptions{})
	}},
	{"SecretAdd/unit-owned", false, nil, func(t *charmhooks.Tools) (any, error) {
		return t.SecretAdd(map[string]string{"password": "p"}, charmhooks.SecretOptions{Owner: "unit"})
	}},
	{"SecretSet/leader", true, nil, func(t *charmhooks.Tools) (any, error) {
		return none(t.SecretSet("secret:own1", map[string]string{"pass": "v"}, charmhooks.SecretOptions{}))
	}},
	{"SecretSet/non-leader", false, nil, func(t *charmhooks.Tools) (any, error) {
		return none(t.SecretSet("secret:own1", map[string]string{"pass": "v"}, charmhooks.SecretOptions{}))
	}},
	{"SecretGet/by label", false, nil, func(t *charmhooks.Tools) (any, error) {
		return t.SecretGet("", charmhooks.SecretGetOptions{Label: "mine"})
	}},
	{"SecretGet/shared", false, nil, func(t *charmhooks.Tools) (any, error) {
		return t.SecretGet("secret:shared", charmhooks.SecretGetOptions{Refresh: true})
	}},
	{"SecretGet/tracked revision", false, nil, func(t *charmhooks.Tools) (any, error) {
		return t.SecretGet("secret:moved", charmhooks.SecretGetOptions{})
	}},
	{"SecretGet/refreshed", false, nil, func(t *charmhooks.Tools) (any, error) {
		return t.SecretGet("secret:moved", charmhooks.SecretGetOptions{Refresh: true})
	}},
	{"SecretGet/not granted", false, nil, func(t *charmhooks.Tools) (any, error) {
		return t.SecretGet("secret:denied", charmhooks.SecretGetOptions{})
	}},
	{"SecretGet/unknown", false, nil, func(t *charmhooks.Tools) (any, error) {
		return t.SecretGet("secret:zzz", charmhooks.SecretGetOptions{})
	}},
	{"SecretInfoGet", true, nil, func(t *charmhooks.Tools) (any, error) { return t.SecretInfoGet("", "mine") }},
	{"SecretInfoGet/not owner", false, nil, func(t *charmhooks.Tools) (any, error) { return t.SecretInfoGet("secret:shared", "") }},
	{"SecretIDs", false, nil, func(t *charmhooks.Tools) (any, error) { return t.SecretIDs() }},
	{"SecretGrant", true, nil, func(t *charmhooks.Tools) (any, error) { return none(t.SecretGrant("secret:own1", "db:3", "client/0")) }},
	{"SecretGrant/unknown relation", true, nil, func(t *charmhooks.Tools) (any, error) { return none(t.SecretGrant("secret:own1", "db:9", "")) }},
	{"SecretRevoke", true, nil, func(t *charmhooks.Tools) (any, error) { return none(t.SecretRevoke("secret:own1", "db:3", "", "")) }},
	{"SecretRemove/non-leader", false, nil, func(t *charmhooks.Tools) (any, error) { return none(t.SecretRemove("secret:own1", 0)) }},
	{"SecretRemove/unit-owned", false, nil, func(t *charmhooks.Tools) (any, error) { return none(t.SecretRemove("secret:unit1", 1)) }},
	{"ActionGet", false, actionEnv, func(t *charmhooks.Tools) (any, error) { var m map[string]any; err := t.ActionGet(&m); return m, err }},
	{"ActionGet/outside an action", false, nil, func(t *charmhooks.Tools) (any, error) { var m map[string]any; err := t.ActionGet(&m); return m, err }},
	{"ActionSet", false, actionEnv, func(t *charmhooks.Tools) (any, error) { return none(t.ActionSet(map[string]string{"a.b": "c"})) }},
	{"ActionSet/reserved key", false, actionEnv, func(t *charmhooks.Tools) (any, error) { return none(t.ActionSet(map[string]string{"stdout": "c"})) }},
	{"ActionLog", false, actionEnv, func(t *charmhooks.Tools) (any, error) { return none(t.ActionLog("-progress")) }},
	{"ActionFail", false, actionEnv, func(t *charmhooks.Tools) (any, error) { return none(t.ActionFail("")) }},
	{"ActionFail/outside an action", false, nil, func(t *charmhooks.Tools) (any, error) { return none(t.ActionFail("x")) }},
	{"Log", false, hookEnv, func(t *charmhooks.Tools) (any, error) { return none(t.Log(charmhooks.LogWarning, "-- hello")) }},
	{"StatusSet", false, nil, func(t *charmhooks.Tools) (any, error) { return none(t.StatusSet(charmhooks.StatusBlocked, "-x")) }},
	{"AppStatusSet/non-leader", false, nil, func(t *charmhooks.Tools) (any, error) { return none(t.AppStatusSet(charmhooks.StatusActive, "")) }},
	{"StatusGet", false, nil, func(t *charmhooks.Tools) (any, error) { return t.StatusGet() }},
	{"AppStatusGet/leader", true, nil, func(t *charmhooks.Tools) (any, error) { return t.AppStatusGet() }},
	{"AppStatusGet/non-leader", false, nil, func(t *charmhooks.Tools) (any, error) { return t.AppStatusGet() }},
	{"ApplicationVersionSet", false, nil, func(t *charmhooks.Tools) (any, error) { return none(t.ApplicationVersionSet("1.2")) }},
	{"StateGet", false, nil, func(t *charmhooks.Tools) (any, error) { v, ok, err := t.StateGet("a"); return fmt.Sprint(v, ok), err }},
	{"StateGet/missing", false, nil, func(t *charmhooks.Tools) (any, error) { v, ok, err := t.StateGet("b"); return fmt.Sprint(v, ok), err }},
	{"StateGetAll", false, nil, func(t *charmhooks.Tools) (any, error) { return t.StateGetAll() }},
	{"StateSet", false, nil, func(t *charmhooks.Tools) (any, error) { return none(t.StateSet(map[string]string{"b": "2"})) }},
	{"StateDelete", false, nil, func(t *charmhooks.Tools) (any, error) { return none(t.StateDelete("a")) }},
	{"OpenPort", false, nil, func(t *charmhooks.Tools) (any, error) {
		return none(t.OpenPort(charmhooks.Port{Protocol: "udp", From: 53, To: 53}, "db"))
	}},
	{"ClosePort", false, nil, func(t *charmhooks.Tools) (any, error) {
		return none(t.ClosePort(charmhooks.Port{Protocol: "tcp", From: 80, To: 80}))
	}},
	{"OpenedPorts", false, nil, func(t *charmhooks.Tools) (any, error) { return t.OpenedPorts() }},
	{"NetworkGet", false, nil, func(t *charmhooks.Tools) (any, error) { return t.NetworkGet("db", "") }},
	{"NetworkGet/unknown binding", false, nil, func(t *charmhooks.Tools) (any, error) { return t.NetworkGet("nope", "") }},
}

// outcome is what a call gave, comparable across the two runners.
type outcome struct {
	Value   string
	Err     string
	Classes []bool
	State   string
}

func describe(v any, err error, st *faketools.State) outcome {
	o := outcome{Value: fmt.Sprintf("%#v", v)}
	if err != nil {
		o.Err = err.Error()
		for _, class := range []error{charmhooks.ErrRelationNotFound, charmhooks.ErrSecretNotFound, charmhooks.ErrUnauthorized} {
			o.Classes = append(o.Classes, errors.Is(err, class))
		}
	}
	b, _ := json.Marshal(st)
	o.State = string(b)
	return o
}

// The same calls through the harness's in-process tools and through the exec'd fake
// tools (real processes, the state in a file) give the same results, the same errors
// and the same state afterwards.
func TestHarnessAndExecutableToolsAgree(t *testing.T) {
	for _, c := range parityCases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"JUJU_HOOK_NAME": "install"}
			if c.env != nil {
				env = c.env
			}
			inProc := parityWorld(c.leader)
			v, err := c.call(charmhooks.NewTools(faketools.NewRunner(inProc, env)))
			want := describe(v, err, inProc)

			in, err := fakejuju.NewInstall(t.TempDir(), fakeJujuBinary, parityWorld(c.leader))
			if err != nil {
				t.Fatal(err)
			}
			v, err = c.call(charmhooks.NewTools(in.Runner(env)))
			st, rerr := fakejuju.ReadState(filepath.Clean(in.StatePath))
			if rerr != nil {
				t.Fatal(rerr)
			}
			got := describe(v, err, st)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("exec'd tools:\n  %+v\nharness tools:\n  %+v", got, want)
			}
		})
	}
}
