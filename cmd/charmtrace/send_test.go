package main

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
	"github.com/charmtrace/charmtrace/internal/testcerts"
)

// request is what a test receiver got.
type request struct {
	contentType string
	body        []byte
}

// receiver is an OTLP/HTTP endpoint on loopback whose answer to the n-th request (from 0),
// with this body, is up to the test.
type receiver struct {
	mu       sync.Mutex
	requests []request
	answer   func(n int, body []byte, w http.ResponseWriter, r *http.Request)
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	n := len(rc.requests)
	rc.requests = append(rc.requests, request{r.Header.Get("Content-Type"), body})
	rc.mu.Unlock()
	if r.URL.Path != "/v1/traces" || r.Method != http.MethodPost {
		http.Error(w, "wrong endpoint", http.StatusNotFound)
		return
	}
	if rc.answer == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	rc.answer(n, body, w, r)
}

func (rc *receiver) got() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.requests...)
}

// startReceiver serves rc over plain HTTP on 127.0.0.1 and returns its traces URL.
func startReceiver(t *testing.T, rc *receiver) string {
	t.Helper()
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1/traces"
}

// sendFixture is a buffer of two dispatches, six rows.
func sendFixture(t *testing.T) (path string, rows []buffer.Row) {
	t.Helper()
	path = bufferPath(t)
	mustWriteDispatches(t, path, dispatch{event: "install"}, dispatch{event: "start", at: 1e9})
	return path, rowsOf(t, path)
}

