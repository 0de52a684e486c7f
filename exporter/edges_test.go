package exporter_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
)

// Answers that describe the destination, not the payload, keep every row, stop the
// drain after one request, open a back-off window and say why.
func TestFaultDestinationRefusalsKeepEverything(t *testing.T) {
	for _, status := range []int{401, 403, 404, 405, 415} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			rc := answering(t, status, "")
			buf, e := drainOnce(t, rc.url(), spans(1, "a", nil), spans(1, "b", nil), spans(1, "c", nil))
			if n := len(rows(t, buf)); n != 3 {
				t.Fatalf("%d rows left after %d answers, want all 3 kept", n, status)
			}
			st, err := buf.Stats(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			es := e.Stats()
			if len(st.Drops) != 0 || len(es.Dropped) != 0 {
				t.Fatalf("drops: buffer %v, exporter %v", st.Drops, es.Dropped)
			}
			if n := len(rc.requests()); n != 1 {
				t.Fatalf("%d requests, want 1 (the drain stops at a refusal)", n)
			}
			if es.BackoffUntil.IsZero() || !strings.Contains(es.Failure, fmt.Sprintf("HTTP %d", status)) || !es.Drained {
				t.Fatalf("stats %+v: want a back-off window and the status as the failure", es)
			}
		})
	}
}

// An ingress that answers 404 until it routes: nothing is lost meanwhile, and all of it
// is delivered once it answers.
func TestFault404ThenDeliversEverything(t *testing.T) {
	var mu sync.Mutex
	routed := false
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		mu.Lock()
		defer mu.Unlock()
		if !routed {
			http.NotFound(w, r)
			return true
		}
		return false
	})
	buf := openBuffer(t)
	for i := range 2 {
		e := newExporter(t, buf, exporter.WithBackoff(time.Millisecond, time.Millisecond))
		export(t, e, spans(2, fmt.Sprintf("dispatch%d", i), nil))
		setDestination(t, e, rc.url(), "")
		time.Sleep(5 * time.Millisecond) // past the 1 ms window of the previous dispatch
		shutdown(t, e)
	}
	if n := len(rows(t, buf)); n != 2 {
		t.Fatalf("%d rows after two dispatches answered 404, want 2", n)
	}
	mu.Lock()
	routed = true
	mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	e := newExporter(t, buf)
	setDestination(t, e, rc.url(), "")
	shutdown(t, e)
	if n := len(rows(t, buf)); n != 0 {
		t.Fatalf("%d rows left once the receiver answered", n)
	}
	if got := rc.accepted(); len(got) != 4 {
		t.Fatalf("accepted %v, want the 4 spans of both dispatches", got)
	}
}

// bigSpans is one batch of n spans of about size bytes each.
func bigSpans(n, size int, name string) []sdktrace.ReadOnlySpan {
	pad := strings.Repeat("p", size)
	stubs := spans(n, name, nil)
	res := make([]sdktrace.ReadOnlySpan, 0, n)
	for _, s := range stubs {
		res = append(res, paddedSpan{ReadOnlySpan: s, pad: pad})
	}
	return res
}

type paddedSpan struct {
	sdktrace.ReadOnlySpan
	pad string
}

func (p paddedSpan) Attributes() []attribute.KeyValue {
	return append(p.ReadOnlySpan.Attributes(), attribute.String("pad", p.pad))
}

// In one process with a small cap: while a drain's request is in flight, ExportSpans
// stores a batch that evicts every row the request carries. The receiver's 200 must
// delete the rows it carried, not the new batch that took the room.
func TestDeliveryDeletesOnlyTheRowsItCarried(t *testing.T) {
	buf, err := buffer.Open(filepath.Join(t.TempDir(), ".tracing-data.db"), buffer.WithMaxBytes(256<<10))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { buf.Close() })
	e := newExporter(t, buf)
	var once sync.Once
	stored := make(chan struct{})
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		once.Do(func() {
			// About 250 KiB: with the rows in flight it passes the cap, and eviction
			// empties the table before storing it.
			if err := e.ExportSpans(context.Background(), bigSpans(120, 2000, "late")); err != nil {
				t.Errorf("ExportSpans during the drain: %v", err)
			}
			close(stored)
		})
		return false
	})
	export(t, e, spans(1, "a", nil), spans(1, "b", nil), spans(1, "c", nil))
	setDestination(t, e, rc.url(), "")
	if err := e.Start(context.Background()); err != nil { // the background drain
		t.Fatal(err)
	}
	select {
	case <-stored:
	case <-time.After(10 * time.Second):
		t.Fatal("no request reached the receiver")
	}
	shutdown(t, e)
	late := 0
	for _, n := range rc.accepted() {
		if strings.HasPrefix(n, "late-") {
			late++
		}
	}
	for _, r := range rows(t, buf) {
		late += len(spanNames(r.Data))
	}
	if late != 120 {
		t.Fatalf("%d of the 120 spans stored during the drain were delivered or kept; the rest were deleted unsent", late)
	}
}

