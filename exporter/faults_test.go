package exporter_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
)

// Each fault test stores rows, points the exporter at a misbehaving receiver,
// shuts down (the final drain) and checks what the buffer still holds.

// drainOnce stores each batch as one row, points a new exporter at url and shuts
// it down (the final drain); the caller then inspects the buffer and the stats.
func drainOnce(t *testing.T, url string, batches ...[]sdktrace.ReadOnlySpan) (*buffer.Buffer, *exporter.Exporter) {
	t.Helper()
	buf := openBuffer(t)
	e := newExporter(t, buf)
	export(t, e, batches...)
	setDestination(t, e, url, "")
	shutdown(t, e)
	return buf, e
}

// answering is a receiver that answers every request with status, and with a
// Retry-After header when retryAfter is not empty.
func answering(t *testing.T, status int, retryAfter string) *receiver {
	return newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(status)
		return true
	})
}

func attemptsOf(t *testing.T, buf *buffer.Buffer) []int {
	var out []int
	for _, r := range rows(t, buf) {
		out = append(out, r.Attempts)
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFaultRefusedPort(t *testing.T) {
	buf, e := drainOnce(t, "http://"+closedPort(t)+"/v1/traces", spans(1, "a", nil), spans(1, "b", nil), spans(1, "c", nil))
	// The receiver is down: one request carried the three rows, so one dial
	// failed and each row has its one attempt.
	if got := attemptsOf(t, buf); !equalInts(got, []int{1, 1, 1}) {
		t.Fatalf("attempts per row %v, want [1 1 1]", got)
	}
	s := e.Stats()
	if !strings.Contains(s.LastError, "refused") || s.BackoffUntil.IsZero() {
		t.Fatalf("stats %+v", s)
	}
}

// A receiver that accepts and never answers costs one budget, no more; the
// next dispatch skips it altogether; a new destination is tried at once.
func TestFaultBlackholeAndPersistedBackoff(t *testing.T) {
	const budget = 300 * time.Millisecond
	bh := newBlackhole(t)
	buf := openBuffer(t)
	e := newExporter(t, buf, exporter.WithShutdownBudget(budget))
	export(t, e, spans(1, "a", nil), spans(1, "b", nil))
	setDestination(t, e, bh.url(), "")
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the background drain to reach the blackhole", func() bool { return bh.accepts.Load() == 1 })
	start := time.Now()
	shutdown(t, e)
	// A hang guard, not a timing assertion: the figure is measured by the
	// benchmarks and the reliability suite.
	took := time.Since(start)
	t.Logf("Shutdown against a blackhole took %v with a %v budget", took, budget)
	if took > budget+5*time.Second {
		t.Fatalf("Shutdown took %v with a %v budget", took, budget)
	}
	if n := len(rows(t, buf)); n != 2 {
		t.Fatalf("%d rows left, want 2", n)
	}
	if s := e.Stats(); s.BackoffUntil.IsZero() || !strings.Contains(s.LastError, "deadline") && !strings.Contains(s.LastError, "canceled") {
		t.Fatalf("stats %+v", s)
	}

	// The next dispatch: same buffer, new exporter, same dead receiver.
	next := newExporter(t, buf, exporter.WithShutdownBudget(budget))
	export(t, next, spans(1, "c", nil))
	shutdown(t, next)
	if n := bh.accepts.Load(); n != 1 {
		t.Fatalf("the blackhole was dialled %d times; the back-off window should have skipped it", n)
	}
	if n := len(rows(t, buf)); n != 3 {
		t.Fatalf("%d rows left, want 3", n)
	}

	// The relation is fixed: a new destination ends the window.
	rc := newReceiver(t, nil)
	third := newExporter(t, buf, exporter.WithShutdownBudget(budget))
	setDestination(t, third, rc.url(), "")
	shutdown(t, third)
	if n := len(rows(t, buf)); n != 0 || len(rc.accepted()) != 3 {
		t.Fatalf("%d rows left, receiver got %v", n, rc.accepted())
	}
	if s := third.Stats(); !s.BackoffUntil.IsZero() {
		t.Fatalf("back-off still set after a delivery: %v", s.BackoffUntil)
	}
}

func TestFaultSlowBody(t *testing.T) {
	rc := newReceiver(t, nil)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // runs before the server closes
	rc.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Take in the body a trickle at a time, far slower than the budget.
		b := make([]byte, 512)
		for {
			if _, err := r.Body.Read(b); err != nil {
				return
			}
			select {
			case <-release:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	buf := openBuffer(t)
	e := newExporter(t, buf, exporter.WithShutdownBudget(300*time.Millisecond))
	export(t, e, spans(200, "big", nil))
	setDestination(t, e, rc.url(), "")
	shutdown(t, e)
	if got := attemptsOf(t, buf); !equalInts(got, []int{1}) {
		t.Fatalf("attempts per row %v, want [1]: the row must stay", got)
	}
	if s := e.Stats(); s.Sent != 0 || s.Retried != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestFault500KeepsRowsAndTriesEachOnce(t *testing.T) {
	rc := answering(t, http.StatusInternalServerError, "")
	buf, e := drainOnce(t, rc.url(), spans(1, "a", nil), spans(1, "b", nil), spans(1, "c", nil))
	// One request carried the three rows; a 500 is the receiver's own failure,
	// so the rows are not sent again one by one: each has its one attempt.
	if got := attemptsOf(t, buf); !equalInts(got, []int{1, 1, 1}) {
		t.Fatalf("attempts per row %v, want [1 1 1]", got)
	}
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
	if s := e.Stats(); s.Retried != 3 || !strings.Contains(s.LastError, "500") {
		t.Fatalf("stats %+v", s)
	}
}

func TestFault503RetryAfter(t *testing.T) {
	rc := answering(t, http.StatusServiceUnavailable, "120")
	buf, e := drainOnce(t, rc.url(), spans(1, "a", nil), spans(1, "b", nil))
	if got := attemptsOf(t, buf); !equalInts(got, []int{1, 1}) {
		t.Fatalf("attempts per row %v, want [1 1] (one request carried both)", got)
	}
	until := e.Stats().BackoffUntil
	if d := time.Until(until); d < 100*time.Second || d > 121*time.Second {
		t.Fatalf("back-off until %v (in %v), want about 120 s from now", until, d)
	}
	// The next dispatch honours it without asking.
	next := newExporter(t, buf)
	shutdown(t, next)
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("%d requests, want 1: Retry-After was not honoured", n)
	}
	if got := next.Stats().BackoffUntil; !got.Equal(until) {
		t.Fatalf("the next dispatch reports back-off until %v, want %v", got, until)
	}
}

// A receiver that throttles every other request with a short Retry-After is waited for
// inside the budget: one Shutdown delivers the whole backlog.
func TestFault429ShortRetryAfterIsWaitedOutAtShutdown(t *testing.T) {
	var n atomic.Int32
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if n.Add(1)%2 == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	})
	for _, started := range []bool{false, true} {
		t.Run(fmt.Sprintf("background drainer %v", started), func(t *testing.T) {
			n.Store(0)
			rc.reset()
			throttledShutdown(t, rc, started)
		})
	}
}

func throttledShutdown(t *testing.T, rc *receiver, started bool) {
	buf := openBuffer(t)
	e := newExporter(t, buf, exporter.WithShutdownBudget(4*time.Second))
	if started {
		// The way tracing runs it: draining in the background, then Shutdown.
		if err := e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	export(t, e, spans(1, "a", nil), spans(1, "b", nil), spans(1, "c", nil))
	setDestination(t, e, rc.url(), "")
	start := time.Now()
	shutdown(t, e)
	took := time.Since(start)
	if left := rows(t, buf); len(left) != 0 {
		t.Fatalf("%d rows left after one Shutdown (took %v)", len(left), took)
	}
	if got := strings.Join(rc.accepted(), ","); got != "a-0,b-0,c-0" {
		t.Fatalf("accepted %q", got)
	}
	if took > 4*time.Second+2*time.Second { // a hang guard, not a timing assertion
		t.Fatalf("Shutdown took %v with a 4 s budget", took)
	}
}

func TestFault429(t *testing.T) {
	rc := answering(t, http.StatusTooManyRequests, "")
	buf, e := drainOnce(t, rc.url(), spans(1, "a", nil), spans(1, "b", nil))
	if got := attemptsOf(t, buf); !equalInts(got, []int{1, 1}) {
		t.Fatalf("attempts per row %v, want [1 1] (one request carried both)", got)
	}
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
	if s := e.Stats(); s.BackoffUntil.IsZero() || !strings.Contains(s.LastError, "429") {
		t.Fatalf("stats %+v", s)
	}
}

// A request of several rows refused with 400 is sent again row by row: only the
// row the receiver refuses on its own is dropped.
func TestFault400PoisonAmongGoodRows(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if slices.ContainsFunc(spanNames(body), func(n string) bool { return strings.HasPrefix(n, "poison") }) {
			http.Error(w, "malformed", http.StatusBadRequest)
			return true
		}
		return false
	})
	buf, e := drainOnce(t, rc.url(), spans(1, "good-a", nil), spans(1, "poison", nil), spans(1, "good-b", nil))
	if n := len(rows(t, buf)); n != 0 {
		t.Fatalf("%d rows left, want 0", n)
	}
	if got := rc.accepted(); len(got) != 2 || got[0] != "good-a-0" || got[1] != "good-b-0" {
		t.Fatalf("receiver accepted %v in the same drain", got)
	}
	// The three rows together, then each alone.
	if n := len(rc.requests()); n != 4 {
		t.Fatalf("%d requests, want 4", n)
	}
	stats, err := buf.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Drops["http_400"] != 1 || e.Stats().Dropped["http_400"] != 1 {
		t.Fatalf("drops: buffer %v, exporter %v", stats.Drops, e.Stats().Dropped)
	}
}

func TestFault413SplitsAndDelivers(t *testing.T) {
	// The receiver takes one resource per request at most.
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if resourceSpansCount(body) > 1 {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return true
		}
		return false
	})
	buf := openBuffer(t)
	e := newExporter(t, buf)
	var batch = spans(2, "unit-0", resource.NewSchemaless(attribute.String("service.name", "a")))
	batch = append(batch, spans(1, "unit-1", resource.NewSchemaless(attribute.String("service.name", "b")))...)
	batch = append(batch, spans(3, "unit-2", resource.NewSchemaless(attribute.String("service.name", "c")))...)
	export(t, e, batch)
	if n := resourceSpansCount(rows(t, buf)[0].Data); n != 3 {
		t.Fatalf("the row holds %d ResourceSpans, want 3", n)
	}
	setDestination(t, e, rc.url(), "")
	shutdown(t, e)
	if n := len(rows(t, buf)); n != 0 {
		t.Fatalf("%d rows left", n)
	}
	if got := rc.accepted(); len(got) != 6 {
		t.Fatalf("receiver accepted %d spans, want 6: %v", len(got), got)
	}
	if s := e.Stats(); s.Sent != 3 || len(s.Dropped) != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestFault413Unsplittable(t *testing.T) {
	rc := answering(t, http.StatusRequestEntityTooLarge, "")
	buf, e := drainOnce(t, rc.url(), spans(2, "big", nil))
	// Two spans: split once, then each single span is dropped.
	if n := len(rows(t, buf)); n != 0 {
		t.Fatalf("%d rows left", n)
	}
	if d := e.Stats().Dropped[exporter.DropUnsplittable]; d != 2 {
		t.Fatalf("dropped %v", e.Stats().Dropped)
	}
	if n := len(rc.requests()); n != 3 {
		t.Fatalf("%d requests, want 3 (the row, then each half)", n)
	}
}

