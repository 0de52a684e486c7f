package otlphttp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// maxResponseBytes bounds how much of a response is read: enough for any
// partial_success message, little enough that a hostile receiver cannot make
// a hook buffer megabytes.
const maxResponseBytes = 64 << 10

// Client posts stored payloads to one OTLP/HTTP traces URL.
type Client struct {
	HTTP          *http.Client // must not follow redirects
	URL           string
	UserAgent     string
	MaxRetryAfter time.Duration // cap on a receiver's Retry-After
}

// Result is the fate of one POST.
type Result struct {
	Outcome    Outcome
	Status     int           // HTTP status; 0 when no response arrived
	RetryAfter time.Duration // from Retry-After, capped; 0 when absent
	Rejected   int64         // partial_success.rejected_spans of a 2xx
	Message    string        // partial_success.error_message of a 2xx
	Err        error         // why the row was not delivered; nil when Delivered
}

// Send posts body with the given Content-Type. ctx bounds the whole exchange:
// DNS, dial, TLS handshake, request and response.
func (c *Client) Send(ctx context.Context, body []byte, contentType string) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return Result{Outcome: Unavailable, Err: err}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", c.UserAgent)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Result{Outcome: Unavailable, Err: err}
	}
	defer resp.Body.Close()
	// A failed or cut-short read does not change the verdict: the status
	// line is the receiver's answer.
	respBody, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))

	res := Result{Status: resp.StatusCode}
	res.RetryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now(), c.MaxRetryAfter)
	res.Outcome = classify(resp.StatusCode, resp.Header.Get("Retry-After") != "")
	switch {
	case res.Outcome == Delivered:
		ps, err := decodeResponse(resp.Header.Get("Content-Type"), respBody)
		if err != nil {
			res.Message = err.Error() // still delivered: the status says so
		} else {
			res.Rejected, res.Message = max(ps.Rejected, 0), ps.Message
		}
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.Err = fmt.Errorf("receiver redirected (%s) to %s; redirects are not followed, fix the URL",
			resp.Status, quoteSnippet([]byte(resp.Header.Get("Location"))))
	default:
		res.Err = fmt.Errorf("receiver answered %s: %s", resp.Status, quoteSnippet(respBody))
	}
	return res
}

// decodeResponse reads partial_success when the body says what it is. An
// unknown or missing Content-Type means a plain success.
func decodeResponse(contentType string, body []byte) (partialSuccess, error) {
	if len(body) == 0 {
		return partialSuccess{}, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return partialSuccess{}, nil
	}
	switch mt {
	case "application/x-protobuf":
		return decodeProtoResponse(body)
	case "application/json":
		return decodeJSONResponse(body)
	}
	return partialSuccess{}, nil
}

// quoteSnippet renders the start of untrusted bytes safely for a log line.
func quoteSnippet(b []byte) string {
	const limit = 200
	s := strings.ToValidUTF8(string(b[:min(len(b), limit)]), "?")
	if len(b) > limit {
		s += "…"
	}
	return fmt.Sprintf("%q", s)
}
