package charmhooks_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// fakeBinary is the fakejuju executable, built once for this test binary.
var fakeBinary string

func TestMain(m *testing.M) { fakejuju.TestMain(m, &fakeBinary) }

// unit installs the fake hook tools over st and returns the real exec
// runner pointed at them.
func unit(t testing.TB, st *fakejuju.State, hookEnv map[string]string) (*fakejuju.Install, *charmhooks.ExecRunner) {
	t.Helper()
	in, err := fakejuju.NewInstall(t.TempDir(), fakeBinary, st)
	if err != nil {
		t.Fatal(err)
	}
	return in, in.Runner(hookEnv)
}

func readState(t *testing.T, in *fakejuju.Install) *fakejuju.State {
	t.Helper()
	st, err := in.State()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func calls(t *testing.T, in *fakejuju.Install) []fakejuju.Call {
	t.Helper()
	c, err := in.Calls()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func relationState() *fakejuju.State {
	return &fakejuju.State{
		Unit: "myapp/0", Leader: true, ModelUUID: "model-uuid",
		Relations: []*fakejuju.Relation{{
			ID: 7, Endpoint: "charm-tracing", RemoteApp: "tempo",
			RemoteAppData: map[string]string{"receivers": `[{"protocol":{"name":"otlp_http","type":"http"},"url":"http://tempo:4318"}]`},
			RemoteUnitsData: map[string]map[string]string{
				"tempo/0": {"ingress-address": "10.0.0.1"},
				"tempo/1": {"ingress-address": "10.0.0.2"},
			},
			LocalUnitData: map[string]string{"egress-subnets": "10.1.0.1/32"},
		}, {ID: 9, Endpoint: "charm-tracing", RemoteApp: "other"}},
	}
}

func TestExecRelationTools(t *testing.T) {
	in, r := unit(t, relationState(), nil)
	tools := charmhooks.NewTools(r)

	ids, err := tools.RelationIDs("charm-tracing")
	if err != nil || !reflect.DeepEqual(ids, []string{"charm-tracing:7", "charm-tracing:9"}) {
		t.Fatalf("RelationIDs = %q, %v", ids, err)
	}
	units, err := tools.RelationUnits("charm-tracing:7")
	if err != nil || !reflect.DeepEqual(units, []string{"tempo/0", "tempo/1"}) {
		t.Fatalf("RelationUnits = %q, %v", units, err)
	}
	app, err := tools.RelationApp("charm-tracing:7")
	if err != nil || app != "tempo" {
		t.Fatalf("RelationApp = %q, %v", app, err)
	}
	bag, err := tools.RelationGetApp("charm-tracing:7", "tempo")
	if err != nil || !strings.Contains(bag["receivers"], "otlp_http") {
		t.Fatalf("RelationGetApp = %v, %v", bag, err)
	}
	bag, err = tools.RelationGet("charm-tracing:7", "tempo/1")
	if err != nil || bag["ingress-address"] != "10.0.0.2" {
		t.Fatalf("RelationGet = %v, %v", bag, err)
	}
	bag, err = tools.RelationGet("charm-tracing:7", "myapp/0")
	if err != nil || bag["egress-subnets"] != "10.1.0.1/32" {
		t.Fatalf("RelationGet own unit = %v, %v", bag, err)
	}
	// An empty databag decodes to an empty map, not nil.
	bag, err = tools.RelationGetApp("charm-tracing:9", "other")
	if err != nil || bag == nil || len(bag) != 0 {
		t.Fatalf("empty RelationGetApp = %#v, %v", bag, err)
	}

	if err := tools.RelationSetApp("charm-tracing:7", map[string]string{"receivers": `["otlp_http"]`}); err != nil {
		t.Fatal(err)
	}
	if err := tools.RelationSet("charm-tracing:7", map[string]string{"a": "1", "egress-subnets": ""}); err != nil {
		t.Fatal(err)
	}
	own, err := tools.RelationGetApp("charm-tracing:7", "myapp")
	if err != nil || own["receivers"] != `["otlp_http"]` {
		t.Fatalf("own app databag = %v, %v", own, err)
	}
	st := readState(t, in)
	if got := st.Relations[0].LocalUnitData; !reflect.DeepEqual(got, map[string]string{"a": "1"}) {
		t.Errorf("unit databag after set = %v (an empty value must delete)", got)
	}

	// relation-set sent its data on stdin, never as arguments.
	for _, c := range calls(t, in) {
		if c.Tool == "relation-set" {
			if !slices.Contains(c.Args, "--file") || c.Args[len(c.Args)-1] != "-" || c.StdinBytes == 0 {
				t.Errorf("relation-set call %+v does not use --file -", c)
			}
		}
	}

	_, err = tools.RelationGet("charm-tracing:99", "tempo/0")
	if !errors.Is(err, charmhooks.ErrRelationNotFound) {
		t.Errorf("unknown relation: err = %v, want ErrRelationNotFound", err)
	}
	var te *charmhooks.ToolError
	if !errors.As(err, &te) || te.ExitCode != 2 || te.Stderr != `ERROR invalid value "charm-tracing:99" for option -r: relation not found` {
		t.Errorf("unknown relation: %#v", te)
	}
}

func TestExecRelationLeadership(t *testing.T) {
	st := relationState()
	st.Leader = false
	_, r := unit(t, st, nil)
	tools := charmhooks.NewTools(r)
	if err := tools.RelationSetApp("charm-tracing:7", map[string]string{"k": "v"}); !errors.Is(err, charmhooks.ErrUnauthorized) ||
		!strings.Contains(err.Error(), "ERROR cannot write relation settings") {
		t.Errorf("non-leader app write: %v", err)
	}
	if _, err := tools.RelationGetApp("charm-tracing:7", "myapp"); !errors.Is(err, charmhooks.ErrUnauthorized) {
		t.Errorf("non-leader own app read: %v", err)
	}
	// The remote application's data stays readable.
	if _, err := tools.RelationGetApp("charm-tracing:7", ""); err == nil {
		t.Error("RelationGetApp with no app and no hook context succeeded")
	}
}

func TestExecRelationHookDefaults(t *testing.T) {
	_, r := unit(t, relationState(), map[string]string{
		"JUJU_RELATION": "charm-tracing", "JUJU_RELATION_ID": "charm-tracing:7", "JUJU_REMOTE_APP": "tempo", "JUJU_REMOTE_UNIT": "tempo/0",
	})
	tools := charmhooks.NewTools(r)
	bag, err := tools.RelationGet("", "")
	if err != nil || bag["ingress-address"] != "10.0.0.1" {
		t.Fatalf("default remote unit: %v %v", bag, err)
	}
	bag, err = tools.RelationGetApp("", "")
	if err != nil || bag["receivers"] == "" {
		t.Fatalf("default remote app: %v %v", bag, err)
	}
}

func TestExecLeaderCache(t *testing.T) {
	in, r := unit(t, &fakejuju.State{Unit: "myapp/0", Leader: true}, nil)
	now := time.Unix(1000, 0)
	tools := charmhooks.NewTools(r, charmhooks.WithClock(func() time.Time { return now }))
	for range 3 {
		if leader, err := tools.IsLeader(); err != nil || !leader {
			t.Fatalf("IsLeader = %v, %v", leader, err)
		}
		now = now.Add(10 * time.Second)
	}
	if n := countTool(calls(t, in), "is-leader"); n != 1 {
		t.Errorf("is-leader ran %d times within 30 s, want 1", n)
	}
	st := readState(t, in)
	st.Leader = false
	if err := in.SetState(st); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second) // 31 s after the first call
	if leader, err := tools.IsLeader(); err != nil || leader {
		t.Fatalf("IsLeader after 31 s = %v, %v; want a fresh false", leader, err)
	}
	if n := countTool(calls(t, in), "is-leader"); n != 2 {
		t.Errorf("is-leader ran %d times, want 2", n)
	}
}

func countTool(cs []fakejuju.Call, tool string) int {
	n := 0
	for _, c := range cs {
		if c.Tool == tool {
			n++
		}
	}
	return n
}

func TestExecLogStatusVersionConfig(t *testing.T) {
	st := &fakejuju.State{Unit: "myapp/0", Config: map[string]any{"log-level": "info", "port": 8080.0, "unset": nil}}
	in, r := unit(t, st, map[string]string{"JUJU_RELATION_ID": "db:3"})
	tools := charmhooks.NewTools(r)

	if err := tools.Log(charmhooks.LogDebug, "-starts with a dash"); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", 70000) // 140000 bytes: two juju-log calls
	if err := tools.Log(charmhooks.LogInfo, long); err != nil {
		t.Fatal(err)
	}
	if err := tools.StatusSet(charmhooks.StatusActive, "ready"); err != nil {
		t.Fatal(err)
	}
	if err := tools.AppStatusSet(charmhooks.StatusBlocked, "as leader only"); !errors.Is(err, charmhooks.ErrUnauthorized) {
		t.Errorf("non-leader AppStatusSet: %v", err)
	}
	if err := tools.ApplicationVersionSet("-1.2.3"); err != nil {
		t.Fatal(err)
	}
	s, err := tools.StatusGet()
	if err != nil || s.Status != "active" || s.Message != "ready" || s.Data == nil {
		t.Fatalf("StatusGet = %+v, %v", s, err)
	}
	var cfg struct {
		LogLevel string `json:"log-level"`
		Port     int    `json:"port"`
	}
	if err := tools.ConfigGet(&cfg); err != nil || cfg.LogLevel != "info" || cfg.Port != 8080 {
		t.Fatalf("ConfigGet = %+v, %v", cfg, err)
	}
	var all map[string]any
	if err := tools.ConfigGet(&all); err != nil || len(all) != 2 {
		t.Fatalf("ConfigGet map = %v, %v (unset options are not shown)", all, err)
	}

	got := readState(t, in)
	if len(got.Logs) != 3 || got.Logs[0] != (fakejuju.LogLine{Level: "DEBUG", Message: "db:3: -starts with a dash"}) {
		t.Fatalf("logs = %+v", got.Logs[:min(1, len(got.Logs))])
	}
	joined := strings.TrimPrefix(got.Logs[1].Message, "db:3: ") + strings.TrimPrefix(got.Logs[2].Message, "db:3: ")
	if joined != long {
		t.Error("a split message does not join back to the original")
	}
	if got.AppVersion != "-1.2.3" || got.UnitStatus.Status != "active" {
		t.Errorf("state = version %q status %+v", got.AppVersion, got.UnitStatus)
	}
	for _, c := range calls(t, in) {
		if c.Tool == "juju-log" && (c.Args[0] != "--log-level" || c.Args[2] != "--") {
			t.Errorf("juju-log argv %q lacks --log-level/--", c.Args)
		}
	}

	leader, r2 := unit(t, &fakejuju.State{Unit: "myapp/0", Leader: true}, nil)
	tools = charmhooks.NewTools(r2)
	if err := tools.AppStatusSet(charmhooks.StatusWaiting, "for db"); err != nil {
		t.Fatal(err)
	}
	as, err := tools.AppStatusGet()
	if err != nil || as.Application.Status != "waiting" || as.Units["myapp/0"].Status != "unknown" {
		t.Fatalf("AppStatusGet = %+v, %v", as, err)
	}
	if readState(t, leader).AppStatus.Message != "for db" {
		t.Error("app status message not stored")
	}
}

func TestExecActionTools(t *testing.T) {
	st := &fakejuju.State{Unit: "myapp/0", ActionParams: map[string]any{"user": "admin", "opts": map[string]any{"force": true}}}
	in, r := unit(t, st, map[string]string{"JUJU_ACTION_NAME": "get-admin-password", "JUJU_ACTION_UUID": "1"})
	tools := charmhooks.NewTools(r)
	var params struct {
		User string `json:"user"`
		Opts struct {
			Force bool `json:"force"`
		} `json:"opts"`
	}
	if err := tools.ActionGet(&params); err != nil || params.User != "admin" || !params.Opts.Force {
		t.Fatalf("ActionGet = %+v, %v", params, err)
	}
	if err := tools.ActionSet(map[string]string{"result.user": "admin", "ok": "true"}); err != nil {
		t.Fatal(err)
	}
	if err := tools.ActionLog("-progress"); err != nil {
		t.Fatal(err)
	}
	if err := tools.ActionFail("it broke"); err != nil {
		t.Fatal(err)
	}
	got := readState(t, in)
	if !reflect.DeepEqual(got.ActionResults, map[string]string{"result.user": "admin", "ok": "true"}) ||
		!reflect.DeepEqual(got.ActionLogs, []string{"-progress"}) || !got.ActionFailed || got.ActionFailMessage != "it broke" {
		t.Errorf("action state = %+v", got)
	}
	if err := tools.ActionSet(map[string]string{"stdout": "x"}); err == nil {
		t.Error("a reserved action key was accepted")
	}
	// Outside an action, action tools fail.
	_, r2 := unit(t, &fakejuju.State{Unit: "myapp/0"}, nil)
	if err := charmhooks.NewTools(r2).ActionLog("x"); err == nil || !strings.Contains(err.Error(), "ERROR not running an action") {
		t.Errorf("action-log outside an action: %v", err)
	}
	if err := charmhooks.NewTools(r).Reboot(false); err == nil {
		t.Error("juju-reboot in an action succeeded")
	}
}

func TestExecSecretTools(t *testing.T) {
	st := relationState()
	st.Secrets = []*fakejuju.Secret{{ID: "secret:shared0000000000000", Label: "from-db", Revision: 2, Content: map[string]string{"token": "t0"}}}
	in, r := unit(t, st, nil)
	tmp := t.TempDir()
	tools := charmhooks.NewTools(r, charmhooks.WithTempDir(tmp))

	id, err := tools.SecretAdd(map[string]string{"password": "pw-1", "username": "admin"},
		charmhooks.SecretOptions{Label: "admin-password", Description: "admin", Rotate: "monthly"})
	if err != nil || !strings.HasPrefix(id, "secret:") || strings.ContainsAny(id, "\n ") {
		t.Fatalf("SecretAdd = %q, %v", id, err)
	}
	assertEmptyDir(t, tmp)
	content, err := tools.SecretGet(id, charmhooks.SecretGetOptions{})
	if err != nil || content["password"] != "pw-1" || content["username"] != "admin" {
		t.Fatalf("SecretGet by id = %v, %v", content, err)
	}
	if err := tools.SecretSet(id, map[string]string{"password": "pw-2"}, charmhooks.SecretOptions{Description: "rotated"}); err != nil {
		t.Fatal(err)
	}
	assertEmptyDir(t, tmp)
	content, err = tools.SecretGet("", charmhooks.SecretGetOptions{Label: "admin-password", Refresh: true})
	if err != nil || content["password"] != "pw-2" {
		t.Fatalf("SecretGet by label = %v, %v", content, err)
	}
	info, err := tools.SecretInfoGet(id, "")
	if err != nil || info.Revision != 2 || info.Label != "admin-password" || info.Owner != "application" ||
		info.Rotation != "monthly" || info.Description != "rotated" || "secret:"+info.ID != id {
		t.Fatalf("SecretInfoGet = %+v, %v", info, err)
	}
	if byLabel, err := tools.SecretInfoGet("", "admin-password"); err != nil || byLabel != info {
		t.Fatalf("SecretInfoGet by label = %+v, %v", byLabel, err)
	}
	ids, err := tools.SecretIDs()
	if err != nil || !reflect.DeepEqual(ids, []string{id}) {
		t.Fatalf("SecretIDs = %q, %v (a shared secret is not owned)", ids, err)
	}
	if err := tools.SecretGrant(id, "charm-tracing:7", "tempo/0"); err != nil {
		t.Fatal(err)
	}
	if got := readState(t, in).Secrets[1].Grants; !reflect.DeepEqual(got, []fakejuju.Grant{{Relation: 7, Unit: "tempo/0"}}) {
		t.Errorf("grants = %+v", got)
	}
	if err := tools.SecretRevoke(id, "charm-tracing:7", "", ""); err != nil {
		t.Fatal(err)
	}
	if got := readState(t, in).Secrets[1].Grants; len(got) != 0 {
		t.Errorf("grants after revoke = %+v", got)
	}
	shared, err := tools.SecretGet("secret:shared0000000000000", charmhooks.SecretGetOptions{Peek: true})
	if err != nil || shared["token"] != "t0" {
		t.Fatalf("shared secret = %v, %v", shared, err)
	}
	if _, err := tools.SecretInfoGet("secret:shared0000000000000", ""); !errors.Is(err, charmhooks.ErrUnauthorized) {
		t.Errorf("info of a secret owned elsewhere: %v", err)
	}
	if err := tools.SecretRemove(id, 0); err != nil {
		t.Fatal(err)
	}
	_, err = tools.SecretGet(id, charmhooks.SecretGetOptions{})
	if !errors.Is(err, charmhooks.ErrSecretNotFound) || !strings.Contains(err.Error(), fmt.Sprintf("ERROR secret %q not found", id)) {
		t.Errorf("removed secret: %v", err)
	}
	_, err = tools.SecretGet("", charmhooks.SecretGetOptions{Label: "nope"})
	if !errors.Is(err, charmhooks.ErrSecretNotFound) || !strings.Contains(err.Error(), `ERROR secret with label "nope" not found`) {
		t.Errorf("unknown label: %v", err)
	}
	if _, err := tools.SecretAdd(map[string]string{"../x": "v"}, charmhooks.SecretOptions{}); err == nil {
		t.Error("a key that is not a plain name was accepted")
	}
	for _, c := range calls(t, in) {
		if c.Tool == "secret-add" || c.Tool == "secret-set" {
			for _, a := range c.Args {
				if strings.Contains(a, "pw-") {
					t.Errorf("%s argv carries secret content: %q", c.Tool, c.Args)
				}
			}
		}
	}
}

func TestExecSecretLeadership(t *testing.T) {
	st := &fakejuju.State{Unit: "myapp/1", Secrets: []*fakejuju.Secret{{ID: "secret:app0000000000000000", Owner: "application", Revision: 1, Content: map[string]string{"k": "v"}}}}
	_, r := unit(t, st, nil)
	tools := charmhooks.NewTools(r)
	if _, err := tools.SecretAdd(map[string]string{"key": "v"}, charmhooks.SecretOptions{}); !errors.Is(err, charmhooks.ErrUnauthorized) {
		t.Errorf("non-leader app secret-add: %v", err)
	}
	if err := tools.SecretSet("secret:app0000000000000000", map[string]string{"key": "v"}, charmhooks.SecretOptions{}); !errors.Is(err, charmhooks.ErrUnauthorized) {
		t.Errorf("non-leader app secret-set: %v", err)
	}
	if _, err := tools.SecretAdd(map[string]string{"key": "v"}, charmhooks.SecretOptions{Owner: "unit"}); err != nil {
		t.Errorf("non-leader unit secret-add: %v", err)
	}
	if c, err := tools.SecretGet("secret:app0000000000000000", charmhooks.SecretGetOptions{}); err != nil || c["k"] != "v" {
		t.Errorf("a unit cannot read its application's secret: %v %v", c, err)
	}
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("temporary secret files left behind: %v", entries)
	}
}

