package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/tracing"
)

// ToolCallCase is one measured hook of ToolCallScenario.
type ToolCallCase struct {
	Related bool `json:"related"` // the tracing and CA relations exist
	// Routine marks the hooks a unit runs all the time (update-status,
	// config-changed, the tracing relations' own changes), against the lifecycle
	// events that may do more (leader-elected re-checks what the leader publishes;
	// upgrade-charm re-reads everything when it changes charmtrace's reconciler).
	Routine bool `json:"routine"`
	ToolCalls
}

// ToolCallScenario lays out a unit of the charm in bins under dir and measures the
// hook-tool calls tracing adds (CompareToolCalls) on hooks without and then with the
// tracing and CA relations, related to recv. The relations' created, joined and
// changed events run first, tracing on, as Juju runs them.
func ToolCallScenario(ctx context.Context, dir string, bins e2e.Binaries, recv *Receiver) ([]ToolCallCase, error) {
	u, err := NewUnit(dir, bins)
	if err != nil {
		return nil, err
	}
	if _, err := Dispatch(ctx, u, "install", nil); err != nil {
		return nil, err
	}
	var out []ToolCallCase
	measure := func(related, routine bool, hook, endpoint string) error {
		rel, err := Relation(u, endpoint)
		if err != nil {
			return err
		}
		if endpoint != "" && rel == nil {
			return fmt.Errorf("no %s relation", endpoint)
		}
		tc, err := CompareToolCalls(ctx, u, hook, rel)
		if err != nil {
			return err
		}
		out = append(out, ToolCallCase{Related: related, Routine: routine, ToolCalls: tc})
		return nil
	}
	for _, hook := range []string{"update-status", "config-changed"} {
		if err := measure(false, true, hook, ""); err != nil {
			return nil, err
		}
	}
	if err := RelateTracing(u, recv.URL, recv.CAPEM); err != nil {
		return nil, err
	}
	for _, endpoint := range []string{"charm-tracing", "receive-ca-cert"} {
		rel, err := Relation(u, endpoint)
		if err != nil {
			return nil, err
		}
		for _, kind := range []string{"created", "joined", "changed"} {
			if _, err := Dispatch(ctx, u, endpoint+"-relation-"+kind, rel); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range []struct {
		hook, endpoint string
		routine        bool
	}{
		{"update-status", "", true},
		{"config-changed", "", true},
		{"charm-tracing-relation-changed", "charm-tracing", true},
		{"receive-ca-cert-relation-changed", "receive-ca-cert", true},
		{"leader-elected", "", false},
		{"upgrade-charm", "", false},
	} {
		if err := measure(true, c.routine, c.hook, c.endpoint); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// StraceDispatch runs one dispatch of hook on u under strace and counts its sockets and
// buffer transactions (ParseStrace). It needs strace on PATH.
func StraceDispatch(ctx context.Context, u *e2e.Unit, hook string) (StraceCounts, error) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		return StraceCounts{}, err
	}
	tmp, err := os.MkdirTemp("", "charmtrace-strace-")
	if err != nil {
		return StraceCounts{}, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "strace.txt")
	wrapper := []string{strace, "-f", "-qq", "-y", "-e", "trace=socket,connect,fcntl,pwrite64,fsync,fdatasync", "-o", out}
	if _, err := DispatchWrapped(ctx, u, wrapper, hook, nil); err != nil {
		return StraceCounts{}, err
	}
	f, err := os.Open(out)
	if err != nil {
		return StraceCounts{}, err
	}
	defer f.Close()
	return ParseStrace(f, tracing.BufferFile)
}
