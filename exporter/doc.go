// Package exporter is charmtrace's bridge from OpenTelemetry spans to the
// durable buffer, and from the buffer to an OTLP/HTTP receiver.
//
// Exporter is an sdktrace.SpanExporter. ExportSpans encodes a batch as one OTLP
// TracesData protobuf through the public otlptrace transform (the bytes are an
// ExportTraceServiceRequest body) and stores it as one buffer row. It never
// touches the network, so a slow or dead receiver cannot stall the SDK's batch
// processor or the hook.
//
// A drainer sends the stored rows whenever the buffer holds a destination: in
// the background from Start while the charm runs, and once more at Shutdown
// within one overall time budget (default 5 s) that bounds DNS, dial, TLS
// handshake and body transfer together. Whatever is not sent stays on disk for
// the next dispatch.
//
// # Delivery rules
//
// Consecutive protobuf rows travel together, up to 1 MiB per request (the
// concatenation of TracesData messages is one TracesData holding all their
// spans); OTLP/JSON rows written by Python ops go alone. Each answer decides
// the fate of the rows it covers, following the OTLP/HTTP specification:
//
//   - 2xx: delivered, the row is deleted. Spans a partial_success reports as
//     rejected are counted, in the buffer too (CountRejectedSpans); the row is
//     not resent.
//   - 413: the row is split (by ResourceSpans, then ScopeSpans, then spans) and
//     the halves sent; a single span that is still too large is dropped.
//   - 408 and 5xx other than 502, 503 and 504: the row is kept and the drain
//     moves on to the next row; this process retries it after the initial
//     back-off delay at the earliest.
//   - 429, 502, 503, 504, any answer with Retry-After, redirects (never
//     followed: a POST turned into a GET must not count as a delivery),
//     transport and TLS verification errors: the row is kept and the drain
//     stops, because the receiver, not the row, is the problem.
//   - 400: the row is poison. It is dropped and counted as "http_400". With 413
//     to a row that cannot be split, the only answer that costs a row.
//   - Any other 4xx (401, 403, 404, 405, ...) describes the destination, not
//     the payload: every row is kept and the drain stops, as for 503. Stats.Failure
//     says why, for the operator.
//
// A 400 or 413 to a request of several rows may be about one of them:
// the rows of that request are then sent again one by one, and the rules above
// apply to each.
//
// One failing row costs at most one attempt per drain and never holds back the
// rows behind it. After a drain that reached no receiver, later drains, in this
// process and the next dispatches, skip the network for a back-off window kept
// in the buffer's settings (Retry-After when the receiver gave one); a new
// destination ends the window at once. At Shutdown, a window that ends early
// enough in the budget to send after it (a throttling receiver's short
// Retry-After) is waited out, so a receiver that throttles every other request
// still gets the whole backlog.
//
// Destinations are http:// (plaintext, the CA bundle is ignored) or https://
// with the TLS policy of the charmtrace tls package. Requests go through a
// plain net/http transport, so the exporter never traces its own exports.
//
// A drain deletes by row id, and the buffer never hands an id out twice, so an
// answer deletes exactly the rows its request carried. Only one drain at a time
// sends a buffer's rows: each takes the buffer's drain lease before reading a row
// to send, and a drain that finds it held by another process sends nothing
// (Report.Busy). A stored back-off window ending later than any this exporter
// can set (written while the clock was ahead) is ignored.
//
// Sender performs one drain on its own, with the same rules: the charmtrace
// CLI uses it to replay a buffer copied off a unit.
package exporter
