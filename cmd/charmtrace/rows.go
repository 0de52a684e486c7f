package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/internal/otlpjson"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// decodeRow returns the trace data of one buffer row, whichever encoding stored it:
// protobuf from charmtrace, OTLP/JSON from Python ops.
func decodeRow(r buffer.Row) (*tracepb.TracesData, error) {
	td := &tracepb.TracesData{}
	switch r.Mime {
	case buffer.MimeProtobuf, "":
		if err := proto.Unmarshal(r.Data, td); err != nil {
			return nil, fmt.Errorf("row %d: not OTLP protobuf: %w", r.ID, err)
		}
	case buffer.MimeJSON:
		if err := otlpjson.Unmarshal(r.Data, td); err != nil {
			return nil, fmt.Errorf("row %d: not OTLP/JSON: %w", r.ID, err)
		}
	default:
		return nil, fmt.Errorf("row %d: unknown content type %q", r.ID, r.Mime)
	}
	return td, nil
}

// eachRow calls fn with every row of b that decodes, in send order (highest priority,
// then oldest). A row that does not decode is reported on warn and skipped, so that one bad
// row does not hide the others; skipped tells the caller, which finishes its output and
// then fails with skippedError. err is for the buffer or fn failing.
func eachRow(ctx context.Context, b *buffer.Buffer, warn io.Writer, fn func(buffer.Row, *tracepb.TracesData) error) (skipped error, err error) {
	var total, bad int
	for r, err := range b.Pending(ctx) {
		if errors.Is(err, buffer.ErrMalformedRow) {
			total++
			bad++
			fmt.Fprintf(warn, "warning: skipped %v\n", err)
			continue
		}
		if err != nil {
			return nil, explain(b.Path(), err)
		}
		total++
		td, err := decodeRow(r)
		if err != nil {
			bad++
			fmt.Fprintf(warn, "warning: skipped %s\n", printable(err.Error()))
			continue
		}
		if err := fn(r, td); err != nil {
			return nil, err
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d rows could not be decoded (see the warnings above)", bad, total), nil
	}
	return nil, nil
}
