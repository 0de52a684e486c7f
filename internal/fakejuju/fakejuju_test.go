package fakejuju_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

var binary string

func TestMain(m *testing.M) { fakejuju.TestMain(m, &binary) }

func world() *fakejuju.State {
	return &fakejuju.State{
		Unit: "myapp/0", Leader: true, ModelUUID: "uuid-1",
		Config: map[string]any{"name": "x", "port": 80.0, "unset": nil},
		Relations: []*fakejuju.Relation{{
			ID: 1, Endpoint: "db", RemoteApp: "pg",
			RemoteAppData:   map[string]string{"b": "<>&", "a": "1"},
			RemoteUnitsData: map[string]map[string]string{"pg/0": {"host": "h0"}},
		}, {ID: 2, Endpoint: "db", RemoteApp: "pg2"}},
		Secrets: []*fakejuju.Secret{{ID: "secret:abc", Label: "l", Owner: "application", Revision: 3, Content: map[string]string{"k": "v"}}},
		Networks: map[string]charmhooks.Network{"db": {
			BindAddresses:    []charmhooks.BindAddress{{MACAddress: "m", InterfaceName: "eth0", Addresses: []charmhooks.Address{{Value: "10.0.0.1", CIDR: "10.0.0.0/24"}}}},
			EgressSubnets:    []string{"10.0.0.1/32"},
			IngressAddresses: []string{"10.0.0.1"},
		}},
		Ports: []fakejuju.Port{{Spec: "80/tcp"}, {Spec: "9000/tcp", Endpoints: []string{"db", "web"}}},
	}
}

type toolCase struct {
	name       string
	env        map[string]string
	tool       string
	args       []string
	leader     *bool
	wantOut    string
	wantCode   int
	wantStderr string
}

var no = new(bool)