func TestExecStateTools(t *testing.T) {
	in, r := unit(t, &fakejuju.State{Unit: "myapp/0"}, nil)
	tools := charmhooks.NewTools(r)
	all, err := tools.StateGetAll()
	if err != nil || all == nil || len(all) != 0 {
		t.Fatalf("empty StateGetAll = %#v, %v", all, err)
	}
	if err := tools.StateSet(map[string]string{"a": "1", "b": "two words"}); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := tools.StateGet("b"); err != nil || !ok || v != "two words" {
		t.Fatalf("StateGet = %q %v %v", v, ok, err)
	}
	if _, ok, err := tools.StateGet("missing"); err != nil || ok {
		t.Fatalf("StateGet missing = %v %v", ok, err)
	}
	if err := tools.StateDelete("a"); err != nil {
		t.Fatal(err)
	}
	if all, err := tools.StateGetAll(); err != nil || !reflect.DeepEqual(all, map[string]string{"b": "two words"}) {
		t.Fatalf("StateGetAll = %v, %v", all, err)
	}
	for _, c := range calls(t, in) {
		if c.Tool == "state-set" && (!reflect.DeepEqual(c.Args, []string{"--file", "-"}) || c.StdinBytes == 0) {
			t.Errorf("state-set call %+v does not use stdin", c)
		}
	}
}

