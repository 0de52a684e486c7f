package otlphttp

import (
	"testing"
	"time"
)

// Receiver answers are untrusted: decoding them must never panic, and what
// comes out must be sane.
func FuzzDecodeResponse(f *testing.F) {
	f.Add("application/x-protobuf", []byte{0x0a, 0x04, 0x08, 0x03, 0x12, 0x00}, "3")
	f.Add("application/json", []byte(`{"partialSuccess":{"rejectedSpans":"2","errorMessage":"x"}}`), "Mon, 23 Nov 2026 10:00:30 GMT")
	f.Add("text/plain; charset=utf-8", []byte("ok"), "")
	f.Fuzz(func(t *testing.T, contentType string, body []byte, retryAfter string) {
		decodeResponse(contentType, body)
		d, ok := parseRetryAfter(retryAfter, time.Now(), time.Minute)
		if d < 0 || d > time.Minute || !ok && d != 0 {
			t.Fatalf("parseRetryAfter(%q) = %v, %v", retryAfter, d, ok)
		}
		quoteSnippet(body)
	})
}