var outputCases = []toolCase{
	{name: "relation-ids", tool: "relation-ids", args: []string{"db", "--format=json"}, wantOut: `["db:1","db:2"]` + "\n"},
	{name: "relation-ids none", tool: "relation-ids", args: []string{"web", "--format=json"}, wantOut: "[]\n"},
	{name: "relation-ids smart", tool: "relation-ids", args: []string{"db"}, wantOut: "db:1\ndb:2\n"},
	{name: "relation-list", tool: "relation-list", args: []string{"--format=json", "-r", "db:1"}, wantOut: `["pg/0"]` + "\n"},
	{name: "relation-list --app", tool: "relation-list", args: []string{"--format=json", "--app", "-r", "db:1"}, wantOut: `"pg"` + "\n"},
	{name: "relation-get app, sorted and HTML-safe", tool: "relation-get", args: []string{"--format=json", "-r", "db:1", "--app", "-", "pg"},
		wantOut: `{"a":"1","b":"\u003c\u003e\u0026"}` + "\n"},
	{name: "relation-get missing key is null", tool: "relation-get", args: []string{"--format=json", "-r", "db:1", "nope", "pg/0"}, wantOut: "null\n"},
	{name: "relation-get key", tool: "relation-get", args: []string{"--format=json", "-r=1", "host", "pg/0"}, wantOut: `"h0"` + "\n"},
	{name: "relation-get default remote unit", tool: "relation-get", env: map[string]string{"JUJU_RELATION_ID": "db:1", "JUJU_REMOTE_UNIT": "pg/0", "JUJU_REMOTE_APP": "pg"},
		args: []string{"--format=json"}, wantOut: `{"host":"h0"}` + "\n"},
	{name: "relation-get app data changed: remote app", tool: "relation-get", env: map[string]string{"JUJU_RELATION_ID": "db:1", "JUJU_REMOTE_APP": "pg"},
		args: []string{"--format=json", "-"}, wantOut: `{"a":"1","b":"\u003c\u003e\u0026"}` + "\n"},
	{name: "relation-model-get", tool: "relation-model-get", args: []string{"--format=json", "-r", "db:2"}, wantOut: `{"uuid":"uuid-1"}` + "\n"},
	{name: "is-leader json", tool: "is-leader", args: []string{"--format=json"}, wantOut: "true\n"},
	{name: "is-leader smart", tool: "is-leader", leader: no, wantOut: "False\n"},
	{name: "config-get", tool: "config-get", args: []string{"--format=json"}, wantOut: `{"name":"x","port":80}` + "\n"},
	{name: "config-get --all", tool: "config-get", args: []string{"--format=json", "--all"}, wantOut: `{"name":"x","port":80,"unset":null}` + "\n"},
	{name: "config-get missing key", tool: "config-get", args: []string{"--format=json", "nope"}, wantOut: "null\n"},
	{name: "state-get empty", tool: "state-get", args: []string{"--format=json"}, wantOut: "{}\n"},
	{name: "status-get", tool: "status-get", args: []string{"--include-data", "--format=json", "--application=false"},
		wantOut: `{"message":"","status":"unknown","status-data":{}}` + "\n"},
	{name: "secret-info-get", tool: "secret-info-get", args: []string{"--format=json", "secret:abc"},
		wantOut: `{"abc":{"revision":3,"label":"l","owner":"application","rotation":"never"}}` + "\n"},
	{name: "secret-get by label", tool: "secret-get", args: []string{"--format=json", "--label", "l"}, wantOut: `{"k":"v"}` + "\n"},
	{name: "secret-get key base64", tool: "secret-get", args: []string{"secret:abc", "k#base64", "--format=json"}, wantOut: `"dg=="` + "\n"},
	{name: "secret-ids", tool: "secret-ids", args: []string{"--format=json"}, wantOut: `["secret:abc"]` + "\n"},
	{name: "opened-ports --endpoints", tool: "opened-ports", args: []string{"--format=json", "--endpoints"}, wantOut: `["80/tcp (*)","9000/tcp (db,web)"]` + "\n"},
	{name: "network-get", tool: "network-get", args: []string{"--format=json", "db"},
		wantOut: `{"bind-addresses":[{"mac-address":"m","interface-name":"eth0","addresses":[{"hostname":"","value":"10.0.0.1","cidr":"10.0.0.0/24"}]}],"egress-subnets":["10.0.0.1/32"],"ingress-addresses":["10.0.0.1"]}` + "\n"},
	{name: "action-get outside action", tool: "action-get", wantCode: 1, wantStderr: "ERROR not running an action\n"},
}

