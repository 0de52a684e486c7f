package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
	"github.com/charmtrace/charmtrace/tracing"
)

// testMetadata declares the two relations tracing follows, as the example charm does.
const testMetadata = `name: reliability
requires:
  charm-tracing:
    interface: tracing
    limit: 1
  receive-ca-cert:
    interface: certificate_transfer
    limit: 1
`

// fakeUnit is a unit whose dispatches run tracing.Run in this process, with the
// in-process fake Juju as hook tools: for the child processes of the kill torture and
// the permission test, and the hostile relation data table.
type fakeUnit struct {
	dir      string
	st       *fakejuju.State
	runner   *fakejuju.Runner
	contexts int
}

// newFakeUnit lays out a charm directory in dir (created if need be) for unit name.
func newFakeUnit(dir, name string) (*fakeUnit, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	meta := filepath.Join(dir, "metadata.yaml")
	if _, err := os.Stat(meta); err != nil {
		if err := os.WriteFile(meta, []byte(testMetadata), 0o644); err != nil {
			return nil, err
		}
	}
	st := &fakejuju.State{Unit: name, Leader: true, ModelUUID: "7e1ab1e0-0000-4000-8000-000000000000",
		Config: map[string]any{"log-level": "info"}}
	return &fakeUnit{dir: dir, st: st, runner: fakejuju.NewRunner(st, nil)}, nil
}

// relate adds a relation whose remote application's databag is appData.
func (u *fakeUnit) relate(endpoint, remoteApp string, appData map[string]string) *fakejuju.Relation {
	rel := &fakejuju.Relation{ID: len(u.st.Relations) + 1, Endpoint: endpoint, RemoteApp: remoteApp,
		RemoteAppData: appData, RemoteUnitsData: map[string]map[string]string{remoteApp + "/0": {}}}
	u.st.Relations = append(u.st.Relations, rel)
	return rel
}

// dispatch runs one hook: event is a hook name; rel, if not nil, is the relation of a
// relation hook. It returns Run's exit status.
func (u *fakeUnit) dispatch(event string, rel *fakejuju.Relation, setup tracing.SetupFunc, opts ...tracing.Option) int {
	u.contexts++
	env := map[string]string{
		"JUJU_UNIT_NAME": u.st.Unit, "JUJU_MODEL_NAME": "reliability", "JUJU_MODEL_UUID": u.st.ModelUUID,
		"JUJU_CHARM_DIR": u.dir, "JUJU_VERSION": "3.6.4", "JUJU_DISPATCH_PATH": "hooks/" + event,
		"JUJU_HOOK_NAME": event, "JUJU_CONTEXT_ID": fmt.Sprintf("%s-%s-%d", u.st.Unit, event, u.contexts),
	}
	if rel != nil {
		env["JUJU_RELATION"], env["JUJU_RELATION_ID"], env["JUJU_REMOTE_APP"] = rel.Endpoint, rel.Ref(), rel.RemoteApp
		if !strings.HasSuffix(event, "-created") {
			env["JUJU_REMOTE_UNIT"] = rel.RemoteApp + "/0"
		}
	}
	u.runner.SetEnv(env)
	opts = append([]tracing.Option{tracing.WithGetenv(func(k string) string { return env[k] }), tracing.WithRunner(u.runner)}, opts...)
	return tracing.Run(setup, opts...)
}

// logs returns the unit's juju-log lines from index from on, at level (all levels
// when level is "").
func (u *fakeUnit) logs(from int, level charmhooks.LogLevel) []string {
	var out []string
	for _, l := range u.st.Logs[min(from, len(u.st.Logs)):] {
		if level == "" || l.Level == string(level) {
			out = append(out, l.Message)
		}
	}
	return out
}
