package relation

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/internal/testcerts"
)

// Literal databags from the reference (juju-wire-protocol.md §1.7, §2.1, §2.2).
const (
	tempoHTTP  = `[{"protocol": {"name": "otlp_grpc", "type": "grpc"}, "url": "tempo.cos.svc.cluster.local:4317"}, {"protocol": {"name": "otlp_http", "type": "http"}, "url": "http://tempo.cos.svc.cluster.local:4318"}]`
	tempoHTTPS = `[{"protocol": {"name": "otlp_grpc", "type": "grpc"}, "url": "tempo.cos.svc.cluster.local:4317"}, {"protocol": {"name": "otlp_http", "type": "http"}, "url": "https://tempo.cos.svc.cluster.local:4318"}]`
	ingress    = `[{"protocol": {"name": "otlp_http", "type": "http"}, "url": "http://10.43.8.34:4318"}]`
	slash      = `[{"protocol":{"name":"otlp_http","type":"http"},"url":"http://tracing.example:4318/"}]`
)

// pemA and pemB are two CA certificates, trimmed, with pemA < pemB.
var pemA, pemB = func() (string, string) {
	a, b := newCAPEM("relation test CA a"), newCAPEM("relation test CA b")
	return min(a, b), max(a, b)
}()

func newCAPEM(name string) string {
	ca, err := testcerts.NewRoot(name)
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(ca.PEM()))
}

func TestTracesURL(t *testing.T) {
	for _, c := range []struct {
		name string
		app  map[string]string
		want string
		err  error
	}{
		{"tempo http", map[string]string{"receivers": tempoHTTP}, "http://tempo.cos.svc.cluster.local:4318/v1/traces", nil},
		{"tempo https", map[string]string{"receivers": tempoHTTPS}, "https://tempo.cos.svc.cluster.local:4318/v1/traces", nil},
		{"ingress", map[string]string{"receivers": ingress}, "http://10.43.8.34:4318/v1/traces", nil},
		{"trailing slash", map[string]string{"receivers": slash}, "http://tracing.example:4318/v1/traces", nil},
		{"first otlp_http wins", map[string]string{"receivers": `[{"protocol":{"name":"otlp_http","type":"http"},"url":"http://a:1"},{"protocol":{"name":"otlp_http","type":"http"},"url":"http://b:2"}]`}, "http://a:1/v1/traces", nil},
		{"path kept", map[string]string{"receivers": `[{"protocol":{"name":"otlp_http","type":"http"},"url":"https://gw/tempo/"}]`}, "https://gw/tempo/v1/traces", nil},
		{"empty databag", map[string]string{}, "", ErrNoData},
		{"empty receivers", map[string]string{"receivers": "[]"}, "", ErrNoReceiver},
		{"grpc only", map[string]string{"receivers": `[{"protocol":{"name":"otlp_grpc","type":"grpc"},"url":"t:4317"}]`}, "", ErrNoReceiver},
		{"legacy v0 host+ingesters", map[string]string{"host": `"tempo-0.tempo-endpoints.cos.svc.cluster.local"`, "ingesters": `[{"protocol":"otlp_http","port":4318}]`}, "", ErrLegacy},
		{"legacy v2 string protocol", map[string]string{"host": `"tempo-0"`, "receivers": `[{"protocol":"otlp_http","port":4318}]`}, "", ErrLegacy},
		{"not json", map[string]string{"receivers": "otlp_http"}, "", ErrInvalid},
		{"bad type", map[string]string{"receivers": `[{"protocol":{"name":"otlp_http","type":"udp"},"url":"http://a"}]`}, "", ErrInvalid},
		{"no url", map[string]string{"receivers": `[{"protocol":{"name":"otlp_http","type":"http"}}]`}, "", ErrInvalid},
		{"huge", map[string]string{"receivers": "[" + strings.Repeat(" ", maxValue) + "]"}, "", ErrInvalid},
		{"file scheme", map[string]string{"receivers": `[{"protocol":{"name":"otlp_http","type":"http"},"url":"file:///etc/passwd"}]`}, "", ErrBadURL},
		{"javascript", map[string]string{"receivers": `[{"protocol":{"name":"otlp_http","type":"http"},"url":"javascript:alert(1)"}]`}, "", ErrBadURL},
		{"credentials", map[string]string{"receivers": `[{"protocol":{"name":"otlp_http","type":"http"},"url":"https://user:secret@tempo:4318"}]`}, "", ErrBadURL},
		{"no host", map[string]string{"receivers": `[{"protocol":{"name":"otlp_http","type":"http"},"url":"http://"}]`}, "", ErrBadURL},
		{"long URL", map[string]string{"receivers": `[{"protocol":{"name":"otlp_http","type":"http"},"url":"http://a:1/` + strings.Repeat("p", maxURL) + `"}]`}, "", ErrBadURL},
		{"query", map[string]string{"receivers": `[{"protocol":{"name":"otlp_http","type":"http"},"url":"http://a:1/?x=1"}]`}, "", ErrBadURL},
		{"invalid utf-8", map[string]string{"receivers": "[{\"protocol\":{\"name\":\"otlp_http\",\"type\":\"http\"},\"url\":\"http://a\xff:1\"}]"}, "", ErrBadURL},
		{"control char", map[string]string{"receivers": `[{"protocol":{"name":"otlp_http","type":"http"},"url":"http://a\n:1"}]`}, "", ErrBadURL},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := TracesURL(c.app)
			if !errors.Is(err, c.err) || got != c.want {
				t.Fatalf("TracesURL = %q, %v; want %q, %v", got, err, c.want, c.err)
			}
			if err != nil && len(err.Error()) > 400 {
				t.Fatalf("error message of %d bytes echoes the input", len(err.Error()))
			}
		})
	}
}

