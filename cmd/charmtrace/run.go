package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

const runUsage = `Usage: charmtrace run <step> DIR [arguments]

Runs a built charm binary as Juju would, one hook per invocation, against a fake Juju
whose state lives in the work directory DIR, so that you can see your charm's traces
without writing Go. Each step is one invocation:

  init DIR --charm BINARY [--metadata FILE] [--unit NAME] [--leader] [--tools BINARY]
       [key=value]...
        create DIR: the charm directory (the binary as ./dispatch, the metadata), the fake
        hook tools, and the state file DIR/juju/state.json; key=value pairs are config
  relate DIR ENDPOINT REMOTE-APP [--units N] [--peer]
        add a relation with N remote units (default 1) and print its id (endpoint:id)
  set DIR config key=value...              change config options
  set DIR leader true|false                change leadership
  set DIR app-data RELATION key=value...   the remote application's databag (RELATION:
                                           endpoint:id, or the endpoint if it has one)
  set DIR unit-data RELATION UNIT key=value...   a remote unit's databag
  secret DIR key=value... [--label L] [--owner application|unit|granted]
        add a secret and print its id
  hook DIR NAME [--relation ENDPOINT:ID] [--remote-unit UNIT]
        dispatch one hook; a relation hook defaults to the only relation of its
        endpoint and (joined, changed, departed) to its first remote unit
  action DIR NAME [key=value]...           dispatch one action with its parameters
  show DIR state|calls|logs                the fake Juju's state (secret values left
                                           out), every hook-tool call, the unit's log

A value written key=@FILE is read from FILE. The charm runs from DIR/charm with the
environment Juju gives a hook and the fake hook tools first on PATH; its trace buffer is
DIR/charm/.tracing-data.db:

  charmtrace tree DIR/charm/.tracing-data.db

hook and action exit 1 when the charm exits non-zero.
`

// runSteps is the dispatch table of run's steps.
func runSteps() map[string]func(ctx context.Context, s *streams, args []string) error {
	return map[string]func(ctx context.Context, s *streams, args []string) error{
		"init": runInit, "relate": runRelate, "set": runSet, "secret": runSecret,
		"hook": runHook, "action": runAction, "show": runShow,
	}
}

func runRun(ctx context.Context, s *streams, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprint(s.stdout, runUsage)
		if len(args) == 0 {
			return usagef("want a step")
		}
		return nil
	}
	step, ok := runSteps()[args[0]]
	if !ok {
		return usagef("unknown step %q", args[0])
	}
	return step(ctx, s, args[1:])
}

// workspace is a run work directory: the unit as e2e lays it out.
type workspace struct {
	dir  string
	unit *e2e.Unit
}

func (w *workspace) statePath() string { return filepath.Join(w.dir, "juju", "state.json") }

// openWorkspace opens a directory made by run init.
func openWorkspace(dir string) (*workspace, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	w := &workspace{dir: dir}
	st, err := fakejuju.ReadState(w.statePath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a run directory (no juju/state.json): start with charmtrace run init", dir)
	}
	if err != nil {
		return nil, err
	}
	w.unit = &e2e.Unit{Name: st.Unit, CharmDir: filepath.Join(dir, "charm"), TempDir: filepath.Join(dir, "tmp"),
		Tools: &fakejuju.Install{Dir: filepath.Join(dir, "juju", "bin"), StatePath: w.statePath()}}
	return w, nil
}

// update applies fn to the state file.
func (w *workspace) update(fn func(st *fakejuju.State) error) error {
	st, err := w.unit.Tools.State()
	if err != nil {
		return err
	}
	if err := fn(st); err != nil {
		return err
	}
	return w.unit.Tools.SetState(st)
}

// relationByRef finds a relation by endpoint:id, by id, or by endpoint when the endpoint
// has only one.
func relationByRef(st *fakejuju.State, ref string) (*fakejuju.Relation, error) {
	var byEndpoint []*fakejuju.Relation
	for _, r := range st.Relations {
		if r.Ref() == ref || fmt.Sprint(r.ID) == ref {
			return r, nil
		}
		if r.Endpoint == ref {
			byEndpoint = append(byEndpoint, r)
		}
	}
	if len(byEndpoint) == 1 {
		return byEndpoint[0], nil
	}
	return nil, fmt.Errorf("no relation %s (run show DIR state lists them)", ref)
}

// keyValues reads key=value arguments; key=@FILE reads the value from FILE.
func keyValues(args []string) (map[string]string, error) {
	m := make(map[string]string, len(args))
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, usagef("%q is not key=value", a)
		}
		if file, isFile := strings.CutPrefix(v, "@"); isFile {
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, err
			}
			v = string(b)
		}
		m[k] = v
	}
	return m, nil
}

// sortedKeys lists a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
