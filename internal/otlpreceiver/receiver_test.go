package otlpreceiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/charmtrace/charmtrace/internal/testcerts"
)

func start(t *testing.T, opts ...Option) *Receiver {
	t.Helper()
	r, err := Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// export sends one parent span and one child through the stock OTLP/HTTP exporter.
func export(t *testing.T, endpoint string, opts ...otlptracehttp.Option) error {
	t.Helper()
	exp, err := otlptracehttp.New(context.Background(), append([]otlptracehttp.Option{
		otlptracehttp.WithEndpointURL(endpoint),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "receiver-test"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res))
	rec := &recordingExporter{}
	tp.RegisterSpanProcessor(sdktrace.NewSimpleSpanProcessor(rec))
	ctx, parent := tp.Tracer("test").Start(context.Background(), "parent")
	_, child := tp.Tracer("test").Start(ctx, "child")
	child.SetAttributes(attribute.Int("n", 7))
	child.End()
	parent.End()
	tp.Shutdown(context.Background())
	return exp.ExportSpans(context.Background(), rec.spans)
}

type recordingExporter struct{ spans []sdktrace.ReadOnlySpan }

func (e *recordingExporter) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	e.spans = append(e.spans, s...)
	return nil
}
func (e *recordingExporter) Shutdown(context.Context) error { return nil }

func checkParentChild(t *testing.T, spans []Span) {
	t.Helper()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2", len(spans))
	}
	byName := map[string]*tracepb.Span{}
	for _, s := range spans {
		byName[s.Span.GetName()] = s.Span
		if got := s.Resource.GetAttributes()[0].GetValue().GetStringValue(); got != "receiver-test" {
			t.Errorf("resource service.name = %q", got)
		}
		if s.Scope.GetName() != "test" {
			t.Errorf("scope = %q", s.Scope.GetName())
		}
	}
	p, c := byName["parent"], byName["child"]
	if p == nil || c == nil {
		t.Fatalf("spans = %v", byName)
	}
	if !bytes.Equal(c.GetParentSpanId(), p.GetSpanId()) || !bytes.Equal(c.GetTraceId(), p.GetTraceId()) {
		t.Fatal("child is not linked to its parent")
	}
}

func TestPlainHTTPFromStockExporter(t *testing.T) {
	r := start(t)
	u, err := url.Parse(r.URL())
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Path != "" {
		t.Fatalf("URL() = %q, want http://127.0.0.1:port", r.URL())
	}
	if err := export(t, r.TracesURL(), otlptracehttp.WithInsecure()); err != nil {
		t.Fatal(err)
	}
	checkParentChild(t, r.Spans())
	reqs := r.Requests()
	if len(reqs) != 1 || reqs[0].Status != http.StatusOK || reqs[0].ContentType != "application/x-protobuf" || reqs[0].Spans != 2 {
		t.Fatalf("requests = %+v", reqs)
	}
}

