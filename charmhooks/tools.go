package charmhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Tools wraps the hook tools a charm needs with typed methods. Every call
// goes through one Runner, so installing a traced runner traces them all.
//
// Data never travels on the command line where Juju offers another way:
// relation-set and state-set send JSON on standard input (or, if the
// runner cannot pass stdin, in a 0600 temporary file), secret content goes
// in 0600 files named with key#file=. action-set is the exception: Juju
// accepts its values only as arguments.
//
// The methods take no context, as goops' functions do. To make a call the
// child of a span of your own, call it through WithContext:
//
//	ctx, span := tracer.Start(ctx, "publish")
//	defer span.End()
//	err := tools.WithContext(ctx).RelationSetApp(rel, data)
type Tools struct {
	run     Runner
	stdin   StdinRunner // nil when run cannot pass standard input
	tempDir string
	now     func() time.Time
	leader  *leaderCache // shared by the views WithContext returns
}

// leaderCache remembers the last is-leader answer.
type leaderCache struct {
	mu     sync.Mutex
	leader bool
	seen   time.Time // zero: not asked yet
}

// ToolsOption configures Tools.
type ToolsOption func(*Tools)

// WithTempDir sets where the temporary 0700 directories for secret content
// are created (default os.TempDir()).
func WithTempDir(dir string) ToolsOption {
	return func(t *Tools) { t.tempDir = dir }
}

// WithClock sets the clock used for the is-leader cache (tests).
func WithClock(now func() time.Time) ToolsOption {
	return func(t *Tools) { t.now = now }
}

// NewTools returns the typed hook tools over r.
func NewTools(r Runner, opts ...ToolsOption) *Tools {
	t := &Tools{run: r, now: time.Now, leader: &leaderCache{}}
	t.stdin, _ = r.(StdinRunner)
	for _, o := range opts {
		o(t)
	}
	return t
}

// Runner returns the runner the tools call.
func (t *Tools) Runner() Runner { return t.run }

// WithContext returns a view of the tools whose calls are made in ctx: through a traced
// runner, each call's span is a child of the span in ctx (a handler's, or one the charm
// started) rather than of the running handler. The view shares the is-leader cache and
// options with t. When the runner cannot take a context (it is not a ContextRunner), or
// ctx is nil, WithContext returns t itself.
func (t *Tools) WithContext(ctx context.Context) *Tools {
	cr, ok := t.run.(ContextRunner)
	if !ok || ctx == nil {
		return t
	}
	view := *t
	view.run = cr.WithContext(ctx)
	view.stdin, _ = view.run.(StdinRunner)
	return &view
}

// runJSON runs a tool that prints JSON and decodes it into dst.
func (t *Tools) runJSON(dst any, name string, args ...string) error {
	out, err := t.run.Run(name, args...)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(out)) == 0 {
		// Nothing printed reads as JSON null (Juju 4 prints null for an empty state-get;
		// goopstest's fakes print nothing for an empty list): dst keeps its zero value.
		return nil
	}
	if err := json.Unmarshal(out, dst); err != nil {
		return fmt.Errorf("charmhooks: %s printed output that is not the expected JSON: %w", name, err)
	}
	return nil
}

// runMapInput runs a tool that reads a YAML/JSON map given as --file:
// on standard input when the runner can, else from a private temp file.
func (t *Tools) runMapInput(data map[string]string, name string, args ...string) error {
	body, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if t.stdin != nil {
		_, err = t.stdin.RunWithStdin(body, name, append(args, "--file", "-")...)
		return err
	}
	return t.withPrivateFiles(map[string][]byte{"data.json": body}, func(paths map[string]string) error {
		_, err := t.run.Run(name, append(args, "--file", paths["data.json"])...)
		return err
	})
}

// withPrivateFiles writes each file into a fresh 0700 directory with mode
// 0600, calls fn with their paths, and removes the directory whatever
// happens. File names must already be safe path elements.
func (t *Tools) withPrivateFiles(files map[string][]byte, fn func(paths map[string]string) error) error {
	// MkdirTemp creates the directory with mode 0700 (a umask can only
	// narrow it), so no other user can even list the files.
	dir, err := os.MkdirTemp(t.tempDir, "charmhooks-")
	if err != nil {
		return fmt.Errorf("charmhooks: create private temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	paths := make(map[string]string, len(files))
	for name, content := range files {
		p := filepath.Join(dir, name)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("charmhooks: create private temp file: %w", err)
		}
		_, werr := f.Write(content)
		cerr := f.Close()
		if werr != nil || cerr != nil {
			return fmt.Errorf("charmhooks: write private temp file: %w", firstErr(werr, cerr))
		}
		paths[name] = p
	}
	return fn(paths)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// IsLeader reports whether this unit leads its application. Juju grants
// leadership for at least 30 s, so the answer is cached for 30 s (as ops
// does); a failed call is not cached.
func (t *Tools) IsLeader() (bool, error) {
	c := t.leader
	c.mu.Lock()
	defer c.mu.Unlock()
	now := t.now()
	if !c.seen.IsZero() && now.Sub(c.seen) < leaderCacheFor && !now.Before(c.seen) {
		return c.leader, nil
	}
	var leader bool
	if err := t.runJSON(&leader, "is-leader", "--format=json"); err != nil {
		return false, err
	}
	c.leader, c.seen = leader, now
	return leader, nil
}

const leaderCacheFor = 30 * time.Second

// ConfigGet decodes the charm's configuration (config-get --format=json)
// into dst: a map[string]any or a struct with json tags.
func (t *Tools) ConfigGet(dst any) error {
	return t.runJSON(dst, "config-get", "--format=json")
}

// Reboot asks Juju to reboot the machine after this hook (now=false) or
// at once (now=true, which kills the hook; Juju re-runs it after the
// reboot). Not allowed in actions.
func (t *Tools) Reboot(now bool) error {
	var err error
	if now {
		_, err = t.run.Run("juju-reboot", "--now")
	} else {
		_, err = t.run.Run("juju-reboot")
	}
	return err
}
