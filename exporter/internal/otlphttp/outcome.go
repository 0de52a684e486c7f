package otlphttp

import (
	"fmt"
	"net/http"
)

// Outcome is what a response means for the row that was sent.
type Outcome int

const (
	// Delivered: 2xx. Delete the row (a partial success included: the OTLP
	// spec forbids resending it).
	Delivered Outcome = iota
	// Poison: a 4xx other than 408, 413 and 429. The receiver will never
	// take this row; drop it and count it.
	Poison
	// TooLarge: 413. Split the row and send the halves.
	TooLarge
	// Retry: the row is kept and tried again later, but the receiver is
	// answering, so the next row may still go through (408, 500, 501, ...).
	Retry
	// Unavailable: the row is kept and the receiver should be left alone for
	// a while: transport and TLS failures, redirects, 429, 502, 503, 504 and
	// any answer carrying Retry-After.
	Unavailable
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Poison:
		return "poison"
	case TooLarge:
		return "too large"
	case Retry:
		return "retry"
	case Unavailable:
		return "unavailable"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// classify maps an HTTP status (and whether Retry-After came with it) to an
// outcome.
func classify(status int, hasRetryAfter bool) Outcome {
	switch {
	case status >= 200 && status < 300:
		return Delivered
	case status == http.StatusRequestEntityTooLarge:
		return TooLarge
	case hasRetryAfter && (status == http.StatusTooManyRequests || status >= 500 || status == http.StatusRequestTimeout):
		return Unavailable
	case status == http.StatusTooManyRequests, status == http.StatusBadGateway,
		status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
		return Unavailable
	case status == http.StatusRequestTimeout, status >= 500 && status < 600:
		return Retry
	case status >= 400 && status < 500:
		return Poison
	default:
		// 1xx leftovers and 3xx: a redirect is not followed (a POST turned
		// into a GET would look delivered), and nothing else is an answer.
		// Keep the data; the URL needs fixing, not this row.
		return Unavailable
	}
}
