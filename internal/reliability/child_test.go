package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
	"github.com/charmtrace/charmtrace/tracing"
)

// Environment of the child processes.
const (
	childDir      = "RELIABILITY_DIR"      // the charm directory
	childReceiver = "RELIABILITY_RECEIVER" // base URL of an http receiver, or ""
	childSeq      = "RELIABILITY_SEQ"      // first sequence number of the torture loop
	childCount    = "RELIABILITY_COUNT"    // bound of the torture loop
)

// Attributes of the spans a torture dispatch makes, so the parent can tell which
// dispatch every stored or delivered span belongs to.
const (
	attrSeq  = "reliability.seq"
	attrPart = "reliability.part"
	parts    = 3 // spans of the charm's own per dispatch
)

// Keys the torture dispatches write in the unit state database, both in one
// transaction: a torn commit would leave them different.
const (
	stateOwner = "reliability"
	stateKeyA  = "a"
	stateKeyB  = "b"
)

// child starts the test binary in mode with env added.
func child(mode string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+mode), env...)
	return cmd
}

func runChild(mode string) int {
	switch mode {
	case "torture":
		return tortureChild(workSetup)
	case "companion":
		return tortureChild(spansSetup)
	case "perms":
		return permsChild()
	}
	fmt.Fprintf(os.Stderr, "unknown child mode %q\n", mode)
	return 2
}

// childUnit is the fake unit of a child process, related to the receiver the parent
// named, if any.
func childUnit() (*fakeUnit, error) {
	u, err := newFakeUnit(os.Getenv(childDir), "reliability/0")
	if err != nil {
		return nil, err
	}
	if url := os.Getenv(childReceiver); url != "" {
		u.relate("charm-tracing", "tempo", map[string]string{"receivers": e2e.TempoReceivers(url)})
	}
	return u, nil
}

// workSetup is a charm whose every handled dispatch makes parts spans tagged with seq
// and writes seq under two keys of the unit state database.
func workSetup(seq int) tracing.SetupFunc {
	return func(c *tracing.Charm) error {
		work := func(ctx context.Context, e charmhooks.Event) error {
			for part := range parts {
				_, span := otel.Tracer("reliability").Start(ctx, "work", trace.WithAttributes(
					attribute.Int(attrSeq, seq), attribute.Int(attrPart, part)))
				span.End()
			}
			st, err := c.State(ctx)
			if err != nil {
				return err
			}
			if err := st.Set(ctx, stateOwner, stateKeyA, seq); err != nil {
				return err
			}
			return st.Set(ctx, stateOwner, stateKeyB, seq)
		}
		c.Router.Handle("update-status", work, charmhooks.HandlerName("work/update-status"))
		c.Router.Handle("config-changed", work, charmhooks.HandlerName("work/config-changed"))
		c.Router.HandleRelation("charm-tracing", charmhooks.RelationChanged, work, charmhooks.HandlerName("work/tracing"))
		return nil
	}
}

// spansSetup is workSetup without the state database: the companion process of the kill
// torture writes and drains the same trace buffer but leaves the state, whose every
// value the parent checks against the killed child's acknowledgements, alone.
func spansSetup(seq int) tracing.SetupFunc {
	return func(c *tracing.Charm) error {
		work := func(ctx context.Context, e charmhooks.Event) error {
			for part := range parts {
				_, span := otel.Tracer("reliability").Start(ctx, "work", trace.WithAttributes(
					attribute.Int(attrSeq, seq), attribute.Int(attrPart, part)))
				span.End()
			}
			return nil
		}
		c.Router.Handle("update-status", work, charmhooks.HandlerName("companion/update-status"))
		c.Router.Handle("config-changed", work, charmhooks.HandlerName("companion/config-changed"))
		c.Router.HandleRelation("charm-tracing", charmhooks.RelationChanged, work, charmhooks.HandlerName("companion/tracing"))
		return nil
	}
}

// tortureChild runs dispatches of the charm setup makes one after the other until killed
// (or the count is reached), printing "start <seq>" before and "ack <seq>" after each
// dispatch that returned 0: every span of an acknowledged dispatch has been stored.
// Warnings of the unit's log are printed as "warn <message>".
func tortureChild(setup func(seq int) tracing.SetupFunc) int {
	u, err := childUnit()
	if err != nil {
		fmt.Println("setup:", err)
		return 3
	}
	first, _ := strconv.Atoi(os.Getenv(childSeq))
	count, _ := strconv.Atoi(os.Getenv(childCount))
	tracingRel := u.st.Relations
	for i := range count {
		seq := first + i
		event, rel := "update-status", (*fakejuju.Relation)(nil)
		switch {
		case i%5 == 4 && len(tracingRel) > 0:
			event, rel = "charm-tracing-relation-changed", tracingRel[0]
		case i%3 == 2:
			event = "config-changed"
		}
		logs := len(u.st.Logs)
		fmt.Printf("start %d\n", seq)
		status := u.dispatch(event, rel, setup(seq))
		for _, w := range u.logs(logs, charmhooks.LogWarning) {
			fmt.Printf("warn %s\n", strconv.Quote(w))
		}
		if status != 0 {
			fmt.Printf("status %d %d\n", seq, status)
			return 1
		}
		fmt.Printf("ack %d\n", seq)
	}
	return 0
}

// fileModes maps the name of every file in dir to its permission bits.
func fileModes(dir string) (map[string]fs.FileMode, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]fs.FileMode{}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		if info.Mode().IsRegular() {
			out[e.Name()] = info.Mode().Perm()
		}
	}
	return out, nil
}

// permsReport is what the permission child prints: the modes of the charm directory's
// files while both databases are open and written to, and after the dispatch.
type permsReport struct {
	During, After map[string]fs.FileMode
	Status        int
	Warnings      []string
}

// permsChild runs one dispatch with umask 0, so that any file SQLite or charmtrace
// creates without an explicit mode would come out world-writable.
func permsChild() int {
	syscall.Umask(0)
	u, err := childUnit()
	if err != nil {
		fmt.Println("setup:", err)
		return 3
	}
	var rep permsReport
	rep.Status = u.dispatch("config-changed", nil, func(c *tracing.Charm) error {
		c.Router.Handle("config-changed", func(ctx context.Context, e charmhooks.Event) error {
			st, err := c.State(ctx)
			if err != nil {
				return err
			}
			// A write opens the state database's rollback journal. The trace buffer
			// opens beside the charm, on its own goroutine: wait (bounded) for its WAL
			// and shared-memory files, so that both databases are seen open.
			if err := st.Set(ctx, stateOwner, stateKeyA, 1); err != nil {
				return err
			}
			buf := filepath.Join(u.dir, tracing.BufferFile)
			for deadline := time.Now().Add(5 * time.Second); !logOpen(buf) && time.Now().Before(deadline); {
				time.Sleep(2 * time.Millisecond)
			}
			rep.During, err = fileModes(u.dir)
			return err
		}, charmhooks.HandlerName("perms"))
		return nil
	})
	rep.After, err = fileModes(u.dir)
	if err != nil {
		fmt.Println("modes:", err)
		return 3
	}
	rep.Warnings = u.logs(0, charmhooks.LogWarning)
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		return 3
	}
	return 0
}

// runPermsChild runs the permission child on dir and decodes its report.
func runPermsChild(t *testing.T, dir string) permsReport {
	t.Helper()
	out, err := child("perms", childDir+"="+dir).Output()
	if err != nil {
		t.Fatalf("perms child: %v\n%s", err, out)
	}
	var rep permsReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("perms child said %q: %v", out, err)
	}
	return rep
}
