package exporter_test

import (
	"context"
	"crypto/rand"
	cryptotls "crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
	"github.com/charmtrace/charmtrace/internal/testcerts"
)

const benchBatch = 512

// charmResource looks like the resource a charm dispatch exports under.
var charmResource = resource.NewSchemaless(
	attribute.String("service.name", "example"), attribute.String("service.namespace", "4c1f8e7a-1111-4222-8333-944455556666"),
	attribute.String("service.namespace.name", "cos"), attribute.String("service.instance.id", "0"),
	attribute.String("charm", "example"), attribute.String("charm_type", "ExampleCharm"),
	attribute.String("juju_model", "cos"), attribute.String("juju_unit", "example/0"),
)

// eightAttrs are the attributes of every benchmark span.
func eightAttrs(i int) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("juju.hook_tool", "relation-get"), attribute.String("juju.relation", "db:7"),
		attribute.Int("juju.exit_code", 0), attribute.Bool("juju.leader", i%2 == 0),
		attribute.Float64("duration_ms", 1.25), attribute.StringSlice("juju.keys", []string{"host", "port"}),
		attribute.Int64("iteration", int64(i)), attribute.String("code.function", "github.com/example/charm.(*Charm).onConfigChanged"),
	}
}

func benchSpans(n int) []sdktrace.ReadOnlySpan {
	start := time.Unix(1763884800, 0)
	stubs := make(tracetest.SpanStubs, n)
	for i := range stubs {
		stubs[i] = tracetest.SpanStub{
			Name: "relation-get",
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: trace.TraceID{1, 2, 3, byte(i >> 8), byte(i)}, SpanID: trace.SpanID{4, 5, byte(i >> 8), byte(i)},
				TraceFlags: trace.FlagsSampled,
			}),
			Parent:    trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{9}}),
			SpanKind:  trace.SpanKindInternal,
			StartTime: start, EndTime: start.Add(time.Millisecond),
			Attributes: eightAttrs(i), Resource: charmResource,
			InstrumentationScope: instrumentation.Scope{Name: "charmtrace"},
		}
	}
	return stubs.Snapshots()
}

// floorClient is the bare public route: otlptrace's transform, then
// proto.Marshal of a TracesData, nothing kept.
type floorClient struct{ n int }

func (*floorClient) Start(context.Context) error { return nil }
func (*floorClient) Stop(context.Context) error  { return nil }
func (c *floorClient) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	b, err := proto.Marshal(&tracepb.TracesData{ResourceSpans: rs})
	c.n = len(b)
	return err
}

// reportLatency adds per-span (wall and CPU) and p99 figures for 512-span
// batches. CPU time is reported because wall time on a shared 2-core machine
// includes whatever else runs.
func reportLatency(b *testing.B, lat []time.Duration, cpu time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/span")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*benchBatch), "cpu-ns/span")
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkExportSpans compares ExportSpans (encode + one SQLite row) with the
// floor of the public encode route, 512 spans of 8 attributes per op.
func BenchmarkExportSpans(b *testing.B) {
	spans := benchSpans(benchBatch)
	ctx := context.Background()
	b.Run("floor", func(b *testing.B) {
		floor := &floorClient{}
		exp := otlptrace.NewUnstarted(floor)
		defer func() { b.ReportMetric(float64(floor.n)/benchBatch, "encoded-B/span") }()
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			t0 := time.Now()
			if err := exp.ExportSpans(ctx, spans); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportLatency(b, lat, cpuTime()-cpu0)
	})
	b.Run("exporter", func(b *testing.B) {
		buf, err := buffer.Open(filepath.Join(b.TempDir(), ".tracing-data.db"), buffer.WithMaxBytes(8<<30))
		if err != nil {
			b.Fatal(err)
		}
		defer buf.Close()
		e, err := exporter.New(buf)
		if err != nil {
			b.Fatal(err)
		}
		defer e.Shutdown(ctx)
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			t0 := time.Now()
			if err := e.ExportSpans(ctx, spans); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportLatency(b, lat, cpuTime()-cpu0)
	})
}

func discardServer(tlsLeaf *cryptotls.Certificate) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	})
	if tlsLeaf != nil {
		return testcerts.NewTLSServer(h, *tlsLeaf, 0, 0)
	}
	return httptest.NewServer(h)
}

// BenchmarkDrain measures drain throughput of 40 KiB rows to a loopback
// receiver: read the row, POST it, delete it.
func BenchmarkDrain(b *testing.B) {
	const rowSize, rowsPerOp = 40 << 10, 64
	row := make([]byte, rowSize)
	rand.Read(row)
	root, err := testcerts.NewRoot("bench")
	if err != nil {
		b.Fatal(err)
	}
	leaf, err := root.NewLeaf(testcerts.LeafOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"http", "https"} {
		b.Run(mode, func(b *testing.B) {
			var srv *httptest.Server
			dest := buffer.Destination{}
			if mode == "https" {
				srv = discardServer(&leaf)
				dest.CA = string(root.PEM())
			} else {
				srv = discardServer(nil)
			}
			defer srv.Close()
			dest.URL = srv.URL + "/v1/traces"
			buf, err := buffer.Open(filepath.Join(b.TempDir(), ".tracing-data.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer buf.Close()
			s, err := exporter.NewSender(dest)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			b.SetBytes(rowSize * rowsPerOp)
			for b.Loop() {
				b.StopTimer()
				for range rowsPerOp {
					if _, err := buf.Push(ctx, row, buffer.MimeProtobuf); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				rep, err := s.Drain(ctx, buf)
				if err != nil || rep.Sent != rowsPerOp {
					b.Fatalf("report %+v, err %v", rep, err)
				}
			}
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPipelineCPU compares the CPU per span of the whole buffered
// pipeline (BatchSpanProcessor → ExportSpans → SQLite → drain → receiver)
// with stock otlptracehttp behind the same processor (WithBlocking, so
// neither drops). One op is one span with 8 attributes; the loopback
// receiver's CPU is counted for both.
func BenchmarkPipelineCPU(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, exp sdktrace.SpanExporter) {
		tp := sdktrace.NewTracerProvider(
			sdktrace.WithResource(charmResource),
			sdktrace.WithBatcher(exp, sdktrace.WithBlocking()))
		tracer := tp.Tracer("charmtrace")
		attrs := eightAttrs(1)
		cpu0 := cpuTime()
		i := 0
		for b.Loop() {
			_, span := tracer.Start(ctx, "relation-get", trace.WithAttributes(attrs...))
			span.End()
			i++
		}
		if err := tp.Shutdown(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(i), "cpu-ns/span")
	}
	b.Run("buffered", func(b *testing.B) {
		srv := discardServer(nil)
		defer srv.Close()
		buf, err := buffer.Open(filepath.Join(b.TempDir(), ".tracing-data.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer buf.Close()
		e, err := exporter.New(buf, exporter.WithShutdownBudget(time.Minute))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.SetDestination(ctx, buffer.Destination{URL: srv.URL + "/v1/traces"}); err != nil {
			b.Fatal(err)
		}
		if err := e.Start(ctx); err != nil {
			b.Fatal(err)
		}
		run(b, e)
		if s := e.Stats(); s.Sent != s.Exported {
			b.Fatalf("exported %d rows, sent %d", s.Exported, s.Sent)
		}
	})
	b.Run("otlptracehttp", func(b *testing.B) {
		srv := discardServer(nil)
		defer srv.Close()
		e, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(srv.URL+"/v1/traces"))
		if err != nil {
			b.Fatal(err)
		}
		run(b, e)
	})
}
