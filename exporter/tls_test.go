package exporter_test

import (
	cryptotls "crypto/tls"
	"io"
	"log"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmtrace/charmtrace/internal/testcerts"
)

// TestTLSDestinations drains to in-process HTTPS receivers whose certificates
// are minted here. Those that must be refused leave every row in the buffer.
func TestTLSDestinations(t *testing.T) {
	root, err := testcerts.NewRoot("test root")
	if err != nil {
		t.Fatal(err)
	}
	inter, err := root.NewIntermediate("test intermediate")
	if err != nil {
		t.Fatal(err)
	}
	other, err := testcerts.NewRoot("someone else")
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(ca *testcerts.Authority, o testcerts.LeafOptions) cryptotls.Certificate {
		c, err := ca.NewLeaf(o)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	good := leaf(root, testcerts.LeafOptions{})
	cases := []struct {
		name      string
		leaf      cryptotls.Certificate
		min, max  uint16
		ca        []byte
		delivered bool
		why       string // in the last error when refused
	}{
		{"TLS 1.2 only", good, cryptotls.VersionTLS12, cryptotls.VersionTLS12, root.PEM(), true, ""},
		{"TLS 1.3 only", good, cryptotls.VersionTLS13, cryptotls.VersionTLS13, root.PEM(), true, ""},
		{"intermediate is the only trusted CA", leaf(inter, testcerts.LeafOptions{}), 0, 0, inter.PEM(), true, ""},
		{"wrong CA", good, 0, 0, other.PEM(), false, "unknown authority"},
		{"wrong hostname", leaf(root, testcerts.LeafOptions{Hosts: []string{"tempo.cos.svc.cluster.local"}}), 0, 0, root.PEM(), false, "127.0.0.1"},
		{"expired leaf", leaf(root, testcerts.LeafOptions{
			NotBefore: time.Now().Add(-72 * time.Hour), NotAfter: time.Now().Add(-time.Hour),
		}), 0, 0, root.PEM(), false, "expired"},
		{"TLS 1.1 only", good, cryptotls.VersionTLS10, cryptotls.VersionTLS11, root.PEM(), false, "protocol version"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var received atomic.Int64
			srv := testcerts.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				received.Add(1)
			}), c.leaf, c.min, c.max)
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
			defer srv.Close()

			buf := openBuffer(t)
			e := newExporter(t, buf)
			export(t, e, spans(2, "a", nil), spans(2, "b", nil))
			setDestination(t, e, srv.URL+"/v1/traces", string(c.ca))
			shutdown(t, e)

			left, got := len(rows(t, buf)), received.Load()
			s := e.Stats()
			if c.delivered {
				if left != 0 || got != 1 || s.Sent != 2 { // one request carries both rows
					t.Fatalf("%d rows left, receiver got %d, stats %+v", left, got, s)
				}
				return
			}
			if left != 2 || got != 0 {
				t.Fatalf("%d rows left (want 2), receiver got %d", left, got)
			}
			if !strings.Contains(s.LastError, c.why) {
				t.Fatalf("last error %q does not mention %q", s.LastError, c.why)
			}
			if s.BackoffUntil.IsZero() {
				t.Error("no back-off window after a TLS failure")
			}
		})
	}
}
