package encode

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

func stubs(n int, res *resource.Resource, scope string) tracetest.SpanStubs {
	out := make(tracetest.SpanStubs, n)
	for i := range out {
		out[i] = tracetest.SpanStub{
			Name: "span",
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: trace.TraceID{1, byte(i)}, SpanID: trace.SpanID{2, byte(i)}, TraceFlags: trace.FlagsSampled,
			}),
			StartTime:            time.Unix(100, 0),
			EndTime:              time.Unix(101, 0),
			Attributes:           []attribute.KeyValue{attribute.Int("i", i)},
			Resource:             res,
			InstrumentationScope: instrumentation.Scope{Name: scope},
		}
	}
	return out
}

func decode(t *testing.T, b []byte) *tracepb.TracesData {
	t.Helper()
	var td tracepb.TracesData
	if err := proto.Unmarshal(b, &td); err != nil {
		t.Fatal(err)
	}
	return &td
}

func TestEncodeGroupsByResourceAndScope(t *testing.T) {
	a := resource.NewSchemaless(attribute.String("service.name", "a"))
	b := resource.NewSchemaless(attribute.String("service.name", "b"))
	spans := append(append(stubs(3, a, "s1"), stubs(2, a, "s2")...), stubs(4, b, "s1")...)
	var e Encoder
	var got *tracepb.TracesData
	err := e.Encode(context.Background(), spans.Snapshots(), func(p []byte) error {
		got = decode(t, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ResourceSpans) != 2 {
		t.Fatalf("%d ResourceSpans, want 2", len(got.ResourceSpans))
	}
	total := 0
	for _, rs := range got.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			total += len(ss.Spans)
		}
	}
	if total != 9 {
		t.Fatalf("%d spans, want 9", total)
	}
}

func TestEncodeEmptyBatchCallsNothing(t *testing.T) {
	var e Encoder
	err := e.Encode(context.Background(), nil, func([]byte) error {
		t.Fatal("use called for an empty batch")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEncodePassesUseError(t *testing.T) {
	var e Encoder
	want := errors.New("disk full")
	err := e.Encode(context.Background(), stubs(1, resource.Empty(), "s").Snapshots(), func([]byte) error { return want })
	if !errors.Is(err, want) {
		t.Fatalf("err = %v", err)
	}
}

func TestEncodeConcurrent(t *testing.T) {
	var e Encoder
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := 1; n < 20; n++ {
				spans := stubs(n+g, resource.Empty(), "s").Snapshots()
				err := e.Encode(context.Background(), spans, func(p []byte) error {
					td := decode(t, p)
					if got := len(td.ResourceSpans[0].ScopeSpans[0].Spans); got != n+g {
						t.Errorf("got %d spans, want %d", got, n+g)
					}
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}

func TestWarmEncodesASpanAndLeavesTheEncoderUsable(t *testing.T) {
	var e Encoder
	if err := e.Warm(); err != nil {
		t.Fatal(err)
	}
	if err := e.Warm(); err != nil { // a pooled encoder is reused
		t.Fatal(err)
	}
}
