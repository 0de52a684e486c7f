package tls_test

import (
	cryptotls "crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/charmtrace/charmtrace/internal/testcerts"
	charmtls "github.com/charmtrace/charmtrace/tls"
)

func newRoot(t *testing.T, name string) *testcerts.Authority {
	t.Helper()
	ca, err := testcerts.NewRoot(name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func newLeaf(t *testing.T, ca *testcerts.Authority, o testcerts.LeafOptions) cryptotls.Certificate {
	t.Helper()
	leaf, err := ca.NewLeaf(o)
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "ok")
})

// get performs one GET through a client built from caPEM and returns the
// response protocol, or the error.
func get(t *testing.T, caPEM []byte, url string) (string, error) {
	t.Helper()
	cfg, err := charmtls.Config(caPEM)
	if err != nil {
		t.Fatalf("Config: %v", err)
	}
	c := charmtls.Client(cfg)
	defer c.CloseIdleConnections()
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "ok" {
		t.Fatalf("body = %q", body)
	}
	return resp.Proto, nil
}

func TestConfigPolicy(t *testing.T) {
	for _, bundle := range [][]byte{nil, []byte(" \n\t"), newRoot(t, "root").PEM()} {
		cfg, err := charmtls.Config(bundle)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.MinVersion != cryptotls.VersionTLS12 || cfg.MaxVersion != cryptotls.VersionTLS13 {
			t.Errorf("versions = %x..%x, want 1.2..1.3", cfg.MinVersion, cfg.MaxVersion)
		}
		if cfg.InsecureSkipVerify {
			t.Error("InsecureSkipVerify set")
		}
		if len(cfg.NextProtos) != 0 {
			t.Errorf("NextProtos = %v; HTTP/1.1 is the transport's business", cfg.NextProtos)
		}
		if empty := len(strings.TrimSpace(string(bundle))) == 0; empty != (cfg.RootCAs == nil) {
			t.Errorf("bundle %q: RootCAs nil = %v", bundle, cfg.RootCAs == nil)
		}
	}
}

func TestConfigRootsAreExactlyTheBundle(t *testing.T) {
	a, b := newRoot(t, "a"), newRoot(t, "b")
	bundle := append(a.PEM(), b.PEM()...)
	cfg, err := charmtls.Config(bundle)
	if err != nil {
		t.Fatal(err)
	}
	want := x509.NewCertPool()
	want.AddCert(a.Cert)
	want.AddCert(b.Cert)
	if !cfg.RootCAs.Equal(want) {
		t.Error("RootCAs differs from the bundle's certificates")
	}
}

func TestConfigReturnsFreshConfigs(t *testing.T) {
	first, err := charmtls.Config(nil)
	if err != nil {
		t.Fatal(err)
	}
	first.MinVersion = cryptotls.VersionTLS13
	first.ServerName = "changed"
	second, err := charmtls.Config(nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.MinVersion != cryptotls.VersionTLS12 || second.ServerName != "" {
		t.Error("a caller's change leaked into the next Config")
	}
}

func TestConfigRejectsBundleWithoutCertificates(t *testing.T) {
	cfg, err := charmtls.Config([]byte("this is not PEM"))
	if !errors.Is(err, charmtls.ErrNoCertificates) || cfg != nil {
		t.Fatalf("Config = %v, %v; want ErrNoCertificates", cfg, err)
	}
}

// A bundle is certificates only: a private key published as the CA, another block type,
// an encrypted block or a certificate that does not parse is refused whole, even beside
// good certificates, and the error never quotes the block.
func TestConfigRefusesAnythingButCertificates(t *testing.T) {
	good := newRoot(t, "root").PEM()
	const secret = "SECRETKEYMATERIAL"
	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte(secret)})
	cases := []struct {
		name   string
		bundle []byte
		want   string
	}{
		{"private key alone", key, `block 1 is "PRIVATE KEY"`},
		{"private key after a good certificate", append(append([]byte{}, good...), key...), `block 2 is "PRIVATE KEY"`},
		{"RSA key", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte(secret)}), `"RSA PRIVATE KEY"`},
		{"garbage certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte(secret)}), "not a valid certificate"},
		{"encrypted certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte(secret)}), "headers"},
		{"escape in the type", pem.EncodeToMemory(&pem.Block{Type: "X\x1b[31m", Bytes: []byte(secret)}), `\x1b`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := charmtls.Config(c.bundle)
			if !errors.Is(err, charmtls.ErrNotCertificate) || cfg != nil {
				t.Fatalf("Config = %v, %v; want ErrNotCertificate", cfg, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %q, want it to say %q", err, c.want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "U0VDUkVU") || strings.ContainsRune(err.Error(), 0x1b) {
				t.Errorf("err = %q quotes the block", err)
			}
		})
	}
}

