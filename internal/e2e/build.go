package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The packages Build compiles.
const (
	CharmPackage    = "github.com/charmtrace/charmtrace/examples/charm"
	fakeJujuPackage = "github.com/charmtrace/charmtrace/internal/fakejuju/cmd/fakejuju"
)

// Binaries are the executables and metadata a unit needs.
type Binaries struct {
	Charm    string // the example charm's dispatch executable
	Metadata string // the example charm's charmcraft.yaml
	FakeJuju string // the fake hook tools, one executable for every tool name
}

// Build compiles the example charm and the fakejuju executable into dir with one go
// build, run from the current directory, which must be inside the charmtrace module.
// It uses the caller's build cache, with the settings of CI's `CGO_ENABLED=0 go
// build ./...`, so after that (or a first run, which compiles SQLite and takes about
// a minute) it only links.
func Build(ctx context.Context, dir string) (Binaries, error) {
	src, err := goCommand(ctx, "list", "-f", "{{.Dir}}", CharmPackage)
	if err != nil {
		return Binaries{}, err
	}
	if _, err := goCommand(ctx, "build", "-o", dir+string(filepath.Separator), CharmPackage, fakeJujuPackage); err != nil {
		return Binaries{}, err
	}
	return Binaries{
		Charm:    filepath.Join(dir, "charm"),
		Metadata: filepath.Join(strings.TrimSpace(src), "charmcraft.yaml"),
		FakeJuju: filepath.Join(dir, "fakejuju"),
	}, nil
}

// goCommand runs the go command and returns its standard output.
func goCommand(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "not in std") || strings.Contains(msg, "main module") || strings.Contains(msg, "go.mod file not found") {
			msg += "\n(run this from inside the charmtrace source tree)"
		}
		return "", fmt.Errorf("go %s: %v\n%s", args[0], err, msg)
	}
	return stdout.String(), nil
}
