package fakejujucli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// EnvConfig names the Config file.
const EnvConfig = "FAKEJUJU_CLI_CONFIG"

// EnvHelper is set to 1 for the test binary started as the fake: the helper test runs
// Main when it finds it, and skips otherwise.
const EnvHelper = "FAKEJUJU_CLI_HELPER"

// Config is what the fake juju serves.
type Config struct {
	Model     string   // the current model's name; -m must name it (or controller:it)
	ModelType string   // "iaas" or "caas"
	Units     []string // e.g. "my-app/0"
	Root      string   // unit file systems: Root/<app>-<n> stands for the unit's "/"
	Log       string   // every call's argv, one JSON array a line
	// Fail makes a subcommand (status, exec, ssh) fail with this answer.
	Fail map[string]Failure
}

// Failure is how a failing juju command answers.
type Failure struct {
	Code           int
	Stdout, Stderr string
}

// UnitRoot is the directory that stands for unit's "/".
func (c *Config) UnitRoot(unit string) string {
	return filepath.Join(c.Root, strings.ReplaceAll(unit, "/", "-"))
}

// CharmDir is the unit's charm directory as the fake serves it.
func (c *Config) CharmDir(unit string) string {
	app, n, _ := strings.Cut(unit, "/")
	return filepath.Join(c.UnitRoot(unit), "var/lib/juju/agents", "unit-"+app+"-"+n, "charm")
}

// Install writes cfg beside a script named juju in dir/bin that starts testBinary as the
// fake (running only the test named helperTest, which must call Main), and returns the
// environment to run charmtrace in: PATH with only that directory and the system's
// directories for sh, and the config named.
func Install(dir, testBinary, helperTest string, cfg *Config) ([]string, error) {
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o700); err != nil {
		return nil, err
	}
	for _, u := range cfg.Units {
		for _, d := range []string{cfg.CharmDir(u), filepath.Join(cfg.UnitRoot(u), "tmp")} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return nil, err
			}
		}
	}
	cfgPath := filepath.Join(dir, "juju.json")
	if err := cfg.Save(cfgPath); err != nil {
		return nil, err
	}
	script := fmt.Sprintf("#!/bin/sh\n"+EnvHelper+"=1 exec %s -test.run='^%s$' -- \"$@\"\n", shellQuote(testBinary), helperTest)
	if err := os.WriteFile(filepath.Join(bin, "juju"), []byte(script), 0o700); err != nil {
		return nil, err
	}
	return []string{"PATH=" + bin + ":/usr/bin:/bin", EnvConfig + "=" + cfgPath}, nil
}

// Save writes the config to path, where the fake reads it on every call: a test changes
// what the fake answers by saving it again.
func (c *Config) Save(path string) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// Calls reads the argv of every call so far.
func (c *Config) Calls() ([][]string, error) {
	data, err := os.ReadFile(c.Log)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var calls [][]string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var argv []string
		if err := json.Unmarshal([]byte(line), &argv); err != nil {
			return nil, err
		}
		calls = append(calls, argv)
	}
	return calls, nil
}

// Main runs the fake with args (juju's arguments, without the program name) and returns
// its exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	data, err := os.ReadFile(os.Getenv(EnvConfig))
	if err != nil {
		fmt.Fprintf(stderr, "fakejujucli: %v\n", err)
		return 2
	}
	var cfg Config
	if err := json.Unmarshal(data, &cfg); err != nil {
		fmt.Fprintf(stderr, "fakejujucli: %v\n", err)
		return 2
	}
	if line, err := json.Marshal(args); err == nil && cfg.Log != "" {
		f, err := os.OpenFile(cfg.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err == nil {
			f.Write(append(line, '\n'))
			f.Close()
		}
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "ERROR no command")
		return 2
	}
	sub, rest := args[0], args[1:]
	// -m MODEL comes right after the subcommand.
	if len(rest) >= 2 && rest[0] == "-m" {
		model := rest[1]
		if _, name, ok := strings.Cut(model, ":"); ok {
			model = name
		}
		if model != cfg.Model {
			fmt.Fprintf(stderr, "ERROR model %q not found\n", rest[1])
			return 1
		}
		rest = rest[2:]
	}
	if f, ok := cfg.Fail[sub]; ok {
		io.WriteString(stdout, f.Stdout)
		io.WriteString(stderr, f.Stderr)
		return f.Code
	}
	switch sub {
	case "status":
		return cfg.status(rest, stdout, stderr)
	case "exec":
		return cfg.exec(rest, stdout, stderr)
	case "ssh":
		return cfg.ssh(rest, stdout, stderr)
	}
	fmt.Fprintf(stderr, "ERROR unrecognized command: juju %s\n", sub)
	return 2
}

