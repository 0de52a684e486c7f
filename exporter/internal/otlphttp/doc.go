// Package otlphttp sends one stored OTLP payload to a receiver and classifies
// the answer by the OTLP/HTTP rules, as a decision about the stored row:
// delete it, drop it as poison, split it, keep it for later, or stop talking
// to this receiver for now.
//
// It deliberately does not reuse otlptracehttp: that client hides whether a
// failure was permanent, retryable or a partial success behind unexported
// error types, and it cannot send a stored payload without re-encoding it.
package otlphttp