// partialSuccess encodes an ExportTraceServiceResponse rejecting n spans.
func partialSuccess(n int, msg string) []byte {
	var inner []byte
	inner = protowire.AppendTag(inner, 1, protowire.VarintType)
	inner = protowire.AppendVarint(inner, uint64(n))
	inner = protowire.AppendTag(inner, 2, protowire.BytesType)
	inner = protowire.AppendString(inner, msg)
	var out []byte
	out = protowire.AppendTag(out, 1, protowire.BytesType)
	return protowire.AppendBytes(out, inner)
}

func TestPartialSuccessIsCountedInTheBuffer(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(partialSuccess(2, "too old"))
		return true
	})
	buf, e := drainOnce(t, rc.url(), spans(3, "a", nil))
	st, err := buf.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Counts[exporter.CountRejectedSpans] != 2 || e.Stats().RejectedSpans != 2 {
		t.Fatalf("rejected spans: buffer %v, exporter %d; want 2", st.Counts, e.Stats().RejectedSpans)
	}
}

// Two processes draining one buffer at once: each row reaches the receiver once.
func TestTwoDrainsDoNotSendTheSameRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	var bufs []*buffer.Buffer
	for range 2 {
		b, err := buffer.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		bufs = append(bufs, b)
	}
	for i := range 10 {
		// OTLP/JSON rows go one per request, so the drains overlap for a while.
		if _, err := bufs[0].Push(ctx, fmt.Appendf(nil, `{"row":%d}`, i), buffer.MimeJSON); err != nil {
			t.Fatal(err)
		}
	}
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		time.Sleep(20 * time.Millisecond)
		return false
	})
	var wg sync.WaitGroup
	reps := make([]exporter.Report, 2)
	for i, b := range bufs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := exporter.NewSender(buffer.Destination{URL: rc.url()})
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			if reps[i], err = s.Drain(ctx, b); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for _, r := range rc.requests() {
		seen[string(r.body)]++
	}
	for body, n := range seen {
		if n > 1 {
			t.Errorf("%s was sent %d times", body, n)
		}
	}
	if reps[0].Sent+reps[1].Sent != 10 || !(reps[0].Busy || reps[1].Busy) {
		t.Fatalf("reports %+v / %+v: want 10 rows sent in all and one drain finding the other under way", reps[0], reps[1])
	}
	// The lease was released: a later drain sends what is new.
	bufs[1].Push(ctx, []byte(`{"row":"late"}`), buffer.MimeJSON)
	s, _ := exporter.NewSender(buffer.Destination{URL: rc.url()})
	if rep, err := s.Drain(ctx, bufs[1]); err != nil || rep.Sent != 1 || rep.Busy {
		t.Fatalf("later drain: %+v, %v", rep, err)
	}
}

// A row the buffer cannot read is dropped and counted; the rows around it are sent.
func TestMalformedRowDoesNotBlockTheDrain(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	buf, err := buffer.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { buf.Close() })
	e := newExporter(t, buf)
	export(t, e, spans(1, "before", nil))
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO tracing (priority, data, mime, created) VALUES (10, x'0a00', 'application/x-protobuf', 'yesterday')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	export(t, e, spans(1, "after", nil))
	rc := newReceiver(t, nil)
	setDestination(t, e, rc.url(), "")
	shutdown(t, e)
	if got := rc.accepted(); len(got) != 2 {
		t.Fatalf("accepted %v, want both good rows", got)
	}
	st, err := buf.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 0 || st.Malformed != 0 || st.Drops[buffer.DropMalformed] != 1 {
		t.Fatalf("stats %+v: want the malformed row dropped and counted", st)
	}
}