func TestFaultRedirectDeletesNothing(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if r.URL.Path == "/v1/traces" {
			http.Redirect(w, r, "/moved", http.StatusFound)
			return true
		}
		t.Errorf("redirect followed: %s %s", r.Method, r.URL.Path)
		return false
	})
	buf, e := drainOnce(t, rc.url(), spans(1, "a", nil), spans(1, "b", nil))
	if n := len(rows(t, buf)); n != 2 {
		t.Fatalf("%d rows left, want 2", n)
	}
	if s := e.Stats(); !strings.Contains(s.LastError, "redirect") {
		t.Fatalf("last error %q", s.LastError)
	}
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

// The exporter's own requests are never traced: with a global provider and
// propagator installed and a span in the ctx, nothing is recorded and no trace
// context reaches the receiver.
func TestNeverTraced(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t.Cleanup(func() { otel.SetTracerProvider(prevTP); otel.SetTextMapPropagator(prevProp) })

	rc := newReceiver(t, nil)
	buf := openBuffer(t)
	e := newExporter(t, buf)
	export(t, e, spans(1, "a", nil))
	setDestination(t, e, rc.url(), "")
	ctx, span := otel.Tracer("charm").Start(context.Background(), "dispatch")
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	span.End()
	if len(rc.requests()) != 1 {
		t.Fatal("nothing sent")
	}
	for _, r := range rc.requests() {
		for k := range r.header {
			if k := strings.ToLower(k); k == "traceparent" || k == "tracestate" || k == "baggage" {
				t.Errorf("request carries %s", k)
			}
		}
	}
	if ended := rec.Ended(); len(ended) != 1 || ended[0].Name() != "dispatch" {
		t.Fatalf("recorded %d span(s); only the test's own was expected", len(ended))
	}
}

