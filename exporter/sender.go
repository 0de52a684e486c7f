package exporter

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter/internal/otlphttp"
	"github.com/charmtrace/charmtrace/exporter/internal/split"
)

// bookkeepingGrace is how long recording a row's fate may take after the
// drain's own deadline has passed: deleting a row the receiver just accepted
// is worth a few milliseconds over budget, re-sending it next time is not
// worth a hang.
const bookkeepingGrace = 50 * time.Millisecond

// Drop reasons the sender counts, besides "http_400" for poison rows and
// buffer.DropMalformed.
const (
	DropUnsplittable = "unsplittable_413" // a single span a receiver finds too large
)

// CountRejectedSpans is the buffer counter (buffer.Stats.Counts) of spans that
// receivers rejected in a partial success.
const CountRejectedSpans = "rejected_spans"

// Report tells what one drain did.
type Report struct {
	Sent          int            // rows delivered (each part of a split row counts)
	SentBytes     int64          // payload bytes delivered
	RejectedSpans int64          // spans receivers refused in a partial success
	Retried       int            // rows kept after a failed attempt
	Split         int            // rows split after a 413
	Dropped       map[string]int // rows dropped as undeliverable, by reason
	// Unavailable is set when the drain stopped early because the receiver
	// could not be reached or asked to be left alone.
	Unavailable bool
	RetryAfter  time.Duration // what the receiver asked for, capped; 0 if nothing
	LastError   error         // the last failure, nil if none
	// Requests counts the requests the drain made.
	Requests int
	// Failure says, in words for an operator, why the last request that
	// delivered nothing failed: "HTTP 404 Not Found", "connection refused",
	// "TLS verification failed: ...". It never quotes the URL. "" if none failed.
	Failure string
	// Busy is set when another process holds the drain lease: it is sending
	// these rows, and this drain sent nothing so as not to send them twice.
	Busy bool
}

// Sender drains a buffer into one destination. It is safe for one drain at a
// time; use one Sender per goroutine.
type Sender struct {
	client   *otlphttp.Client
	keep     bool
	progress func(Report)
	timeout  time.Duration
	lease    *drainLease // of the drain under way; nil with WithKeep
}

// SenderOption configures a Sender.
type SenderOption func(*Sender)

// WithKeep makes the Sender delete, drop and split nothing: every row stays in
// the buffer whatever the receiver answers (for replaying a copied buffer to a
// second receiver). The buffer may then be opened read-only.
func WithKeep() SenderOption { return func(s *Sender) { s.keep = true } }

// WithProgress calls fn with the running totals after every request.
func WithProgress(fn func(Report)) SenderOption { return func(s *Sender) { s.progress = fn } }

// WithRequestTimeout bounds each request (default 10 s); the drain's ctx
// bounds them all.
func WithRequestTimeout(d time.Duration) SenderOption {
	return func(s *Sender) {
		if d > 0 {
			s.timeout = d
		}
	}
}

