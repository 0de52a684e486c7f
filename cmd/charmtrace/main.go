// Command charmtrace looks into, and replays, the trace buffer a charm keeps at
// $JUJU_CHARM_DIR/.tracing-data.db: the file charmtrace writes, and the one Python
// ops[tracing] writes.
//
// Usage:
//
//	charmtrace <command> [arguments]
//
// Run "charmtrace help" for the commands, the exit codes and each command's flags.
// inspect, tree and export never write to a buffer file, nor does send with --keep; send
// without it deletes what the receiver accepted, so give it a copy taken off the unit.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// Exit codes. They are part of the command's interface (scripts test them) and the help
// text documents them.
const (
	exitOK      = 0
	exitFailure = 1 // runtime failure
	exitUsage   = 2 // bad command line
	exitPartial = 3 // send: the receiver did not accept every row
)

// command is one subcommand. Adding one is one line in commands.
type command struct {
	name    string
	summary string // one line for the command list in the help text
	run     func(ctx context.Context, s *streams, args []string) error
}

// commands is the dispatch table, in the order the help text lists them. It is a function,
// not a package variable, so nothing can change it at run time.
func commands() []command {
	return []command{
		{"demo", "run the example charm through a Juju lifecycle on a fake Juju and show its traces", runDemo},
		{"inspect", "summarise a buffer: rows, bytes, priorities, age, destination, drops", onUnit(bufferFile, true, runInspect)},
		{"tree", "show the buffer's traces as indented waterfalls", onUnit(bufferFile, true, runTree)},
		{"export", "write the buffer's trace data as OTLP/JSON or length-delimited protobuf", onUnit(bufferFile, false, runExport)},
		{"send", "replay a buffer to an OTLP/HTTP receiver", onUnit(bufferFile, false, runSend)},
		{"pull", "copy the buffer (or state database) off a unit, or every unit of an application", runPull},
		{"state", "show a unit state database: deferred events and stored keys, never values", onUnit(stateFile, true, runState)},
		{"run", "run a built charm binary hook by hook against a fake Juju kept in a directory", runRun},
	}
}

const helpHead = `charmtrace reads the trace buffer a charm keeps in $JUJU_CHARM_DIR/.tracing-data.db,
written by charmtrace or by Python ops[tracing]. Work on a copy: a file, or one taken off
a unit through the Juju CLI, for example:

  charmtrace tree --unit example/0
  charmtrace pull example        (every unit's buffer, into ./example-N.tracing-data.db)

Usage:

  charmtrace <command> [arguments]

Commands:

`

const helpTail = `
Run "charmtrace help <command>" or "charmtrace <command> -h" for a command's flags.
Flags may come before or after the file argument.

Exit status:

  0  success
  1  runtime failure: missing, unreadable, damaged or non-buffer file, I/O error,
     rows that cannot be decoded
  2  usage error: unknown command, bad flag or flag value, wrong number of arguments
  3  send only: the receiver did not accept every row (rows were kept or dropped)
`

// streams are where a command writes. live is set when stderr is a terminal, so that a
// progress line can be rewritten in place instead of printed again.
type streams struct {
	stdout, stderr io.Writer
	live           bool
}

func main() {
	// run installs this executable under every hook tool's name: started so, it is
	// that tool, acting on the fake Juju's state file.
	if fakejuju.IsTool(filepath.Base(os.Args[0])) {
		os.Exit(fakejuju.Main(os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run runs the command line args (without the program name) and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	s := &streams{stdout: stdout, stderr: stderr, live: isTerminal(stderr)}
	cmds := commands()
	if len(args) == 0 {
		printHelp(s.stderr, cmds)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if name == "help" && len(rest) > 0 && rest[0] != "help" {
			// "help X" is "X -h": the command's own flag set prints its usage.
			name, rest = rest[0], []string{"-h"}
			break
		}
		printHelp(s.stdout, cmds)
		return exitOK
	}
	i := slices.IndexFunc(cmds, func(c command) bool { return c.name == name })
	if i < 0 {
		fmt.Fprintf(s.stderr, "charmtrace: unknown command %q\nRun \"charmtrace help\" for the list of commands.\n", name)
		return exitUsage
	}
	err := cmds[i].run(ctx, s, rest)
	return report(s.stderr, name, err)
}

// report prints err, if any, and turns it into the exit code.
func report(w io.Writer, name string, err error) int {
	var usage *usageError
	var exit *exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(w, "charmtrace %s: %s\nRun \"charmtrace help %s\" for usage.\n", name, usage.msg, name)
		return exitUsage
	case errors.As(err, &exit):
		fmt.Fprintf(w, "charmtrace %s: %v\n", name, exit.err)
		return exit.code
	}
	fmt.Fprintf(w, "charmtrace %s: %v\n", name, err)
	return exitFailure
}

func printHelp(w io.Writer, cmds []command) {
	var b strings.Builder
	b.WriteString(helpHead)
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %-8s  %s\n", c.name, c.summary)
	}
	b.WriteString(helpTail)
	io.WriteString(w, b.String())
}

// usageError is a mistake in the command line (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// exitError is a failure with an exit code other than exitFailure.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
