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
	// Poison: 400. The receiver says the payload itself is bad and will never
	// take it; a row refused alone is dropped and counted. It is the only
	// status, with 413 to a row that cannot be split, that may cost a row.
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
	// Refused: a 4xx that describes the destination, not the payload (401,
	// 403, 404, 405, ...): a wrong URL, a missing credential, an ingress that
	// does not route yet. Every row is kept and the receiver is left alone
	// for a while, as for Unavailable; the operator has something to fix.
	Refused
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
	case Refused:
		return "refused"
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
	case status == http.StatusBadRequest:
		return Poison
	case status >= 400 && status < 500:
		// In COS, Tempo's ingress answers 404 until Traefik routes it: exactly
		// when the buffer must hold on to the install and start traces.
		return Refused
	default:
		// 1xx leftovers and 3xx: a redirect is not followed (a POST turned
		// into a GET would look delivered), and nothing else is an answer.
		// Keep the data; the URL needs fixing, not this row.
		return Unavailable
	}
}