func TestExecPortsNetworkReboot(t *testing.T) {
	st := &fakejuju.State{Unit: "myapp/0", Networks: map[string]charmhooks.Network{
		"db": {BindAddresses: []charmhooks.BindAddress{{MACAddress: "aa:bb", InterfaceName: "eth0",
			Addresses: []charmhooks.Address{{Value: "10.1.89.35", CIDR: "10.1.89.0/24"}}}},
			EgressSubnets: []string{"10.152.183.158/32"}, IngressAddresses: []string{"10.152.183.158"}},
	}}
	in, r := unit(t, st, nil)
	tools := charmhooks.NewTools(r)
	for _, p := range []string{"80/tcp", "8000-8999/udp", "icmp", "443"} {
		port, err := charmhooks.ParsePort(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := tools.OpenPort(port); err != nil {
			t.Fatal(err)
		}
	}
	if err := tools.OpenPort(charmhooks.Port{Protocol: "tcp", From: 9000, To: 9000}, "db", "web"); err != nil {
		t.Fatal(err)
	}
	if err := tools.ClosePort(charmhooks.Port{Protocol: "tcp", From: 443, To: 443}); err != nil {
		t.Fatal(err)
	}
	ports, err := tools.OpenedPorts()
	var specs []string
	for _, p := range ports {
		specs = append(specs, p.String())
	}
	if err != nil || !reflect.DeepEqual(specs, []string{"80/tcp", "8000-8999/udp", "9000/tcp", "icmp"}) {
		t.Fatalf("OpenedPorts = %q, %v", specs, err)
	}
	n, err := tools.NetworkGet("db", "")
	if err != nil || n.BindAddresses[0].Addresses[0].Value != "10.1.89.35" || n.IngressAddresses[0] != "10.152.183.158" {
		t.Fatalf("NetworkGet = %+v, %v", n, err)
	}
	if _, err := tools.NetworkGet("nope", ""); err == nil || !strings.Contains(err.Error(), `ERROR no network config found for binding "nope"`) {
		t.Errorf("unknown binding: %v", err)
	}
	if _, err := tools.NetworkGet("db", "db:4"); !errors.Is(err, charmhooks.ErrRelationNotFound) {
		t.Errorf("network-get on a gone relation: %v", err)
	}
	if err := tools.Reboot(true); err != nil {
		t.Fatal(err)
	}
	if got := readState(t, in).Reboot; got != "now" {
		t.Errorf("reboot = %q", got)
	}
}

// fileSpy checks, during the call, the files secret-add is given.
type fileSpy struct {
	t     *testing.T
	files map[string]string // key → path
}

func (s *fileSpy) Run(name string, args ...string) ([]byte, error) {
	for _, a := range args {
		key, path, ok := strings.Cut(a, "#file=")
		if !ok {
			continue
		}
		s.files[key] = path
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			s.t.Errorf("%s: file mode %v, %v; want 0600", key, fi.Mode(), err)
		}
		di, err := os.Stat(filepath.Dir(path))
		if err != nil || di.Mode().Perm() != 0o700 {
			s.t.Errorf("%s: dir mode %v, %v; want 0700", key, di.Mode(), err)
		}
		if b, _ := os.ReadFile(path); string(b) != "value of "+key {
			s.t.Errorf("%s: file holds %q", key, b)
		}
	}
	return []byte("secret:d0000000000000000001\n"), nil
}

