package otlpreceiver

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"sync"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
)

// Path is where OTLP/HTTP trace exports are posted.
const Path = "/v1/traces"

// maxBody bounds a request body, compressed or not. A larger one is answered with 413,
// as a collector with a size limit does.
const maxBody = 64 << 20

// discardLog silences the server's own log: a test that presents the wrong CA makes
// the handshake fail on purpose, and that is not news.
var discardLog = log.New(io.Discard, "", 0)

// Receiver is a running OTLP/HTTP trace receiver. Its methods are safe for concurrent
// use.
type Receiver struct {
	url    string
	srv    *http.Server
	fault  FaultFunc
	closed chan struct{} // closed by Close: ends injected delays
	served chan struct{} // closed when Serve has returned
	once   sync.Once

	mu       sync.Mutex
	requests []Request
	spans    []Span
}

// Request is one POST to Path as the receiver saw and answered it.
type Request struct {
	ContentType string // the request's Content-Type
	Body        []byte // the body, decompressed
	Status      int    // the status the receiver answered with
	Spans       int    // spans accepted from this request
	Err         error  // why the body was refused; nil when it was decoded
}

// Span is one received span with the resource and instrumentation scope it was sent
// under. The messages are shared with the receiver: do not modify them.
type Span struct {
	Resource *resourcepb.Resource
	Scope    *commonpb.InstrumentationScope
	Span     *tracepb.Span
}

// Start listens on 127.0.0.1 on a free port and serves until Close.
func Start(opts ...Option) (*Receiver, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("otlpreceiver: %w", err)
	}
	r := &Receiver{fault: cfg.fault, closed: make(chan struct{}), served: make(chan struct{})}
	scheme := "http"
	if cfg.cert != nil {
		scheme = "https"
		ln = tls.NewListener(ln, &tls.Config{
			Certificates: []tls.Certificate{*cfg.cert},
			MinVersion:   tls.VersionTLS12,
			NextProtos:   []string{"http/1.1"},
		})
	}
	r.url = scheme + "://" + ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc(Path, r.serveTraces)
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog}
	go func() {
		defer close(r.served)
		r.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return r, nil
}

// URL returns the receiver's base URL, scheme://127.0.0.1:port without a path or a
// trailing slash: what Tempo publishes in the tracing relation.
func (r *Receiver) URL() string { return r.url }

// TracesURL returns the URL exports are posted to: URL followed by Path.
func (r *Receiver) TracesURL() string { return r.url + Path }

// Close stops the receiver: it closes the listener and every connection, ends
// injected delays and waits for the server loop to return. What was received stays
// readable.
func (r *Receiver) Close() error {
	var err error
	r.once.Do(func() {
		close(r.closed)
		err = r.srv.Close()
		<-r.served
	})
	return err
}

// Requests returns every request received so far, in arrival order.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

// Spans returns every span accepted so far, in arrival order.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

func (r *Receiver) serveTraces(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "OTLP/HTTP wants POST", http.StatusMethodNotAllowed)
		return
	}
	r.mu.Lock()
	n := len(r.requests) + 1
	r.requests = append(r.requests, Request{ContentType: req.Header.Get("Content-Type")})
	r.mu.Unlock()
	// The request is recorded first so that faults count requests in arrival order;
	// record fills in the rest of its entry.
	record := func(body []byte, status, spans int, err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		e := &r.requests[n-1]
		e.Body, e.Status, e.Spans, e.Err = body, status, spans, err
	}

	body, err := readBody(w, req)
	if err != nil {
		status := http.StatusBadRequest
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		record(nil, status, 0, err)
		http.Error(w, err.Error(), status)
		return
	}

	var fault Fault
	if r.fault != nil {
		fault = r.fault(n, req)
	}
	if fault.Delay > 0 {
		t := time.NewTimer(fault.Delay)
		select {
		case <-t.C:
		case <-req.Context().Done():
		case <-r.closed:
		}
		t.Stop()
	}
	if fault.RetryAfter != "" {
		w.Header().Set("Retry-After", fault.RetryAfter)
	}
	if fault.Status != 0 && (fault.Status < 200 || fault.Status > 299) {
		record(body, fault.Status, 0, nil)
		http.Error(w, "fault injected by the test receiver", fault.Status)
		return
	}
	status := http.StatusOK
	if fault.Status != 0 {
		status = fault.Status
	}

	mediaType, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	var td *tracepb.TracesData
	var reply []byte
	switch mediaType {
	case "application/x-protobuf":
		td, err = decodeProtobuf(body)
	case "application/json":
		td, err = decodeJSON(body)
		reply = []byte("{}")
	default:
		err = fmt.Errorf("unsupported Content-Type %q: want application/x-protobuf or application/json", req.Header.Get("Content-Type"))
		record(body, http.StatusUnsupportedMediaType, 0, err)
		http.Error(w, err.Error(), http.StatusUnsupportedMediaType)
		return
	}
	if err != nil {
		record(body, http.StatusBadRequest, 0, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rejected := min(fault.RejectSpans, int64(countSpans(td)))
	spans := r.keep(td, int(rejected))
	record(body, status, spans, nil)
	if rejected > 0 {
		reply = partialSuccess(mediaType, rejected)
	}
	w.Header().Set("Content-Type", mediaType)
	w.WriteHeader(status)
	w.Write(reply) // without a rejection, an empty ExportTraceServiceResponse: full success
}

func countSpans(td *tracepb.TracesData) int {
	n := 0
	for _, rs := range td.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	return n
}

// partialSuccess is an ExportTraceServiceResponse that rejects n spans, in the request's
// encoding. The protobuf is written field by field (partial_success = 1, in it
// rejected_spans = 1 and error_message = 2) to keep the gRPC-laden collector package out.
func partialSuccess(mediaType string, n int64) []byte {
	const msg = "rejected by the test receiver"
	if mediaType == "application/json" {
		return fmt.Appendf(nil, `{"partialSuccess":{"rejectedSpans":"%d","errorMessage":%q}}`, n, msg)
	}
	var inner []byte
	inner = protowire.AppendTag(inner, 1, protowire.VarintType)
	inner = protowire.AppendVarint(inner, uint64(n))
	inner = protowire.AppendTag(inner, 2, protowire.BytesType)
	inner = protowire.AppendString(inner, msg)
	out := protowire.AppendTag(nil, 1, protowire.BytesType)
	return protowire.AppendBytes(out, inner)
}

// keep stores the spans of td but the first reject, and returns how many it stored.
func (r *Receiver) keep(td *tracepb.TracesData, reject int) int {
	var got []Span
	for _, rs := range td.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				if reject > 0 {
					reject--
					continue
				}
				got = append(got, Span{Resource: rs.GetResource(), Scope: ss.GetScope(), Span: s})
			}
		}
	}
	r.mu.Lock()
	r.spans = append(r.spans, got...)
	r.mu.Unlock()
	return len(got)
}

// readBody reads the whole body, undoing a gzip Content-Encoding, within maxBody.
func readBody(w http.ResponseWriter, req *http.Request) ([]byte, error) {
	var src io.Reader = http.MaxBytesReader(w, req.Body, maxBody)
	switch enc := req.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		defer zr.Close()
		src = &limitedReader{r: zr, n: maxBody}
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", enc)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(src); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// limitedReader is io.LimitReader that reports going over the limit as the
// MaxBytesError net/http uses, so a gzip bomb is answered 413 like a large body.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// At the limit: only the end of the stream is acceptable.
		var probe [1]byte
		if k, err := l.r.Read(probe[:]); k == 0 {
			return 0, err
		}
		return 0, &http.MaxBytesError{Limit: maxBody}
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
