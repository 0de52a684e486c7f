package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
	"github.com/charmtrace/charmtrace/tracing"
)

// The model the units live in.
const (
	ModelName   = "charmtrace-demo"
	ModelUUID   = "0f4a3c2e-5b6d-4e7f-8a9b-1c2d3e4f5a6b"
	JujuVersion = "3.6.4"
)

// DispatchTimeout bounds one dispatch. A hook that takes longer is killed: tracing's
// own network budget is 5 s, so only a hung charm gets there.
const DispatchTimeout = 30 * time.Second

// Unit is one unit of a charm on the fake Juju: a charm directory with the dispatch
// executable and the metadata, the fake hook tools, and the state file they act on.
type Unit struct {
	Name     string // e.g. example/0
	CharmDir string // JUJU_CHARM_DIR; the trace buffer lives here
	// TempDir is the hooks' TMPDIR, where hook-tool wrappers write secret content
	// for the moment a tool reads it.
	TempDir string
	Tools   *fakejuju.Install

	contexts int // dispatches so far, for JUJU_CONTEXT_ID
}

// NewUnit lays out a unit in dir, created if need be, for the charm in bins, with st as
// the fake Juju's initial state; st.Unit names the unit.
func NewUnit(dir string, bins Binaries, st *fakejuju.State) (*Unit, error) {
	// JUJU_CHARM_DIR is absolute under Juju, and the buffer needs it so.
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	u := &Unit{Name: st.Unit, CharmDir: filepath.Join(dir, "charm"), TempDir: filepath.Join(dir, "tmp")}
	for _, d := range []string{dir, u.CharmDir, u.TempDir} {
		if err := os.Mkdir(d, 0o700); err != nil && !(d == dir && errors.Is(err, fs.ErrExist)) {
			return nil, err
		}
	}
	// Juju unpacks the charm into its directory and runs ./dispatch from there.
	if err := os.Symlink(bins.Charm, filepath.Join(u.CharmDir, "dispatch")); err != nil {
		return nil, err
	}
	meta, err := os.ReadFile(bins.Metadata)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(u.CharmDir, filepath.Base(bins.Metadata)), meta, 0o644); err != nil {
		return nil, err
	}
	if st.ModelUUID == "" {
		st.ModelUUID = ModelUUID
	}
	u.Tools, err = fakejuju.NewInstall(filepath.Join(dir, "juju"), bins.FakeJuju, st)
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Hook is one event to dispatch.
type Hook struct {
	// Name is the hook's name (install, db-relation-changed) or, with Action set,
	// the action's.
	Name   string
	Action bool
	// Relation and RemoteUnit are the relation of a relation hook and the remote
	// unit it is about ("" for relation-created and application data changes).
	Relation   *fakejuju.Relation
	RemoteUnit string
	// Env is more of the hook's environment, e.g. JUJU_WORKLOAD_NAME=web.
	Env []string
}

func (h Hook) String() string {
	if h.Action {
		return "action " + h.Name
	}
	return h.Name
}

// Result is what one dispatch did.
type Result struct {
	Hook     Hook
	ExitCode int
	Duration time.Duration
	Output   []byte             // the charm process's stdout and stderr
	Logs     []fakejuju.LogLine // the juju-log lines it wrote
}

// Dispatch runs the charm's dispatch executable once for h, as Juju would: from the
// charm directory, with the hook's environment and the fake tools first on PATH. A
// non-zero exit is reported in the Result; the error is for a dispatch that could not
// run or be read back.
func (u *Unit) Dispatch(ctx context.Context, h Hook) (Result, error) {
	before, err := u.Tools.State()
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, DispatchTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(u.CharmDir, "dispatch"))
	cmd.Dir = u.CharmDir
	cmd.Env = u.env(h)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// A hook tool left running must not hold the dispatch open after a kill.
	cmd.WaitDelay = time.Second
	began := time.Now()
	err = cmd.Run()
	res := Result{Hook: h, Duration: time.Since(began), Output: out.Bytes()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return res, fmt.Errorf("dispatch %s: stopped: %w", h, ctx.Err())
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode()
	case err != nil:
		return res, fmt.Errorf("dispatch %s: %w", h, err)
	}
	after, err := u.Tools.State()
	if err != nil {
		return res, err
	}
	if len(after.Logs) >= len(before.Logs) {
		res.Logs = after.Logs[len(before.Logs):]
	}
	return res, nil
}

