package state_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/charmtrace/charmtrace/state"
)

// The crash and lock tests need a second process. The test binary re-runs
// itself with childModeEnv set, and TestMain turns it into that child
// instead of running tests.
const (
	childModeEnv = "CHARMTRACE_STATE_TEST_CHILD"
	childPathEnv = "CHARMTRACE_STATE_TEST_PATH"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childModeEnv); mode != "" {
		os.Exit(runChild(mode, os.Getenv(childPathEnv)))
	}
	os.Exit(m.Run())
}

// runChild is one dispatch that writes counter = 2 and a deferred event, then
// ends as mode says:
//
//	commit: commits and exits 0
//	error:  exits 1 without committing, like a charm returning an error
//	panic:  panics with the transaction open
//	hold:   prints "ready" and waits for stdin to close (or for SIGKILL)
func runChild(mode, path string) int {
	ctx := context.Background()
	db, err := state.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	d, err := db.Begin(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	if err := d.Set(ctx, "charm", "counter", 2); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	if err := d.AppendDeferred(ctx, "config-changed", "onConfig", []byte("child")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	switch mode {
	case "commit":
		if err := d.Commit(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		return 0
	case "error":
		return 1
	case "panic":
		panic("handler blew up")
	case "hold":
		fmt.Println("ready")
		_, _ = io.Copy(io.Discard, os.Stdin)
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown child mode", mode)
	return 3
}

// child is a running child process started in "hold" mode.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startHolder starts a child that holds the lock on path with an
// uncommitted write, and returns once it says so.
func startHolder(t *testing.T, path string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childModeEnv+"=hold", childPathEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin}
	t.Cleanup(c.kill)
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-ready:
		if strings.TrimSpace(line) != "ready" {
			t.Fatalf("child said %q instead of ready", line)
		}
	case <-time.After(time.Minute):
		t.Fatal("child never took the lock")
	}
	return c
}

// kill SIGKILLs the child and reaps it; calling it twice is harmless.
func (c *child) kill() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}

// runChildTo runs a child in mode to completion and returns its exit code.
func runChildTo(t *testing.T, mode, path string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childModeEnv+"="+mode, childPathEnv+"="+path)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("child %s: %v\n%s", mode, err, out)
	}
	if code := cmd.ProcessState.ExitCode(); code == 3 {
		t.Fatalf("child %s failed before its end:\n%s", mode, out)
	}
	return cmd.ProcessState.ExitCode()
}