var errorCases = []toolCase{
	{name: "unknown relation", tool: "relation-get", args: []string{"--format=json", "-r", "db:99", "-", "pg/0"}, wantCode: 2,
		wantStderr: `ERROR invalid value "db:99" for option -r: relation not found` + "\n"},
	{name: "relation id not a number", tool: "relation-list", args: []string{"-r", "db:x"}, wantCode: 2,
		wantStderr: `ERROR invalid value "db:x" for option -r: invalid relation id` + "\n"},
	{name: "no relation context", tool: "relation-get", args: []string{"-", "pg/0"}, wantCode: 2, wantStderr: "ERROR no relation id specified\n"},
	{name: "no unit or app", tool: "relation-get", args: []string{"-r", "db:1"}, wantCode: 2, wantStderr: "ERROR no unit or application specified\n"},
	{name: "unknown unit", tool: "relation-get", args: []string{"-r", "db:1", "-", "pg/7"}, wantCode: 1,
		wantStderr: `ERROR cannot read settings for unit "pg/7" in relation "db:1": unit "pg/7": settings not found` + "\n"},
	{name: "non-leader reads own app", tool: "relation-get", leader: no, args: []string{"-r", "db:1", "--app", "-", "myapp"}, wantCode: 1, wantStderr: "ERROR permission denied\n"},
	{name: "non-leader writes app", tool: "relation-set", leader: no, args: []string{"-r", "db:1", "--app", "k=v"}, wantCode: 1, wantStderr: "ERROR cannot write relation settings\n"},
	{name: "relation-set not key=value", tool: "relation-set", args: []string{"-r", "db:1", "novalue"}, wantCode: 2, wantStderr: `ERROR expected "key=value", got "novalue"` + "\n"},
	{name: "relation-set duplicate", tool: "relation-set", args: []string{"-r", "db:1", "k=1", "k=2"}, wantCode: 2, wantStderr: `ERROR duplicate key specified: "k"` + "\n"},
	{name: "unknown flag", tool: "is-leader", args: []string{"--bogus"}, wantCode: 2, wantStderr: "ERROR flag provided but not defined: --bogus\n"},
	{name: "flag without value", tool: "relation-list", args: []string{"-r"}, wantCode: 2, wantStderr: "ERROR flag needs an argument: -r\n"},
	{name: "bad bool", tool: "relation-list", args: []string{"-r", "db:1", "--app=maybe"}, wantCode: 2, wantStderr: `ERROR invalid value "maybe" for flag --app=maybe: parse error` + "\n"},
	{name: "extra args", tool: "is-leader", args: []string{"x", "y"}, wantCode: 2, wantStderr: `ERROR unrecognized args: ["x" "y"]` + "\n"},
	{name: "unknown format", tool: "is-leader", args: []string{"--format=yaml2"}, wantCode: 2, wantStderr: `ERROR invalid value "yaml2" for option --format: unknown format "yaml2"` + "\n"},
	{name: "invalid status", tool: "status-set", args: []string{"error", "x"}, wantCode: 2,
		wantStderr: `ERROR invalid status "error", expected one of [maintenance blocked waiting active]` + "\n"},
	{name: "non-leader app status", tool: "status-set", leader: no, args: []string{"--application=True", "active"}, wantCode: 1, wantStderr: "ERROR this unit is not the leader\n"},
	{name: "non-leader app status-get", tool: "status-get", leader: no, args: []string{"--application"}, wantCode: 1, wantStderr: "ERROR this unit is not the leader\n"},
	{name: "secret by id not found", tool: "secret-get", args: []string{"secret:nope"}, wantCode: 1, wantStderr: `ERROR secret "secret:nope" not found` + "\n"},
	{name: "secret by label not found", tool: "secret-get", args: []string{"--label", "x"}, wantCode: 1, wantStderr: `ERROR secret with label "x" not found` + "\n"},
	{name: "secret-get neither", tool: "secret-get", wantCode: 2, wantStderr: "ERROR require either a secret URI or label\n"},
	{name: "secret-info-get both", tool: "secret-info-get", args: []string{"secret:abc", "--label", "l"}, wantCode: 2,
		wantStderr: "ERROR specify either a secret URI or label but not both\n"},
	{name: "secret-add no content", tool: "secret-add", args: []string{"--label", "x"}, wantCode: 2, wantStderr: "ERROR missing secret value or filename\n"},
	{name: "secret-add non-leader", tool: "secret-add", leader: no, args: []string{"key=v"}, wantCode: 1, wantStderr: "ERROR permission denied\n"},
	{name: "secret-set non-leader", tool: "secret-set", leader: no, args: []string{"secret:abc", "key=v"}, wantCode: 1, wantStderr: "ERROR permission denied\n"},
	{name: "network-get unknown binding", tool: "network-get", args: []string{"x"}, wantCode: 1, wantStderr: `ERROR no network config found for binding "x"` + "\n"},
	{name: "juju-log no message", tool: "juju-log", wantCode: 2, wantStderr: "ERROR no message specified\n"},
	{name: "reboot in action", tool: "juju-reboot", env: map[string]string{"JUJU_ACTION_NAME": "a"}, wantCode: 1,
		wantStderr: "ERROR juju-reboot is not supported when running an action\n"},
}

func (tc toolCase) state() *fakejuju.State {
	st := world()
	if tc.leader != nil {
		st.Leader = *tc.leader
	}
	return st
}

