package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
)

const sendUsage = `Usage: charmtrace send --url URL [--ca FILE] [--keep] [--timeout D] DB

Replays the rows of the buffer DB to the OTLP/HTTP receiver at URL, the full traces
endpoint (for example https://tempo.example:4318/v1/traces), highest priority first,
then oldest, each row tried once. Consecutive protobuf rows go together in requests of
up to 1 MiB, their stored bytes one after the other; rows Python ops wrote (JSON) go
alone. Answers are handled as a charm's exporter handles them; a 413 or other 4xx to a
request of several rows sends them again one by one, and then:

  2xx                     delivered: the row is deleted
  413                     the row is split and both halves are sent
  other 4xx (not 408/429) poison: the row is dropped and counted by reason
  408, 500, 501, ...      the row is kept and the next row is tried
  429, 502, 503, 504, Retry-After, redirects (never followed), connection and TLS errors
                          the row is kept and the replay stops: the receiver is unavailable

Without --keep the file is changed: delivered rows are deleted and poison rows dropped,
so run it on a copy, not on a live unit's buffer. With --keep the file is opened
read-only and left exactly as it was, whatever the receiver answers.

A progress line goes to stderr and a summary to stdout. The exit code is 0 when every row
was delivered (or there was nothing to send) and 3 when some were not: kept for another
try, dropped as poison, or partly rejected by the receiver.
`

func runSend(ctx context.Context, s *streams, args []string) error {
	fs := newFlagSet(s, "send", sendUsage)
	rawURL := fs.String("url", "", "receiver's OTLP/HTTP traces `URL` (http:// or https://), required")
	caPath := fs.String("ca", "", "PEM `FILE` of the CA certificates to trust for https (default: system roots)")
	keep := fs.Bool("keep", false, "leave the buffer untouched: open it read-only, delete nothing")
	timeout := fs.Duration("timeout", time.Minute, "give up after `D` in all; rows not sent by then stay")
	pos, err := fs.parse(args, 1, "one buffer file")
	if err != nil {
		return err
	}
	if *rawURL == "" {
		return usagef("--url is required")
	}
	if *timeout <= 0 {
		return usagef("--timeout must be positive")
	}
	dest := buffer.Destination{URL: *rawURL}
	if *caPath != "" {
		pem, err := os.ReadFile(*caPath)
		if err != nil {
			return fmt.Errorf("--ca: %w", err)
		}
		dest.CA = string(pem)
		if strings.HasPrefix(strings.ToLower(*rawURL), "http://") {
			fmt.Fprintln(s.stderr, "note: --ca is ignored for an http:// URL")
		}
	}
	prog := &progress{w: s.stderr, live: s.live}
	opts := []exporter.SenderOption{exporter.WithProgress(prog.update)}
	if *keep {
		opts = append(opts, exporter.WithKeep())
	}
	sender, err := exporter.NewSender(dest, opts...)
	if err != nil {
		return usagef("%v", err)
	}
	defer sender.Close()

	open := openWritable
	if *keep {
		open = openReadOnly
	}
	b, err := open(ctx, pos[0])
	if err != nil {
		return err
	}
	defer b.Close()
	before, err := b.Stats(ctx)
	if err != nil {
		return explain(b.Path(), err)
	}
	if before.Rows == 0 {
		fmt.Fprintf(s.stdout, "nothing to send: %s holds no rows\n", printable(pos[0]))
		return nil
	}
	prog.total = before.Rows

	drainCtx, cancel := context.WithTimeout(ctx, *timeout)
	rep, err := sender.Drain(drainCtx, b)
	stopped := drainCtx.Err() != nil
	cancel()
	prog.finish(rep)
	if err != nil {
		return explain(b.Path(), err)
	}
	left := int64(-1) // unknown with --keep: nothing is deleted
	if !*keep {
		after, err := b.Stats(ctx)
		if err != nil {
			return explain(b.Path(), err)
		}
		left = after.Rows
	}

	r := sendResult{rep: rep, total: before.Rows, left: left, keep: *keep, url: printable(safeURL(*rawURL)), path: printable(pos[0])}
	switch {
	case ctx.Err() != nil:
		r.stopped = "interrupted"
	case stopped:
		r.stopped = fmt.Sprintf("stopped by --timeout %s", *timeout)
	}
	r.print(s.stdout)
	if !r.complete() {
		return &exitError{code: exitPartial, err: errors.New("not every row was delivered")}
	}
	return nil
}

