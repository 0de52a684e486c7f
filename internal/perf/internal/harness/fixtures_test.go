package harness

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/charmtrace/charmtrace/buffer"
)

func TestDiscardReceiver(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		r, err := StartReceiver(Discard, tlsOn)
		if err != nil {
			t.Fatal(err)
		}
		client := &http.Client{Timeout: 5 * time.Second}
		if tlsOn {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(r.CAPEM) {
				t.Fatal("no CA")
			}
			client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		}
		resp, err := client.Post(r.URL+"/v1/traces", "application/x-protobuf", bytes.NewReader(make([]byte, 1000)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("tls=%v: status %d", tlsOn, resp.StatusCode)
		}
		if st := r.Stats(); st.Requests != 1 || st.Bytes != 1000 || st.Connections != 1 {
			t.Errorf("tls=%v: stats %+v", tlsOn, st)
		}
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestBlackholeNeverAnswers(t *testing.T) {
	r, err := StartReceiver(Blackhole, false)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 200 * time.Millisecond}
	began := time.Now()
	_, err = client.Post(r.URL+"/v1/traces", "application/x-protobuf", bytes.NewReader([]byte("x")))
	if err == nil {
		t.Fatal("the blackhole answered")
	}
	if d := time.Since(began); d < 150*time.Millisecond {
		t.Errorf("the request failed after %v, not by the client's timeout: %v", d, err)
	}
	if st := r.Stats(); st.Connections != 1 || st.Requests != 0 {
		t.Errorf("stats %+v", st)
	}
	if err := r.Close(); err != nil {
		t.Error(err)
	}
}

func TestFill(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	bl, err := Fill(ctx, path, 1<<20, 10)
	if err != nil {
		t.Fatal(err)
	}
	if bl.Bytes < 1<<20 || bl.Bytes > 1<<20+int64(bl.RowBytes)*20 || bl.Full || bl.Rows != bl.Bytes/int64(bl.RowBytes) {
		t.Errorf("backlog %+v", bl)
	}
	buf, err := buffer.Open(path, buffer.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	for row, err := range buf.Pending(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		var td tracepb.TracesData
		if err := proto.Unmarshal(row.Data, &td); err != nil {
			t.Fatal(err)
		}
		if n := len(td.GetResourceSpans()[0].GetScopeSpans()[0].GetSpans()); n != 10 {
			t.Fatalf("a row holds %d spans, want 10", n)
		}
		break
	}
}