func TestToolOutputAndErrors(t *testing.T) {
	for _, tc := range append(append([]toolCase{}, outputCases...), errorCases...) {
		t.Run(tc.name, func(t *testing.T) {
			res := fakejuju.Exec(tc.state(), func(k string) string { return tc.env[k] }, tc.tool, tc.args, nil)
			if string(res.Stdout) != tc.wantOut || res.ExitCode != tc.wantCode || res.Stderr != tc.wantStderr {
				t.Errorf("got out %q code %d stderr %q\nwant out %q code %d stderr %q",
					res.Stdout, res.ExitCode, res.Stderr, tc.wantOut, tc.wantCode, tc.wantStderr)
			}
		})
	}
}

// TestExecutableMatchesInProcess runs the same cases through the fakejuju
// executable: same stdout, stderr and exit status as Exec.
func TestExecutableMatchesInProcess(t *testing.T) {
	for _, tc := range append(append([]toolCase{}, outputCases...), errorCases...) {
		t.Run(tc.name, func(t *testing.T) {
			in, err := fakejuju.NewInstall(t.TempDir(), binary, tc.state())
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(filepath.Join(in.Dir, tc.tool), tc.args...)
			cmd.Env = in.Env(tc.env)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err = cmd.Run()
			code := 0
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if stdout.String() != tc.wantOut || code != tc.wantCode || stderr.String() != tc.wantStderr {
				t.Errorf("got out %q code %d stderr %q", stdout.String(), code, stderr.String())
			}
			calls, err := in.Calls()
			if err != nil || len(calls) != 1 || calls[0].Tool != tc.tool || !slices.Equal(calls[0].Args, tc.args) || calls[0].ExitCode != tc.wantCode {
				t.Errorf("recorded calls %+v, %v", calls, err)
			}
		})
	}
}

func TestArgvHandling(t *testing.T) {
	st := world()
	env := func(string) string { return "" }
	// Flags after positionals, --name value, -r=<id>, "--" ending flags.
	for _, args := range [][]string{
		{"--format", "json", "-r=1", "--app", "-", "pg"},
		{"-", "pg", "--app=true", "-r", "1", "--format=json"},
		{"--relation", "db:1", "--format=json", "--app", "--", "-", "pg"},
	} {
		res := fakejuju.Exec(st, env, "relation-get", args, nil)
		if res.ExitCode != 0 || !strings.HasPrefix(string(res.Stdout), `{"a":"1"`) {
			t.Errorf("%q: %q %q", args, res.Stdout, res.Stderr)
		}
	}
	res := fakejuju.Exec(st, env, "juju-log", []string{"-l", "warn", "--", "--not-a-flag", "x"}, nil)
	if res.ExitCode != 0 || st.Logs[0] != (fakejuju.LogLine{Level: "WARNING", Message: "--not-a-flag x"}) {
		t.Errorf("juju-log: %+v %+v", res, st.Logs)
	}
	// An invalid level is not an error: Juju logs at INFO.
	fakejuju.Exec(st, env, "juju-log", []string{"--log-level", "LOUD", "hi"}, nil)
	if st.Logs[1].Level != "INFO" {
		t.Errorf("invalid level logged as %q", st.Logs[1].Level)
	}
	res = fakejuju.Exec(st, env, "status-set", []string{"--application=False", "maintenance", "--", "-installing", "now"}, nil)
	if res.ExitCode != 0 || st.UnitStatus.Message != "-installing now" {
		t.Errorf("status-set: %+v %+v", res, st.UnitStatus)
	}
}

