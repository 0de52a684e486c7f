package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
	"github.com/charmtrace/charmtrace/internal/spantree"
)

const inspectUsage = `Usage: charmtrace inspect [--json] DB

Summarises the trace buffer DB: its rows and payload bytes, per priority
(50 = observed dispatch, 10 = default), the content types of the rows (OTLP protobuf
from charmtrace, OTLP/JSON from Python ops), the oldest and newest row, rows that
failed to send, the file's size on disk, where the charm sends it (the URL only:
whether a CA bundle is set is shown, never the bundle) and the rows dropped, by reason.

The file is opened read-only and never modified.
`

// inspection is what inspect reports; its JSON form is the --json output.
type inspection struct {
	Path        string           `json:"path"`
	FileBytes   int64            `json:"fileBytes"`
	Rows        int64            `json:"rows"`
	Bytes       int64            `json:"bytes"`
	Priorities  []priorityCount  `json:"priorities"`
	Formats     map[string]int64 `json:"formats"`
	Oldest      *time.Time       `json:"oldest,omitempty"` // absent when unknown
	Newest      *time.Time       `json:"newest,omitempty"`
	FailedRows  int64            `json:"rowsWithFailedAttempts"`
	MaxAttempts int              `json:"maxAttempts"`
	Destination destinationView  `json:"destination"`
	Drops       map[string]int64 `json:"drops"`
	// RejectedSpans are spans receivers refused in a partial success (the rows were
	// delivered and deleted; the buffer keeps the count).
	RejectedSpans int64 `json:"rejectedSpans"`
	// Malformed rows hold the wrong column types (a crafted or edited file): never sent,
	// dropped by the next drain.
	Malformed int64 `json:"malformedRows"`
}

type priorityCount struct {
	Priority int   `json:"priority"`
	Rows     int64 `json:"rows"`
	Bytes    int64 `json:"bytes"`
}

// destinationView shows a destination without anything secret in it.
type destinationView struct {
	URL            string `json:"url"` // "" = buffer only
	CASet          bool   `json:"caSet"`
	CACertificates int    `json:"caCertificates"`
}

func runInspect(ctx context.Context, s *streams, args []string) error {
	fs := newFlagSet(s, "inspect", inspectUsage)
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	pos, err := fs.parse(args, 1, "one buffer file")
	if err != nil {
		return err
	}
	b, err := openReadOnly(ctx, pos[0])
	if err != nil {
		return err
	}
	defer b.Close()
	in, err := inspect(ctx, b)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(s.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(in)
	}
	return in.print(s)
}

func inspect(ctx context.Context, b *buffer.Buffer) (*inspection, error) {
	st, err := b.Stats(ctx)
	if err != nil {
		return nil, explain(b.Path(), err)
	}
	dest, err := b.Destination(ctx)
	if err != nil {
		return nil, explain(b.Path(), err)
	}
	// Every text from the file (content types, drop reasons, the URL) is made printable
	// here, so that the text and the JSON output are both safe to show.
	in := &inspection{
		Path: printable(b.Path()), FileBytes: st.FileBytes, Rows: st.Rows, Bytes: st.Bytes,
		Priorities:    []priorityCount{},
		Formats:       map[string]int64{},
		Destination:   viewDestination(dest),
		Drops:         map[string]int64{},
		RejectedSpans: st.Counts[exporter.CountRejectedSpans],
		Malformed:     st.Malformed,
	}
	for reason, n := range st.Drops {
		in.Drops[printable(reason)] += n
	}
	for _, p := range st.Priorities {
		in.Priorities = append(in.Priorities, priorityCount{p.Priority, p.Rows, p.Bytes})
	}
	if !st.Oldest.IsZero() {
		o, n := st.Oldest.UTC(), st.Newest.UTC()
		in.Oldest, in.Newest = &o, &n
	}
	// Content types and attempts are not in Stats; reading them means reading the rows,
	// which for a buffer within its 40 MiB cap is quick.
	for r, err := range b.Pending(ctx) {
		if errors.Is(err, buffer.ErrMalformedRow) {
			continue // counted in Stats
		}
		if err != nil {
			return nil, explain(b.Path(), err)
		}
		in.Formats[printable(r.Mime)]++
		if r.Attempts > 0 {
			in.FailedRows++
			in.MaxAttempts = max(in.MaxAttempts, r.Attempts)
		}
	}
	return in, nil
}

