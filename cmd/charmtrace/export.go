package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/internal/otlpjson"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

const exportUsage = `Usage: charmtrace export [--format otlp-json|protobuf] [-o FILE] DB

Writes the trace data of every row of the buffer DB, one row at a time, in send order
(highest priority first, then oldest), to stdout or FILE:

  otlp-json  (default) newline-delimited JSON: one OTLP/JSON document per row, each on
             its own line, shaped like an ExportTraceServiceRequest:
             {"resourceSpans":[...]}. It follows the OTLP specification's JSON encoding:
             hex trace and span ids, enums as integers, 64-bit integers as strings,
             lowerCamelCase keys. Each line can be POSTed to a receiver's /v1/traces
             with Content-Type: application/json.
  protobuf   length-delimited protobuf: each row as an OTLP TracesData message (the
             bytes of an ExportTraceServiceRequest), preceded by its length in bytes as
             a protobuf varint, the framing read by Go's protodelim.UnmarshalFrom and
             Java's parseDelimitedFrom.

Rows Python ops wrote (OTLP/JSON) are converted too, and come out per the specification.
Rows that cannot be decoded are skipped with a warning, and the exit code is 1.
FILE is created with mode 0600: trace data describes the deployment.
The buffer is opened read-only and never modified.
`

func runExport(ctx context.Context, s *streams, args []string) error {
	fs := newFlagSet(s, "export", exportUsage)
	format := fs.String("format", "otlp-json", "output `format`: otlp-json or protobuf")
	outPath := fs.String("o", "", "write to `FILE` instead of stdout")
	pos, err := fs.parse(args, 1, "one buffer file")
	if err != nil {
		return err
	}
	var write func(io.Writer, buffer.Row, *tracepb.TracesData) error
	switch *format {
	case "otlp-json", "json":
		write = writeJSON
	case "protobuf", "proto":
		write = writeDelimited
	default:
		return usagef("--format %q: want otlp-json or protobuf", *format)
	}
	if *outPath != "" && sameFile(*outPath, pos[0]) {
		return usagef("-o %s would overwrite the buffer being exported", *outPath)
	}
	b, err := openReadOnly(ctx, pos[0])
	if err != nil {
		return err
	}
	defer b.Close()

	out := s.stdout
	var file *os.File
	if *outPath != "" {
		file, err = os.OpenFile(*outPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer file.Close()
		out = file
	}
	w := bufio.NewWriter(out)
	skipped, err := eachRow(ctx, b, s.stderr, func(r buffer.Row, td *tracepb.TracesData) error {
		return write(w, r, td)
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	return errors.Join(err, skipped)
}

func writeJSON(w io.Writer, r buffer.Row, td *tracepb.TracesData) error {
	js, err := otlpjson.Marshal(td)
	if err != nil {
		return fmt.Errorf("row %d: %w", r.ID, err)
	}
	// jsonSafe: a reader may well print this on a terminal.
	_, err = w.Write(append(jsonSafe(js), '\n'))
	return err
}

// writeDelimited writes the row's protobuf with a varint length in front. A protobuf row
// is copied byte for byte (it has just been decoded, so it is valid); a JSON row is
// encoded.
func writeDelimited(w io.Writer, r buffer.Row, td *tracepb.TracesData) error {
	data := r.Data
	if r.Mime != buffer.MimeProtobuf && r.Mime != "" {
		var err error
		if data, err = proto.Marshal(td); err != nil {
			return fmt.Errorf("row %d: %w", r.ID, err)
		}
	}
	if _, err := w.Write(protowire.AppendVarint(nil, uint64(len(data)))); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

// sameFile reports whether a and b name the same existing file.
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