// sendResult is what a replay did, for the summary and the exit code.
type sendResult struct {
	rep       exporter.Report
	total     int64 // rows in the buffer before
	left      int64 // rows in the buffer after; -1 with keep
	keep      bool
	url, path string
	stopped   string // why the replay ended before trying every row, if it did
}

// complete reports whether every row was delivered whole.
func (r *sendResult) complete() bool {
	return r.stopped == "" && !r.rep.Unavailable && !r.rep.Busy && r.rep.Retried == 0 &&
		len(r.rep.Dropped) == 0 && r.rep.RejectedSpans == 0 && (r.left <= 0)
}

func (r *sendResult) print(w io.Writer) {
	rep := r.rep
	fmt.Fprintf(w, "delivered %s (%s) of %d to %s\n", plural(int64(rep.Sent), "row"), humanBytes(rep.SentBytes), r.total, r.url)
	if rep.Split > 0 {
		fmt.Fprintf(w, "split %s the receiver found too large (413); each part counts as a row\n", plural(int64(rep.Split), "row"))
	}
	if rep.RejectedSpans > 0 {
		fmt.Fprintf(w, "the receiver rejected %s in a partial success\n", plural(rep.RejectedSpans, "span"))
	}
	if n := sum(rep.Dropped); n > 0 {
		var reasons []string
		for _, k := range slices.Sorted(maps.Keys(rep.Dropped)) {
			reasons = append(reasons, fmt.Sprintf("%s %d", printable(k), rep.Dropped[k]))
		}
		verb := "dropped"
		if r.keep {
			verb = "refused (kept: --keep)"
		}
		fmt.Fprintf(w, "%s %s the receiver will never accept: %s\n", verb, plural(int64(n), "row"), strings.Join(reasons, ", "))
	}
	if rep.Retried > 0 {
		fmt.Fprintf(w, "kept %s after a failed attempt\n", plural(int64(rep.Retried), "row"))
	}
	if rep.Busy {
		fmt.Fprintln(w, "another process is draining this buffer (it holds the drain lease): nothing sent, to send no row twice; try again later")
	}
	if rep.Unavailable {
		line := "receiver unavailable: the replay stopped"
		if rep.RetryAfter > 0 {
			line += fmt.Sprintf(" (it asked to wait %s)", rep.RetryAfter)
		}
		fmt.Fprintln(w, line)
	}
	if r.stopped != "" {
		fmt.Fprintln(w, r.stopped)
	}
	if rep.LastError != nil {
		fmt.Fprintf(w, "last error: %s\n", printable(redactURLs(rep.LastError.Error())))
	}
	if r.left > 0 {
		fmt.Fprintf(w, "%s left in %s for another try\n", plural(r.left, "row"), r.path)
	}
}

// redactURLs removes credentials and queries from URLs inside an error text (a redirect's
// Location, a URL in a transport error).
func redactURLs(s string) string {
	fields := strings.Fields(s)
	for i, f := range fields {
		trimmed := strings.Trim(f, `"'():,;`)
		if u, err := url.Parse(trimmed); err == nil && u.Scheme != "" && u.Host != "" {
			fields[i] = strings.Replace(f, trimmed, safeURL(trimmed), 1)
		}
	}
	return strings.Join(fields, " ")
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// progress prints the running totals of a replay on one line: rewritten in place on a
// terminal, otherwise printed at most once a second and at the end.
type progress struct {
	w       io.Writer
	live    bool
	total   int64
	printed time.Time
}

func (p *progress) update(r exporter.Report) {
	if !p.live && time.Since(p.printed) < time.Second {
		return
	}
	p.print(r)
}

func (p *progress) finish(r exporter.Report) {
	p.print(r)
	if p.live {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) print(r exporter.Report) {
	line := fmt.Sprintf("sending: %d/%d rows tried, %d delivered (%s), %d kept, %d dropped",
		int64(r.Sent+r.Retried+sum(r.Dropped)), p.total, r.Sent, humanBytes(r.SentBytes), r.Retried, sum(r.Dropped))
	if p.live {
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.printed = time.Now()
}
