package charmhooks

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// TestToolErrorClassification uses the stderr texts real Juju prints.
func TestToolErrorClassification(t *testing.T) {
	tests := []struct {
		tool, stderr                       string
		relNotFound, secretNotFound, authz bool
		class                              string
	}{
		{"relation-get", `ERROR invalid value "charm-tracing:99" for option -r: relation not found`, true, false, false, "relation_not_found"},
		{"relation-list", `ERROR invalid value "charm-tracing:99" for flag -r: relation not found`, true, false, false, "relation_not_found"},
		{"relation-set", `ERROR invalid value "db:1" for option -r: relation not found`, true, false, false, "relation_not_found"},
		{"network-get", `ERROR relation 2 not found`, true, false, false, "relation_not_found"},
		{"network-get", `ERROR no network config found for binding "x"`, false, false, false, "failed"},
		{"relation-get", `ERROR invalid value "db:x" for option -r: invalid relation id`, false, false, false, "failed"},
		{"relation-get", `ERROR no relation id specified`, false, false, false, "failed"},
		{"relation-get", `ERROR permission denied`, false, false, true, "unauthorized"},
		{"relation-get", `ERROR permission denied (unauthorized access)`, false, false, true, "unauthorized"},
		{"relation-set", `ERROR cannot write relation settings`, false, false, true, "unauthorized"},
		{"relation-set", `ERROR cannot read relation application settings: permission denied`, false, false, true, "unauthorized"},
		{"secret-get", `ERROR secret "secret:cq4abc" not found`, false, true, false, "secret_not_found"},
		{"secret-get", `ERROR secret with label "admin-password" not found`, false, true, false, "secret_not_found"},
		{"secret-info-get", `ERROR secret with label "x" not found`, false, true, false, "secret_not_found"},
		{"secret-get", `ERROR permission denied`, false, false, true, "unauthorized"},
		{"secret-set", `ERROR permission denied`, false, false, true, "unauthorized"},
		{"secret-add", `ERROR missing secret value or filename`, false, false, false, "failed"},
		{"status-set", `ERROR this unit is not the leader`, false, false, true, "unauthorized"},
		{"status-set", `ERROR invalid status "x", expected one of [maintenance blocked waiting active]`, false, false, false, "failed"},
		{"state-get", `ERROR access denied`, false, false, true, "unauthorized"},
		// The class rules look at the tool: "not found" from a tool that is
		// neither relation-* nor secret-* is no such class.
		{"config-get", `ERROR relation not found`, false, false, false, "failed"},
		{"state-get", `ERROR secret "x" not found`, false, false, false, "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.tool+"/"+tt.stderr, func(t *testing.T) {
			var err error = &ToolError{Tool: tt.tool, ExitCode: 1, Stderr: tt.stderr}
			wrapped := fmt.Errorf("reading relation: %w", err)
			if got := errors.Is(wrapped, ErrRelationNotFound); got != tt.relNotFound {
				t.Errorf("Is(ErrRelationNotFound) = %v", got)
			}
			if got := errors.Is(wrapped, ErrSecretNotFound); got != tt.secretNotFound {
				t.Errorf("Is(ErrSecretNotFound) = %v", got)
			}
			if got := errors.Is(wrapped, ErrUnauthorized); got != tt.authz {
				t.Errorf("Is(ErrUnauthorized) = %v", got)
			}
			var te *ToolError
			if !errors.As(wrapped, &te) || te.Class() != tt.class {
				t.Errorf("Class = %q, want %q", te.Class(), tt.class)
			}
		})
	}
}

func TestToolErrorMessage(t *testing.T) {
	err := &ToolError{Tool: "relation-get", ExitCode: 2, Stderr: "ERROR no relation id specified"}
	if got, want := err.Error(), "hook tool relation-get exited with status 2: ERROR no relation id specified"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestExecRunnerToolMissing(t *testing.T) {
	r := &ExecRunner{Dir: t.TempDir()}
	_, err := r.Run("relation-get", "--format=json")
	var te *ToolError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want *ToolError", err)
	}
	if te.ExitCode != -1 || te.Class() != "not_started" {
		t.Errorf("ExitCode %d class %s, want -1 not_started", te.ExitCode, te.Class())
	}
	if !strings.Contains(err.Error(), "did not run") {
		t.Errorf("message %q does not say the tool did not run", err)
	}
	if errors.Unwrap(err) == nil {
		t.Error("the cause is not kept")
	}
}

func TestExecRunnerOnPath(t *testing.T) {
	// With no Dir, the runner finds tools on PATH like Juju's own.
	if _, err := exec.LookPath("true"); err != nil {
		t.Skip("no true(1) on PATH")
	}
	r := &ExecRunner{}
	if _, err := r.Run("true"); err != nil {
		t.Fatal(err)
	}
	_, err := r.Run("false")
	var te *ToolError
	if !errors.As(err, &te) || te.ExitCode != 1 {
		t.Fatalf("false: err = %v, want exit status 1", err)
	}
}
