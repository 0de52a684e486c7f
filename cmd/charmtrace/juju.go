package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"unicode"
)

// jujuCLI runs the juju command, as Python's Jubilant does: the Juju CLI does all
// authentication, TLS and credential handling with its own client store, so charmtrace
// never reads, keeps or passes a credential. Every argument is a unit name, a path or a
// fixed flag: nothing secret ever goes on a command line.
type jujuCLI struct {
	path  string // the juju executable found on PATH
	model string // -m value, as the Juju CLI names models ([controller:]model); "" = current
}

// errNoJuju is wrapped by newJujuCLI's error when there is no juju command to run.
var errNoJuju = errors.New("the juju command is not on PATH")

func newJujuCLI(model string) (*jujuCLI, error) {
	path, err := exec.LookPath("juju")
	if err != nil {
		return nil, fmt.Errorf("%w: install the Juju CLI (snap install juju) and log in to the controller first", errNoJuju)
	}
	return &jujuCLI{path: path, model: model}, nil
}

// cliError is a juju command that did not succeed. It carries the command's exit status,
// stdout and stderr, because that is where Juju says what went wrong; the Juju CLI may
// echo values there, so the text is shown to the person who ran charmtrace and nowhere else.
type cliError struct {
	args           []string // juju's arguments, for the message
	code           int      // exit status; -1 when it did not exit (killed, not started)
	stdout, stderr string
	err            error // from os/exec
}

func (e *cliError) Error() string {
	var b strings.Builder
	b.WriteString("juju")
	for _, a := range e.args {
		// A script charmtrace wrote is named, not shown: it is long, and the command
		// line is what the reader needs to recognise.
		if strings.Contains(a, "\n") || len(a) > 100 {
			a = fmt.Sprintf("<script, %d bytes>", len(a))
		}
		b.WriteString(" " + a)
	}
	if e.code >= 0 {
		fmt.Fprintf(&b, " exited with status %d", e.code)
	} else {
		fmt.Fprintf(&b, " failed: %v", e.err)
	}
	for _, s := range [...]struct{ name, text string }{{"stderr", e.stderr}, {"stdout", e.stdout}} {
		if t := strings.TrimSpace(s.text); t != "" {
			fmt.Fprintf(&b, "\n  %s: %s", s.name, strings.ReplaceAll(printableText(clip(t, 2048)), "\n", "\n    "))
		}
	}
	if e.code >= 0 && strings.Contains(strings.ToLower(e.stderr), "permission denied") {
		b.WriteString("\n  (juju exec and juju ssh need admin access to the model, and juju ssh needs your SSH key on it: juju add-ssh-key)")
	}
	return b.String()
}

func (e *cliError) Unwrap() error { return e.err }

// printableText is printable for text of several lines: it keeps line breaks and tabs
// and replaces every other control character, so that nothing a unit or the Juju CLI
// prints can drive the reader's terminal.
func printableText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return '?'
	}, s)
}

// clip keeps the first n bytes of s and says so when it drops the rest.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf(" ... (%d more bytes)", len(s)-n)
}

// maxCapture bounds what a juju command may print before it is stopped: the commands
// charmtrace runs print at most a few lines, except the copy stream, which goes to a
// writer of its own.
const maxCapture = 4 << 20

// run runs juju with args (after -m, which goes right after the subcommand) and returns
// its stdout. When out is not nil, stdout goes there instead. A failure is a *cliError.
func (j *jujuCLI) run(ctx context.Context, out io.Writer, sub string, args ...string) ([]byte, error) {
	argv := []string{sub}
	if j.model != "" {
		argv = append(argv, "-m", j.model)
	}
	argv = append(argv, args...)
	cmd := exec.CommandContext(ctx, j.path, argv...)
	var stdout, stderr capped
	stdout.max, stderr.max = maxCapture, maxCapture
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if out != nil {
		cmd.Stdout = out
	}
	// Nothing to read: a juju command that prompts (a password, a host key) must fail,
	// not wait for a person who is not looking at it.
	cmd.Stdin = nil
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	ce := &cliError{args: argv, code: -1, stdout: stdout.String(), stderr: stderr.String(), err: err}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.ExitCode() >= 0 {
		ce.code = exitErr.ExitCode()
	}
	return nil, ce
}

// capped is a bytes.Buffer that keeps at most max bytes and drops the rest, so a juju
// command that prints without end cannot exhaust memory.
type capped struct {
	bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
