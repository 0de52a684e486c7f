package harness

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/charmtrace/charmtrace/buffer"
)

// dispatchResource is the resource of a charm dispatch, as tracing sets it.
var dispatchResource = resource.NewSchemaless(
	attribute.String("service.name", "example"), attribute.String("service.namespace", "0f4a3c2e-5b6d-4e7f-8a9b-1c2d3e4f5a6b"),
	attribute.String("service.namespace.name", "charmtrace-demo"), attribute.String("service.instance.id", "0"),
	attribute.String("charm", "charmtrace-example"), attribute.String("charm_type", "go"),
	attribute.String("juju_model", "charmtrace-demo"), attribute.String("juju_unit", "example/0"),
)

// Spans makes n finished spans of one trace, 8 attributes each, shaped like the hook-tool
// spans of a dispatch.
func Spans(n int) []sdktrace.ReadOnlySpan {
	start := time.Unix(1763884800, 0)
	traceID := trace.TraceID{0xc4, 0x47, 1, 2, 3, 4}
	stubs := make(tracetest.SpanStubs, n)
	for i := range stubs {
		stubs[i] = tracetest.SpanStub{
			Name: "relation-get",
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: traceID, SpanID: trace.SpanID{5, 6, byte(i >> 16), byte(i >> 8), byte(i)}, TraceFlags: trace.FlagsSampled,
			}),
			Parent:    trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: trace.SpanID{9}}),
			SpanKind:  trace.SpanKindInternal,
			StartTime: start.Add(time.Duration(i) * time.Millisecond), EndTime: start.Add(time.Duration(i+1) * time.Millisecond),
			Attributes: []attribute.KeyValue{
				attribute.String("juju.hook_tool", "relation-get"), attribute.String("juju.relation", "db:7"),
				attribute.Int("juju.exit_code", 0), attribute.Bool("juju.leader", true),
				attribute.Float64("duration_ms", 1.25), attribute.StringSlice("juju.keys", []string{"host", "port"}),
				attribute.Int64("iteration", int64(i)), attribute.String("code.function", "main.(*charm).configure"),
			},
			Resource:             dispatchResource,
			InstrumentationScope: instrumentation.Scope{Name: "github.com/charmtrace/charmtrace"},
		}
	}
	return stubs.Snapshots()
}

// capture is an otlptrace client that keeps the TracesData bytes of the last batch: the
// public encode route, the same bytes the exporter stores.
type capture struct{ data []byte }

func (*capture) Start(context.Context) error { return nil }
func (*capture) Stop(context.Context) error  { return nil }
func (c *capture) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	var err error
	c.data, err = proto.Marshal(&tracepb.TracesData{ResourceSpans: rs})
	return err
}

// EncodeRow encodes spans as one buffer row: an OTLP TracesData protobuf.
func EncodeRow(spans []sdktrace.ReadOnlySpan) ([]byte, error) {
	c := &capture{}
	if err := otlptrace.NewUnstarted(c).ExportSpans(context.Background(), spans); err != nil {
		return nil, err
	}
	return c.data, nil
}

// Backlog describes a filled buffer.
type Backlog struct {
	Rows, Bytes int64 // payload
	FileBytes   int64
	RowBytes    int // one row
	SpansPerRow int
	Full        bool // the cap was reached (rows were evicted)
}

// Fill pushes rows of spansPerRow spans into the buffer at path (created if need be,
// default cap) until their payload reaches target bytes or the cap makes the buffer
// evict, whichever comes first. The rows carry no destination.
func Fill(ctx context.Context, path string, target int64, spansPerRow int) (Backlog, error) {
	row, err := EncodeRow(Spans(spansPerRow))
	if err != nil {
		return Backlog{}, err
	}
	buf, err := buffer.Open(path)
	if err != nil {
		return Backlog{}, err
	}
	bl := Backlog{RowBytes: len(row), SpansPerRow: spansPerRow}
	check := func() (bool, error) {
		st, err := buf.Stats(ctx)
		if err != nil {
			return false, err
		}
		bl.Rows, bl.Bytes, bl.FileBytes = st.Rows, st.Bytes, st.FileBytes
		bl.Full = st.Drops[buffer.DropEvicted] > 0
		return bl.Full || bl.Bytes >= target, nil
	}
	var pushed int64
	for {
		if pushed >= target-int64(len(row))*16 || pushed >= buffer.DefaultMaxBytes*9/10 {
			done, err := check()
			if err != nil {
				buf.Close()
				return bl, err
			}
			if done {
				break
			}
		}
		if pushed > 4*max(target, buffer.DefaultMaxBytes) {
			buf.Close()
			return bl, fmt.Errorf("fill: %d bytes pushed and the backlog is still %d", pushed, bl.Bytes)
		}
		if _, err := buf.Push(ctx, row, buffer.MimeProtobuf); err != nil {
			buf.Close()
			return bl, err
		}
		pushed += int64(len(row))
	}
	if err := buf.Close(); err != nil {
		return bl, err
	}
	return bl, nil
}