// NewSender returns a Sender for dest. It fails, without any network I/O, on
// a URL that is not http:// or https://, a URL carrying credentials, or an
// https:// destination whose CA bundle holds no certificate.
func NewSender(dest buffer.Destination, opts ...SenderOption) (*Sender, error) {
	client, err := newClient(dest, defaultMaxRetryAfter)
	if err != nil {
		return nil, err
	}
	s := &Sender{client: client, timeout: 10 * time.Second}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Close releases idle connections.
func (s *Sender) Close() { s.client.HTTP.CloseIdleConnections() }

// Drain sends the buffer's rows once each, highest priority and oldest first,
// until all were tried, the receiver is unavailable, or ctx ends (then the
// rest stay for later and the Report says what happened). The error is for the
// buffer failing, not the receiver.
//
// Unless WithKeep is set, a drain first takes the buffer's drain lease, so that
// two processes draining one buffer do not both send its rows; while another
// holds it, Drain sends nothing and sets Report.Busy. A row whose columns are
// malformed (see buffer.ErrMalformedRow) is dropped and counted, never sent.
func (s *Sender) Drain(ctx context.Context, buf *buffer.Buffer) (Report, error) {
	return s.drain(ctx, buf, nil)
}

// maxRequestBytes bounds the body of a request that carries several rows. Posting
// rows one by one spent most of a drain waiting on round trips (about 0.8 ms for each
// 30 KB row to a receiver in another process on this machine); a megabyte amortises that
// and stays far below what OTLP receivers accept (the collector's default is 20 MiB). It
// is also the most a SIGKILL between a delivery and its removal can send twice.
const maxRequestBytes = 1 << 20

// drain is Drain with a hook for the Exporter: skip leaves rows alone that
// failed recently in this process; it also learns of every retried row.
//
// Consecutive protobuf rows go out together in one request of at most
// maxRequestBytes: a TracesData message is a repeated field, so the
// concatenation of several is one valid message holding all their spans.
// OTLP/JSON rows (written by Python ops) cannot be joined and go alone. After a
// receiver answered 413 to joined rows, the rest of the drain sends rows alone:
// each joined request would only be refused again.
func (s *Sender) drain(ctx context.Context, buf *buffer.Buffer, h *drainHooks) (Report, error) {
	rep := Report{Dropped: map[string]int{}}
	seen := map[int64]bool{}
	if ctx.Err() != nil {
		return rep, nil // out of time before it began: everything waits
	}
	if !s.keep {
		s.lease = newDrainLease(s.timeout)
		defer func() {
			bctx, cancel := bookkeepingContext(ctx)
			s.lease.release(bctx, buf)
			cancel()
			s.lease = nil
		}()
		// The lease is taken before any row to send is read: a row read before
		// would be posted even if the holder delivered and deleted it meanwhile.
		// A buffer with nothing to send costs no write.
		if pending, err := hasPending(ctx, buf); err != nil || !pending {
			return rep, err
		}
		if ok, err := s.lease.hold(ctx, buf); err != nil || !ok {
			rep.Busy = err == nil
			return rep, err
		}
	}
	var batch []buffer.Row
	var batchBytes int
	limit := maxRequestBytes
	flush := func() (stop bool, err error) {
		if len(batch) == 0 {
			return false, nil
		}
		var tooLarge bool
		tooLarge, stop, err = s.sendBatch(ctx, buf, batch, &rep, seen, h)
		if tooLarge {
			limit = 0
		}
		batch, batchBytes = batch[:0], 0
		if s.progress != nil {
			s.progress(rep.clone())
		}
		return stop, err
	}
	for row, err := range buf.Pending(ctx) {
		if ctx.Err() != nil {
			return rep, nil // out of time: the rest waits for the next drain
		}
		if errors.Is(err, buffer.ErrMalformedRow) {
			if err := s.dropMalformed(ctx, buf, row.ID, err, &rep, seen); err != nil {
				return rep, err
			}
			continue
		}
		if err != nil {
			return rep, err
		}
		if seen[row.ID] || (h != nil && h.skip(row.ID)) {
			continue
		}
		seen[row.ID] = true
		joinable := contentType(row.Mime) == buffer.MimeProtobuf
		if len(batch) > 0 && (!joinable || batchBytes+len(row.Data) > limit) {
			if stop, err := flush(); err != nil || stop {
				return rep, err
			}
		}
		batch = append(batch, row)
		batchBytes += len(row.Data)
		if !joinable {
			if stop, err := flush(); err != nil || stop {
				return rep, err
			}
		}
	}
	if ctx.Err() != nil {
		return rep, nil
	}
	_, err := flush()
	return rep, err
}

type drainHooks struct {
	skip    func(id int64) bool
	retried func(id int64)
}

// sendBatch posts rows in one request and records their fate together. A
// receiver that refuses the request as a whole (a 400, or 413) may be refusing
// only one of its rows: those are sent again one by one, so that only the
// offending row is dropped or split. tooLarge reports a 413 to joined rows.
func (s *Sender) sendBatch(ctx context.Context, buf *buffer.Buffer, rows []buffer.Row, rep *Report, seen map[int64]bool, h *drainHooks) (tooLarge, stop bool, err error) {
	if len(rows) == 1 {
		stop, err = s.send(ctx, buf, rows[0], rep, seen, h)
		return false, stop, err
	}
	var size int
	for _, r := range rows {
		size += len(r.Data)
	}
	body := make([]byte, 0, size)
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		body = append(body, r.Data...)
		if r.ID != 0 {
			ids = append(ids, r.ID)
		}
	}
	res, ok, err := s.post(ctx, buf, body, buffer.MimeProtobuf, rep)
	if !ok || err != nil {
		return false, true, err
	}
	bctx, cancel := bookkeepingContext(ctx)
	defer cancel()

	switch res.Outcome {
	case otlphttp.Delivered:
		rep.Sent += len(rows)
		rep.SentBytes += int64(size)
		return false, false, s.delivered(bctx, buf, res, rep, ids...)
	case otlphttp.Poison, otlphttp.TooLarge:
		tooLarge = res.Outcome == otlphttp.TooLarge
		for _, r := range rows {
			if ctx.Err() != nil {
				return tooLarge, true, nil
			}
			if stop, err := s.send(ctx, buf, r, rep, seen, h); stop || err != nil {
				return tooLarge, stop, err
			}
		}
		return tooLarge, false, nil
	}
	stop, err = s.retry(bctx, buf, ids, res, rep, h)
	return false, stop, err
}

