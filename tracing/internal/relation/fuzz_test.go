package relation

import (
	"net/url"
	"strings"
	"testing"
)

func FuzzTracesURL(f *testing.F) {
	for _, s := range []string{tempoHTTP, tempoHTTPS, ingress, slash, "[]", `[{"protocol":"otlp_http","port":4318}]`, "", "null", `[{"protocol":{"name":"otlp_http","type":"http"},"url":"http://[::1]:4318"}]`} {
		f.Add(s, "")
		f.Add(s, `"tempo-0"`)
	}
	f.Fuzz(func(t *testing.T, receivers, host string) {
		app := map[string]string{"receivers": receivers}
		if host != "" {
			app["host"] = host
		}
		got, err := TracesURL(app)
		if err != nil {
			if got != "" {
				t.Fatalf("error %v with a URL %q", err, got)
			}
			return
		}
		// Whatever was accepted is an http(s) URL with a host, no credentials, ending in /v1/traces.
		u, perr := url.Parse(got)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || !strings.HasSuffix(got, "/v1/traces") {
			t.Fatalf("accepted %q from %q", got, receivers)
		}
	})
}

func FuzzCABundle(f *testing.F) {
	f.Add(`["`+strings.ReplaceAll(pemA, "\n", `\n`)+`"]`, pemA, `[]`)
	f.Add(`[]`, `"x"`, `["a","b"]`)
	f.Add(``, ``, ``)
	f.Fuzz(func(t *testing.T, certs, ca, chain string) {
		got, err := CABundle(map[string]string{"certificates": certs}, []map[string]string{{"ca": ca, "chain": chain}})
		if err != nil {
			return
		}
		// An accepted bundle is sorted, distinct, trimmed PEMs.
		parts := strings.Split(got, "\n-----BEGIN ")
		if !strings.HasPrefix(got, "-----BEGIN ") || strings.TrimSpace(got) != got || len(parts) == 0 {
			t.Fatalf("accepted %q", got)
		}
		again, err := CABundle(map[string]string{"certificates": certs}, []map[string]string{{"ca": ca, "chain": chain}})
		if err != nil || again != got {
			t.Fatal("not deterministic")
		}
	})
}
