package fakejuju

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// StateEnv names the environment variable that holds the state file's
// path for the fakejuju executable. Calls are appended, one JSON object a
// line, to the same path with CallsSuffix.
const (
	StateEnv    = "FAKEJUJU_STATE"
	CallsSuffix = ".calls"
)

// Main is the fakejuju executable: it runs the hook tool named by the
// base name of args[0] against the state file named by $FAKEJUJU_STATE,
// records the call, and returns the exit status. A process that has
// other work too (the demo) can call it when started under a tool's name.
func Main(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	tool := filepath.Base(args[0])
	path := getenv(StateEnv)
	if path == "" {
		fmt.Fprintf(stderr, "fakejuju: %s is not set\n", StateEnv)
		return 2
	}
	var in []byte
	if readsStdin(args[1:]) {
		var err error
		if in, err = io.ReadAll(stdin); err != nil {
			fmt.Fprintf(stderr, "fakejuju: read stdin: %v\n", err)
			return 1
		}
	}
	res, err := execLocked(path, getenv, tool, args[1:], in)
	if err != nil {
		fmt.Fprintf(stderr, "fakejuju: %v\n", err)
		return 1
	}
	stdout.Write(res.Stdout)
	io.WriteString(stderr, res.Stderr)
	return res.ExitCode
}

// readsStdin reports whether the arguments ask for "--file -".
func readsStdin(args []string) bool {
	for i, a := range args {
		if a == "--file=-" || (a == "--file" && i+1 < len(args) && args[i+1] == "-") {
			return true
		}
		if a == "--" {
			return false
		}
	}
	return false
}

// execLocked runs one call under an exclusive lock on the state file, so
// that overlapping tool processes never lose each other's changes.
func execLocked(path string, getenv func(string) string, tool string, args []string, stdin []byte) (Result, error) {
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return Result{}, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return Result{}, fmt.Errorf("lock state: %w", err)
	}
	st, err := ReadState(path)
	if err != nil {
		return Result{}, err
	}
	res := Exec(st, getenv, tool, args, stdin)
	if res.Changed {
		tmp := path + ".tmp"
		if err := WriteState(tmp, st); err != nil {
			return Result{}, err
		}
		if err := os.Rename(tmp, path); err != nil {
			return Result{}, err
		}
	}
	line, err := json.Marshal(Call{Tool: tool, Args: args, StdinBytes: len(stdin), ExitCode: res.ExitCode})
	if err != nil {
		return Result{}, err
	}
	f, err := os.OpenFile(path+CallsSuffix, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return Result{}, err
	}
	_, werr := f.Write(append(line, '\n'))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return res, werr
}
