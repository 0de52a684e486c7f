package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
)

// runCLI runs the command line in-process, as main does, and returns what it printed.
func runCLI(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// seqIDs hands out predictable trace and span ids, so that fixtures and the output that
// shows them are the same on every run.
type seqIDs struct {
	mu           sync.Mutex
	trace, spans uint64
}

func (g *seqIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	g.mu.Lock()
	g.trace++
	n := g.trace
	g.mu.Unlock()
	var tid trace.TraceID
	tid[0], tid[15] = 0x4b, byte(n)
	return tid, g.NewSpanID(ctx, tid)
}

func (g *seqIDs) NewSpanID(context.Context, trace.TraceID) trace.SpanID {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.spans++
	return trace.SpanID{0x5a, 7: byte(g.spans)}
}

// fixtureStart is the start of the first dispatch in every fixture.
var fixtureStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// dispatch describes one hook run for writeDispatches: a root span named after the event
// with the attributes charmtrace's tracing package sets, a handler span, and a hook-tool
// span under it.
type dispatch struct {
	event   string
	at      time.Duration     // after fixtureStart
	parent  trace.SpanContext // Juju's remote parent, if any
	failure string            // the hook tool fails with this message
	rerun   string            // a deferred event this dispatch re-runs first, if any
}

// writeDispatches records the dispatches through the OTel SDK and the charmtrace
// exporter into the buffer at path, the way a charm does. The exporter runs under a
// syncer, so every span becomes its own row: a trace is spread over several rows.
func writeDispatches(path string, ds ...dispatch) error {
	buf, err := buffer.Open(path)
	if err != nil {
		return err
	}
	defer buf.Close()
	exp, err := exporter.New(buf)
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSyncer(exp),
		sdktrace.WithIDGenerator(&seqIDs{}),
		sdktrace.WithResource(resource.NewSchemaless(
			attribute.String("service.name", "example"), attribute.String("juju_unit", "example/0"))),
	)
	tracer := tp.Tracer("github.com/charmtrace/charmtrace/tracing")
	for _, d := range ds {
		t0 := fixtureStart.Add(d.at)
		ctx := context.Background()
		if d.parent.IsValid() {
			ctx = trace.ContextWithRemoteSpanContext(ctx, d.parent)
		}
		ctx, root := tracer.Start(ctx, d.event, trace.WithTimestamp(t0), trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("juju.event", d.event)))
		if d.rerun != "" {
			// As tracing's handler spans mark a re-run of a deferred event.
			_, rerun := tracer.Start(ctx, d.rerun+": onEvent", trace.WithTimestamp(t0.Add(time.Millisecond)),
				trace.WithAttributes(attribute.String("juju.event", d.rerun), attribute.Bool("juju.deferred", true)))
			rerun.End(trace.WithTimestamp(t0.Add(5 * time.Millisecond)))
		}
		hctx, handler := tracer.Start(ctx, d.event+": onEvent", trace.WithTimestamp(t0.Add(10*time.Millisecond)),
			trace.WithAttributes(attribute.String("juju.event", d.event), attribute.Bool("juju.deferred", false)))
		_, tool := tracer.Start(hctx, "secret-get", trace.WithTimestamp(t0.Add(20*time.Millisecond)),
			trace.WithAttributes(attribute.String("juju.tool", "secret-get")))
		if d.failure != "" {
			tool.SetStatus(codes.Error, d.failure)
			handler.SetStatus(codes.Error, "handler failed")
		}
		tool.End(trace.WithTimestamp(t0.Add(40 * time.Millisecond)))
		handler.End(trace.WithTimestamp(t0.Add(90 * time.Millisecond)))
		root.SetStatus(codes.Ok, "")
		root.End(trace.WithTimestamp(t0.Add(100 * time.Millisecond)))
	}
	return tp.Shutdown(context.Background())
}

func mustWriteDispatches(t testing.TB, path string, ds ...dispatch) {
	t.Helper()
	if err := writeDispatches(path, ds...); err != nil {
		t.Fatal(err)
	}
}

// bufferPath returns a path for a new buffer in a fresh temporary directory.
func bufferPath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), ".tracing-data.db")
}

