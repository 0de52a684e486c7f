package exporter_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
)

func openBuffer(t testing.TB) *buffer.Buffer {
	t.Helper()
	buf, err := buffer.Open(filepath.Join(t.TempDir(), ".tracing-data.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { buf.Close() })
	return buf
}

func newExporter(t testing.TB, buf *buffer.Buffer, opts ...exporter.Option) *exporter.Exporter {
	t.Helper()
	e, err := exporter.New(buf, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Shutdown(context.Background()) })
	return e
}

var spanSeq atomic.Uint64

// spans returns n ended spans of one resource and scope, each with a unique
// span id and name prefix.
func spans(n int, name string, res *resource.Resource) []sdktrace.ReadOnlySpan {
	if res == nil {
		res = resource.NewSchemaless(attribute.String("service.name", "test"))
	}
	stubs := make(tracetest.SpanStubs, n)
	for i := range stubs {
		seq := spanSeq.Add(1)
		stubs[i] = tracetest.SpanStub{
			Name: fmt.Sprintf("%s-%d", name, i),
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
				TraceID:    trace.TraceID{0xaa, byte(seq >> 8), byte(seq)},
				SpanID:     trace.SpanID{0xbb, byte(seq >> 16), byte(seq >> 8), byte(seq)},
				TraceFlags: trace.FlagsSampled,
			}),
			StartTime:            time.Unix(1700000000, 0),
			EndTime:              time.Unix(1700000001, 0),
			Attributes:           []attribute.KeyValue{attribute.Int("i", i)},
			Resource:             res,
			InstrumentationScope: instrumentation.Scope{Name: "charmtrace-test"},
		}
	}
	return stubs.Snapshots()
}

// export stores each batch as one row through e.
func export(t testing.TB, e *exporter.Exporter, batches ...[]sdktrace.ReadOnlySpan) {
	t.Helper()
	for _, b := range batches {
		if err := e.ExportSpans(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
}

// rows lists what is left in the buffer.
func rows(t testing.TB, buf *buffer.Buffer) []buffer.Row {
	t.Helper()
	var out []buffer.Row
	for r, err := range buf.Pending(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func setDestination(t testing.TB, e *exporter.Exporter, url, ca string) {
	t.Helper()
	if _, err := e.SetDestination(context.Background(), buffer.Destination{URL: url, CA: ca}); err != nil {
		t.Fatal(err)
	}
}

func shutdown(t testing.TB, e *exporter.Exporter) {
	t.Helper()
	if err := e.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// receiver is an in-process OTLP/HTTP receiver. respond decides the answer to
// each request (nil: 200); every request that reached it is recorded.
type receiver struct {
	*httptest.Server
	respond func(w http.ResponseWriter, r *http.Request, body []byte) bool // true: answered

	mu    sync.Mutex
	got   []request
	spans []string // names of the spans in accepted requests
}

type request struct {
	contentType string
	body        []byte
	header      http.Header
}

func newReceiver(t testing.TB, respond func(w http.ResponseWriter, r *http.Request, body []byte) bool) *receiver {
	rc := &receiver{respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) url() string { return rc.URL + "/v1/traces" }

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.got = append(rc.got, request{r.Header.Get("Content-Type"), body, r.Header.Clone()})
	rc.mu.Unlock()
	if rc.respond != nil && rc.respond(w, r, body) {
		return
	}
	if r.Header.Get("Content-Type") == buffer.MimeProtobuf {
		names := spanNames(body)
		rc.mu.Lock()
		rc.spans = append(rc.spans, names...)
		rc.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.got...)
}

func (rc *receiver) accepted() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.spans...)
}

func spanNames(body []byte) []string {
	var td tracepb.TracesData
	if proto.Unmarshal(body, &td) != nil {
		return []string{"<undecodable>"}
	}
	var out []string
	for _, rs := range td.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				out = append(out, s.Name)
			}
		}
	}
	return out
}

func resourceSpansCount(body []byte) int {
	var td tracepb.TracesData
	if proto.Unmarshal(body, &td) != nil {
		return -1
	}
	return len(td.ResourceSpans)
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// blackhole accepts connections and never answers. It counts accepts.
type blackhole struct {
	net.Listener
	accepts atomic.Int64
}

func newBlackhole(t testing.TB) *blackhole {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bh := &blackhole{Listener: l}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			bh.accepts.Add(1)
			mu.Lock()
			conns = append(conns, c) // held open, never read or answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return bh
}

func (bh *blackhole) url() string { return "http://" + bh.Addr().String() + "/v1/traces" }

// waitFor polls cond for up to 10 s; a hang guard, not a timing assertion.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func (rc *receiver) reset() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.got, rc.spans = nil, nil
}
