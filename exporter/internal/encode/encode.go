// Package encode turns SDK spans into an OTLP TracesData protobuf through the
// public otlptrace route: an otlptrace.Exporter whose Client captures the
// []*tracepb.ResourceSpans the SDK's own transform produced, then
// proto.Marshal. No span field is encoded by hand.
package encode

import (
	"context"
	"errors"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// maxPooledBytes bounds the buffer a pooled encoder keeps between calls, so
// one huge batch does not pin its memory for the life of the process.
const maxPooledBytes = 4 << 20

// Encoder is safe for concurrent use; each call borrows its own state.
type Encoder struct {
	pool sync.Pool
}

// encoder is the per-call state: otlptrace.Exporter hands the transformed
// spans to capture synchronously, in the calling goroutine.
type encoder struct {
	exp     *otlptrace.Exporter
	capture capture
}

type capture struct {
	buf []byte
	err error
	msg tracepb.TracesData
}

func (*capture) Start(context.Context) error { return nil }
func (*capture) Stop(context.Context) error  { return nil }

func (c *capture) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	c.msg.ResourceSpans = rs
	c.buf, c.err = proto.MarshalOptions{}.MarshalAppend(c.buf[:0], &c.msg)
	c.msg.ResourceSpans = nil
	return c.err
}

// Encode marshals spans as one TracesData message and passes the bytes to use,
// which must not keep them after it returns. use is not called when spans
// yield nothing to send (an empty batch); Encode then returns nil.
func (e *Encoder) Encode(ctx context.Context, spans []sdktrace.ReadOnlySpan, use func([]byte) error) error {
	enc, _ := e.pool.Get().(*encoder)
	if enc == nil {
		enc = &encoder{}
		enc.exp = otlptrace.NewUnstarted(&enc.capture)
	}
	defer e.put(enc)
	enc.capture.buf, enc.capture.err = enc.capture.buf[:0], nil
	if err := enc.exp.ExportSpans(ctx, spans); err != nil {
		return enc.capture.err // the marshal error, without otlptrace's wrapping
	}
	if len(enc.capture.buf) == 0 {
		return nil
	}
	return use(enc.capture.buf)
}

func (e *Encoder) put(enc *encoder) {
	if cap(enc.capture.buf) > maxPooledBytes {
		enc.capture.buf = nil
	}
	e.pool.Put(enc)
}

// Warm encodes one small span and throws the bytes away. The first encode of a process
// initialises the protobuf types of the OTLP messages and the transform's code, about a
// millisecond here; a caller that has a spare goroutine at start-up pays it there, off
// the path of its first real batch, which then also finds a ready encoder in the pool.
func (e *Encoder) Warm() error {
	stub := tracetest.SpanStub{
		Name: "warm",
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled,
		}),
		Attributes: []attribute.KeyValue{attribute.String("k", "v"), attribute.Int("n", 1)},
		Events:     []sdktrace.Event{{Name: "e"}},
		Links:      []sdktrace.Link{{SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{2}, SpanID: trace.SpanID{2}})}},
		Status:     sdktrace.Status{Code: codes.Error, Description: "d"},
		Resource:   resource.NewSchemaless(attribute.String("service.name", "warm")),
	}
	encoded := false
	err := e.Encode(context.Background(), []sdktrace.ReadOnlySpan{stub.Snapshot()}, func(b []byte) error {
		encoded = len(b) > 0
		return nil
	})
	if err == nil && !encoded {
		err = errors.New("encode: warm-up span encoded to nothing")
	}
	return err
}
