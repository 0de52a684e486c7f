package charmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"gopkg.in/yaml.v3"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/internal/faketools"
	"github.com/charmtrace/charmtrace/state"
	"github.com/charmtrace/charmtrace/tracing"
)

// Context runs one charm, given by its setup function, against a faked unit. It is
// safe for concurrent Runs: each has its own charm directory and fake tools.
type Context struct {
	setup    tracing.SetupFunc
	metadata []byte // charmcraft.yaml, as the charm directory holds it
	metaErr  error
	unit     string
	opts     []tracing.Option
	runs     atomic.Int64
}

// Option configures New.
type Option func(*Context)

// WithMetadataFile reads the charm's metadata (charmcraft.yaml or metadata.yaml) from
// path. tracing reads it on a unit to find its relations; without it, a run warns and
// follows no relation.
func WithMetadataFile(path string) Option {
	return func(c *Context) {
		c.metadata, c.metaErr = os.ReadFile(path)
	}
}

// WithMetadata is WithMetadataFile with the YAML given.
func WithMetadata(yamlText string) Option {
	return func(c *Context) { c.metadata = []byte(yamlText) }
}

// WithUnit names the unit (default: the charm's name from the metadata, "/0").
func WithUnit(name string) Option { return func(c *Context) { c.unit = name } }

// WithTracingOptions passes options to tracing.Run, e.g. WithTracingRelation for a
// charm whose endpoint is not named charm-tracing.
func WithTracingOptions(opts ...tracing.Option) Option {
	return func(c *Context) { c.opts = append(c.opts, opts...) }
}

// New returns a Context for the charm whose setup function is setup: the function its
// main passes to tracing.Main.
func New(setup tracing.SetupFunc, opts ...Option) *Context {
	c := &Context{setup: setup}
	for _, o := range opts {
		o(c)
	}
	if c.unit == "" {
		var m struct {
			Name string `yaml:"name"`
		}
		_ = yaml.Unmarshal(c.metadata, &m)
		if m.Name == "" {
			m.Name = "charm"
		}
		c.unit = m.Name + "/0"
	}
	return c
}

// Run dispatches ev once, in process, to a unit in state in, exactly as tracing.Main
// does on a unit: same setup, router, deferral queue, tracing relations, buffer. The
// charm's failure is in Out (ExitCode, Stderr); the error is for a run the harness could
// not set up or read back.
func (c *Context) Run(ev Event, in State) (*Out, error) {
	if c.metaErr != nil {
		return nil, fmt.Errorf("charmtest: metadata: %w", c.metaErr)
	}
	in = withDefaults(in)
	dir, err := os.MkdirTemp("", "charmtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	charmDir := filepath.Join(dir, "charm")
	if err := os.Mkdir(charmDir, 0o700); err != nil {
		return nil, err
	}
	if c.metadata != nil {
		if err := os.WriteFile(filepath.Join(charmDir, "charmcraft.yaml"), c.metadata, 0o600); err != nil {
			return nil, err
		}
	}
	ctx := context.Background()
	statePath := filepath.Join(charmDir, ".unit-state.db")
	if err := seedUnitState(ctx, statePath, in); err != nil {
		return nil, err
	}
	env, err := ev.env(c.unit, charmDir, &in, int(c.runs.Add(1)))
	if err != nil {
		return nil, err
	}
	fake := toFake(c.unit, in)
	fake.ActionParams = ev.Params
	runner := faketools.NewRunner(fake, env)
	rec := tracetest.NewSpanRecorder()
	var stderr bytes.Buffer
	opts := append([]tracing.Option{
		tracing.WithGetenv(func(k string) string { return env[k] }),
		tracing.WithRunner(runner),
		tracing.WithSpanProcessor(rec),
		tracing.WithStderr(&stderr),
		tracing.WithoutSending(),
	}, c.opts...)
	status := tracing.Run(c.setup, opts...)

	out := &Out{State: in, ExitCode: status, Stderr: stderr.String(), Spans: rec.Ended()}
	fromFake(fake, &out.State)
	out.ActionResults, out.ActionLogs = fake.ActionResults, fake.ActionLogs
	out.ActionFailed, out.ActionFailMessage = fake.ActionFailed, fake.ActionFailMessage
	for _, l := range fake.Logs {
		out.Logs = append(out.Logs, LogLine{Level: l.Level, Message: l.Message})
	}
	for _, call := range runner.Calls() {
		out.Calls = append(out.Calls, Call{Tool: call.Tool, Args: call.Args, StdinBytes: call.StdinBytes, ExitCode: call.ExitCode})
	}
	if out.Rows, err = readRows(ctx, filepath.Join(charmDir, tracing.BufferFile)); err != nil {
		return nil, err
	}
	if err := readUnitState(ctx, statePath, &out.State); err != nil {
		return nil, err
	}
	return out, nil
}

// seedUnitState writes the stored values and deferred events of in into a new unit
// state database, or nothing when there are none (a unit that never stored anything
// has no file).
func seedUnitState(ctx context.Context, path string, in State) error {
	if len(in.Stored) == 0 && len(in.Deferred) == 0 {
		return nil
	}
	db, err := state.Open(path)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	for _, v := range in.Stored {
		if err := tx.Set(ctx, v.Owner, v.Key, v.Value); err != nil {
			tx.Rollback()
			return err
		}
	}
	for _, d := range in.Deferred {
		// The snapshot is the event as JSON, which is what the router queues.
		snap, err := json.Marshal(d.Event)
		if err == nil {
			err = tx.AppendDeferred(ctx, d.Event.Name, d.Handler, snap)
		}
		if err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// readUnitState reads the stored values and the deferral queue back into out.
func readUnitState(ctx context.Context, path string, out *State) error {
	out.Stored, out.Deferred = nil, nil
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	db, err := state.Open(path)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	err = tx.EachValue(ctx, func(owner, key string, value json.RawMessage) error {
		out.Stored = append(out.Stored, StoredValue{Owner: owner, Key: key, Value: value})
		return nil
	})
	if err != nil {
		return err
	}
	return tx.ForEachDeferred(ctx, func(_ int64, event, handler string, snapshot []byte) error {
		d := Deferred{Handler: handler}
		if json.Unmarshal(snapshot, &d.Event) != nil || d.Event.Name == "" {
			d.Event.Name = event
		}
		out.Deferred = append(out.Deferred, d)
		return nil
	})
}

// readRows reads every row the buffer holds, in the order a drain sends them.
func readRows(ctx context.Context, path string) ([]buffer.Row, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	b, err := buffer.Open(path, buffer.WithReadOnly())
	if err != nil {
		return nil, err
	}
	defer b.Close()
	var rows []buffer.Row
	for r, err := range b.Pending(ctx) {
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}
