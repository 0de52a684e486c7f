package relation

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	charmtls "github.com/charmtrace/charmtrace/tls"
)

func FuzzTracesURL(f *testing.F) {
	for _, s := range []string{receiversWithURL("http://admin:pw@tempo:43x18"), receiversWithURL("ftp://admin:pw@tempo:4318"), receiversWithURL("http://admin:pw@/"), receiversWithURL("http://admin:pw@tempo\x01:4318"), receiversWithURL("0000@0000"), receiversWithURL("http@tempo"), tempoHTTP, tempoHTTPS, ingress, slash, "[]", `[{"protocol":"otlp_http","port":4318}]`, "", "null", `[{"protocol":{"name":"otlp_http","type":"http"},"url":"http://[::1]:4318"}]`} {
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
			// Whatever else is wrong, the error never quotes a URL's credentials. The
			// same text may appear legitimately elsewhere in the message (credentials
			// "0000" for host "0000", "http" as a word of the message, a byte count,
			// another receiver's field, a quoted escape); those cannot be told from a
			// leak and are skipped.
			cs, public := splitCredentials(receivers)
			public += host + errorWords
			for _, c := range cs {
				if strings.Contains(err.Error(), c) && !strings.Contains(public, c) && !strings.ContainsAny(c, "\\\"…?") {
					t.Fatalf("error %q quotes the credentials %q", err, c)
				}
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
	f.Add(`[]`, keyPEM, pemA)
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
		// And it holds certificates and nothing else.
		if _, err := charmtls.Certificates([]byte(got)); err != nil {
			t.Fatalf("accepted %q: %v", got, err)
		}
		again, err := CABundle(map[string]string{"certificates": certs}, []map[string]string{{"ca": ca, "chain": chain}})
		if err != nil || again != got {
			t.Fatal("not deterministic")
		}
	})
}

// errorWords is the fixed text of TracesURL's errors, without the values they quote.
const errorWords = "invalid receiver URL: invalid tracing relation data: bytes, over the limit " +
	"has control or invalid characters has a query or fragment does not parse (invalid port no scheme " +
	"invalid character in the host invalid credentials part invalid IPv6 address invalid percent-escape " +
	"malformed URL) carries credentials; URLs with credentials are refused is not an http:// or https:// URL " +
	"has no host receivers is not a JSON list of receivers receiver has no protocol object has protocol type " +
	"want http or grpc has no url the provider has published no receivers yet the provider offers no otlp_http receiver"

// splitCredentials returns the credentials of the receivers' URLs that are long enough to be
// told from the words of an error message (everything between "//", or the start, and
// the last "@" before any "?" or "#", as Redact reads them), and the text an error may
// legitimately quote: each URL without its credentials, raw and Go-quoted, every other
// field of the receivers, and the decimal numbers an error may carry.
func splitCredentials(receivers string) (creds []string, public string) {
	var rs []struct {
		URL      string          `json:"url"`
		Protocol json.RawMessage `json:"protocol"`
	}
	if json.Unmarshal([]byte(receivers), &rs) != nil {
		return nil, ""
	}
	var pub strings.Builder
	fmt.Fprintf(&pub, " %d ", len(receivers))
	for i, r := range rs {
		fmt.Fprintf(&pub, " %d %d %d %d ", i, len(r.URL), maxURL, maxValue)
		var p protocol
		if json.Unmarshal(r.Protocol, &p) == nil {
			fmt.Fprintf(&pub, "%s %q %s %q ", p.Name, p.Name, p.Type, p.Type)
		}
		s := r.URL
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			s = s[:i]
		}
		at := strings.LastIndexByte(s, '@')
		if at < 0 {
			fmt.Fprintf(&pub, "%s %q ", s, s)
			continue
		}
		start := 0
		if i := strings.Index(s[:at], "//"); i >= 0 {
			start = i + 2
		}
		rest := s[:start] + s[at:]
		fmt.Fprintf(&pub, "%s %q ", rest, rest)
		if ui := s[start:at]; len(ui) >= 4 {
			creds = append(creds, ui)
		}
	}
	return creds, pub.String()
}