func TestSecretContentFiles(t *testing.T) {
	spy := &fileSpy{t: t, files: map[string]string{}}
	id, err := charmhooks.NewTools(spy).SecretAdd(map[string]string{"password": "value of password", "tls-key": "value of tls-key"}, charmhooks.SecretOptions{})
	if err != nil || id != "secret:d0000000000000000001" {
		t.Fatalf("SecretAdd = %q, %v", id, err)
	}
	if len(spy.files) != 2 {
		t.Fatalf("files %v", spy.files)
	}
	for key, path := range spy.files {
		if filepath.Base(path) != key {
			t.Errorf("file for %s is %s", key, path)
		}
		if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
			t.Errorf("temporary directory %s still exists after the call", filepath.Dir(path))
		}
	}
}

// TestExecRunnerKeepsEnvironment: with no Env set, the tool sees the
// charm's whole environment, as Juju's tools need (JUJU_CONTEXT_ID, the
// agent socket, the relation of the hook).
func TestExecRunnerKeepsEnvironment(t *testing.T) {
	in, _ := unit(t, &fakejuju.State{Unit: "myapp/0"}, nil)
	t.Setenv(fakejuju.StateEnv, in.StatePath)
	t.Setenv("JUJU_RELATION_ID", "db:3")
	tools := charmhooks.NewTools(&charmhooks.ExecRunner{Dir: in.Dir})
	if err := tools.Log(charmhooks.LogInfo, "hello"); err != nil {
		t.Fatal(err)
	}
	if logs := readState(t, in).Logs; len(logs) != 1 || logs[0].Message != "db:3: hello" {
		t.Errorf("logs %+v: the tool did not see the hook's environment", logs)
	}
}
