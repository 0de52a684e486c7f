package perf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// metadataPath is the example charm's metadata, which declares the tracing relations.
const metadataPath = "../../examples/charm/charmcraft.yaml"

// inProcessUnit is a charm directory and a fake Juju answering in this process.
type inProcessUnit struct {
	charmDir string
	runner   *fakejuju.Runner
	env      map[string]string
}

func newInProcessUnit(tb testing.TB) *inProcessUnit {
	tb.Helper()
	dir := tb.TempDir()
	meta, err := os.ReadFile(metadataPath)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "charmcraft.yaml"), meta, 0o644); err != nil {
		tb.Fatal(err)
	}
	st := &fakejuju.State{Unit: "example/0", Leader: true, ModelUUID: e2e.ModelUUID,
		Config: map[string]any{"log-level": "info"}}
	return &inProcessUnit{charmDir: dir, runner: fakejuju.NewRunner(st, nil), env: map[string]string{
		"JUJU_UNIT_NAME":     "example/0",
		"JUJU_MODEL_NAME":    e2e.ModelName,
		"JUJU_MODEL_UUID":    e2e.ModelUUID,
		"JUJU_CHARM_DIR":     dir,
		"JUJU_VERSION":       e2e.JujuVersion,
		"JUJU_CONTEXT_ID":    "example/0-update_status-1",
		"JUJU_DISPATCH_PATH": "hooks/update-status",
		"JUJU_HOOK_NAME":     "update-status",
	}}
}

func (u *inProcessUnit) getenv(k string) string { return u.env[k] }

func (u *inProcessUnit) bufferPath() string { return filepath.Join(u.charmDir, ".tracing-data.db") }