// While the charm runs, new rows wake the drainer; a row that just failed is
// not retried on every wake-up, and does not stop newer rows.
func TestBackgroundDrainSkipsRecentFailures(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if spanNames(body)[0] == "bad-0" {
			w.WriteHeader(http.StatusInternalServerError)
			return true
		}
		return false
	})
	buf := openBuffer(t)
	e := newExporter(t, buf)
	setDestination(t, e, rc.url(), "")
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	export(t, e, spans(1, "bad", nil))
	waitFor(t, "the failing row's attempt", func() bool { return len(rc.requests()) == 1 })
	for i := range 3 {
		export(t, e, spans(1, "good", nil))
		waitFor(t, "a newer row to arrive", func() bool { return len(rc.accepted()) == i+1 })
	}
	shutdown(t, e)
	if n := len(rc.requests()); n != 4 {
		t.Fatalf("%d requests, want 4: the failing row was retried on every wake-up", n)
	}
	if got := attemptsOf(t, buf); !equalInts(got, []int{1}) {
		t.Fatalf("attempts per row %v, want [1]", got)
	}
}

// Shutdown's ctx deadline bounds the drain when it is shorter than the budget.
func TestShutdownContextShorterThanBudget(t *testing.T) {
	bh := newBlackhole(t)
	buf := openBuffer(t)
	e := newExporter(t, buf) // default 5 s budget
	export(t, e, spans(1, "a", nil))
	setDestination(t, e, bh.url(), "")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := e.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took > 4*time.Second { // hang guard, below the 5 s budget
		t.Fatalf("Shutdown took %v; its ctx allowed 200ms", took)
	}
	if n := len(rows(t, buf)); n != 1 {
		t.Fatalf("%d rows left", n)
	}
}