func TestNeedsWrite(t *testing.T) {
	for _, c := range []struct {
		cur     string
		present bool
		want    bool
	}{
		{"", false, true},
		{`["otlp_http"]`, true, false},
		{`[ "otlp_http" ]`, true, false}, // Python's separators: same value, no write
		{`["otlp_grpc"]`, true, true},
		{`["otlp_http","zipkin"]`, true, true},
		{`garbage`, true, true},
	} {
		if got := NeedsWrite(c.cur, c.present); got != c.want {
			t.Errorf("NeedsWrite(%q, %v) = %v", c.cur, c.present, got)
		}
	}
}

func TestCABundle(t *testing.T) {
	jsonList := func(pems ...string) string {
		var b strings.Builder
		b.WriteString("[")
		for i, p := range pems {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`"` + strings.ReplaceAll(p, "\n", `\n`) + `"`)
		}
		return b.String() + "]"
	}
	for _, c := range []struct {
		name  string
		app   map[string]string
		units []map[string]string
		want  string
		err   error
	}{
		{"v1 one", map[string]string{"certificates": jsonList(pemA), "version": "1"}, nil, pemA, nil},
		{"v1 one with trailing newline", map[string]string{"certificates": jsonList(pemA + "\n")}, nil, pemA, nil},
		{"v1 several unsorted, duplicated", map[string]string{"certificates": jsonList(pemB+"\n", pemA, pemB)}, nil, pemA + "\n" + pemB, nil},
		{"v1 a chain in one value", map[string]string{"certificates": jsonList(pemB + "\n" + pemA)}, nil, pemA + "\n" + pemB, nil},
		{"v1 empty, no units", map[string]string{"certificates": "[]", "version": "1"}, nil, "", ErrNoCertificates},
		{"empty databag", map[string]string{}, nil, "", ErrNoCertificates},
		{"v0 raw PEM", map[string]string{}, []map[string]string{{"ca": pemA, "certificate": pemA, "ingress-address": "10.1.2.3"}}, pemA, nil},
		{"v0 JSON (v1 compat mode)", map[string]string{"certificates": "[]"}, []map[string]string{{
			"ca": `"` + strings.ReplaceAll(pemA, "\n", `\n`) + `"`, "chain": jsonList(pemA, pemB), "version": "0", "private-address": "10.1.2.3",
		}}, pemA + "\n" + pemB, nil}, // sorted
		{"v0 first unit with data", map[string]string{}, []map[string]string{{"ingress-address": "x"}, {"ca": pemB}}, pemB, nil},
		{"v1 not json", map[string]string{"certificates": "-----BEGIN"}, nil, "", ErrInvalid},
		{"garbage PEM", map[string]string{"certificates": `["hello"]`}, nil, "", ErrInvalid},
		{"hundreds of PEMs", map[string]string{"certificates": jsonList(manyPEMs(300)...)}, nil, "", ErrInvalid},
		{"a private key as the CA", map[string]string{"certificates": jsonList(keyPEM)}, nil, "", ErrInvalid},
		{"a key beside a certificate", map[string]string{"certificates": jsonList(pemA, keyPEM)}, nil, "", ErrInvalid},
		{"a key inside a chain", map[string]string{"certificates": jsonList(pemA + "\n" + keyPEM)}, nil, "", ErrInvalid},
		{"v0 key as the ca", map[string]string{}, []map[string]string{{"ca": keyPEM}}, "", ErrInvalid},
		{"another PEM type", map[string]string{"certificates": jsonList(strings.ReplaceAll(pemA, "CERTIFICATE", "X509 CRL"))}, nil, "", ErrInvalid},
		{"a certificate block that does not parse", map[string]string{"certificates": jsonList("-----BEGIN CERTIFICATE-----\nMIIBbbbb\n-----END CERTIFICATE-----")}, nil, "", ErrInvalid},
		{"text around a certificate is not kept", map[string]string{"certificates": jsonList("# Issuer: a\n" + pemA + "\ntrailing words")}, nil, pemA, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := CABundle(c.app, c.units)
			if !errors.Is(err, c.err) || got != c.want {
				t.Fatalf("CABundle = %q, %v; want %q, %v", got, err, c.want, c.err)
			}
			if err != nil && (strings.Contains(err.Error(), keySecret) || strings.Contains(err.Error(), "BEGIN")) {
				t.Fatalf("the error quotes what was refused: %v", err)
			}
		})
	}
}

