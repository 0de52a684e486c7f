package fakejuju

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// Build compiles the fakejuju executable into dir and returns its path.
// It needs the go command on PATH and runs inside this module. Tests call
// it once per test binary (in TestMain).
func Build(dir string) (string, error) {
	out := filepath.Join(dir, "fakejuju")
	cmd := exec.Command("go", "build", "-o", out, "github.com/charmtrace/charmtrace/internal/fakejuju/cmd/fakejuju")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("fakejuju: build: %v: %s", err, msg)
	}
	return out, nil
}

// Install is a directory of hook tools, each a symlink to one fakejuju
// executable, with the state file beside them.
type Install struct {
	Dir       string // the tools; put it first on PATH, or use Runner
	StatePath string // the JSON state file
}

// NewInstall links every tool the fake implements to binary inside dir and
// writes st as the state file.
func NewInstall(dir, binary string, st *State) (*Install, error) {
	in := &Install{Dir: filepath.Join(dir, "bin"), StatePath: filepath.Join(dir, "state.json")}
	if err := os.MkdirAll(in.Dir, 0o700); err != nil {
		return nil, err
	}
	for _, name := range ToolNames() {
		if err := os.Symlink(binary, filepath.Join(in.Dir, name)); err != nil {
			return nil, err
		}
	}
	if err := WriteState(in.StatePath, st); err != nil {
		return nil, err
	}
	return in, nil
}

// Env returns the process environment plus hookEnv, with the tools first
// on PATH and the state file named.
func (in *Install) Env(hookEnv map[string]string) []string {
	env := make([]string, 0, len(os.Environ())+len(hookEnv)+2)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, override := hookEnv[k]; !override && k != "PATH" && k != StateEnv {
			env = append(env, kv)
		}
	}
	env = append(env, "PATH="+in.Dir+string(os.PathListSeparator)+os.Getenv("PATH"), StateEnv+"="+in.StatePath)
	for k, v := range hookEnv {
		env = append(env, k+"="+v)
	}
	return env
}

// Runner returns the real exec runner pointed at these tools.
func (in *Install) Runner(hookEnv map[string]string) *charmhooks.ExecRunner {
	return &charmhooks.ExecRunner{Dir: in.Dir, Env: in.Env(hookEnv)}
}

// State reads the state file.
func (in *Install) State() (*State, error) { return ReadState(in.StatePath) }

// SetState replaces the state file, e.g. to change leadership or relation
// data between hooks.
func (in *Install) SetState(st *State) error { return WriteState(in.StatePath, st) }

// Calls reads every call recorded so far, in order.
func (in *Install) Calls() ([]Call, error) {
	b, err := os.ReadFile(in.StatePath + CallsSuffix)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var calls []Call
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var c Call
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("fakejuju: calls file: %w", err)
		}
		calls = append(calls, c)
	}
	return calls, sc.Err()
}

// TestMain builds the executable once into a temporary directory, sets *binary to it,
// runs the package's tests and exits with their status, removing the directory. Test
// packages that run the real tools call it from their own TestMain.
func TestMain(m interface{ Run() int }, binary *string) {
	dir, err := os.MkdirTemp("", "fakejuju-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if *binary, err = Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}