// opsSpans is a row as Python ops[tracing] writes it (ops/_tracing/_otlp_json.py): hex
// ids, integer kind and status code, times as strings, flags 0x100, a snake_case
// dropped_attributes_count, and ops' own span names (root ops.main without attributes,
// handler span "<event>: <CharmClass>").
const opsSpans = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.namespace","value":{"stringValue":"8a4e6b6c-1111-4c4c-8888-0123456789ab"}},{"key":"service.name","value":{"stringValue":"pyapp"}},{"key":"service.instance.id","value":{"stringValue":"0"}},{"key":"juju_unit","value":{"stringValue":"pyapp/0"}}]},"scopeSpans":[{"scope":{"name":"ops"},"spans":[{"name":"start: PyCharm","kind":1,"traceId":"0000000000000000000000000000abcd","spanId":"00000000000000e2","flags":256,"startTimeUnixNano":"1772366400100000000","endTimeUnixNano":"1772366400300000000","status":{"code":2,"message":"boom"},"attributes":[{"key":"retries","value":{"intValue":"3"}}],"dropped_attributes_count":1,"parentSpanId":"00000000000000e1","events":[{"name":"StartEvent","timeUnixNano":"1772366400150000000","attributes":[{"key":"deferred","value":{"boolValue":false}},{"key":"kind","value":{"stringValue":"start"}}]}]},{"name":"ops.main","kind":1,"traceId":"0000000000000000000000000000abcd","spanId":"00000000000000e1","flags":256,"startTimeUnixNano":"1772366400000000000","endTimeUnixNano":"1772366400400000000","status":{}}]}]}]}`

// opsInstall is a second ops row, a trace of its own.
const opsInstall = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"pyapp"}},{"key":"juju_unit","value":{"stringValue":"pyapp/0"}}]},"scopeSpans":[{"scope":{"name":"ops"},"spans":[{"name":"ops.main","kind":1,"traceId":"0000000000000000000000000000abce","spanId":"00000000000000f1","flags":256,"startTimeUnixNano":"1772366300000000000","endTimeUnixNano":"1772366300050000000"}]}]}]}`

// writeOpsBuffer creates a buffer the way Python ops[tracing] does: its DDL, its default
// rollback journal, OTLP/JSON rows, and a destination in settings.
func writeOpsBuffer(path string) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, s := range []string{
		`CREATE TABLE IF NOT EXISTS tracing (id INTEGER PRIMARY KEY, priority INTEGER NOT NULL, data BLOB NOT NULL, mime TEXT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS tracing_priority_id ON tracing (priority, id)`,
		`CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		`REPLACE INTO settings(key, value) VALUES ('url', 'http://tempo-0.tempo-endpoints:4318/v1/traces'), ('ca', '')`,
	} {
		if _, err := db.Exec(s); err != nil {
			return err
		}
	}
	for _, r := range []struct {
		prio int
		data string
	}{{10, opsInstall}, {50, opsSpans}} {
		if _, err := db.Exec(`INSERT INTO tracing (priority, data, mime) VALUES (?, ?, 'application/json')`, r.prio, []byte(r.data)); err != nil {
			return err
		}
	}
	return nil
}

// dirState maps every regular file in dir to its size and hash: what a read-only
// command must leave as it found it.
func dirState(t testing.TB, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fmt.Sprintf("%d bytes, sha256 %x", len(data), sha256.Sum256(data))
	}
	return out
}

// assertUnchanged fails unless every file of before is still there with the same bytes,
// and nothing new appeared but SQLite's shared-memory index (-shm) and an empty WAL: the
// buffer package's read-only open of a WAL-mode file lets SQLite create those two beside
// it, without changing the database file itself.
func assertUnchanged(t testing.TB, before, after map[string]string) {
	t.Helper()
	for name, state := range before {
		if after[name] != state {
			t.Errorf("%s changed: was %s, now %q", name, state, after[name])
		}
	}
	for name, state := range after {
		if _, ok := before[name]; ok {
			continue
		}
		sidecar := strings.HasSuffix(name, "-shm") || (strings.HasSuffix(name, "-wal") && strings.HasPrefix(state, "0 bytes"))
		if !sidecar {
			t.Errorf("new file %s (%s)", name, state)
		}
	}
}

// rowsOf reads every row of the buffer at path, read-only.
func rowsOf(t testing.TB, path string) []buffer.Row {
	t.Helper()
	b, err := buffer.Open(path, buffer.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var rows []buffer.Row
	for r, err := range b.Pending(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return rows
}