func (c *Config) status(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || args[0] != "--format" || args[1] != "json" {
		fmt.Fprintln(stderr, "ERROR fake status wants --format json first")
		return 2
	}
	target := ""
	if len(args) > 2 {
		target = args[2]
	}
	apps := map[string]map[string]map[string]any{}
	for _, u := range c.Units {
		app, _, _ := strings.Cut(u, "/")
		if target != "" && target != u && target != app {
			continue
		}
		if apps[app] == nil {
			apps[app] = map[string]map[string]any{"units": {}}
		}
		apps[app]["units"][u] = map[string]any{"workload-status": map[string]string{"current": "active"}}
	}
	out := map[string]any{
		"model":        map[string]string{"name": c.Model, "type": c.ModelType, "controller": "fake"},
		"machines":     map[string]any{},
		"applications": apps,
	}
	json.NewEncoder(stdout).Encode(out)
	return 0
}

func (c *Config) exec(args []string, stdout, stderr io.Writer) int {
	var unit string
	lock := false
	i := 0
	for ; i < len(args) && args[i] != "--"; i++ {
		switch {
		case args[i] == "--unit" && i+1 < len(args):
			i++
			unit = args[i]
		case args[i] == "--parallel=false":
			lock = true
		default:
			fmt.Fprintf(stderr, "ERROR fake exec: unexpected argument %q\n", args[i])
			return 2
		}
	}
	if i+2 != len(args) {
		fmt.Fprintln(stderr, "ERROR fake exec wants exactly one command string after --")
		return 2
	}
	if !slices.Contains(c.Units, unit) {
		fmt.Fprintf(stderr, "ERROR unit %q not found\n", unit)
		return 1
	}
	if lock {
		f, err := os.OpenFile(filepath.Join(c.UnitRoot(unit), "hook.lock"), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			fmt.Fprintln(stderr, "ERROR", err)
			return 1
		}
		defer f.Close()
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			fmt.Fprintln(stderr, "ERROR", err)
			return 1
		}
	}
	// juju exec's plain output is the command's stdout, then its stderr, on stdout.
	var errOut strings.Builder
	code := c.sh(unit, args[i+1], stdout, &errOut)
	io.WriteString(stdout, errOut.String())
	if code != 0 {
		fmt.Fprintf(stderr, "ERROR the following task failed:\n id \"1\" with return code %d\n", code)
		return 1
	}
	return 0
}

func (c *Config) ssh(args []string, stdout, stderr io.Writer) int {
	container := ""
	i := 0
	for ; i < len(args) && strings.HasPrefix(args[i], "-"); i++ {
		switch {
		case args[i] == "--pty=false":
		case args[i] == "--container" && i+1 < len(args):
			i++
			container = args[i]
		default:
			fmt.Fprintf(stderr, "ERROR fake ssh: unexpected flag %q\n", args[i])
			return 2
		}
	}
	if i+2 != len(args) {
		fmt.Fprintln(stderr, "ERROR fake ssh wants a unit and one command string")
		return 2
	}
	unit, cmd := args[i], args[i+1]
	if !slices.Contains(c.Units, unit) {
		fmt.Fprintf(stderr, "ERROR unit %q not found\n", unit)
		return 1
	}
	switch {
	case c.ModelType == "caas" && container != "charm":
		fmt.Fprintln(stderr, "ERROR fake ssh: a Kubernetes unit's charm container must be named")
		return 1
	case c.ModelType != "caas" && container != "":
		fmt.Fprintln(stderr, "ERROR --container can only be used with k8s models")
		return 2
	case c.ModelType != "caas":
		// The fake is not root and has no sudo; a machine command must ask for it.
		rest, ok := strings.CutPrefix(cmd, "sudo -n ")
		if !ok {
			fmt.Fprintln(stderr, "Permission denied: the charm directory is root's")
			return 1
		}
		cmd = rest
	}
	return c.sh(unit, cmd, stdout, stderr)
}

// sh runs cmd on the unit's files.
func (c *Config) sh(unit, cmd string, stdout, stderr io.Writer) int {
	root := c.UnitRoot(unit)
	cmd = strings.ReplaceAll(cmd, "/var/lib/juju/", root+"/var/lib/juju/")
	sh := exec.Command("sh", "-c", cmd)
	sh.Env = append(os.Environ(), "TMPDIR="+filepath.Join(root, "tmp"))
	sh.Stdout, sh.Stderr = stdout, stderr
	if err := sh.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintln(stderr, "ERROR", err)
		return 1
	}
	return 0
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