func TestSendDeliversEveryRowAndEmptiesTheBuffer(t *testing.T) {
	path, rows := sendFixture(t)
	rc := &receiver{}
	url := startReceiver(t, rc)
	code, out, errOut := runCLI(t, "send", path, "--url", url)
	if code != exitOK {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// The six small rows go in one request: their stored bytes, one after the other.
	got := rc.got()
	if len(got) != 1 || got[0].contentType != buffer.MimeProtobuf {
		t.Fatalf("receiver got %d requests (%v), want 1 of %s", len(got), got, buffer.MimeProtobuf)
	}
	var total int64
	var stored []byte
	for _, r := range rows {
		stored = append(stored, r.Data...)
		total += int64(len(r.Data))
	}
	if !bytes.Equal(got[0].body, stored) {
		t.Errorf("the request holds %d bytes, not the %d stored bytes of the rows in order", len(got[0].body), len(stored))
	}
	if left := rowsOf(t, path); len(left) != 0 {
		t.Errorf("%d rows left, want none", len(left))
	}
	if want := fmt.Sprintf("delivered 6 rows (%s) of 6 to %s\n", humanBytes(total), url); out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	if !strings.Contains(errOut, "sending: 6/6 rows tried, 6 delivered") {
		t.Errorf("no final progress line on stderr: %q", errOut)
	}
}

func TestSendDropsAPoisonRowAndDeliversTheRest(t *testing.T) {
	path, rows := sendFixture(t)
	rc := &receiver{answer: func(_ int, body []byte, w http.ResponseWriter, _ *http.Request) {
		if bytes.Contains(body, rows[0].Data) {
			http.Error(w, "bad data", http.StatusBadRequest)
		}
	}}
	code, out, errOut := runCLI(t, "send", "--url", startReceiver(t, rc), path)
	if code != exitPartial {
		t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, exitPartial, out, errOut)
	}
	// The rows together, refused; then each alone: the poison row must not hold back
	// the others.
	if n := len(rc.got()); n != 1+len(rows) {
		t.Errorf("%d requests, want %d", n, 1+len(rows))
	}
	for _, want := range []string{
		"delivered 5 rows", "dropped 1 row the receiver will never accept: http_400 1",
		"last error: receiver answered 400 Bad Request",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	st := statsOf(t, path)
	if st.Rows != 0 || st.Drops["http_400"] != 1 {
		t.Errorf("after: %d rows, drops %v; want 0 rows and http_400 counted", st.Rows, st.Drops)
	}
	if !strings.Contains(errOut, "charmtrace send: not every row was delivered") {
		t.Errorf("stderr %q", errOut)
	}
}

func TestSendUnavailableReceiverKeepsEverything(t *testing.T) {
	path, rows := sendFixture(t)
	rc := &receiver{answer: func(_ int, _ []byte, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "120")
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}}
	code, out, _ := runCLI(t, "send", "--url", startReceiver(t, rc), path)
	if code != exitPartial {
		t.Fatalf("exit %d, want %d", code, exitPartial)
	}
	if n := len(rc.got()); n != 1 {
		t.Errorf("%d requests, want 1: an unavailable receiver ends the replay", n)
	}
	for _, want := range []string{
		"delivered 0 rows (0 B) of 6", "kept 6 rows after a failed attempt",
		"receiver unavailable: the replay stopped (it asked to wait 2m0s)",
		"6 rows left in " + path + " for another try",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	after := rowsOf(t, path)
	if len(after) != len(rows) {
		t.Fatalf("%d rows left, want all %d", len(after), len(rows))
	}
	for i := range rows {
		if after[i].ID != rows[i].ID || !bytes.Equal(after[i].Data, rows[i].Data) {
			t.Errorf("row %d changed", rows[i].ID)
		}
	}
	for _, r := range after { // the one request carried them all
		if r.Attempts != 1 {
			t.Errorf("row %d has %d attempts recorded, want 1", r.ID, r.Attempts)
		}
	}
}

func TestSendKeepLeavesTheFileAsItWas(t *testing.T) {
	for _, name := range []string{"accepted", "poison", "unavailable"} {
		t.Run(name, func(t *testing.T) {
			path, rows := sendFixture(t)
			rc := &receiver{}
			switch name {
			case "poison":
				rc.answer = func(_ int, body []byte, w http.ResponseWriter, _ *http.Request) {
					if bytes.Contains(body, rows[1].Data) {
						w.WriteHeader(http.StatusBadRequest)
					}
				}
			case "unavailable":
				rc.answer = func(_ int, _ []byte, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }
			}
			before := dirState(t, filepath.Dir(path))
			code, out, _ := runCLI(t, "send", "--keep", "--url", startReceiver(t, rc), path)
			assertUnchanged(t, before, dirState(t, filepath.Dir(path)))
			wantCode, wantOut := exitOK, "delivered 6 rows"
			switch name {
			case "poison":
				wantCode, wantOut = exitPartial, "refused (kept: --keep) 1 row the receiver will never accept: http_400 1"
			case "unavailable":
				wantCode, wantOut = exitPartial, "receiver unavailable"
			}
			if code != wantCode || !strings.Contains(out, wantOut) {
				t.Fatalf("exit %d, want %d; stdout lacks %q:\n%s", code, wantCode, wantOut, out)
			}
			if strings.Contains(out, "left in") {
				t.Errorf("--keep claims rows were left behind:\n%s", out)
			}
			if n := len(rowsOf(t, path)); n != len(rows) {
				t.Fatalf("%d rows after --keep, want %d", n, len(rows))
			}
		})
	}
}

func TestSendTLS(t *testing.T) {
	root, err := testcerts.NewRoot("send test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := root.NewLeaf(testcerts.LeafOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := testcerts.NewRoot("some other CA")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile, otherFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "other.pem")
	if err := os.WriteFile(caFile, root.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(otherFile, other.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	rc := &receiver{}
	srv := testcerts.NewTLSServer(rc, leaf, tls.VersionTLS12, tls.VersionTLS13)
	defer srv.Close()
	url := srv.URL + "/v1/traces"

	for _, c := range []struct {
		name  string
		flags []string
		code  int
		want  string
	}{
		{"system roots", nil, exitPartial, "certificate"},
		{"wrong CA", []string{"--ca", otherFile}, exitPartial, "certificate"},
		{"the receiver's CA", []string{"--ca", caFile}, exitOK, "delivered 6 rows"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, rows := sendFixture(t)
			code, out, errOut := runCLI(t, append([]string{"send", "--url", url, path}, c.flags...)...)
			if code != c.code || !strings.Contains(out, c.want) {
				t.Fatalf("exit %d, want %d; stdout lacks %q:\n%s%s", code, c.code, c.want, out, errOut)
			}
			left := len(rowsOf(t, path))
			if c.code == exitOK && left != 0 || c.code != exitOK && left != len(rows) {
				t.Fatalf("%d rows left", left)
			}
		})
	}
}

func TestSendCAFileProblems(t *testing.T) {
	path, _ := sendFixture(t)
	noCerts := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(noCerts, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "send", "--url", "https://127.0.0.1:1/v1/traces", "--ca", filepath.Join(t.TempDir(), "missing.pem"), path)
	if code != exitFailure || !strings.Contains(errOut, "--ca: open ") {
		t.Errorf("missing CA file: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "send", "--url", "https://127.0.0.1:1/v1/traces", "--ca", noCerts, path)
	if code != exitUsage || !strings.Contains(errOut, `PEM block 1 is "PRIVATE KEY", not a certificate`) || strings.Contains(errOut, "AAAA") {
		t.Errorf("CA file without certificates: exit %d, stderr %q", code, errOut)
	}
	// The CA is meaningless for plain HTTP; say so rather than silently ignore it.
	rc := &receiver{}
	code, _, errOut = runCLI(t, "send", "--url", startReceiver(t, rc), "--ca", noCerts, path)
	if code != exitOK || !strings.Contains(errOut, "note: --ca is ignored for an http:// URL") {
		t.Errorf("CA with http://: exit %d, stderr %q", code, errOut)
	}
}

// Rows a Python charm left are replayed with their own content type, byte for byte.
func TestSendOpsRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	if err := writeOpsBuffer(path); err != nil {
		t.Fatal(err)
	}
	rc := &receiver{}
	code, out, errOut := runCLI(t, "send", "--url", startReceiver(t, rc), path)
	if code != exitOK {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	got := rc.got()
	if len(got) != 2 || got[0].contentType != buffer.MimeJSON || string(got[0].body) != opsSpans ||
		got[1].contentType != buffer.MimeJSON || string(got[1].body) != opsInstall {
		t.Fatalf("requests = %+v", got)
	}
	if n := len(rowsOf(t, path)); n != 0 {
		t.Fatalf("%d rows left", n)
	}
}

// A redirect is never followed and never counts as a delivery; its target is shown
// without the secrets it might carry.
func TestSendRedirect(t *testing.T) {
	path, rows := sendFixture(t)
	rc := &receiver{answer: func(_ int, _ []byte, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://collector:pa55w0rd@127.0.0.1:1/v1/traces?token=t0k3n", http.StatusFound)
	}}
	code, out, _ := runCLI(t, "send", "--url", startReceiver(t, rc), path)
	if code != exitPartial || !strings.Contains(out, "redirect") || len(rowsOf(t, path)) != len(rows) {
		t.Fatalf("exit %d, rows left %d:\n%s", code, len(rowsOf(t, path)), out)
	}
	if strings.Contains(out, "pa55w0rd") || strings.Contains(out, "t0k3n") {
		t.Fatalf("summary shows the redirect's secrets:\n%s", out)
	}
}

// A partial success is a delivery (the row is gone: the spec forbids resending it) but
// not a complete one.
func TestSendPartialSuccess(t *testing.T) {
	path, _ := sendFixture(t)
	var partial []byte
	partial = protowire.AppendTag(partial, 1, protowire.VarintType)
	partial = protowire.AppendVarint(partial, 2)
	partial = protowire.AppendTag(partial, 2, protowire.BytesType)
	partial = protowire.AppendString(partial, "spans too old")
	var resp []byte
	resp = protowire.AppendTag(resp, 1, protowire.BytesType)
	resp = protowire.AppendBytes(resp, partial)
	rc := &receiver{answer: func(n int, _ []byte, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-protobuf")
		if n == 0 {
			w.Write(resp)
		}
	}}
	code, out, _ := runCLI(t, "send", "--url", startReceiver(t, rc), path)
	if code != exitPartial || !strings.Contains(out, "the receiver rejected 2 spans in a partial success") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if n := len(rowsOf(t, path)); n != 0 {
		t.Fatalf("%d rows left, want 0", n)
	}
}

func TestSendTimeout(t *testing.T) {
	path, rows := sendFixture(t)
	rc := &receiver{answer: func(_ int, _ []byte, _ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // accepts, never answers
	}}
	code, out, _ := runCLI(t, "send", "--timeout", "200ms", "--url", startReceiver(t, rc), path)
	if code != exitPartial || !strings.Contains(out, "stopped by --timeout 200ms") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if n := len(rowsOf(t, path)); n != len(rows) {
		t.Fatalf("%d rows left, want %d", n, len(rows))
	}
}

func TestSendNothingToSend(t *testing.T) {
	path := bufferPath(t)
	b, err := buffer.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	rc := &receiver{}
	code, out, _ := runCLI(t, "send", "--url", startReceiver(t, rc), path)
	if code != exitOK || out != "nothing to send: "+path+" holds no rows\n" || len(rc.got()) != 0 {
		t.Fatalf("exit %d, %d requests, stdout %q", code, len(rc.got()), out)
	}
}

func TestProgress(t *testing.T) {
	rep := func(sent, retried int, dropped map[string]int) exporter.Report {
		return exporter.Report{Sent: sent, SentBytes: int64(sent) * 1000, Retried: retried, Dropped: dropped}
	}
	// On a terminal the line is rewritten in place after every row.
	var live bytes.Buffer
	p := &progress{w: &live, live: true, total: 4}
	p.update(rep(1, 0, nil))
	p.update(rep(2, 1, nil))
	p.finish(rep(2, 1, map[string]int{"http_400": 1}))
	want := "\rsending: 1/4 rows tried, 1 delivered (1000 B), 0 kept, 0 dropped\x1b[K" +
		"\rsending: 3/4 rows tried, 2 delivered (2.0 KiB), 1 kept, 0 dropped\x1b[K" +
		"\rsending: 4/4 rows tried, 2 delivered (2.0 KiB), 1 kept, 1 dropped\x1b[K\n"
	if live.String() != want {
		t.Errorf("live progress:\n%q\nwant\n%q", live.String(), want)
	}
	// Elsewhere (a log file, CI) whole lines, at most one a second, and the final one.
	var logged bytes.Buffer
	p = &progress{w: &logged, total: 4}
	p.update(rep(1, 0, nil))
	p.update(rep(2, 0, nil))
	p.finish(rep(4, 0, nil))
	want = "sending: 1/4 rows tried, 1 delivered (1000 B), 0 kept, 0 dropped\n" +
		"sending: 4/4 rows tried, 4 delivered (3.9 KiB), 0 kept, 0 dropped\n"
	if logged.String() != want {
		t.Errorf("logged progress:\n%q\nwant\n%q", logged.String(), want)
	}
}

func TestRedactURLs(t *testing.T) {
	in := `receiver redirected (302 Found) to "http://u:p@h:1/x?k=v"; redirects are not followed`
	want := `receiver redirected (302 Found) to "http://REDACTED@h:1/x?REDACTED"; redirects are not followed`
	if got := redactURLs(in); got != want {
		t.Errorf("redactURLs:\n%q\nwant\n%q", got, want)
	}
}

// A replay driven the way a person runs it: inspect, send, inspect again.
func TestSendScript(t *testing.T) {
	path, _ := sendFixture(t)
	url := startReceiver(t, &receiver{})
	for _, step := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"inspect", path}, exitOK, "rows          6 ("},
		{[]string{"send", "--keep", "--url", url, path}, exitOK, "delivered 6 rows"},
		{[]string{"inspect", path}, exitOK, "rows          6 ("},
		{[]string{"send", "--url", url, path}, exitOK, "delivered 6 rows"},
		{[]string{"inspect", path}, exitOK, "rows          0 ("},
		{[]string{"send", "--url", url, path}, exitOK, "nothing to send"},
		{[]string{"tree", path}, exitOK, ""},
	} {
		code, out, errOut := runCLI(t, step.args...)
		if code != step.code || !strings.Contains(out, step.want) {
			t.Fatalf("%v: exit %d, want %d; stdout lacks %q:\n%s%s", step.args, code, step.code, step.want, out, errOut)
		}
	}
}
