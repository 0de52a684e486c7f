package exporter_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
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
	// Progress comes after each request of the drain: one, for the three rows
	// together (then each alone, inside it, after the 400).
	if len(progress) != 1 || progress[0].Sent != 4 {
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

// A drain joins consecutive protobuf rows into requests of at most 1 MiB, in
// order, each as full as the next row allows.
func TestDrainJoinsRowsIntoRequestsOfAtMostOneMiB(t *testing.T) {
	const limit = 1 << 20
	rc := newReceiver(t, nil)
	buf := openBuffer(t)
	e := newExporter(t, buf)
	var want []string
	for i := range 11 {
		batch := spans(3000, fmt.Sprintf("row%d", i), nil)
		for _, s := range batch {
			want = append(want, s.Name())
		}
		export(t, e, batch)
	}
	stored := rows(t, buf)
	var total int
	for _, r := range stored {
		total += len(r.Data)
	}
	if total < 2*limit || len(stored[0].Data) > limit/2 {
		t.Fatalf("rows of %d bytes, %d in all: the test needs rows that fill at least three requests", len(stored[0].Data), total)
	}
	setDestination(t, e, rc.url(), "")
	shutdown(t, e)

	reqs := rc.requests()
	var joined []byte
	at := 0 // the next stored row
	for i, r := range reqs {
		if len(r.body) > limit {
			t.Errorf("request %d: %d bytes, over %d", i, len(r.body), limit)
		}
		n := 0
		for rest := r.body; len(rest) > 0 && at+n < len(stored); n++ {
			if !bytes.HasPrefix(rest, stored[at+n].Data) {
				t.Fatalf("request %d does not hold rows %d.. in order", i, at)
			}
			rest = rest[len(stored[at+n].Data):]
		}
		at += n
		if i < len(reqs)-1 && len(r.body)+len(stored[at].Data) <= limit {
			t.Errorf("request %d (%d bytes) left out row %d (%d bytes) that fitted", i, len(r.body), at, len(stored[at].Data))
		}
		joined = append(joined, r.body...)
	}
	if len(reqs) < 3 || len(joined) != total {
		t.Fatalf("%d requests of %d bytes in all, want at least 3 of %d", len(reqs), len(joined), total)
	}
	if got := rc.accepted(); !slices.Equal(got, want) {
		t.Fatalf("receiver got %d spans, want %d in order", len(got), len(want))
	}
	if n := len(rows(t, buf)); n != 0 {
		t.Fatalf("%d rows left", n)
	}
}

// OTLP/JSON rows (written by Python ops) cannot be joined: each goes alone,
// between requests of the protobuf rows around it.
func TestDrainSendsJSONRowsAlone(t *testing.T) {
	rc := newReceiver(t, nil)
	buf := openBuffer(t)
	ctx := context.Background()
	e := newExporter(t, buf)
	export(t, e, spans(1, "a", nil))
	if _, err := buf.Push(ctx, []byte(`{"resourceSpans":[]}`), buffer.MimeJSON); err != nil {
		t.Fatal(err)
	}
	export(t, e, spans(1, "b", nil), spans(1, "c", nil))
	setDestination(t, e, rc.url(), "")
	shutdown(t, e)
	var types []string
	for _, r := range rc.requests() {
		types = append(types, r.contentType)
	}
	want := []string{buffer.MimeProtobuf, buffer.MimeJSON, buffer.MimeProtobuf}
	if !slices.Equal(types, want) {
		t.Fatalf("requests %v, want %v", types, want)
	}
	if got := rc.accepted(); !slices.Equal(got, []string{"a-0", "b-0", "c-0"}) {
		t.Fatalf("accepted %v", got)
	}
	if n := len(rows(t, buf)); n != 0 {
		t.Fatalf("%d rows left", n)
	}
}

// A receiver that answers 413 to joined rows gets each of them alone, and the rows
// after them alone too: joining again would only be refused again.
func TestDrainStopsJoiningAfterA413(t *testing.T) {
	const rowsToSend = 11
	var biggest int // the largest row: the receiver takes any one row alone
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if len(body) > biggest {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return true
		}
		return false
	})
	buf := openBuffer(t)
	e := newExporter(t, buf)
	for i := range rowsToSend {
		export(t, e, spans(3000, fmt.Sprintf("row%d", i), nil))
	}
	for _, r := range rows(t, buf) {
		biggest = max(biggest, len(r.Data))
	}
	if 3*biggest > 1<<20 {
		t.Fatalf("rows of up to %d bytes: the test needs several rows per joined request", biggest)
	}
	setDestination(t, e, rc.url(), "")
	shutdown(t, e)
	if n := len(rows(t, buf)); n != 0 {
		t.Fatalf("%d rows left", n)
	}
	// One joined request refused, then every row alone.
	if n := len(rc.requests()); n != 1+rowsToSend {
		t.Fatalf("%d requests, want %d", n, 1+rowsToSend)
	}
	if s := e.Stats(); s.Sent != rowsToSend || len(s.Dropped) != 0 {
		t.Fatalf("stats %+v", s)
	}
}