// Text between blocks (the comment lines of a distribution's bundle) is not a block: it
// is ignored, and EncodeCertificates gives back the certificates alone.
func TestCertificatesKeepsOnlyCertificates(t *testing.T) {
	a, b := newRoot(t, "a"), newRoot(t, "b")
	bundle := append(append([]byte("# Issuer: a\n"), a.PEM()...), append([]byte("# Issuer: b\n"), b.PEM()...)...)
	certs, err := charmtls.Certificates(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 2 || !certs[0].Equal(a.Cert) || !certs[1].Equal(b.Cert) {
		t.Fatalf("got %d certificates", len(certs))
	}
	if got, want := string(charmtls.EncodeCertificates(certs)), string(a.PEM())+string(b.PEM()); got != want {
		t.Errorf("EncodeCertificates = %q, want %q", got, want)
	}
}

func TestServers(t *testing.T) {
	root := newRoot(t, "root")
	inter, err := root.NewIntermediate("intermediate")
	if err != nil {
		t.Fatal(err)
	}
	other := newRoot(t, "other")
	good := newLeaf(t, root, testcerts.LeafOptions{})
	cases := []struct {
		name     string
		leaf     cryptotls.Certificate
		min, max uint16
		trust    []byte
		wantErr  string // "" = must succeed
	}{
		{"TLS 1.2 only", good, cryptotls.VersionTLS12, cryptotls.VersionTLS12, root.PEM(), ""},
		{"TLS 1.3 only", good, cryptotls.VersionTLS13, cryptotls.VersionTLS13, root.PEM(), ""},
		{"intermediate as the only anchor", newLeaf(t, inter, testcerts.LeafOptions{}), 0, 0, inter.PEM(), ""},
		{"wrong CA", good, 0, 0, other.PEM(), "unknown authority"},
		{"wrong hostname", newLeaf(t, root, testcerts.LeafOptions{Hosts: []string{"tempo.example"}}), 0, 0, root.PEM(), "127.0.0.1"},
		{"expired leaf", newLeaf(t, root, testcerts.LeafOptions{
			NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour),
		}), 0, 0, root.PEM(), "expired"},
		{"TLS 1.1 only", good, cryptotls.VersionTLS10, cryptotls.VersionTLS11, root.PEM(), "protocol version"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := testcerts.NewTLSServer(okHandler, c.leaf, c.min, c.max)
			defer srv.Close()
			proto, err := get(t, c.trust, srv.URL)
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if proto != "HTTP/1.1" {
					t.Errorf("proto = %s", proto)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want one mentioning %q", err, c.wantErr)
			}
		})
	}
}

// The TLS 1.1 case above only means something if that server really speaks
// 1.1: prove it with a client that allows it.
func TestTLS11ServerIsReal(t *testing.T) {
	root := newRoot(t, "root")
	srv := testcerts.NewTLSServer(okHandler, newLeaf(t, root, testcerts.LeafOptions{}),
		cryptotls.VersionTLS10, cryptotls.VersionTLS11)
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(root.Cert)
	conn, err := cryptotls.Dial("tcp", srv.Listener.Addr().String(), &cryptotls.Config{
		RootCAs: pool, ServerName: "127.0.0.1",
		MinVersion: cryptotls.VersionTLS10, MaxVersion: cryptotls.VersionTLS11,
	})
	if err != nil {
		t.Fatalf("legacy client could not reach the TLS 1.1 server: %v", err)
	}
	defer conn.Close()
	if v := conn.ConnectionState().Version; v != cryptotls.VersionTLS11 {
		t.Fatalf("negotiated %x", v)
	}
}

func TestTransportSpeaksHTTP1ToH2ServerWithoutMutatingConfig(t *testing.T) {
	root := newRoot(t, "root")
	srv := httptest.NewUnstartedServer(okHandler)
	srv.EnableHTTP2 = true
	srv.TLS = &cryptotls.Config{
		Certificates: []cryptotls.Certificate{newLeaf(t, root, testcerts.LeafOptions{})},
		NextProtos:   []string{"h2", "http/1.1"},
	}
	srv.StartTLS()
	defer srv.Close()

	cfg, err := charmtls.Config(root.PEM())
	if err != nil {
		t.Fatal(err)
	}
	c := charmtls.Client(cfg)
	defer c.CloseIdleConnections()
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 1 {
		t.Errorf("proto = %s, want HTTP/1.1", resp.Proto)
	}
	if resp.TLS.NegotiatedProtocol == "h2" {
		t.Error("h2 negotiated")
	}
	if cfg.NextProtos != nil {
		t.Errorf("caller's config mutated: NextProtos = %v", cfg.NextProtos)
	}
	if tr := charmtls.Transport(cfg); tr.TLSClientConfig == cfg {
		t.Error("transport shares the caller's *tls.Config")
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var followed bool
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/traces", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { followed = true })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := charmtls.Client(nil)
	defer c.CloseIdleConnections()
	resp, err := c.Post(srv.URL+"/v1/traces", "application/x-protobuf", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || followed {
		t.Fatalf("status %d, followed %v", resp.StatusCode, followed)
	}
}