// keyPEM is a private key as a careless provider could publish it; keySecret is a part of
// its base64 that must never be quoted.
const keySecret = "U0VDUkVUS0VZTUFURVJJQUw"

var keyPEM = strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("SECRETKEYMATERIAL, SECRETKEYMATERIAL")})))

func manyPEMs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = newCAPEM("CA " + strings.Repeat("x", i+1))
	}
	return out
}

// A malformed receiver URL can still carry credentials; the error (which the charm logs)
// must not quote them, whatever else is wrong with the URL.
func TestTracesURLNeverQuotesCredentials(t *testing.T) {
	for _, raw := range []string{
		"http://admin:hunter2@tempo:43x18",       // bad port: Go's parse error quotes the URL
		"ftp://admin:hunter2@tempo:4318",         // wrong scheme
		"http://admin:hunter2@/",                 // no host
		"http://admin:hunter2@tempo:4318/\x01",   // control character
		"http://admin:hunter2@tempo:4318/\u202e", // bidi override
		"https://admin:hunter2@tempo:4318",       // well-formed, with credentials
		"http://admin:hunter2@tempo:4318/?",      // bare query
		"http://admin:hunter2@[::1:4318",         // bad IPv6 literal
		"admin:hunter2@tempo:4318",               // no scheme: "admin" parses as one
		"http://admin:hun/ter2@tempo:4318",       // a "/" in the password
		"http://admin:hunter2@tempo:4318/%zz",    // bad escape
		"http://tempo:4318/?token=hunter2",       // a token in the query
		"http://tempo:4318/#hunter2",             // or in the fragment
	} {
		url, err := TracesURL(map[string]string{"receivers": receiversWithURL(raw)})
		if !errors.Is(err, ErrBadURL) || url != "" {
			t.Errorf("%q: TracesURL = %q, %v; want ErrBadURL", raw, url, err)
			continue
		}
		for _, part := range []string{"admin", "hunter2", "hun", "ter2"} {
			if strings.Contains(err.Error(), part) {
				t.Errorf("%q: the error quotes %q: %v", raw, part, err)
			}
		}
	}
}

// A bare "?" or "#" parses to an empty query or fragment; it must be refused like any
// other, or the drain posts to ".../?/v1/traces".
func TestTracesURLRefusesBareQueryAndFragment(t *testing.T) {
	for _, raw := range []string{"http://tempo:4318?", "http://tempo:4318/?", "http://tempo:4318#", "http://tempo:4318/#", "http://tempo:4318/?#"} {
		url, err := TracesURL(map[string]string{"receivers": receiversWithURL(raw)})
		if !errors.Is(err, ErrBadURL) || url != "" {
			t.Errorf("%q: TracesURL = %q, %v; want ErrBadURL", raw, url, err)
		}
	}
}

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"http://tempo:4318", "http://tempo:4318"},
		{"http://admin:pw@tempo:43x18", "http://…@tempo:43x18"},
		{"admin:pw@tempo", "…@tempo"},
		{"http://a:p/w@x/y", "http://…@x/y"},
		{"http://x//a:b@h", "http://…@h"},
		{"ht!p://a:b@h", "…@h"},
		{"http://h/?token=1", "http://h/…"},
		{"http://h/#frag@x", "http://h/…"},
		{"http://h/\x1b[31m\u202e", "http://h/?[31m?"},
	} {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func receiversWithURL(raw string) string {
	b, err := json.Marshal([]map[string]any{{"protocol": map[string]string{"name": "otlp_http", "type": "http"}, "url": raw}})
	if err != nil {
		panic(err)
	}
	return string(b)
}