// env is the environment Juju gives a dispatch, and nothing of this process's own
// beyond PATH: what the charm sees does not depend on who runs the demo.
func (u *Unit) env(h Hook) []string {
	u.contexts++
	event := strings.ReplaceAll(h.Name, "-", "_")
	env := []string{
		"PATH=" + u.Tools.Dir + string(os.PathListSeparator) + os.Getenv("PATH"),
		fakejuju.StateEnv + "=" + u.Tools.StatePath,
		"TMPDIR=" + u.TempDir,
		"JUJU_UNIT_NAME=" + u.Name,
		"JUJU_MODEL_NAME=" + ModelName,
		"JUJU_MODEL_UUID=" + ModelUUID,
		"JUJU_CHARM_DIR=" + u.CharmDir,
		"JUJU_VERSION=" + JujuVersion,
		fmt.Sprintf("JUJU_CONTEXT_ID=%s-%s-%d", u.Name, event, u.contexts),
	}
	if h.Action {
		env = append(env, "JUJU_DISPATCH_PATH=actions/"+h.Name, "JUJU_ACTION_NAME="+h.Name,
			fmt.Sprintf("JUJU_ACTION_UUID=%d", u.contexts))
	} else {
		env = append(env, "JUJU_DISPATCH_PATH=hooks/"+h.Name, "JUJU_HOOK_NAME="+h.Name)
	}
	env = append(env, h.Env...)
	if r := h.Relation; r != nil {
		env = append(env, "JUJU_RELATION="+r.Endpoint, "JUJU_RELATION_ID="+r.Ref(), "JUJU_REMOTE_APP="+r.RemoteApp)
		if h.RemoteUnit != "" {
			env = append(env, "JUJU_REMOTE_UNIT="+h.RemoteUnit)
		}
	}
	return env
}

// Relate adds a relation on endpoint to remoteApp, with its units and their (empty)
// databags and the remote application's databag appData, and returns it.
func (u *Unit) Relate(endpoint, remoteApp string, remoteUnits []string, appData map[string]string) (*fakejuju.Relation, error) {
	st, err := u.Tools.State()
	if err != nil {
		return nil, err
	}
	rel := &fakejuju.Relation{ID: 1, Endpoint: endpoint, RemoteApp: remoteApp, RemoteAppData: appData,
		RemoteUnitsData: map[string]map[string]string{}}
	for _, r := range st.Relations {
		rel.ID = max(rel.ID, r.ID+1)
	}
	for _, name := range remoteUnits {
		rel.RemoteUnitsData[name] = map[string]string{}
	}
	st.Relations = append(st.Relations, rel)
	return rel, u.Tools.SetState(st)
}

// SetRemoteAppData replaces the remote application's databag of a relation, as the
// remote leader does when it publishes something.
func (u *Unit) SetRemoteAppData(rel *fakejuju.Relation, data map[string]string) error {
	st, err := u.Tools.State()
	if err != nil {
		return err
	}
	for _, r := range st.Relations {
		if r.ID == rel.ID {
			r.RemoteAppData = data
			rel.RemoteAppData = data
			return u.Tools.SetState(st)
		}
	}
	return fmt.Errorf("no relation %s", rel.Ref())
}

// BufferPath is where the charm keeps its trace buffer.
func (u *Unit) BufferPath() string { return filepath.Join(u.CharmDir, tracing.BufferFile) }

// BufferStats reads the trace buffer's counts without writing to it. A unit that has
// no buffer yet has empty stats.
func (u *Unit) BufferStats(ctx context.Context) (buffer.Stats, error) {
	if _, err := os.Stat(u.BufferPath()); errors.Is(err, fs.ErrNotExist) {
		return buffer.Stats{}, nil
	}
	b, err := buffer.Open(u.BufferPath(), buffer.WithReadOnly())
	if err != nil {
		return buffer.Stats{}, err
	}
	defer b.Close()
	return b.Stats(ctx)
}