// send posts one row and records its fate. stop means the receiver is
// unavailable and the drain should end.
func (s *Sender) send(ctx context.Context, buf *buffer.Buffer, row buffer.Row, rep *Report, seen map[int64]bool, h *drainHooks) (stop bool, err error) {
	res, ok, err := s.post(ctx, buf, row.Data, contentType(row.Mime), rep)
	if !ok || err != nil {
		return true, err
	}
	bctx, cancel := bookkeepingContext(ctx)
	defer cancel()

	var ids []int64
	if row.ID != 0 {
		ids = []int64{row.ID}
	}
	switch res.Outcome {
	case otlphttp.Delivered:
		rep.Sent++
		rep.SentBytes += int64(len(row.Data))
		return false, s.delivered(bctx, buf, res, rep, ids...)
	case otlphttp.Poison:
		rep.LastError = res.Err
		return false, s.drop(bctx, buf, row.ID, fmt.Sprintf("http_%d", res.Status), rep)
	case otlphttp.TooLarge:
		return s.split(ctx, bctx, buf, row, rep, seen, h)
	}
	return s.retry(bctx, buf, ids, res, rep, h)
}

// post sends one request under the drain lease. ok is false when the lease
// is held by another process: nothing was sent and the drain should end.
func (s *Sender) post(ctx context.Context, buf *buffer.Buffer, body []byte, contentType string, rep *Report) (res otlphttp.Result, ok bool, err error) {
	if s.lease != nil {
		if ok, err := s.lease.hold(ctx, buf); err != nil || !ok {
			rep.Busy = err == nil
			return res, false, err
		}
	}
	reqCtx, cancel := context.WithTimeout(ctx, s.timeout)
	res = s.client.Send(reqCtx, body, contentType)
	cancel()
	rep.Requests++
	if res.Outcome != otlphttp.Delivered {
		rep.Failure = res.Cause()
	}
	return res, true, nil
}

// delivered removes delivered rows and keeps count of the spans a receiver
// rejected in a partial success, in the report and in the buffer, so that the
// count outlives the process (charmtrace inspect shows it).
func (s *Sender) delivered(ctx context.Context, buf *buffer.Buffer, res otlphttp.Result, rep *Report, ids ...int64) error {
	if res.Rejected > 0 || res.Message != "" {
		rep.RejectedSpans += res.Rejected
		rep.LastError = fmt.Errorf("receiver accepted the data partially: %d span(s) rejected: %q", res.Rejected, res.Message)
	}
	if s.keep {
		return nil
	}
	err := buf.Remove(ctx, ids...)
	if res.Rejected > 0 {
		err = errors.Join(err, buf.AddCount(ctx, CountRejectedSpans, res.Rejected))
	}
	return err
}