func TestRelationSetFromStdinAndFile(t *testing.T) {
	st := world()
	env := func(k string) string { return map[string]string{"JUJU_RELATION_ID": "db:1"}[k] }
	res := fakejuju.Exec(st, env, "relation-set", []string{"--file", "-", "extra=arg"}, []byte(`{"a":"1","b":"two"}`))
	if res.ExitCode != 0 || !reflect.DeepEqual(st.Relations[0].LocalUnitData, map[string]string{"a": "1", "b": "two", "extra": "arg"}) {
		t.Fatalf("%+v %v", res, st.Relations[0].LocalUnitData)
	}
	f := filepath.Join(t.TempDir(), "data.json")
	os.WriteFile(f, []byte(`{"a":""}`), 0o600)
	res = fakejuju.Exec(st, env, "relation-set", []string{"--file", f}, nil)
	if res.ExitCode != 0 || st.Relations[0].LocalUnitData["a"] != "" || len(st.Relations[0].LocalUnitData) != 2 {
		t.Fatalf("empty value did not delete: %+v %v", res, st.Relations[0].LocalUnitData)
	}
	res = fakejuju.Exec(st, env, "relation-set", []string{"--file", "-"}, []byte(`{"n":1}`))
	if res.ExitCode != 1 || !strings.Contains(res.Stderr, "is not a string") {
		t.Errorf("non-string value: %+v", res)
	}
	res = fakejuju.Exec(st, env, "relation-set", []string{"--file", "-"}, []byte(`not json`))
	if res.ExitCode != 1 || !strings.HasPrefix(res.Stderr, "ERROR cannot parse standard input") {
		t.Errorf("garbage input: %+v", res)
	}
}

// TestExecutableRecordsAndLocks runs overlapping tool processes: every
// write lands, and every call is recorded with the size of its standard
// input but not its content.
func TestExecutableRecordsAndLocks(t *testing.T) {
	in, err := fakejuju.NewInstall(t.TempDir(), binary, &fakejuju.State{Unit: "myapp/0"})
	if err != nil {
		t.Fatal(err)
	}
	r := in.Runner(nil)
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, _ := json.Marshal(map[string]string{fmt.Sprintf("k%02d", i): "private-value"})
			_, err := r.RunWithStdin(body, "state-set", "--file", "-")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st, err := in.State()
	if err != nil || len(st.UnitState) != n {
		t.Fatalf("%d of %d writes landed: %v", len(st.UnitState), n, err)
	}
	calls, err := in.Calls()
	if err != nil || len(calls) != n {
		t.Fatalf("%d calls recorded: %v", len(calls), err)
	}
	for _, c := range calls {
		if c.StdinBytes == 0 || c.Tool != "state-set" {
			t.Errorf("call %+v", c)
		}
	}
	raw, _ := os.ReadFile(in.StatePath + fakejuju.CallsSuffix)
	if bytes.Contains(raw, []byte("private-value")) {
		t.Error("the call log holds standard input content")
	}
	if fi, err := os.Stat(in.StatePath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, %v", fi.Mode(), err)
	}
}

func TestExecutableMisuse(t *testing.T) {
	var stderr bytes.Buffer
	code := fakejuju.Main([]string{"/bin/relation-get"}, func(string) string { return "" }, nil, &bytes.Buffer{}, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), fakejuju.StateEnv) {
		t.Errorf("no state file: code %d, %q", code, stderr.String())
	}
	res := fakejuju.Exec(world(), func(string) string { return "" }, "goal-state-x", nil, nil)
	if res.ExitCode != 2 || !strings.Contains(res.Stderr, "unknown hook tool") {
		t.Errorf("unknown tool: %+v", res)
	}
	if !fakejuju.IsTool("secret-add") || fakejuju.IsTool("bash") {
		t.Error("IsTool")
	}
}

func TestInProcessRunnerErrors(t *testing.T) {
	r := fakejuju.NewRunner(world(), nil)
	_, err := r.Run("relation-get", "-r", "db:9")
	var te *charmhooks.ToolError
	if !errors.As(err, &te) || te.ExitCode != 2 || te.Stderr != `ERROR invalid value "db:9" for option -r: relation not found` || !errors.Is(err, charmhooks.ErrRelationNotFound) {
		t.Errorf("err = %#v", err)
	}
	if calls := r.Calls(); len(calls) != 1 || calls[0].ExitCode != 2 {
		t.Errorf("calls = %+v", calls)
	}
}
