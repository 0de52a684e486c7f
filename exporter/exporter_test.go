package exporter_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
)

func TestExportSpansStoresOneProtobufRow(t *testing.T) {
	buf := openBuffer(t)
	e := newExporter(t, buf)
	export(t, e, spans(5, "batch", nil))
	got := rows(t, buf)
	if len(got) != 1 {
		t.Fatalf("%d rows, want 1", len(got))
	}
	if got[0].Mime != buffer.MimeProtobuf {
		t.Errorf("mime %q", got[0].Mime)
	}
	var td tracepb.TracesData
	if err := proto.Unmarshal(got[0].Data, &td); err != nil {
		t.Fatal(err)
	}
	if n := len(spanNames(got[0].Data)); n != 5 {
		t.Errorf("row holds %d spans, want 5", n)
	}
	if s := e.Stats(); s.Exported != 1 || s.ExportFailed != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestExportSpansEmptyBatchStoresNothing(t *testing.T) {
	buf := openBuffer(t)
	e := newExporter(t, buf)
	export(t, e, nil)
	if n := len(rows(t, buf)); n != 0 {
		t.Fatalf("%d rows", n)
	}
}

// ExportSpans must not talk to the receiver, whatever the destination.
func TestExportSpansDoesNoNetworkIO(t *testing.T) {
	bh := newBlackhole(t)
	buf := openBuffer(t)
	e := newExporter(t, buf, exporter.WithShutdownBudget(100*time.Millisecond))
	setDestination(t, e, bh.url(), "")
	for range 3 {
		export(t, e, spans(2, "x", nil))
	}
	if n := bh.accepts.Load(); n != 0 {
		t.Fatalf("ExportSpans opened %d connection(s)", n)
	}
	if n := len(rows(t, buf)); n != 3 {
		t.Fatalf("%d rows, want 3", n)
	}
}

func TestExportSpansHonoursCancelledContext(t *testing.T) {
	buf := openBuffer(t)
	e := newExporter(t, buf)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.ExportSpans(ctx, spans(1, "x", nil)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if n := len(rows(t, buf)); n != 0 {
		t.Fatalf("%d rows stored under a cancelled ctx", n)
	}
}

// The SDK's batch processor clears and reuses the slice as soon as
// ExportSpans returns: what was stored must not depend on it afterwards.
func TestExportSpansDoesNotKeepTheSlice(t *testing.T) {
	rc := newReceiver(t, nil)
	buf := openBuffer(t)
	e := newExporter(t, buf)
	batch := spans(3, "kept", nil)
	export(t, e, batch)
	clear(batch)
	copy(batch, spans(3, "overwritten", nil))
	setDestination(t, e, rc.url(), "")
	shutdown(t, e)
	got := rc.accepted()
	if len(got) != 3 || got[0] != "kept-0" {
		t.Fatalf("receiver got %v", got)
	}
}

func TestExportAfterShutdownDoesNotTouchTheBuffer(t *testing.T) {
	buf := openBuffer(t)
	e := newExporter(t, buf)
	shutdown(t, e)
	// With the buffer closed, any disk access would fail with ErrClosed.
	if err := buf.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.ExportSpans(context.Background(), spans(1, "late", nil)); !errors.Is(err, exporter.ErrShutdown) {
		t.Fatalf("err = %v, want ErrShutdown", err)
	}
	if err := e.Start(context.Background()); !errors.Is(err, exporter.ErrShutdown) {
		t.Fatalf("Start after Shutdown: %v", err)
	}
	if err := e.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
}

func TestConcurrentExportAndShutdown(t *testing.T) {
	buf := openBuffer(t)
	e := newExporter(t, buf)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		stored int
	)
	for range 6 {
		wg.Go(func() {
			for range 5 {
				err := e.ExportSpans(context.Background(), spans(2, "c", nil))
				switch {
				case err == nil:
					mu.Lock()
					stored++
					mu.Unlock()
				case !errors.Is(err, exporter.ErrShutdown):
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() { shutdown(t, e) })
	wg.Wait()
	if n := len(rows(t, buf)); n != stored {
		t.Fatalf("%d rows, but %d ExportSpans calls returned nil", n, stored)
	}
}

// Under a real TracerProvider with a batch processor, spans end up in the
// buffer and, at shutdown, at the receiver.
func TestWithTracerProvider(t *testing.T) {
	rc := newReceiver(t, nil)
	buf := openBuffer(t)
	e := newExporter(t, buf)
	setDestination(t, e, rc.url(), "")
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(e))
	_, span := tp.Tracer("t").Start(context.Background(), "dispatch")
	span.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rc.accepted(); len(got) != 1 || got[0] != "dispatch" {
		t.Fatalf("receiver got %v", got)
	}
	if n := len(rows(t, buf)); n != 0 {
		t.Fatalf("%d rows left", n)
	}
}

func TestStartSendsWhileRunning(t *testing.T) {
	rc := newReceiver(t, nil)
	buf := openBuffer(t)
	e := newExporter(t, buf)
	export(t, e, spans(1, "backlog", nil))
	setDestination(t, e, rc.url(), "")
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the backlog to arrive before Shutdown", func() bool { return len(rc.accepted()) == 1 })
	export(t, e, spans(1, "fresh", nil))
	waitFor(t, "a fresh batch to arrive before Shutdown", func() bool { return len(rc.accepted()) == 2 })
	shutdown(t, e)
	if s := e.Stats(); s.Sent != 2 || s.Exported != 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestSetDestinationRefusesBadDestinations(t *testing.T) {
	buf := openBuffer(t)
	e := newExporter(t, buf)
	for _, d := range []buffer.Destination{
		{URL: "ftp://tempo:4318/v1/traces"},
		{URL: "file:///etc/passwd"},
		{URL: "javascript:alert(1)"},
		{URL: "tempo:4318/v1/traces"},
		{URL: "https://user:secret@tempo:4318/v1/traces"},
		{URL: "https:///v1/traces"},
		{URL: "https://tempo:4318/v1/traces", CA: "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"},
	} {
		if _, err := e.SetDestination(context.Background(), d); err == nil {
			t.Errorf("%q accepted", d.URL)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("error repeats the credentials: %v", err)
		}
	}
	if d, err := buf.Destination(context.Background()); err != nil || d.URL != "" {
		t.Fatalf("stored %q, %v", d.URL, err)
	}
	// http:// ignores the CA bundle, whatever it holds.
	if _, err := e.SetDestination(context.Background(), buffer.Destination{URL: "http://tempo:4318/v1/traces", CA: "junk"}); err != nil {
		t.Fatalf("http:// with a junk CA refused: %v", err)
	}
}

func TestPlainHTTPIgnoresCA(t *testing.T) {
	rc := newReceiver(t, nil)
	buf := openBuffer(t)
	e := newExporter(t, buf)
	export(t, e, spans(2, "plain", nil))
	setDestination(t, e, rc.url(), "not a PEM bundle")
	shutdown(t, e)
	if len(rc.accepted()) != 2 || len(rows(t, buf)) != 0 {
		t.Fatalf("accepted %v, left %d", rc.accepted(), len(rows(t, buf)))
	}
}

// A destination stored by someone else (an ops charm, a hand-edited file)
// with a scheme we refuse is never contacted and the data stays.
func TestStoredBadSchemeIsNotUsed(t *testing.T) {
	buf := openBuffer(t)
	if _, err := buf.SetDestination(context.Background(), buffer.Destination{URL: "ftp://127.0.0.1:1/v1/traces"}); err != nil {
		t.Fatal(err)
	}
	e := newExporter(t, buf)
	export(t, e, spans(1, "x", nil))
	shutdown(t, e)
	if n := len(rows(t, buf)); n != 1 {
		t.Fatalf("%d rows left", n)
	}
	if s := e.Stats(); !strings.Contains(s.LastError, "scheme") {
		t.Fatalf("last error %q", s.LastError)
	}
}

func TestJSONRowsKeepTheirContentType(t *testing.T) {
	rc := newReceiver(t, nil)
	buf := openBuffer(t)
	const opsRow = `{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"ops"},"spans":[{"name":"start"}]}]}]}`
	if _, err := buf.Push(context.Background(), []byte(opsRow), buffer.MimeJSON); err != nil {
		t.Fatal(err)
	}
	e := newExporter(t, buf)
	setDestination(t, e, rc.url(), "")
	shutdown(t, e)
	reqs := rc.requests()
	if len(reqs) != 1 || reqs[0].contentType != "application/json" || string(reqs[0].body) != opsRow {
		t.Fatalf("requests %+v", reqs)
	}
	if n := len(rows(t, buf)); n != 0 {
		t.Fatalf("%d rows left", n)
	}
}

func TestPartialSuccessIsCountedAndDeleted(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"partialSuccess":{"rejectedSpans":"2","errorMessage":"too old"}}`))
		return true
	})
	buf := openBuffer(t)
	e := newExporter(t, buf)
	export(t, e, spans(3, "p", nil))
	setDestination(t, e, rc.url(), "")
	shutdown(t, e)
	if n := len(rows(t, buf)); n != 0 {
		t.Fatalf("%d rows left after a partial success", n)
	}
	s := e.Stats()
	if s.Sent != 1 || s.RejectedSpans != 2 || !strings.Contains(s.LastError, "too old") {
		t.Fatalf("stats %+v", s)
	}
}

// Neither the drainer nor the exporter's HTTP connections outlive Shutdown.
func TestNoGoroutineSurvivesShutdown(t *testing.T) {
	rc := newReceiver(t, nil)
	buf := openBuffer(t)
	e := newExporter(t, buf)
	setDestination(t, e, rc.url(), "")
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	export(t, e, spans(1, "a", nil))
	waitFor(t, "a delivery over a kept-alive connection", func() bool { return len(rc.accepted()) == 1 })
	shutdown(t, e)
	waitFor(t, "the exporter's goroutines to end", func() bool {
		stacks := make([]byte, 1<<20)
		stacks = stacks[:runtime.Stack(stacks, true)]
		return !bytes.Contains(stacks, []byte("exporter.(*drainer)")) &&
			!bytes.Contains(stacks, []byte("net/http.(*persistConn)"))
	})
}
