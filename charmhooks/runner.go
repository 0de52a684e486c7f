package charmhooks

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
)

// Runner runs one hook tool and returns its standard output. Its method
// set is goops' CommandRunner, so any Runner of this package can be
// installed with goops.SetCommandRunner.
//
// A failed run returns an error; a runner of this package returns a
// *ToolError.
type Runner interface {
	Run(name string, args ...string) ([]byte, error)
}

// StdinRunner is a Runner that can also feed the tool's standard input.
// The Tools wrappers use it to pass relation and state data off the
// command line.
type StdinRunner interface {
	Runner
	RunWithStdin(stdin []byte, name string, args ...string) ([]byte, error)
}

// ContextRunner is a Runner that can be bound to a caller's context. The traced runner
// is one: calls through the bound runner get spans that are children of the span in
// ctx. Tools.WithContext uses it; a Runner that is not one ignores contexts.
type ContextRunner interface {
	Runner
	// WithContext returns the runner bound to ctx. It is a StdinRunner exactly when
	// the receiver is one.
	WithContext(ctx context.Context) Runner
}

// ExecRunner runs hook tools as child processes: no shell, the charm's own
// environment (so the tool finds the unit agent through JUJU_CONTEXT_ID
// and the agent socket), stdout and stderr captured. The zero value looks
// tools up on PATH, as Juju intends.
type ExecRunner struct {
	// Dir, if set, is the directory the tools are run from instead of a
	// PATH lookup (tests and the demo point it at fake tools).
	Dir string
	// Env, if non-nil, replaces the inherited environment.
	Env []string
}

var _ StdinRunner = (*ExecRunner)(nil)

// Run runs the tool with no standard input.
func (r *ExecRunner) Run(name string, args ...string) ([]byte, error) {
	return r.run(nil, name, args)
}

// RunWithStdin runs the tool with stdin as its standard input.
func (r *ExecRunner) RunWithStdin(stdin []byte, name string, args ...string) ([]byte, error) {
	return r.run(stdin, name, args)
}

func (r *ExecRunner) run(stdin []byte, name string, args []string) ([]byte, error) {
	path := name
	if r.Dir != "" {
		path = filepath.Join(r.Dir, name)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = r.Env
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &limitedWriter{buf: &stderr, left: maxStderr}
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	te := &ToolError{Tool: name, ExitCode: -1, Stderr: trimStderr(stderr.Bytes()), err: err}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		te.ExitCode = exitErr.ExitCode()
		te.err = nil
	}
	return nil, te
}

// maxStderr bounds what is kept of a tool's standard error: Juju writes one
// "ERROR ..." line, and nothing unbounded should reach an error value.
const maxStderr = 16 << 10

// limitedWriter keeps the first left bytes and discards the rest without
// failing the child's writes.
type limitedWriter struct {
	buf  *bytes.Buffer
	left int
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	n := len(p)
	if w.left > 0 {
		k := min(n, w.left)
		w.buf.Write(p[:k])
		w.left -= k
	}
	return n, nil
}

func trimStderr(b []byte) string {
	return string(bytes.TrimRight(b, "\r\n"))
}