// dropMalformed drops a row whose columns the buffer could not read: it can
// never be sent, and left in place it would be reported on every drain.
func (s *Sender) dropMalformed(ctx context.Context, buf *buffer.Buffer, id int64, cause error, rep *Report, seen map[int64]bool) error {
	if seen[id] {
		return nil
	}
	seen[id] = true
	rep.LastError = cause
	return s.drop(ctx, buf, id, buffer.DropMalformed, rep)
}

// retry keeps rows a request failed to deliver (Retry, Unavailable or Refused) and
// counts the attempt. stop means the receiver is unavailable.
func (s *Sender) retry(ctx context.Context, buf *buffer.Buffer, ids []int64, res otlphttp.Result, rep *Report, h *drainHooks) (stop bool, err error) {
	rep.Retried += max(len(ids), 1)
	rep.LastError = res.Err
	// A refusal that describes the destination (401, 403, 404, ...) holds for
	// every row: stop, keep everything, back off.
	stop = res.Outcome == otlphttp.Unavailable || res.Outcome == otlphttp.Refused
	if stop {
		rep.Unavailable = true
		rep.RetryAfter = max(rep.RetryAfter, res.RetryAfter)
	}
	// A row the receiver failed on its own (5xx) waits before this process tries it
	// again; one refused because the receiver is throttling or out of reach does not:
	// the back-off window holds every row back, and then this one goes first.
	if h != nil && !stop {
		for _, id := range ids {
			h.retried(id)
		}
	}
	if !s.keep && len(ids) > 0 {
		if err := buf.RecordAttempt(ctx, ids...); err != nil {
			return true, err
		}
	}
	return stop, nil
}

// split halves a row refused with 413 and sends both halves in this drain.
func (s *Sender) split(ctx, bctx context.Context, buf *buffer.Buffer, row buffer.Row, rep *Report, seen map[int64]bool, h *drainHooks) (bool, error) {
	first, second, err := split.Halve(row.Data, row.Mime)
	if err != nil {
		rep.LastError = fmt.Errorf("receiver answered 413 and the row cannot be split: %w", err)
		return false, s.drop(bctx, buf, row.ID, DropUnsplittable, rep)
	}
	rep.Split++
	parts := []buffer.Row{{Mime: row.Mime, Data: first}, {Mime: row.Mime, Data: second}}
	if !s.keep && row.ID != 0 {
		ids, err := buf.Split(bctx, row.ID, [][]byte{first, second})
		if err != nil {
			return true, err
		}
		if len(ids) != len(parts) {
			return false, nil // the row vanished meanwhile (another process sent it)
		}
		for i, id := range ids {
			parts[i].ID = id
			seen[id] = true
		}
	}
	for _, p := range parts {
		if ctx.Err() != nil {
			return true, nil
		}
		if stop, err := s.send(ctx, buf, p, rep, seen, h); stop || err != nil {
			return stop, err
		}
	}
	return false, nil
}

func (s *Sender) drop(ctx context.Context, buf *buffer.Buffer, id int64, reason string, rep *Report) error {
	rep.Dropped[reason]++
	if s.keep || id == 0 {
		return nil
	}
	return buf.Drop(ctx, id, reason)
}

// bookkeepingContext outlives ctx by bookkeepingGrace, so that recording a
// row's fate is not cut off halfway by the deadline that ended the request.
func bookkeepingContext(ctx context.Context) (context.Context, context.CancelFunc) {
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(bookkeepingGrace, cancel) })
	return bctx, func() {
		stop()
		cancel()
	}
}

// contentType is the row's own MIME type: Python ops rows are OTLP/JSON.
func contentType(mime string) string {
	if mime == "" {
		return buffer.MimeProtobuf
	}
	return mime
}

func (r Report) clone() Report {
	r.Dropped = maps.Clone(r.Dropped)
	return r
}

// hasPending reports whether buf holds any row, well-formed or not.
func hasPending(ctx context.Context, buf *buffer.Buffer) (bool, error) {
	for _, err := range buf.Pending(ctx) {
		if err != nil && !errors.Is(err, buffer.ErrMalformedRow) {
			return false, err
		}
		return true, nil
	}
	return false, nil
}
