package reliability

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
	_ "modernc.org/sqlite" // the "sqlite" driver, for integrity_check on files charmtrace wrote

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/internal/otlpreceiver"
	"github.com/charmtrace/charmtrace/state"
	"github.com/charmtrace/charmtrace/tracing"
)

// stateFile is the unit state database's name in the charm directory.
const stateFile = ".unit-state.db"

// integrityCheck runs PRAGMA integrity_check on a database file as SQLite itself
// opens it (rolling back a hot journal or replaying a WAL first, as the next dispatch
// would), and returns its verdict: "ok" for a sound file. A file that does not exist
// is "absent".
func integrityCheck(path string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "absent", nil
	}
	// Another process may be writing (the kill torture's companion): wait for its lock.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return "", err
	}
	defer db.Close()
	var verdict string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&verdict); err != nil {
		return "", err
	}
	return verdict, nil
}

// stored is what a trace buffer holds.
type stored struct {
	rows  []buffer.Row
	spans []otlpreceiver.Span // decoded from the protobuf rows
	stats buffer.Stats
	dest  buffer.Destination
}

// readBuffer opens the trace buffer at path the way a dispatch does (read-write, so a
// killed writer's WAL is recovered) unless readOnly, and returns its rows and spans.
// A buffer that Open had to move aside is an error: no kill may damage it.
func readBuffer(path string, readOnly bool) (stored, error) {
	var s stored
	var opts []buffer.Option
	if readOnly {
		opts = append(opts, buffer.WithReadOnly())
	}
	b, err := buffer.Open(path, opts...)
	if err != nil {
		return s, err
	}
	defer b.Close()
	if w := b.Warnings(); len(w) > 0 {
		return s, fmt.Errorf("buffer recovered from damage: %q", w)
	}
	ctx := context.Background()
	for r, err := range b.Pending(ctx) {
		if err != nil {
			return s, err
		}
		s.rows = append(s.rows, r)
		if r.Mime != buffer.MimeProtobuf {
			continue
		}
		var td tracepb.TracesData
		if err := proto.Unmarshal(r.Data, &td); err != nil {
			return s, fmt.Errorf("row %d: %w", r.ID, err)
		}
		s.spans = append(s.spans, spansOf(&td)...)
	}
	if s.stats, err = b.Stats(ctx); err != nil {
		return s, err
	}
	s.dest, err = b.Destination(ctx)
	return s, err
}

func spansOf(td *tracepb.TracesData) []otlpreceiver.Span {
	var out []otlpreceiver.Span
	for _, rs := range td.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				out = append(out, otlpreceiver.Span{Resource: rs.GetResource(), Scope: ss.GetScope(), Span: sp})
			}
		}
	}
	return out
}

// intAttr returns an integer attribute of a span.
func intAttr(attrs []*commonpb.KeyValue, key string) (int64, bool) {
	for _, kv := range attrs {
		if kv.GetKey() == key {
			if v, ok := kv.GetValue().GetValue().(*commonpb.AnyValue_IntValue); ok {
				return v.IntValue, true
			}
		}
	}
	return 0, false
}

func strAttr(attrs []*commonpb.KeyValue, key string) string {
	for _, kv := range attrs {
		if kv.GetKey() == key {
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}

// workKey identifies a span a torture dispatch made: its sequence number and part.
type workKey struct{ seq, part int64 }

// workSpans indexes the torture spans among spans, counting each.
func workSpans(spans []otlpreceiver.Span) map[workKey]int {
	out := map[workKey]int{}
	for _, s := range spans {
		seq, ok1 := intAttr(s.Span.GetAttributes(), attrSeq)
		part, ok2 := intAttr(s.Span.GetAttributes(), attrPart)
		if ok1 && ok2 {
			out[workKey{seq, part}]++
		}
	}
	return out
}

// readState returns the two torture keys of the unit state database in charmDir,
// after its integrity check. ok is false when nothing was ever committed.
func readState(charmDir string) (a, b int, ok bool, err error) {
	path := filepath.Join(charmDir, stateFile)
	verdict, err := integrityCheck(path)
	if err != nil || verdict == "absent" {
		return 0, 0, false, err
	}
	if verdict != "ok" {
		return 0, 0, false, fmt.Errorf("state database integrity_check: %s", verdict)
	}
	db, err := state.Open(path)
	if err != nil {
		return 0, 0, false, err
	}
	defer db.Close()
	ctx := context.Background()
	d, err := db.Begin(ctx)
	if err != nil {
		return 0, 0, false, err
	}
	defer d.Rollback()
	a, okA, err := state.Load[int](ctx, d, stateOwner, stateKeyA)
	if err != nil {
		return 0, 0, false, err
	}
	b, okB, err := state.Load[int](ctx, d, stateOwner, stateKeyB)
	if err != nil {
		return 0, 0, false, err
	}
	if okA != okB {
		return a, b, true, fmt.Errorf("torn commit: key a present %v, key b present %v", okA, okB)
	}
	return a, b, okA, nil
}

// bufferPath is the trace buffer of a charm directory.
func bufferPath(charmDir string) string { return filepath.Join(charmDir, tracing.BufferFile) }
