package exporter_test

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite" // a second, raw connection to hold the write lock

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
)

func TestNewSenderRefusesBadDestinations(t *testing.T) {
	for _, d := range []buffer.Destination{
		{},
		{URL: "unix:///run/otel.sock"},
		{URL: "https://127.0.0.1/v1/traces", CA: "garbage"},
	} {
		if _, err := exporter.NewSender(d); err == nil {
			t.Errorf("%+v accepted", d)
		}
	}
}

// The CLI's "send --keep": replay a copied buffer, opened read-only, and
// leave every row in place.
func TestSenderKeepOnReadOnlyCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	w, err := buffer.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	e := newExporter(t, w)
	export(t, e, spans(1, "ok", nil), spans(1, "poison", nil), spans(3, "big", nil))
	shutdown(t, e)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		switch names := spanNames(body); {
		case names[0] == "poison-0":
			w.WriteHeader(http.StatusBadRequest)
		case len(names) > 1:
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		default:
			return false
		}
		return true
	})
	ro, err := buffer.Open(path, buffer.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var progress []exporter.Report
	s, err := exporter.NewSender(buffer.Destination{URL: rc.url()}, exporter.WithKeep(),
		exporter.WithProgress(func(r exporter.Report) { progress = append(progress, r) }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := s.Drain(context.Background(), ro)
	if err != nil {
		t.Fatal(err)
	}
	// ok: 1 row; poison: dropped (in the report only); big: split twice, 3 singles sent.
	if rep.Sent != 4 || rep.Dropped["http_400"] != 1 || rep.Split != 2 {
		t.Fatalf("report %+v", rep)
	}
	if len(progress) != 3 || progress[2].Sent != 4 {
		t.Fatalf("progress %+v", progress)
	}
	if n := len(rows(t, ro)); n != 3 {
		t.Fatalf("%d rows left, want all 3", n)
	}
	if got := rc.accepted(); len(got) != 4 {
		t.Fatalf("receiver accepted %v", got)
	}
}

func TestSenderDrainStopsAtContextEnd(t *testing.T) {
	rc := newReceiver(t, nil)
	buf := openBuffer(t)
	e := newExporter(t, buf)
	export(t, e, spans(1, "a", nil), spans(1, "b", nil))
	s, err := exporter.NewSender(buffer.Destination{URL: rc.url()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := s.Drain(ctx, buf)
	if err != nil || rep.Sent != 0 {
		t.Fatalf("report %+v, err %v", rep, err)
	}
	if n := len(rows(t, buf)); n != 2 || len(rc.requests()) != 0 {
		t.Fatalf("%d rows left, %d requests", n, len(rc.requests()))
	}
}

// Under the SimpleSpanProcessor ExportSpans gets a ctx without deadline; the
// exporter's own write timeout must then bound a write stuck behind another
// process's lock.
func TestExportSpansWriteTimeoutWithoutDeadline(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	buf, err := buffer.Open(path, buffer.WithBusyTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")

	e := newExporter(t, buf, exporter.WithWriteTimeout(100*time.Millisecond))
	done := make(chan error, 1)
	go func() { done <- e.ExportSpans(context.Background(), spans(1, "stuck", nil)) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the write deadline", err)
		}
	case <-time.After(30 * time.Second): // hang guard: the busy timeout is a minute
		t.Fatal("ExportSpans waited for the lock beyond its write timeout")
	}
	if s := e.Stats(); s.ExportFailed != 1 {
		t.Fatalf("stats %+v", s)
	}
}