func viewDestination(d buffer.Destination) destinationView {
	v := destinationView{URL: printable(safeURL(d.URL)), CASet: strings.TrimSpace(d.CA) != ""}
	rest := []byte(d.CA)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			v.CACertificates++
		}
	}
	return v
}

// safeURL returns u without credentials or query, the parts of a URL that can hold a
// secret. charmtrace never stores such a URL, but a file may come from anywhere.
func safeURL(u string) string {
	if u == "" {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil {
		return "(not a valid URL, not shown)"
	}
	if p.User != nil {
		p.User = url.User("REDACTED")
	}
	if p.RawQuery != "" {
		p.RawQuery = "REDACTED"
	}
	p.Fragment, p.RawFragment = "", ""
	return p.String()
}

func (in *inspection) print(s *streams) error {
	var b strings.Builder
	line := func(label, format string, a ...any) {
		fmt.Fprintf(&b, "%-12s  %s\n", label, fmt.Sprintf(format, a...))
	}
	line("file", "%s (%s on disk, WAL included)", in.Path, humanBytes(in.FileBytes))
	line("rows", "%d (%s of trace data)", in.Rows, humanBytes(in.Bytes))
	for _, p := range in.Priorities {
		fmt.Fprintf(&b, "  priority %-3d %s, %s%s\n", p.Priority, plural(p.Rows, "row"), humanBytes(p.Bytes), priorityLabel(p.Priority))
	}
	if len(in.Formats) > 0 {
		var parts []string
		for _, m := range slices.Sorted(maps.Keys(in.Formats)) {
			parts = append(parts, fmt.Sprintf("%s %d%s", m, in.Formats[m], formatNote(m)))
		}
		line("formats", "%s", strings.Join(parts, ", "))
	}
	switch {
	case in.Oldest != nil:
		line("oldest row", "%s", in.Oldest.Format(timeLayout))
		line("newest row", "%s", in.Newest.Format(timeLayout))
	case in.Rows > 0:
		line("oldest row", "unknown (rows written by Python ops carry no time)")
	}
	if in.FailedRows > 0 {
		line("failed sends", "%s tried without success (at most %d attempts)", plural(in.FailedRows, "row"), in.MaxAttempts)
	}
	d := in.Destination
	switch {
	case d.URL == "":
		line("destination", "none (buffer only: no tracing relation yet)")
	case d.CASet:
		line("destination", "%s, CA bundle set (%s, not shown)", d.URL, plural(int64(d.CACertificates), "certificate"))
	default:
		line("destination", "%s, no CA bundle (system roots for https)", d.URL)
	}
	if len(in.Drops) == 0 {
		line("drops", "none")
	} else {
		var parts []string
		for _, r := range slices.Sorted(maps.Keys(in.Drops)) {
			parts = append(parts, fmt.Sprintf("%s %d", r, in.Drops[r]))
		}
		line("drops", "%s", strings.Join(parts, ", "))
	}
	if in.RejectedSpans > 0 {
		line("rejected", "%s refused by receivers in a partial success (delivered rows, counted)", plural(in.RejectedSpans, "span"))
	}
	if in.Malformed > 0 {
		line("malformed", "%s with wrong column types: never sent, dropped by the next drain", plural(in.Malformed, "row"))
	}
	_, err := io.WriteString(s.stdout, b.String())
	return err
}

const timeLayout = spantree.TimeLayout

func priorityLabel(p int) string {
	switch p {
	case buffer.PriorityFailed:
		return " (failed dispatches)"
	case buffer.PriorityObserved:
		return " (observed dispatches)"
	case buffer.PriorityDefault:
		return " (default)"
	}
	return ""
}

func formatNote(mime string) string {
	switch mime {
	case buffer.MimeProtobuf:
		return " (OTLP protobuf)"
	case buffer.MimeJSON:
		return " (OTLP/JSON, from Python ops)"
	}
	return ""
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// humanBytes formats n in binary units: 512 B, 1.5 KiB, 40.0 MiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
