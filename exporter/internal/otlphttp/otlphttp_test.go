package otlphttp

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		status     int
		retryAfter bool
		want       Outcome
	}{
		{200, false, Delivered}, {202, false, Delivered}, {204, true, Delivered},
		{400, false, Poison}, {400, true, Poison},
		{401, false, Refused}, {403, false, Refused}, {404, false, Refused},
		{405, false, Refused}, {415, false, Refused}, {422, false, Refused}, {404, true, Refused},
		{413, false, TooLarge}, {413, true, TooLarge},
		{408, false, Retry}, {500, false, Retry}, {501, false, Retry},
		{408, true, Unavailable}, {500, true, Unavailable},
		{429, false, Unavailable}, {502, false, Unavailable}, {503, false, Unavailable}, {504, false, Unavailable},
		{301, false, Unavailable}, {302, false, Unavailable}, {307, false, Unavailable}, {308, false, Unavailable},
		{101, false, Unavailable},
	}
	for _, c := range cases {
		if got := classify(c.status, c.retryAfter); got != c.want {
			t.Errorf("classify(%d, retryAfter=%v) = %v, want %v", c.status, c.retryAfter, got, c.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	limit := 5 * time.Minute
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{"86400", limit, true},
		{"99999999999999999999", 0, false}, // overflows uint64: unreadable
		{"18446744073709551615", limit, true},
		{"Mon, 23 Nov 2026 10:00:30 GMT", 30 * time.Second, true},
		{"Mon, 23 Nov 2026 09:00:00 GMT", 0, true},
		{"Mon, 30 Nov 2026 10:00:00 GMT", limit, true},
		{"-5", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		got, ok := parseRetryAfter(c.in, now, limit)
		if got != c.want || ok != c.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestDecodeResponses(t *testing.T) {
	resp := &coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{
		RejectedSpans: 3, ErrorMessage: "3 spans too old",
	}}
	pb, err := proto.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	js, err := protojson.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ct   string
		body []byte
	}{
		{"application/x-protobuf", pb},
		{"application/json", js},
		{"application/json; charset=utf-8", []byte(`{"partialSuccess":{"rejectedSpans":3,"errorMessage":"3 spans too old"}}`)},
	} {
		ps, err := decodeResponse(c.ct, c.body)
		if err != nil || ps.Rejected != 3 || ps.Message != "3 spans too old" {
			t.Errorf("%s %q: got %+v, %v", c.ct, c.body, ps, err)
		}
	}
	for _, c := range []struct {
		ct   string
		body []byte
	}{
		{"application/x-protobuf", []byte{0x0a, 0x09, 0x08}},
		{"application/json", []byte(`{"partialSuccess":{"rejectedSpans":"many"}}`)},
	} {
		if _, err := decodeResponse(c.ct, c.body); err == nil {
			t.Errorf("%s %q: malformed body accepted", c.ct, c.body)
		}
	}
	if ps, err := decodeResponse("text/plain", []byte("ok")); err != nil || ps != (partialSuccess{}) {
		t.Errorf("text/plain: %+v, %v", ps, err)
	}
}

func send(t *testing.T, h http.HandlerFunc) Result {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := &Client{
		HTTP: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		URL:  srv.URL + "/v1/traces", UserAgent: "test", MaxRetryAfter: time.Minute,
	}
	return c.Send(context.Background(), []byte("payload"), "application/x-protobuf")
}

func TestSendPartialSuccess(t *testing.T) {
	res := send(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/x-protobuf" || r.Method != http.MethodPost {
			t.Errorf("%s with %q", r.Method, r.Header.Get("Content-Type"))
		}
		b, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{RejectedSpans: 2}})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(b)
	})
	if res.Outcome != Delivered || res.Rejected != 2 || res.Err != nil {
		t.Fatalf("%+v", res)
	}
}

func TestSendRedirectNotFollowed(t *testing.T) {
	res := send(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/traces" {
			t.Errorf("redirect followed to %s", r.URL.Path)
		}
		http.Redirect(w, r, "https://elsewhere.example/v1/traces", http.StatusFound)
	})
	if res.Outcome != Unavailable || res.Status != 302 || !strings.Contains(res.Err.Error(), "elsewhere.example") {
		t.Fatalf("%+v", res)
	}
}

func TestSendErrorCarriesQuotedSnippet(t *testing.T) {
	res := send(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte("bad \xff data\n" + strings.Repeat("x", 1000)))
	})
	if res.Outcome != Poison {
		t.Fatalf("%+v", res)
	}
	msg := res.Err.Error()
	if !strings.Contains(msg, "400 Bad Request") || !strings.Contains(msg, `bad ? data\n`) || len(msg) > 300 {
		t.Fatalf("message %q", msg)
	}
}

func TestSendRetryAfter(t *testing.T) {
	res := send(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	if res.Outcome != Unavailable || res.RetryAfter != 3*time.Second {
		t.Fatalf("%+v", res)
	}
}

func TestSendRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := &Client{HTTP: &http.Client{}, URL: "http://" + addr + "/v1/traces"}
	res := c.Send(context.Background(), []byte("x"), "application/x-protobuf")
	if res.Outcome != Unavailable || res.Status != 0 || res.Err == nil {
		t.Fatalf("%+v", res)
	}
}
