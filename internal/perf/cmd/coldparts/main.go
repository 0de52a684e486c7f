// Command coldparts times, in a fresh process, the steps of its trace buffer that a
// dispatch with no destination takes, through the public API: open the existing
// buffer, read the destination, encode a batch through the public route alone, export
// it (encode again, warm, and store: the first write of the process), export a second
// one, raise them to observed, shut the exporter down and close. A dispatch pays each step once and cold
// — first SQLite statement, first protobuf encode — which an in-process benchmark
// loop hides. It prints one JSON object of milliseconds per step.
//
//	coldparts -buffer .tracing-data.db [-spans 10]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
	"github.com/charmtrace/charmtrace/internal/perf/internal/harness"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "coldparts: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	path := flag.String("buffer", "", "an existing trace buffer")
	n := flag.Int("spans", 10, "spans in the exported batch")
	flag.Parse()
	if _, err := os.Stat(*path); err != nil {
		return err
	}
	spans := harness.Spans(*n) // made before the clock starts: the SDK makes them in a dispatch
	ctx := context.Background()
	steps := map[string]float64{}
	last := time.Now()
	step := func(name string) {
		now := time.Now()
		steps[name] = float64(now.Sub(last).Microseconds()) / 1000
		last = now
	}
	buf, err := buffer.Open(*path, buffer.WithLogKept()) // as a dispatch opens it
	if err != nil {
		return err
	}
	step("open")
	if _, err := buf.Destination(ctx); err != nil {
		return err
	}
	step("read_destination")
	exp, err := exporter.New(buf)
	if err != nil {
		return err
	}
	if err := exp.Start(ctx); err != nil {
		return err
	}
	step("exporter_start")
	// The public encode route alone, cold: the first protobuf marshal of the OTLP
	// types in a process initialises their reflection tables.
	if _, err := harness.EncodeRow(spans); err != nil {
		return err
	}
	step("encode_first_batch")
	if err := exp.ExportSpans(ctx, spans); err != nil {
		return err
	}
	step("export_first_batch")
	if err := exp.ExportSpans(ctx, spans); err != nil {
		return err
	}
	step("export_second_batch")
	if err := buf.MarkObserved(ctx); err != nil {
		return err
	}
	step("mark_observed")
	if err := exp.Shutdown(ctx); err != nil {
		return err
	}
	step("exporter_shutdown")
	if err := buf.Close(); err != nil {
		return err
	}
	step("close")
	return json.NewEncoder(os.Stdout).Encode(steps)
}
