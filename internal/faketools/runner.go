package faketools

import (
	"strings"
	"sync"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// Runner is the in-process fake: a charmhooks.StdinRunner that runs each
// call with Exec against a State in memory. Failures are
// *charmhooks.ToolError values, as the real exec runner returns them.
type Runner struct {
	mu    sync.Mutex
	state *State
	env   map[string]string
	calls []Call
}

var _ charmhooks.StdinRunner = (*Runner)(nil)

// NewRunner returns a fake over st. env is the hook's environment as the
// tools see it (JUJU_RELATION_ID, JUJU_REMOTE_UNIT, JUJU_REMOTE_APP,
// JUJU_ACTION_NAME); it may be nil.
func NewRunner(st *State, env map[string]string) *Runner {
	return &Runner{state: st, env: env}
}

// SetEnv replaces the hook environment, e.g. before the next hook.
func (r *Runner) SetEnv(env map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.env = env
}

// Run runs a tool with no standard input.
func (r *Runner) Run(name string, args ...string) ([]byte, error) {
	return r.RunWithStdin(nil, name, args...)
}

// RunWithStdin runs a tool with stdin as its standard input.
func (r *Runner) RunWithStdin(stdin []byte, name string, args ...string) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := Exec(r.state, func(k string) string { return r.env[k] }, name, args, stdin)
	r.calls = append(r.calls, Call{Tool: name, Args: append([]string(nil), args...), StdinBytes: len(stdin), ExitCode: res.ExitCode})
	if res.ExitCode != 0 {
		return nil, &charmhooks.ToolError{Tool: name, ExitCode: res.ExitCode, Stderr: strings.TrimRight(res.Stderr, "\n")}
	}
	return res.Stdout, nil
}

// Calls returns a copy of the calls made so far.
func (r *Runner) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// State returns the state the calls act on. Read it only between calls.
func (r *Runner) State() *State {
	return r.state
}
