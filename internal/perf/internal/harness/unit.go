package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
	"github.com/charmtrace/charmtrace/tracing"
)

// UnitName is the unit every measured charm runs as: the leader of application example.
const UnitName = "example/0"

// unitFile records a unit's layout in its directory, so that the separate commands of
// the perf script can find it again.
const unitFile = "perfunit.json"

type unitLayout struct {
	Name      string `json:"name"`
	CharmDir  string `json:"charm_dir"`
	TempDir   string `json:"temp_dir"`
	ToolsDir  string `json:"tools_dir"`
	StatePath string `json:"state_path"`
}

// NewUnit lays out a leader unit of the charm in bins under dir (see e2e.NewUnit) and
// records the layout for LoadUnit.
func NewUnit(dir string, bins e2e.Binaries) (*e2e.Unit, error) {
	u, err := e2e.NewUnit(dir, bins, &fakejuju.State{Unit: UnitName, Leader: true,
		Config: map[string]any{"log-level": "info"}})
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(unitLayout{Name: u.Name, CharmDir: u.CharmDir, TempDir: u.TempDir,
		ToolsDir: u.Tools.Dir, StatePath: u.Tools.StatePath})
	if err != nil {
		return nil, err
	}
	return u, os.WriteFile(filepath.Join(dir, unitFile), b, 0o600)
}

// LoadUnit finds the unit NewUnit laid out in dir.
func LoadUnit(dir string) (*e2e.Unit, error) {
	b, err := os.ReadFile(filepath.Join(dir, unitFile))
	if err != nil {
		return nil, err
	}
	var l unitLayout
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%s: %w", unitFile, err)
	}
	return &e2e.Unit{Name: l.Name, CharmDir: l.CharmDir, TempDir: l.TempDir,
		Tools: &fakejuju.Install{Dir: l.ToolsDir, StatePath: l.StatePath}}, nil
}

// Relation returns the unit's relation on endpoint, or nil.
func Relation(u *e2e.Unit, endpoint string) (*fakejuju.Relation, error) {
	st, err := u.Tools.State()
	if err != nil {
		return nil, err
	}
	for _, r := range st.Relations {
		if r.Endpoint == endpoint {
			return r, nil
		}
	}
	return nil, nil
}

// RelateTracing relates the unit to a receiver at url (as Tempo publishes it) and, for
// an https receiver, to a CA provider publishing caPEM (certificate_transfer v1).
func RelateTracing(u *e2e.Unit, url string, caPEM []byte) error {
	if _, err := u.Relate("charm-tracing", "tempo", []string{"tempo/0"},
		map[string]string{"receivers": e2e.TempoReceivers(url)}); err != nil {
		return err
	}
	if len(caPEM) == 0 {
		return nil
	}
	_, err := u.Relate("receive-ca-cert", "self-signed-certificates", []string{"self-signed-certificates/0"},
		e2e.CertificatesV1(string(caPEM)))
	return err
}

// HookEnv is the environment Juju gives a dispatch of hook on u (a relation hook when
// rel is not nil), with the fake tools first on PATH; nothing of this process's own
// environment but PATH. It mirrors what e2e.Unit.Dispatch sets.
func HookEnv(u *e2e.Unit, hook string, rel *fakejuju.Relation) []string {
	event := strings.ReplaceAll(hook, "-", "_")
	env := []string{
		"PATH=" + u.Tools.Dir + string(os.PathListSeparator) + os.Getenv("PATH"),
		fakejuju.StateEnv + "=" + u.Tools.StatePath,
		"TMPDIR=" + u.TempDir,
		"JUJU_UNIT_NAME=" + u.Name,
		"JUJU_MODEL_NAME=" + e2e.ModelName,
		"JUJU_MODEL_UUID=" + e2e.ModelUUID,
		"JUJU_CHARM_DIR=" + u.CharmDir,
		"JUJU_VERSION=" + e2e.JujuVersion,
		"JUJU_CONTEXT_ID=" + u.Name + "-" + event + "-perf",
		"JUJU_DISPATCH_PATH=hooks/" + hook,
		"JUJU_HOOK_NAME=" + hook,
	}
	if rel != nil {
		env = append(env, "JUJU_RELATION="+rel.Endpoint, "JUJU_RELATION_ID="+rel.Ref(), "JUJU_REMOTE_APP="+rel.RemoteApp)
		for name := range rel.RemoteUnitsData {
			env = append(env, "JUJU_REMOTE_UNIT="+name)
			break
		}
	}
	return env
}

// DispatchResult is one dispatch run by Dispatch.
type DispatchResult struct {
	Wall  time.Duration
	Calls []fakejuju.Call // the hook-tool calls it made, in order
}

// Dispatch runs the unit's dispatch executable once for hook, with extra appended to
// the hook environment (e.g. CHARMTRACE_DISABLE=1), and returns the hook-tool calls it
// made, read from the fake Juju's call log. A non-zero exit is an error quoting the
// output.
func Dispatch(ctx context.Context, u *e2e.Unit, hook string, rel *fakejuju.Relation, extra ...string) (DispatchResult, error) {
	return DispatchWrapped(ctx, u, nil, hook, rel, extra...)
}

// DispatchWrapped is Dispatch with the dispatch executable run by wrapper, a command
// that takes it as its last argument (strace -o FILE, say).
func DispatchWrapped(ctx context.Context, u *e2e.Unit, wrapper []string, hook string, rel *fakejuju.Relation, extra ...string) (DispatchResult, error) {
	before, err := u.Tools.Calls()
	if err != nil {
		return DispatchResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, e2e.DispatchTimeout)
	defer cancel()
	argv := append(append([]string(nil), wrapper...), filepath.Join(u.CharmDir, "dispatch"))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = u.CharmDir
	cmd.Env = append(HookEnv(u, hook, rel), extra...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second
	began := time.Now()
	err = cmd.Run()
	res := DispatchResult{Wall: time.Since(began)}
	if err != nil {
		return res, fmt.Errorf("dispatch %s: %w: %s", hook, err, bytes.TrimSpace(out.Bytes()))
	}
	after, err := u.Tools.Calls()
	if err != nil {
		return res, err
	}
	if len(after) < len(before) {
		return res, errors.New("the fake Juju's call log shrank")
	}
	res.Calls = after[len(before):]
	return res, nil
}

// BufferPath is the unit's trace buffer.
func BufferPath(u *e2e.Unit) string { return filepath.Join(u.CharmDir, tracing.BufferFile) }