func TestHTTPSWithPrivateCA(t *testing.T) {
	ca, err := testcerts.NewRoot("receiver test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.NewLeaf(testcerts.LeafOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, WithTLS(leaf))
	if !strings.HasPrefix(r.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL() = %q", r.URL())
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM())
	if err := export(t, r.TracesURL(), otlptracehttp.WithTLSClientConfig(&tls.Config{RootCAs: pool})); err != nil {
		t.Fatal(err)
	}
	checkParentChild(t, r.Spans())

	// A client that does not trust the CA gets nothing through.
	if err := export(t, r.TracesURL(), otlptracehttp.WithTLSClientConfig(&tls.Config{RootCAs: x509.NewCertPool()})); err == nil {
		t.Fatal("export succeeded without trusting the receiver's CA")
	}
	if got := len(r.Spans()); got != 2 {
		t.Fatalf("%d spans after the refused handshake, want 2", got)
	}
}

func post(t *testing.T, r *Receiver, contentType, encoding string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.TracesURL(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// An OTLP/JSON body as the specification writes it: hex ids, integer enums, int64
// values as strings.
const otlpJSON = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"json-test"}}]},
"scopeSpans":[{"scope":{"name":"ops"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
"parentSpanId":"eee19b7ec3c1b173","name":"start","kind":2,"startTimeUnixNano":"1544712660000000000",
"endTimeUnixNano":"1544712661000000000","attributes":[{"key":"n","value":{"intValue":"9007199254740993"}}],
"links":[{"traceId":"5b8efff798038103d269b633813fc60d","spanId":"eee19b7ec3c1b175"}],"status":{"code":1}}]}]}]}`

func TestJSONBodyWithHexIDs(t *testing.T) {
	r := start(t)
	if resp := post(t, r, "application/json", "", []byte(otlpJSON)); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	spans := r.Spans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	s := spans[0].Span
	if hex.EncodeToString(s.GetTraceId()) != "5b8efff798038103d269b633813fc60c" ||
		hex.EncodeToString(s.GetSpanId()) != "eee19b7ec3c1b174" ||
		hex.EncodeToString(s.GetParentSpanId()) != "eee19b7ec3c1b173" ||
		hex.EncodeToString(s.GetLinks()[0].GetSpanId()) != "eee19b7ec3c1b175" {
		t.Fatalf("ids decoded wrongly: %v", s)
	}
	if s.GetKind() != tracepb.Span_SPAN_KIND_SERVER || s.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_OK {
		t.Fatalf("enums decoded wrongly: %v", s)
	}
	if got := s.GetAttributes()[0].GetValue().GetIntValue(); got != 9007199254740993 {
		t.Fatalf("int64 attribute = %d", got)
	}
}

func TestGzipProtobufBody(t *testing.T) {
	r := start(t)
	td := &tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{
		Spans: []*tracepb.Span{{Name: "zipped", TraceId: make([]byte, 16), SpanId: make([]byte, 8)}}}}}}}
	raw, err := proto.Marshal(td)
	if err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write(raw)
	zw.Close()
	if resp := post(t, r, "application/x-protobuf", "gzip", zipped.Bytes()); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if s := r.Spans(); len(s) != 1 || s[0].Span.GetName() != "zipped" {
		t.Fatalf("spans = %v", s)
	}
	if got := r.Requests()[0].Body; !bytes.Equal(got, raw) {
		t.Fatal("recorded body is not the decompressed body")
	}
}

func TestRefusals(t *testing.T) {
	r := start(t)
	cases := []struct {
		name, contentType, encoding string
		body                        []byte
		want                        int
	}{
		{"garbage protobuf", "application/x-protobuf", "", []byte{0xff, 0xff, 0xff}, http.StatusBadRequest},
		{"garbage json", "application/json", "", []byte("{"), http.StatusBadRequest},
		{"json id not hex", "application/json", "", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}`), http.StatusBadRequest},
		{"unknown type", "text/plain", "", []byte("hi"), http.StatusUnsupportedMediaType},
		{"unknown encoding", "application/x-protobuf", "br", nil, http.StatusBadRequest},
		{"bad gzip", "application/x-protobuf", "gzip", []byte("not gzip"), http.StatusBadRequest},
	}
	for _, c := range cases {
		if resp := post(t, r, c.contentType, c.encoding, c.body); resp.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
	reqs := r.Requests()
	if len(reqs) != len(cases) {
		t.Fatalf("%d requests recorded, want %d", len(reqs), len(cases))
	}
	for i, req := range reqs {
		if req.Err == nil || req.Status != cases[i].want {
			t.Errorf("%s: recorded %+v", cases[i].name, req)
		}
	}
	if len(r.Spans()) != 0 {
		t.Fatal("refused requests yielded spans")
	}

	resp, err := http.Get(r.TracesURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: status %d", resp.StatusCode)
	}
}

func TestInjectedFaults(t *testing.T) {
	var mu sync.Mutex
	var seen []int
	r := start(t, WithFaults(func(n int, req *http.Request) Fault {
		mu.Lock()
		seen = append(seen, n)
		mu.Unlock()
		switch n {
		case 1:
			return Fault{Status: http.StatusServiceUnavailable, RetryAfter: "3"}
		case 2:
			return Fault{Status: http.StatusAccepted}
		}
		return Fault{}
	}))
	body, err := proto.Marshal(&tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{
		Spans: []*tracepb.Span{{Name: "s"}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, r.TracesURL(), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "3" {
		t.Fatalf("first answer %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if len(r.Spans()) != 0 {
		t.Fatal("spans of a refused request were kept")
	}
	if resp := post(t, r, "application/x-protobuf", "", body); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("second answer %d", resp.StatusCode)
	}
	if resp := post(t, r, "application/x-protobuf", "", body); resp.StatusCode != http.StatusOK {
		t.Fatalf("third answer %d", resp.StatusCode)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(r.Spans()) != 2 || len(seen) != 3 || seen[2] != 3 {
		t.Fatalf("spans %d, fault calls %v", len(r.Spans()), seen)
	}
}

// A delayed answer ends when the receiver closes: Close never waits out a delay.
func TestCloseEndsDelays(t *testing.T) {
	r := start(t, WithFaults(func(int, *http.Request) Fault { return Fault{Delay: time.Hour} }))
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, r.TracesURL(), strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-protobuf")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	// Wait until the request is in the handler.
	for i := 0; len(r.Requests()) == 0; i++ {
		if i == 1000 {
			t.Fatal("request never arrived")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	<-errc // the client gets an answer or a closed connection, not a one-hour wait
}

func TestPartialSuccessFault(t *testing.T) {
	r := start(t, WithFaults(func(int, *http.Request) Fault { return Fault{RejectSpans: 1} }))
	span := func(name string) *tracepb.Span {
		return &tracepb.Span{Name: name, TraceId: make([]byte, 16), SpanId: make([]byte, 8)}
	}
	raw, err := proto.Marshal(&tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{
		Spans: []*tracepb.Span{span("rejected"), span("kept")}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, r.TracesURL(), bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	// partial_success (1) { rejected_spans (1) = 1, ... }
	if resp.StatusCode != http.StatusOK || len(body) < 4 || body[0] != 0x0a || body[2] != 0x08 || body[3] != 1 {
		t.Fatalf("status %d, body %x: want 200 with partial_success.rejected_spans = 1", resp.StatusCode, body)
	}
	if s := r.Spans(); len(s) != 1 || s[0].Span.GetName() != "kept" {
		t.Fatalf("spans = %v, want only the one not rejected", s)
	}
}
