package exporter_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// richSpans covers every span feature the SDK exports: kinds, remote and
// local parents, all attribute types, events, links with trace state,
// statuses, dropped counts, two resources and three scopes.
func richSpans() []sdktrace.ReadOnlySpan {
	resA := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.43.0",
		attribute.String("service.name", "app"), attribute.String("juju_unit", "app/0"))
	resB := resource.NewSchemaless(attribute.String("service.name", "other"))
	scopeA := instrumentation.Scope{Name: "ops", Version: "1.0", SchemaURL: "https://opentelemetry.io/schemas/1.43.0",
		Attributes: attribute.NewSet(attribute.Bool("scope.attr", true))}
	scopeB := instrumentation.Scope{Name: "charm"}
	ts, _ := trace.ParseTraceState("vendor=value,other=x")
	sc := func(t, s byte, remote bool) trace.SpanContext {
		return trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{t, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
			SpanID:  trace.SpanID{s, 1, 2, 3, 4, 5, 6, 7}, TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: remote,
		})
	}
	start := time.Unix(1763884800, 123456789)
	attrs := []attribute.KeyValue{
		attribute.Bool("b", true), attribute.Int64("i", -42), attribute.Float64("f", 3.25), attribute.String("s", "välue"),
		attribute.BoolSlice("bs", []bool{true, false}), attribute.Int64Slice("is", []int64{1, 2}),
		attribute.Float64Slice("fs", []float64{0.5}), attribute.StringSlice("ss", []string{"a", "b"}),
	}
	stubs := tracetest.SpanStubs{
		{
			Name: "root", SpanContext: sc(1, 1, false), Parent: sc(1, 9, true), SpanKind: trace.SpanKindServer,
			StartTime: start, EndTime: start.Add(time.Second), Attributes: attrs,
			Events: []sdktrace.Event{{Name: "event", Time: start.Add(time.Millisecond), Attributes: attrs[:2], DroppedAttributeCount: 1}},
			Links:  []sdktrace.Link{{SpanContext: sc(2, 2, false), Attributes: attrs[3:4], DroppedAttributeCount: 2}},
			Status: sdktrace.Status{Code: codes.Error, Description: "boom"}, DroppedAttributes: 3, DroppedEvents: 4, DroppedLinks: 5,
			ChildSpanCount: 1, Resource: resA, InstrumentationScope: scopeA,
		},
		{
			Name: "child", SpanContext: sc(1, 2, false), Parent: sc(1, 1, false), SpanKind: trace.SpanKindClient,
			StartTime: start.Add(10 * time.Millisecond), EndTime: start.Add(20 * time.Millisecond),
			Status: sdktrace.Status{Code: codes.Ok}, Resource: resA, InstrumentationScope: scopeB,
		},
		{
			Name: "producer", SpanContext: sc(3, 3, false), SpanKind: trace.SpanKindProducer,
			StartTime: start, EndTime: start, Resource: resB, InstrumentationScope: scopeB,
		},
		{
			Name: "consumer", SpanContext: sc(3, 4, false), Parent: sc(3, 3, false), SpanKind: trace.SpanKindConsumer,
			StartTime: start, EndTime: start.Add(time.Nanosecond), Resource: resB, InstrumentationScope: instrumentation.Scope{Name: "third"},
		},
	}
	return stubs.Snapshots()
}

// capture is a receiver that keeps request bodies.
func capture(t *testing.T) (*httptest.Server, *[]*http.Request, *[][]byte) {
	var reqs []*http.Request
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		reqs, bodies = append(reqs, r), append(bodies, b)
	}))
	t.Cleanup(srv.Close)
	return srv, &reqs, &bodies
}

// normalise sorts what the SDK's transform leaves in map order.
func normalise(rss []*tracepb.ResourceSpans) []*tracepb.ResourceSpans {
	key := func(m proto.Message) []byte {
		b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		return b
	}
	for _, rs := range rss {
		for _, ss := range rs.ScopeSpans {
			slices.SortFunc(ss.Spans, func(a, b *tracepb.Span) int { return bytes.Compare(a.SpanId, b.SpanId) })
		}
		slices.SortFunc(rs.ScopeSpans, func(a, b *tracepb.ScopeSpans) int { return bytes.Compare(key(a.Scope), key(b.Scope)) })
	}
	slices.SortFunc(rss, func(a, b *tracepb.ResourceSpans) int { return bytes.Compare(key(a.Resource), key(b.Resource)) })
	return rss
}

func TestWireConformanceWithOTLPTraceHTTP(t *testing.T) {
	ctx := context.Background()
	batch := richSpans()

	stockSrv, stockReqs, stockBodies := capture(t)
	stock, err := otlptracehttp.New(ctx,
		otlptracehttp.WithEndpointURL(stockSrv.URL+"/v1/traces"),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	if err := stock.ExportSpans(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := stock.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	oursSrv, oursReqs, oursBodies := capture(t)
	buf := openBuffer(t)
	e := newExporter(t, buf)
	export(t, e, batch)
	setDestination(t, e, oursSrv.URL+"/v1/traces", "")
	shutdown(t, e)

	if len(*stockBodies) != 1 || len(*oursBodies) != 1 {
		t.Fatalf("requests: stock %d, ours %d", len(*stockBodies), len(*oursBodies))
	}
	for _, r := range []*http.Request{(*stockReqs)[0], (*oursReqs)[0]} {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("%s %s %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
	}
	var want coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal((*stockBodies)[0], &want); err != nil {
		t.Fatal(err)
	}
	// Decoded as the request type the receiver sees, not as our TracesData.
	var got coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal((*oursBodies)[0], &got); err != nil {
		t.Fatal(err)
	}
	if n := len(want.ResourceSpans); n != 2 {
		t.Fatalf("stock sent %d ResourceSpans; the fixture should give 2", n)
	}
	w, g := normalise(want.ResourceSpans), normalise(got.ResourceSpans)
	if len(w) != len(g) {
		t.Fatalf("ResourceSpans: stock %d, ours %d", len(w), len(g))
	}
	for i := range w {
		if !proto.Equal(w[i], g[i]) {
			t.Errorf("ResourceSpans %d differ:\nstock: %v\nours:  %v", i, w[i], g[i])
		}
	}
}
